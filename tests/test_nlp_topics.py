"""Topics on short texts and titles, the added areas (交通运输, 商贸流通), and the grown word lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp import Analyzer, Segmenter, load_default_topics
from nlp.topics import compile_topics

DATA = Path(__file__).parents[1] / "nlp" / "data"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Segmenter().initialize())


@pytest.mark.parametrize(
    ("topic", "title", "text"),
    [
        ("三农", "我县多措并举推进冬季瓜菜生产", ""),
        ("城乡建设", "北京楼市新政出台，二手房成交量回升", ""),
        ("交通运输", "城乡公交一体化改造顺利完成", ""),
        ("交通运输", "", "我每天乘坐的K8路公交车经常晚点，有时候等四十多分钟都不来，希望有关部门管一管。"),
        ("商贸流通", "", "健身房办卡后突然关门，老板联系不上，会员卡里还有五千元。"),
        ("文化旅游", "第十五届全国运动会倒计时100天", ""),
    ],
)
def test_short_texts_and_titles_get_their_topic(
    analyzer: Analyzer, topic: str, title: str, text: str
) -> None:
    result = analyzer.analyze(title, text)
    names = [tag.name for tag in result.topics]
    assert names and names[0] == topic, result.topics
    assert result.topics[0].evidence


def test_a_short_text_keeps_to_its_main_area(analyzer: Analyzer) -> None:
    result = analyzer.analyze("", "小区门口的公交站被取消了，老人出行很不方便，能否恢复？")
    assert [tag.name for tag in result.topics] == ["交通运输"]


def test_words_inside_compound_tokens_are_found_once_and_cached() -> None:
    index = compile_topics({"文化旅游": {"运动会": 2.5}, "交通运输": {"集装箱": 2.0}})
    assert index.contained("全国运动会") == ("运动会",)
    assert "全国运动会" in index.inner
    assert index.contained("运动会") == ()  # a lexicon word itself is matched whole, not here


def test_default_topics_cover_the_city_areas_and_record_how_they_grew() -> None:
    topics = load_default_topics()
    assert {"交通运输", "商贸流通"} <= set(topics)
    review = json.loads((DATA / "topic_growth_review.json").read_text("utf-8"))
    assert "word2vec" in review["method"]
    for name, decided in review["review"].items():
        for line in decided["accepted"]:
            assert line.split()[0] in topics[name], (name, line)
        assert not set(decided["rejected"]) & set(topics[name]), name
