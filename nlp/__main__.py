"""Command line: `python -m nlp tag` reads JSON lines {"title", "text"} and writes one tag line each."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from nlp.analyze import DATA, Analysis, Analyzer, default_analyzer
from nlp.evaluation import evaluate_by_genre, evaluate_rows, format_report, read_jsonl, resolve_refs
from nlp.kind_model import LABELS, load_model, train
from nlp.title_model import load_title_model
from nlp.training import corpus_examples, quoted_sources


def tags_of(analysis: Analysis) -> dict[str, Any]:
    """Return the JSON-ready tags of one analysis."""
    return {
        "kind": analysis.kind.label,
        "kind_score": analysis.kind.score,
        "kind_evidence": list(analysis.kind.evidence),
        "contains_problems": analysis.contains_problems,
        "topics": [
            {"name": tag.name, "score": tag.score, "evidence": list(tag.evidence)} for tag in analysis.topics
        ],
        "keywords": list(analysis.keywords),
    }


def tag_line(analyzer: Analyzer, line: str) -> dict[str, Any]:
    """Tag one input line; a bad line gives an error object instead of raising."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"error": "bad_json", "message": f"不是合法的 JSON：{exc.msg}"}
    if not isinstance(item, dict):
        return {"error": "bad_input", "message": '每行应为 JSON 对象：{"title": …, "text": …}'}
    title, text = item.get("title", ""), item.get("text", "")
    if not isinstance(title, str) or not isinstance(text, str):
        return {"error": "bad_input", "message": "title 和 text 必须是字符串"}
    return tags_of(analyzer.analyze(title, text))


def tag_stream(analyzer: Analyzer, source: IO[str], sink: IO[str]) -> int:
    """Tag every non-empty line of `source` into `sink`, in order; return the number of errors."""
    errors = 0
    for line in source:
        if not line.strip():
            continue
        result = tag_line(analyzer, line)
        errors += "error" in result
        sink.write(json.dumps(result, ensure_ascii=False) + "\n")
        sink.flush()
    return errors


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line."""
    parser = argparse.ArgumentParser(prog="python -m nlp", description="信息文本分析")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("tag", help="read JSON lines {title, text} on stdin, write tags as JSON lines")
    evaluate = commands.add_parser(
        "evaluate", help='score tagging against labelled JSON lines {"text", "kind"?, "topics"?}'
    )
    evaluate.add_argument("files", nargs="+", type=Path, metavar="FILE.jsonl")
    evaluate.add_argument(
        "--kind-model", metavar="FILE.json|none", help="another kind model, or none for the rules alone"
    )
    evaluate.add_argument(
        "--title-model",
        metavar="FILE.json|none",
        help="another title topic model, or none for the word lists",
    )
    evaluate.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help='the public corpus, for rows with a "ref"'
    )
    trainer = commands.add_parser(
        "train-kind", help="train the kind model on work-report sections (and labelled JSON lines)"
    )
    trainer.add_argument("--corpus", type=Path, help="the corpus folder (gov-work-reports-*)")
    trainer.add_argument(
        "--held-out",
        nargs="*",
        type=Path,
        default=[],
        metavar="FILE.jsonl",
        help="labelled files whose source reports are left out of the training data",
    )
    trainer.add_argument(
        "--extra", nargs="*", type=Path, default=[], metavar="FILE.jsonl", help='more {"text", "kind"} lines'
    )
    trainer.add_argument(
        "--extra-repeat", type=int, default=3, metavar="N", help="each --extra line counts N times"
    )
    trainer.add_argument("--out", type=Path, default=DATA / "kind_model.json")
    args = parser.parse_args(argv)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    if args.command == "evaluate":
        analyzer = default_analyzer()
        if args.kind_model:
            model = None if args.kind_model == "none" else load_model(Path(args.kind_model))
            analyzer = analyzer.with_kind_model(model)
        if args.title_model:
            analyzer = analyzer.with_title_model(
                None if args.title_model == "none" else load_title_model(Path(args.title_model))
            )
        return evaluate_files(analyzer, args.files, sys.stdout, args.corpus)
    if args.command == "train-kind":
        return train_kind(args.corpus, args.held_out, args.extra, args.out, sys.stdout, args.extra_repeat)
    tag_stream(default_analyzer(), sys.stdin, sys.stdout)
    return 0


def train_kind(
    corpus: Path | None,
    held_out: Sequence[Path],
    extra: Sequence[Path],
    out: Path,
    sink: IO[str],
    extra_repeat: int = 3,
) -> int:
    """Train the kind model on the rules' view of silver report sentences plus `extra` rows."""
    regions: set[str] = set()
    years: set[int] = set()
    for path in held_out:
        found_regions, found_years = quoted_sources(read_jsonl(path))
        regions |= found_regions
        years |= found_years
    texts: list[tuple[str, str]] = []
    if corpus is not None:
        texts += [(e.text, e.kind) for e in corpus_examples(corpus, regions, years)]
    for path in extra:
        rows = [(str(row["text"]), str(row["kind"])) for row in read_jsonl(path) if row.get("kind") in LABELS]
        texts += rows * max(1, extra_repeat)
    if not texts:
        sink.write("没有训练数据：请给出 --corpus 或 --extra\n")
        return 2
    # Features come from a rules-only analyzer: the model learns from what the rules say, not from itself.
    rules = default_analyzer().with_kind_model(None)
    examples = [(Analyzer.kind_features(rules.analyze("", text)), LABELS.index(kind)) for text, kind in texts]
    model = train(examples)
    model.save(out)
    held = f"{len(regions)} provinces, {len(years)} national years held out"
    size = f"{len(model.weights)} weights"
    sink.write(f"{len(examples)} examples {dict(model.trained_on)}; {held}; {size} -> {out}\n")
    return 0


DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
_GENRE_COLUMNS = (
    ("kind_macro_f1", "kind F1"),
    ("kind_accuracy", "kind acc"),
    ("problem_recall", "prob R"),
    ("problem_as_achievement", "prob→ach"),
    ("topic_hit_rate", "topic hit"),
    ("off_topic_rate", "off-topic"),
    ("topic_micro_f1", "topic F1"),
)


def evaluate_files(
    analyzer: Analyzer, files: Sequence[Path], sink: IO[str], corpus: Path | None = DEFAULT_CORPUS
) -> int:
    """Print per-label scores and every figure per genre; the last line is one JSON object.

    Rows that point into the public corpus (`"ref"`) are read from `corpus`.
    """
    rows, missing = resolve_refs([row for path in files for row in read_jsonl(path)], corpus)
    by_genre = evaluate_by_genre(analyzer, rows)
    result = by_genre.get("all") or next(iter(by_genre.values()), evaluate_rows(analyzer, []))
    lines: list[str] = []
    if missing:
        lines += [f"{missing} rows refer to corpus texts not found under {corpus}: left out", ""]
    if result.kind.n:
        lines += format_report("kind", result.kind)
        lines.append(f"kind macro-F1 {result.kind.macro_f1:.3f}, accuracy {result.kind.accuracy:.3f}")
        lines.append("")
    if result.topics.n:
        lines += format_report("topics", result.topics)
        lines.append(f"topic micro-F1 {result.topics.micro_f1:.3f}, macro-F1 {result.topics.macro_f1:.3f}")
        lines.append("")
    summaries = {genre: evaluation.summary() for genre, evaluation in by_genre.items()}
    lines.append(f"{'genre':<12}{'n kind':>7}{'n topic':>8}" + "".join(f"{h:>10}" for _, h in _GENRE_COLUMNS))
    for genre, summary in summaries.items():
        cells = "".join(
            f"{'-':>10}" if summary[key] is None else f"{summary[key]:>10.3f}" for key, _ in _GENRE_COLUMNS
        )
        lines.append(f"{genre:<12}{summary['n_kind']:>7}{summary['n_topics']:>8}{cells}")
    lines.append("")
    lines.append(json.dumps({**result.summary(), "genres": summaries}, ensure_ascii=False))
    sink.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
