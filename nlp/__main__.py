"""Command line: `python -m nlp tag` reads JSON lines {"title", "text"} and writes one tag line each."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from nlp.analyze import Analysis, Analyzer, default_analyzer
from nlp.evaluation import evaluate_rows, format_report, read_jsonl


def tags_of(analysis: Analysis) -> dict[str, Any]:
    """Return the JSON-ready tags of one analysis."""
    return {
        "kind": analysis.kind.label,
        "kind_score": analysis.kind.score,
        "kind_evidence": list(analysis.kind.evidence),
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
    args = parser.parse_args(argv)
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")
    if args.command == "evaluate":
        return evaluate_files(default_analyzer(), args.files, sys.stdout)
    tag_stream(default_analyzer(), sys.stdin, sys.stdout)
    return 0


def evaluate_files(analyzer: Analyzer, files: Sequence[Path], sink: IO[str]) -> int:
    """Print per-label scores of `files`; the last line is one JSON object with the figures."""
    rows = [row for path in files for row in read_jsonl(path)]
    result = evaluate_rows(analyzer, rows)
    lines: list[str] = []
    if result.kind.n:
        lines += format_report("kind", result.kind)
        lines.append(f"kind macro-F1 {result.kind.macro_f1:.3f}, accuracy {result.kind.accuracy:.3f}")
        lines.append("")
    if result.topics.n:
        lines += format_report("topics", result.topics)
        lines.append(f"topic micro-F1 {result.topics.micro_f1:.3f}, macro-F1 {result.topics.macro_f1:.3f}")
        lines.append("")
    lines.append(json.dumps(result.summary(), ensure_ascii=False))
    sink.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
