"""Scoring of kind and topic tagging, and the regression guard on the held-out evaluation sets."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from nlp import Analyzer, Segmenter
from nlp.__main__ import evaluate_files, main
from nlp.evaluation import evaluate_rows, score_multi_label, score_single_label

DATA = Path(__file__).parent / "data"
KIND_EVAL = DATA / "kind_eval.jsonl"
# Written after the eval set had been looked at several times, from reports no other file uses, and
# measured once at the end of a tuning round (see EVAL_README.md).
KIND_HOLDOUT = DATA / "kind_holdout.jsonl"
TOPICS_EVAL = DATA / "topics_eval.jsonl"
KIND_TARGET = 0.85
TOPIC_TARGET = 0.75
# The rules alone reach eval 0.822, holdout 0.890; with the shipped kind model eval 0.861, holdout
# 0.914. The holdout floor sits a little under: a drop below it is a regression.
KIND_HOLDOUT_FLOOR = 0.88


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(Segmenter().initialize())


def test_single_label_scores_per_label_and_macro_f1() -> None:
    gold = ["problem", "problem", "achievement", "other", "other"]
    pred = ["problem", "other", "achievement", "other", "achievement"]
    report = score_single_label(gold, pred)
    problem, achievement, other = (report.labels[n] for n in ("problem", "achievement", "other"))
    assert (problem.tp, problem.fp, problem.fn) == (1, 0, 1)
    assert problem.precision == 1.0 and problem.recall == 0.5
    assert problem.f1 == pytest.approx(2 / 3)
    assert achievement.f1 == pytest.approx(2 / 3)
    assert other.f1 == pytest.approx(0.5)
    assert report.macro_f1 == pytest.approx((2 / 3 + 2 / 3 + 0.5) / 3)
    assert report.accuracy == pytest.approx(3 / 5)
    assert report.n == 5


def test_multi_label_scores_micro_and_macro() -> None:
    gold = [{"三农"}, {"三农", "财政金融"}, {"生态环境"}]
    pred = [{"三农"}, {"三农"}, {"三农", "生态环境"}]
    report = score_multi_label(gold, pred, ["三农", "财政金融", "生态环境", "文化旅游"])
    assert (report.labels["三农"].tp, report.labels["三农"].fp) == (2, 1)
    assert report.labels["财政金融"].fn == 1
    # micro: tp 3, fp 1, fn 1
    assert report.micro_f1 == pytest.approx(0.75)
    # macro over labels that occur (文化旅游 never does): (0.8 + 0 + 1) / 3
    assert report.macro_f1 == pytest.approx(1.8 / 3)


def test_scoring_rejects_lists_of_different_length() -> None:
    with pytest.raises(ValueError):
        score_single_label(["problem"], [])


def test_evaluate_prints_tables_and_a_json_last_line(analyzer: Analyzer, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [
        {"text": "部分乡镇防汛物资储备不足，存在较大安全隐患。", "kind": "problem"},
        {"text": "全县粮食总产量突破40万吨，同比增长3.2%。", "kind": "achievement", "topics": ["三农"]},
        {"text": "下一步，我县将加快推进老旧小区改造。", "kind": "other"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert evaluate_files(analyzer, [path], out) == 0
    lines = out.getvalue().strip().split("\n")
    summary = json.loads(lines[-1])
    assert summary["n_kind"] == 3 and summary["n_topics"] == 1
    assert summary["kind_macro_f1"] == 1.0
    assert 0.0 < summary["topic_micro_f1"] <= 1.0  # 三农 found (经济运行 may come along)
    assert any(line.startswith("problem") for line in lines)
    assert any(line.startswith("三农") for line in lines)


def test_evaluate_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(TOPICS_EVAL)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().split("\n")[-1])
    assert summary["n_topics"] >= 100
    assert summary["kind_macro_f1"] is None


GENRES_EVAL = Path(__file__).parent / "data" / "genres_eval.jsonl"


def _rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_eval_sets_are_big_and_balanced_enough() -> None:
    kinds = [str(row["kind"]) for row in _rows(KIND_EVAL)]
    assert len(kinds) >= 150
    for label in ("problem", "achievement", "other"):
        assert 0.25 <= kinds.count(label) / len(kinds) <= 0.45
    topics = _rows(TOPICS_EVAL)
    assert len(topics) >= 100
    # Topics added after the work-report files were labelled (交通运输, 商贸流通) are covered by the
    # per-genre evaluation split.
    topics += [row for row in _rows(GENRES_EVAL) if "topics" in row]
    names = [name for row in topics for name in row["topics"]]  # type: ignore[attr-defined]
    for topic in json.loads((Path(__file__).parents[1] / "nlp" / "data" / "topics.json").read_text("utf-8")):
        assert names.count(topic) >= 5, topic


def test_topic_tagging_meets_the_target_on_held_out_passages(analyzer: Analyzer) -> None:
    result = evaluate_rows(analyzer, _rows(TOPICS_EVAL))
    assert result.topics.micro_f1 >= TOPIC_TARGET


def test_kind_tagging_does_not_regress_on_the_fresh_holdout(analyzer: Analyzer) -> None:
    rows = _rows(KIND_HOLDOUT)
    assert len(rows) >= 120
    result = evaluate_rows(analyzer, rows)
    assert result.kind.macro_f1 >= KIND_HOLDOUT_FLOOR


def test_kind_tagging_meets_the_target_on_held_out_sentences(analyzer: Analyzer) -> None:
    result = evaluate_rows(analyzer, _rows(KIND_EVAL))
    assert result.kind.macro_f1 >= KIND_TARGET


def test_evaluate_prints_every_figure_per_genre_and_reads_corpus_refs(
    analyzer: Analyzer, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "tnews-toutiao").mkdir(parents=True)
    (corpus / "tnews-toutiao" / "test.json").write_text(
        json.dumps({"label": "115", "label_desc": "news_agriculture", "sentence": "今年秋粮收购进度加快"})
        + "\n",
        encoding="utf-8",
    )
    (corpus / "xinwenlianbo-2022-2026").mkdir()
    with gzip.open(corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz", "wt", encoding="utf-8") as fh:
        item = {"id": "xwlb-1", "title": "全市高标准农田建设提前完成", "text": "新建高标准农田5万亩。"}
        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
    path = tmp_path / "genres.jsonl"
    rows = [
        {"text": "我在工地干了半年活，老板拖欠工资至今不给。", "kind": "problem", "genre": "complaint"},
        {"text": "希望各单位认真贯彻落实。", "kind": "other", "genre": "speech"},
        {"ref": "tnews:test:0", "topics": ["三农"], "genre": "news_title"},
        {"ref": "xwlb:xwlb-1", "kind": "achievement", "topics": ["三农"], "genre": "news"},
        {"ref": "xwlb:missing", "kind": "other", "genre": "news"},
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = io.StringIO()
    assert evaluate_files(analyzer, [path], out, corpus) == 0
    text = out.getvalue()
    assert "1 rows refer to corpus texts not found" in text
    summary = json.loads(text.strip().split("\n")[-1])
    genres = summary["genres"]
    assert set(genres) == {"complaint", "speech", "news_title", "news", "all"}
    assert genres["complaint"]["problem_recall"] == 1.0
    assert genres["complaint"]["problem_as_achievement"] == 0.0
    assert genres["news_title"]["topic_hit_rate"] == 1.0
    assert genres["news"]["n_kind"] == 1
    assert all(line.split()[0] in text for line in ("complaint", "news_title"))
