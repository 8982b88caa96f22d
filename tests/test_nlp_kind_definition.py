"""Kind by the office's definition (DOMAIN.md "Kind: how to label"): records of work done, complaints,
talk about problem information, mixed items that contain problems; and the one home of shared lists."""

from __future__ import annotations

import importlib
import io
import json

import pytest

import nlp.kind_model
import nlp.lexicon
from nlp import Analyzer, Segmenter
from nlp.__main__ import tag_stream


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Segmenter().initialize())


RECORDS = [
    "市委办公室召开专题会议，部署全年政务信息编报工作。",
    "今年上半年，我们开展了两期信息员业务培训。",
    "进一步健全了信息报送制度。",
    "市委主要领导三次过问信息工作。",
]

COMPLAINTS = [
    "我在建筑工地干了半年活，老板拖欠工资三万多元至今不给。",
    "您好，请问我们小区门口的路灯坏了一个多月了，能否尽快派人维修？",
    "麻烦问一下，我们镇到县城的公交车能不能增加班次？早上只有一班车，孩子上学赶不上。",
    "小区旁边的烧烤店油烟直排，已经影响正常生活。",
    "秋粮收购中部分地区出现压级压价现象，农民反映强烈。",
]

OTHER = [
    "报送问题性信息也是为人民服务的体现。",
    "所谓问题性信息，就是反映工作中存在的问题、困难和隐患的信息。",
    "各单位要进一步提高思想认识，切实把信息工作摆上重要议事日程。",
    "希望各地认真学习借鉴先进经验，结合实际抓好贯彻落实。",
]


@pytest.mark.parametrize("text", RECORDS)
def test_a_record_of_work_done_is_an_achievement_even_without_figures(analyzer: Analyzer, text: str) -> None:
    kind = analyzer.analyze("", text).kind
    assert kind.label == "achievement", kind
    assert kind.evidence


@pytest.mark.parametrize("text", COMPLAINTS)
def test_a_complaint_is_a_problem_even_when_polite_or_a_question(analyzer: Analyzer, text: str) -> None:
    kind = analyzer.analyze("", text).kind
    assert kind.label == "problem", kind
    assert kind.evidence and kind.score > 0


@pytest.mark.parametrize("text", OTHER)
def test_talk_about_problems_and_requirements_are_other(analyzer: Analyzer, text: str) -> None:
    assert analyzer.analyze("", text).kind.label == "other"


def test_an_achievement_item_closing_with_problems_stays_achievement_and_contains_problems(
    analyzer: Analyzer,
) -> None:
    result = analyzer.analyze(
        "全县粮食生产再获丰收",
        "今年全县粮食总产量达到42万吨，同比增长3.1%。新建高标准农田5万亩，农业机械化水平明显提高。"
        "但也存在农田水利设施老化等问题。",
    )
    assert result.kind.label == "achievement"
    assert result.contains_problems
    assert [s.label for s in result.sentences][-1] == "problem"


def test_a_complaint_that_says_what_was_done_stays_a_problem(analyzer: Analyzer) -> None:
    result = analyzer.analyze(
        "",
        "我们小区停水三天了，自来水公司没有任何通知，老人孩子生活困难。后来社区派人送来了桶装水。",
    )
    assert result.kind.label == "problem"
    assert not result.contains_problems  # a problem item does not "contain" problems: it is one


def test_a_plain_record_contains_no_problems(analyzer: Analyzer) -> None:
    result = analyzer.analyze("", "全市社会消费品零售总额同比增长6.2%，新增城镇就业3.1万人。")
    assert result.kind.label == "achievement" and not result.contains_problems


def test_tag_output_gains_contains_problems_and_keeps_its_fields(analyzer: Analyzer) -> None:
    line = json.dumps(
        {"title": "我县粮食丰收", "text": "全县粮食总产量同比增长3%。但也存在农田水利设施老化等问题。"},
        ensure_ascii=False,
    )
    out = io.StringIO()
    assert tag_stream(analyzer, io.StringIO(line + "\n"), out) == 0
    tags = json.loads(out.getvalue())
    assert set(tags) == {"kind", "kind_score", "kind_evidence", "topics", "keywords", "contains_problems"}
    assert isinstance(tags["contains_problems"], bool)


def test_labels_cjk_ranges_and_stop_words_have_one_home() -> None:
    analyze = importlib.import_module("nlp.analyze")
    evaluation = importlib.import_module("nlp.evaluation")
    kind = importlib.import_module("nlp.kind")
    normalize = importlib.import_module("nlp.normalize")
    assert nlp.kind_model.LABELS is nlp.lexicon.LABELS
    assert evaluation.KIND_LABELS is nlp.lexicon.LABELS
    assert kind.LABELS is nlp.lexicon.LABELS
    assert analyze.load_stopwords is nlp.lexicon.load_stopwords
    assert normalize._CJK_CLASS == nlp.lexicon.CJK_CLASS
    assert nlp.lexicon.is_cjk("信") and nlp.lexicon.is_cjk("㐀") and not nlp.lexicon.is_cjk("a")
    assert nlp.lexicon.is_cjk("〇") and nlp.lexicon.is_cjk("\U00020000")
    entities = importlib.import_module("nlp.entities")
    grams = importlib.import_module("search.grams")
    similar = importlib.import_module("search.similar")
    assert entities._HAN == grams._CJK == nlp.lexicon.CJK_CLASS
    assert similar.STOP_WORDS is nlp.lexicon.load_stopwords()
