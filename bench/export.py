"""Word export speed: build_bulletin() vs a minimal python-docx document with the same text, same run.

    .venv/bin/python bench/export.py [--items 40] [--chars 800] [--repeat 7] [--corpus ../shared/corpus]

Items of about 800 characters are cut from the paragraphs of the 2026 provincial government work
reports when the corpus is present (generated text otherwise). Each builder runs `--repeat` times
and the median counts. Targets: build_bulletin() < 1 s for 40 items and <= 1.5x the plain document.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import io
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import docx

from exports import BulletinData, BulletinItem, Distribution, build_bulletin

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
GENERATED = "该县聚焦群众急难愁盼问题，推动教育、医疗、养老等民生实事落地见效，群众满意度持续提升。"


def corpus_paragraphs(corpus: Path) -> Iterator[str]:
    """Yield the body paragraphs of the provincial reports (web-page debris before the title dropped)."""
    csv.field_size_limit(sys.maxsize)
    for path in sorted((corpus / "gov-work-reports-provincial-2026").glob("2026_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                lines = [line.strip() for line in row["full_text"].splitlines()]
                title = row["title"].strip()
                start = lines.index(title) + 1 if title in lines else 0
                for line in lines[start:]:
                    if len(line) >= 40:  # skip bylines, photo captions, headings
                        yield line


def make_items(paragraphs: Iterator[str], count: int, chars: int) -> list[BulletinItem]:
    """Group paragraphs into `count` items of at least `chars` characters each."""
    items: list[BulletinItem] = []
    for index in range(1, count + 1):
        body: list[str] = []
        while sum(map(len, body)) < chars:
            body.append(next(paragraphs, GENERATED * 4))
        items.append(BulletinItem(f"第{index}条 {body[0][:18]}", "\n".join(body), f"第{index}报送单位"))
    return items


def plain_docx(items: list[BulletinItem]) -> bytes:
    """The baseline: python-docx's default document, one add_paragraph per title and paragraph."""
    document = docx.Document()
    for item in items:
        document.add_paragraph(item.title)
        for line in item.body.split("\n"):
            document.add_paragraph(line)
        document.add_paragraph(item.unit_name)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def median_seconds(fn: Callable[[], bytes], repeat: int) -> float:
    fn()  # warm-up: imports, templates, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--chars", type=int, default=800)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()

    source = "corpus" if (args.corpus / "gov-work-reports-provincial-2026").is_dir() else "generated"
    paragraphs = corpus_paragraphs(args.corpus) if source == "corpus" else iter(())
    items = make_items(paragraphs, args.items, args.chars)
    data = BulletinData(
        publication_name="每日快报",
        year=2026,
        number=12,
        issue_date=datetime.date(2026, 11, 23),
        issuing_office="省政府办公厅信息处",
        items=items,
        editor_note="请各地结合实际认真研究借鉴。",
        distribution=Distribution(upward="省委办公厅", peers="省政协办公厅", downward="各市人民政府"),
        print_count=60,
    )
    chars = sum(len(item.title) + len(item.body) for item in items)

    seconds = median_seconds(lambda: build_bulletin(data), args.repeat)
    plain_seconds = median_seconds(lambda: plain_docx(items), args.repeat)
    ratio = seconds / plain_seconds
    size = len(build_bulletin(data))
    print(f"items {len(items)} ({source} text), chars {chars}, median of {args.repeat}")
    print(f"build_bulletin():       {seconds * 1000:7.1f} ms  ({size / 1024:.0f} KiB)")
    print(f"plain python-docx:      {plain_seconds * 1000:7.1f} ms")
    print(f"ratio vs plain docx:    {ratio:.2f}x  (target <= 1.5x, and < 1 s)")
    print(
        json.dumps(
            {
                "items": len(items),
                "chars": chars,
                "text": source,
                "repeat": args.repeat,
                "seconds": round(seconds, 4),
                "plain_seconds": round(plain_seconds, 4),
                "ratio_vs_plain_docx": round(ratio, 3),
                "docx_bytes": size,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
