"""Labelled sentences for the kind model, read from public government work reports.

A work report says by its structure what each sentence is: the 工作回顾 (section 一) records results
and the work done (achievement); the paragraph that begins 我们也清醒看到… lists the shortfalls
(problem, one clause per item of its 主要是：…；…； list); the sections after it set goals and tasks
(other). Those section labels are silver, not gold (a 回顾 paragraph may mix in a plan), but there
are thousands of them, from reports the evaluation sets never quote when the caller excludes those.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PROVINCIAL = "gov-work-reports-provincial-2026"
NATIONAL = "gov-work-reports-national/government_work_reports.jsonl"
SILVER = "gov-work-reports-problem-vs-achievement/review_paragraphs_silver.jsonl"

_FIRST_SECTION = re.compile(r"^一、")
_LATER_SECTION = re.compile(r"^[二三四五六七八九]、")
_PROBLEM_PARAGRAPH = re.compile(
    r"清醒(地)?(看到|认识到)|在肯定成绩的同时|正视|问题和不足|困难和挑战|差距和不足|不足和问题|"
    r"存在(的)?(一些)?(困难和问题|不少困难|突出问题)"
)
_COMMITMENT = re.compile(r"我们将|对此|高度重视|加以解决|切实解决|认真解决|努力解决")
_SENTENCE = re.compile(r"[^。！？]*[。！？]")
_CLAUSE = re.compile(r"[^。！？；]*[。！？；]")
_REGION_SUFFIX = re.compile(r"(省|市|回族自治区|维吾尔自治区|壮族自治区|自治区)$")
_MIN_SENTENCE = 10
_MIN_CLAUSE = 8


@dataclass(frozen=True, slots=True)
class LabelledText:
    """One sentence (or list clause) with its silver kind and where it comes from."""

    text: str
    kind: str
    source: str


def region_name(region: str) -> str:
    """安徽省 -> 安徽, 广西壮族自治区 -> 广西 (the short names the evaluation files use)."""
    return _REGION_SUFFIX.sub("", region.strip())


def problem_clauses(paragraph: str, source: str) -> Iterator[LabelledText]:
    """The clauses of a 问题 paragraph: each shortfall is a problem, the closing pledge is other."""
    for clause in _CLAUSE.findall(paragraph):
        clause = clause.strip()
        if len(clause) >= _MIN_CLAUSE:
            kind = "other" if _COMMITMENT.search(clause) else "problem"
            yield LabelledText(clause, kind, source)


def report_sentences(text: str, source: str) -> Iterator[LabelledText]:
    """Sentences of one report labelled by the section they stand in (see the module docstring).

    The sentences after the 问题 paragraph inside section 一 (lessons, transitions) are left out,
    as is everything before section 一.
    """
    state = "before"
    for paragraph in (p.strip() for p in text.split("\n")):
        if not paragraph:
            continue
        if state == "before":
            state = "review" if _FIRST_SECTION.match(paragraph) else state
            continue
        if _LATER_SECTION.match(paragraph):
            state = "plan"
            continue
        if state == "review" and _PROBLEM_PARAGRAPH.search(paragraph):
            yield from problem_clauses(paragraph, source)
            state = "lessons"
            continue
        if state == "lessons":
            continue
        kind = "achievement" if state == "review" else "other"
        for sentence in _SENTENCE.findall(paragraph):
            sentence = sentence.strip()
            if len(sentence) >= _MIN_SENTENCE:
                yield LabelledText(sentence, kind, source)


def corpus_examples(
    corpus: Path, exclude_regions: Collection[str] = (), exclude_years: Collection[int] = ()
) -> list[LabelledText]:
    """Section-labelled sentences of the provincial and national reports under `corpus`.

    Provinces named in `exclude_regions` (short names) and national reports of `exclude_years` are
    skipped, so that evaluation sets drawn from them stay unseen. The problem paragraphs of the
    silver file add the shortfall lists the section rule misses.
    """
    examples: list[LabelledText] = []
    seen_problems: set[str] = set()
    csv.field_size_limit(1 << 30)
    for path in sorted((corpus / PROVINCIAL).glob("2026_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as fh:
            for row in csv.DictReader(fh):
                region = region_name(row.get("province", ""))
                if region and region not in exclude_regions:
                    examples.extend(report_sentences(row.get("full_text", ""), f"2026 {region}"))
    for row in _json_lines(corpus / NATIONAL):
        year = row.get("year")
        if isinstance(year, int) and year not in exclude_years:
            examples.extend(report_sentences(str(row.get("content", "")), f"{year} 国务院"))
    seen_problems.update(e.text for e in examples if e.kind == "problem")
    for row in _json_lines(corpus / SILVER):
        if row.get("label") != "problem":
            continue
        if row.get("source") == "provincial" and region_name(str(row.get("region", ""))) in exclude_regions:
            continue
        if row.get("source") == "national" and row.get("year") in exclude_years:
            continue
        source = f"{row.get('year')} {region_name(str(row.get('region', '')))}"
        for clause in problem_clauses(str(row.get("text", "")), source):
            if clause.text not in seen_problems:
                seen_problems.add(clause.text)
                examples.append(clause)
    return examples


def _json_lines(path: Path) -> Iterable[dict[str, object]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                if isinstance(row, dict):
                    yield row


_QUOTED_REPORT = re.compile(r"^(\d{4}) (\S+?) ?政府工作报告")


def quoted_sources(rows: Iterable[dict[str, object]]) -> tuple[set[str], set[int]]:
    """The provinces and national report years that labelled rows quote (their `source` field).

    `source` reads "2026 北京 政府工作报告" or "2002 国务院政府工作报告"; a model trained with these
    excluded has never seen the reports an evaluation file was drawn from.
    """
    regions: set[str] = set()
    years: set[int] = set()
    for row in rows:
        match = _QUOTED_REPORT.match(str(row.get("source", "")))
        if match is None:
            continue
        year, who = match.groups()
        if who.startswith("国务院") or who == "":
            years.add(int(year))
        else:
            regions.add(region_name(who))
    return regions, years
