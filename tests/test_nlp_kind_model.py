"""The statistical kind refiner: features, training, persistence, and how it sits on the rules."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nlp import Analyzer, Segmenter
from nlp.__main__ import main, train_kind
from nlp.analyze import default_kind_model
from nlp.evaluation import evaluate_rows, read_jsonl
from nlp.kind_model import LABELS, KindModel, TrainingConfig, kind_features, load_model, train
from nlp.training import corpus_examples, quoted_sources, report_sentences

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
DATA = Path(__file__).parent / "data"
PROBLEM, ACHIEVEMENT, OTHER = range(3)


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter().initialize()


@pytest.fixture(scope="module")
def rules(segmenter: Segmenter) -> Analyzer:
    return Analyzer(segmenter, kind_model=None)


def test_features_carry_the_rules_verdict_the_opening_words_and_what_follows_a_figure() -> None:
    texts = ["新增", "12", "家", "，", "增长", "5%", "左右", "。"]
    text = "新增12家，增长5%左右。"
    features = kind_features(set(texts), texts, text, "achievement", 0.62, ["achievement"])
    assert {"R=achievement", "R=achievement:3", "S=achievement", "OPEN=新增", "OPEN2=新增12"} <= features
    assert {"HASNUM", "PCT", "NUM>家", "NUM>左右", "LEN=0"} <= features
    assert "，" in features and " " not in features


def _toy_examples() -> list[tuple[set[str], int]]:
    rows = [
        ({"建成", "累计", "R=achievement"}, ACHIEVEMENT),
        ({"建成", "新增", "R=achievement"}, ACHIEVEMENT),
        ({"推进", "力争", "R=other"}, OTHER),
        ({"推进", "要", "R=other"}, OTHER),
        ({"滞后", "不足", "R=problem"}, PROBLEM),
        ({"下滑", "不足", "R=problem"}, PROBLEM),
    ]
    return rows * 5


def test_training_learns_separable_labels_and_survives_a_round_trip(tmp_path: Path) -> None:
    model = train(_toy_examples(), TrainingConfig(min_count=1, rule_weight=0.0))
    assert model.trained_on == {"problem": 10, "achievement": 10, "other": 10}
    for features, label in _toy_examples()[:6]:
        assert max(range(3), key=model.probabilities(features).__getitem__) == label
    path = tmp_path / "model.json"
    model.save(path)
    loaded = load_model(path)
    assert set(loaded.weights) == set(model.weights)
    assert loaded.probabilities({"建成"}) == pytest.approx(model.probabilities({"建成"}), abs=1e-3)
    (tmp_path / "bad.json").write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(ValueError):
        load_model(tmp_path / "bad.json")


def test_rare_features_are_dropped_and_a_prior_anchors_what_new_data_does_not_show() -> None:
    examples = [*_toy_examples(), ({"罕见词", "R=other"}, OTHER)]
    base = train(examples, TrainingConfig(min_count=3))
    assert "罕见词" not in base.weights and "建成" in base.weights
    corrections = [({"推进", "建成", "R=other"}, ACHIEVEMENT)] * 4
    tuned = train(corrections, TrainingConfig(min_count=1, l2=0.5), prior=base)
    # 推进…建成 was corrected to achievement; 滞后 (absent from the corrections) keeps its pull.
    corrected = {"推进", "建成"}
    assert tuned.probabilities(corrected)[ACHIEVEMENT] > base.probabilities(corrected)[ACHIEVEMENT]
    assert tuned.weights["滞后"][PROBLEM] == pytest.approx(base.weights["滞后"][PROBLEM], abs=0.2)


def test_the_rules_vote_outweighs_an_unsure_model() -> None:
    model = KindModel({"建成": (0.0, 1.0, 0.0)}, (0.0, 0.0, 0.0), rule_weight=3.0, trained_on={})
    label, _ = model.decide({"建成"}, "other", 0.5)
    assert LABELS[label] == "other"
    sure = KindModel({"建成": (0.0, 6.0, 0.0)}, (0.0, 0.0, 0.0), rule_weight=3.0, trained_on={})
    label, probs = sure.decide({"建成", "R=other"}, "other", 0.5)
    assert LABELS[label] == "achievement" and probs[ACHIEVEMENT] > 0.9
    assert sure.evidence({"建成", "R=other", "HASNUM"}, ACHIEVEMENT) == ("建成",)


def test_the_analyzer_shows_the_models_words_when_it_overrides_the_rules(segmenter: Segmenter) -> None:
    text = "深化国有企业改革，完善现代企业制度。"
    rules_only = Analyzer(segmenter, kind_model=None).analyze("", text)
    assert rules_only.kind.label == "other" and rules_only.kind.score > 0
    model = KindModel({"国有企业": (0.0, 8.0, 0.0)}, (0.0, 0.0, 0.0), rule_weight=1.0, trained_on={})
    refined = Analyzer(segmenter, kind_model=model).analyze("", text)
    assert refined.kind.label == "achievement"
    assert refined.kind.evidence == ("国有企业",)
    # The sentences keep the rules' view; only the verdict on the whole text is refined.
    assert [s.label for s in refined.sentences] == [s.label for s in rules_only.sentences]


def test_a_text_without_any_cue_stays_other_whatever_the_model(segmenter: Segmenter) -> None:
    model = KindModel({"说明": (0.0, 9.0, 0.0)}, (0.0, 0.0, 0.0), rule_weight=1.0, trained_on={})
    result = Analyzer(segmenter, kind_model=model).analyze("", "这是一段说明文字。")
    assert (result.kind.label, result.kind.score) == ("other", 0.0)


def test_the_shipped_model_is_used_by_default_and_the_rules_alone_still_hold(segmenter: Segmenter) -> None:
    shipped = default_kind_model()
    assert shipped is not None and Analyzer(segmenter).kind_model is shipped
    assert sum(shipped.trained_on.values()) > 5000
    # The model refines the rules; it must not become the only thing that works.
    rows = read_jsonl(DATA / "kind_eval.jsonl")
    assert evaluate_rows(Analyzer(segmenter, kind_model=None), rows).kind.macro_f1 >= 0.80


REPORT = """各位代表：
现在，我代表省人民政府，向大会报告工作，请予审议。
一、2025年工作回顾
过去一年，全省地区生产总值增长5.4%，新建高标准农田120万亩。
我们也清醒看到，发展中还存在一些困难和问题，主要是：有效需求不足；部分企业生产经营困难。对此，我们将采取有力措施加以解决。
我们深刻体会到，必须坚持人民至上。
二、2026年工作安排
今年要突出抓好以下工作。深化国有企业改革，完善现代企业制度。
"""


def test_a_report_is_labelled_by_its_sections() -> None:
    rows = [(row.text, row.kind) for row in report_sentences(REPORT, "2026 某省")]
    assert rows == [
        ("过去一年，全省地区生产总值增长5.4%，新建高标准农田120万亩。", "achievement"),
        ("我们也清醒看到，发展中还存在一些困难和问题，主要是：有效需求不足；", "problem"),
        ("部分企业生产经营困难。", "problem"),
        ("对此，我们将采取有力措施加以解决。", "other"),
        ("今年要突出抓好以下工作。", "other"),
        ("深化国有企业改革，完善现代企业制度。", "other"),
    ]


def test_quoted_sources_name_the_reports_an_evaluation_file_draws_on() -> None:
    rows = [
        {"source": "2026 北京 政府工作报告"},
        {"source": "2002 国务院政府工作报告"},
        {"source": "中共十九大报告 (2017)"},
        {},
    ]
    assert quoted_sources(rows) == ({"北京"}, {2002})


@pytest.mark.skipif(not CORPUS.exists(), reason="the shared corpus is not on this machine")
def test_corpus_examples_leave_out_the_held_out_reports() -> None:
    regions, years = quoted_sources(read_jsonl(DATA / "kind_eval.jsonl"))
    examples = corpus_examples(CORPUS, regions, years | {2002})
    sources = {e.source for e in examples}
    assert not any(region in source for source in sources for region in regions)
    assert "2002 国务院" not in sources
    kinds = {label: sum(e.kind == label for e in examples) for label in LABELS}
    assert kinds["problem"] > 300 and kinds["achievement"] > 1500 and kinds["other"] > 3000


def test_train_kind_command_trains_from_labelled_lines_and_evaluate_uses_the_result(tmp_path: Path) -> None:
    lines = [
        {"text": "全年新增就业岗位12万个，建成保障性住房3000套。", "kind": "achievement"},
        {"text": "部分地区工作推进滞后，基层负担依然较重。", "kind": "problem"},
        {"text": "要进一步深化改革，力争在重点领域取得突破。", "kind": "other"},
    ]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    out = tmp_path / "model.json"
    sink = io.StringIO()
    assert train_kind(None, [], [labelled], out, sink, extra_repeat=5) == 0
    assert "15 examples" in sink.getvalue()
    assert load_model(out).trained_on == {"problem": 5, "achievement": 5, "other": 5}
    assert main(["evaluate", str(labelled), "--kind-model", str(out)]) == 0
    empty = io.StringIO()
    assert train_kind(None, [], [], out, empty) == 2
    assert "没有训练数据" in empty.getvalue()
