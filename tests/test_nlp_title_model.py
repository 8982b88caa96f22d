"""Topics of titles: the word lists combined with the title model (one topic, or none when unclear)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import Analyzer, Segmenter
from nlp.title_model import (
    TitleTopicModel,
    default_title_model,
    load_title_model,
    model_from_json,
    title_features,
)

DATA = Path(__file__).parents[1] / "nlp" / "data"


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter().initialize()


@pytest.fixture(scope="module")
def analyzer(segmenter: Segmenter) -> Analyzer:
    return Analyzer(segmenter, kind_model=None)


def _small_model() -> TitleTopicModel:
    """A model that knows two words: 航天员 (科技教育) and 开放 (对外开放)."""
    names = ("科技教育", "对外开放", "文化旅游")
    weights = {"w:航天员": ((0, 4.0),), "b:开放": ((1, 3.0),)}
    return TitleTopicModel(names, (0.0, 0.0, 0.0), weights, {"corpus": "test"})


def test_features_are_tokens_han_bigrams_and_characters() -> None:
    features = title_features(["高考", "志愿", "，", "怎么", "填"], "高考志愿，怎么填")
    assert {f for f in features if f.startswith("w:")} == {"w:高考", "w:志愿", "w:怎么", "w:填"}
    assert {f for f in features if f.startswith("b:")} == {"b:高考", "b:考志", "b:志愿", "b:怎么", "b:么填"}
    assert {f for f in features if f.startswith("c:")} == {f"c:{c}" for c in "高考志愿怎么填"}


def test_a_title_the_word_lists_miss_gets_the_models_topic_with_evidence(segmenter: Segmenter) -> None:
    plain = Analyzer(segmenter, kind_model=None, title_model=None)
    title = "神舟十五号航天员乘组圆满完成首次出舱活动"
    assert not plain.analyze(title, "").topics
    tags = plain.with_title_model(_small_model()).analyze(title, "").topics
    assert [tag.name for tag in tags] == ["科技教育"]
    assert tags[0].evidence == ("航天员",)


def test_the_word_lists_first_tag_stands_unless_the_model_is_sure_of_another(segmenter: Segmenter) -> None:
    analyzer = Analyzer(segmenter, kind_model=None, title_model=_small_model())
    # 博物馆 is 文化旅游 by the word lists; the model's weak pull to 对外开放 (开放) does not outvote it.
    names = ("科技教育", "对外开放", "文化旅游")
    uncertain = TitleTopicModel(names, (0.0, 0.0, 0.0), {"b:开放": ((1, 0.5),)}, {})
    tags = analyzer.with_title_model(uncertain).analyze("市博物馆延长开放时间", "").topics
    assert [tag.name for tag in tags] == ["文化旅游"]


def test_a_title_without_a_clear_area_gets_no_topic(segmenter: Segmenter) -> None:
    analyzer = Analyzer(segmenter, kind_model=None, title_model=_small_model())
    assert analyzer.analyze("今天我们聊聊这件事", "").topics == ()


def test_bodies_are_tagged_by_the_word_lists_alone(segmenter: Segmenter) -> None:
    with_model = Analyzer(segmenter, kind_model=None, title_model=_small_model())
    without = with_model.with_title_model(None)
    text = "图书馆开放时间太短，上班族根本没有时间去借书。"
    assert with_model.analyze("", text).topics == without.analyze("", text).topics


def test_the_shipped_model_reads_back_and_knows_the_default_topics(analyzer: Analyzer) -> None:
    model = default_title_model()
    assert model is not None and analyzer.title_model is model
    assert set(model.topics) <= set(analyzer.topics)
    assert len(model.topics) == len(model.bias) >= 14
    again = model_from_json(json.loads(json.dumps(model.to_json())))
    assert again.topics == model.topics and again.weights == model.weights
    assert load_title_model(DATA / "title_model.json").bias == model.bias
    with pytest.raises(ValueError):
        model_from_json({"format": 0})


@pytest.mark.parametrize(
    ("topic", "title"),
    [
        ("科技教育", "神舟十五号航天员乘组圆满完成首次出舱活动"),
        ("文化旅游", "暑期亲子游火热 热门线路推荐"),
        ("交通运输", "贵州德江白果坨大桥顺利完成荷载试验"),
        ("城乡建设", "北京楼市新政出台，二手房成交量回升"),
        ("三农", "我县多措并举推进冬季瓜菜生产"),
    ],
)
def test_titles_get_one_topic_from_the_shipped_model(analyzer: Analyzer, topic: str, title: str) -> None:
    tags = analyzer.analyze(title, "").topics
    assert [tag.name for tag in tags] == [topic]
    assert tags[0].evidence
