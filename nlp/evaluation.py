"""Measure kind and topic tagging against hand-labelled JSON lines: precision, recall, F1."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nlp.analyze import Analyzer
from nlp.lexicon import LABELS as KIND_LABELS


@dataclass(frozen=True, slots=True)
class Score:
    """Precision, recall and F1 of one label, with the counts they come from."""

    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0 when the label never occurs."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        """How often the label occurs in the gold data."""
        return self.tp + self.fn


@dataclass(frozen=True, slots=True)
class Report:
    """Per-label scores plus macro F1 (and micro F1 for multi-label data)."""

    labels: dict[str, Score] = field(default_factory=dict)
    n: int = 0

    @property
    def macro_f1(self) -> float:
        """Unweighted mean of the per-label F1 over labels that occur in gold or predictions."""
        scores = [s.f1 for s in self.labels.values() if s.tp + s.fp + s.fn]
        return sum(scores) / len(scores) if scores else 0.0

    @property
    def micro_f1(self) -> float:
        """F1 over all (item, label) decisions pooled."""
        pooled = Score(
            sum(s.tp for s in self.labels.values()),
            sum(s.fp for s in self.labels.values()),
            sum(s.fn for s in self.labels.values()),
        )
        return pooled.f1

    @property
    def accuracy(self) -> float:
        """Share of single-label items predicted right (micro F1 equals accuracy there)."""
        return self.micro_f1


def score_single_label(
    gold: Sequence[str], predicted: Sequence[str], labels: Iterable[str] = KIND_LABELS
) -> Report:
    """Score one label per item (kind)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    names = list(dict.fromkeys([*labels, *gold, *predicted]))
    return score_multi_label([{g} for g in gold], [{p} for p in predicted], names)


def score_multi_label(
    gold: Sequence[set[str]], predicted: Sequence[set[str]], labels: Iterable[str] = ()
) -> Report:
    """Score a set of labels per item (topics)."""
    if len(gold) != len(predicted):
        raise ValueError("gold and predicted differ in length")
    seen = {x for g in gold for x in g} | {x for p in predicted for x in p}
    names = list(dict.fromkeys([*labels, *sorted(seen)]))
    counts = {name: [0, 0, 0] for name in names}
    for g, p in zip(gold, predicted, strict=True):
        for name in g & p:
            counts[name][0] += 1
        for name in p - g:
            counts[name][1] += 1
        for name in g - p:
            counts[name][2] += 1
    return Report({name: Score(*c) for name, c in counts.items()}, len(gold))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file, skipping blank lines."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Kind and topic reports of one set of rows (either may be empty), plus the office's own figures.

    `kind_pairs` counts (gold, predicted) kinds; `topic_hits` the rows whose predicted topics include
    a gold one; `off_topic` the rows given a topic outside their gold set.
    """

    kind: Report
    topics: Report
    kind_pairs: Mapping[tuple[str, str], int] = field(default_factory=dict)
    topic_hits: int = 0
    off_topic: int = 0

    def kind_share(self, gold: str, predicted: str) -> float:
        """Share of the rows labelled `gold` that were tagged `predicted` (0 when there are none)."""
        total = sum(n for (g, _), n in self.kind_pairs.items() if g == gold)
        return self.kind_pairs.get((gold, predicted), 0) / total if total else 0.0

    def summary(self) -> dict[str, float | int | None]:
        """The headline figures as a flat JSON-ready dict (None for a part the rows do not label)."""
        kind, topics = self.kind, self.topics
        problems = kind.labels.get("problem")
        has_problems = problems is not None and problems.support > 0
        return {
            "kind_macro_f1": round(kind.macro_f1, 4) if kind.n else None,
            "kind_accuracy": round(kind.accuracy, 4) if kind.n else None,
            "problem_recall": round(problems.recall, 4) if problems is not None and has_problems else None,
            "problem_as_achievement": round(self.kind_share("problem", "achievement"), 4)
            if has_problems
            else None,
            "topic_micro_f1": round(topics.micro_f1, 4) if topics.n else None,
            "topic_macro_f1": round(topics.macro_f1, 4) if topics.n else None,
            "topic_hit_rate": round(self.topic_hits / topics.n, 4) if topics.n else None,
            "off_topic_rate": round(self.off_topic / topics.n, 4) if topics.n else None,
            "n_kind": kind.n,
            "n_topics": topics.n,
        }


def evaluate_rows(analyzer: Analyzer, rows: Iterable[Mapping[str, Any]]) -> Evaluation:
    """Tag every row (title optional) and score lines with "kind" and/or "topics" labels."""
    kind_gold: list[str] = []
    kind_pred: list[str] = []
    topic_gold: list[set[str]] = []
    topic_pred: list[set[str]] = []
    for row in rows:
        if "kind" not in row and "topics" not in row:
            continue
        analysis = analyzer.analyze(str(row.get("title", "")), str(row.get("text", "")))
        if "kind" in row:
            kind_gold.append(str(row["kind"]))
            kind_pred.append(analysis.kind.label)
        if "topics" in row:
            topic_gold.append({str(t) for t in row["topics"]})
            topic_pred.append({tag.name for tag in analysis.topics})
    kind = score_single_label(kind_gold, kind_pred) if kind_gold else Report()
    topics = score_multi_label(topic_gold, topic_pred, analyzer.topics) if topic_gold else Report()
    return Evaluation(
        kind,
        topics,
        dict(Counter(zip(kind_gold, kind_pred, strict=True))),
        sum(bool(g & p) for g, p in zip(topic_gold, topic_pred, strict=True)),
        sum(bool(p - g) for g, p in zip(topic_gold, topic_pred, strict=True)),
    )


DEFAULT_GENRE = "work_report"


def genre_of(row: Mapping[str, Any]) -> str:
    """The genre a labelled row records; rows written before genres were recorded are work reports."""
    return str(row.get("genre") or DEFAULT_GENRE)


def evaluate_by_genre(analyzer: Analyzer, rows: Sequence[Mapping[str, Any]]) -> dict[str, Evaluation]:
    """One evaluation per genre, in order of first appearance, then "all" over every row."""
    genres: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        genres.setdefault(genre_of(row), []).append(row)
    result = {genre: evaluate_rows(analyzer, group) for genre, group in genres.items()}
    if len(genres) > 1:
        result["all"] = evaluate_rows(analyzer, rows)
    return result


def resolve_refs(rows: Iterable[Mapping[str, Any]], corpus: Path | None) -> tuple[list[dict[str, Any]], int]:
    """Fill in the text of rows that point into the public corpus instead of quoting it.

    Some labelled sources may not be copied into the repository (新闻联播 transcripts, TNEWS titles):
    their rows carry `"ref": "xwlb:<id>"` (with `"field": "title"` for the headline alone) or
    `"ref": "tnews:<file stem>:<line index>"` and the text is read from `corpus` here. Returns the
    rows and how many references could not be resolved.
    """
    resolved: list[dict[str, Any]] = []
    missing = 0
    xwlb: dict[str, tuple[str, str]] | None = None
    tnews: dict[str, list[str]] = {}
    for row in rows:
        ref = row.get("ref")
        if not ref:
            resolved.append(dict(row))
            continue
        source, _, key = str(ref).partition(":")
        title = text = None
        if corpus is not None and source == "xwlb":
            if xwlb is None:
                xwlb = _xwlb_items(corpus)
            if key in xwlb:
                title, text = xwlb[key]
                if row.get("field") == "title":
                    text = ""  # the headline alone, as a short text
        elif corpus is not None and source == "tnews":
            stem, _, index = key.rpartition(":")
            if stem not in tnews:
                tnews[stem] = _tnews_titles(corpus, stem)
            if index.isdigit() and int(index) < len(tnews[stem]):
                title, text = tnews[stem][int(index)], ""
        if title is None or text is None:
            missing += 1
            continue
        resolved.append({**row, "title": title, "text": text})
    return resolved, missing


def _xwlb_items(corpus: Path) -> dict[str, tuple[str, str]]:
    path = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    if not path.exists():
        return {}
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        items = (json.loads(line) for line in fh if line.strip())
        return {str(item["id"]): (str(item["title"]), str(item["text"])) for item in items}


def _tnews_titles(corpus: Path, stem: str) -> list[str]:
    path = corpus / "tnews-toutiao" / f"{stem}.json"
    if not path.exists() or "/" in stem:
        return []
    with path.open(encoding="utf-8") as fh:
        return [str(json.loads(line)["sentence"]) for line in fh if line.strip()]


def format_report(title: str, report: Report) -> list[str]:
    """Render a report as aligned text lines."""
    lines = [f"{title} (n={report.n})", f"{'label':<12}{'P':>8}{'R':>8}{'F1':>8}{'support':>9}"]
    for name, s in report.labels.items():
        lines.append(f"{name:<12}{s.precision:>8.3f}{s.recall:>8.3f}{s.f1:>8.3f}{s.support:>9}")
    return lines
