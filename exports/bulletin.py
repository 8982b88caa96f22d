"""Build a bulletin issue (简报) as a Word document laid out after GB/T 9704-2012.

The issue reads, top to bottom: classification (份号, 「秘密★1年」) when classified; the red masthead
(publication name, 「第N期」, office and date over a red rule); 「本期要目」 from three items on; the
editor's note; the items grouped under their column headings, each with its title, body and the
credited unit; and the distribution block (版记) between rules. Footers carry 「— N —」 page numbers,
right on odd pages and left on even pages. Every measurement comes from `exports.layout`.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from docx.document import Document as DocxDocument
from docx.oxml.xmlchemy import BaseOxmlElement

from exports import docx_helpers as dh
from exports import layout
from exports.errors import EmptyIssueError, InvalidIssueError, RefusedLevelError
from exports.layout import RunSpec

__all__ = ["BulletinData", "BulletinItem", "Distribution", "build_bulletin"]


@dataclass(frozen=True)
class BulletinItem:
    """One item of an issue."""

    title: str
    body: str  # plain text, paragraphs separated by "\n"
    unit_name: str  # credited at the end: 「（盂县政府办公室报送）」
    column: str | None = None  # 栏目; consecutive items with the same column share one heading


@dataclass(frozen=True)
class Distribution:
    """Recipients printed in the distribution block (版记)."""

    upward: str = ""  # 报：
    peers: str = ""  # 送：
    downward: str = ""  # 发：


@dataclass(frozen=True)
class BulletinData:
    """Everything printed in one issue."""

    publication_name: str  # e.g. 每日快报 (no brackets)
    year: int
    number: int  # 第N期, per publication per year
    issue_date: datetime.date
    issuing_office: str  # 编印单位
    items: Sequence[BulletinItem]
    supplement: bool = False  # 增刊第N期
    editor_note: str | None = None  # 编者按
    level: str = "内部"  # 公开/内部/秘密/机密; only 秘密 and 机密 are printed
    secrecy_period: str | None = None  # "1年" -> 「秘密★1年」
    copy_number: str | None = None  # 6-digit 份号
    distribution: Distribution = field(default_factory=Distribution)
    print_count: int | None = None  # 「本期共印 N 份」


def build_bulletin(data: BulletinData) -> bytes:
    """Return the .docx bytes of the issue described by `data`."""
    _validate(data)
    factory = dh.ElementFactory()
    document = dh.new_document(factory)
    _setup_properties(document, data)
    return dh.save_with_body(document, _issue_paragraphs(data, factory))


# --- validation --------------------------------------------------------------------------------


def _validate(data: BulletinData) -> None:
    if not data.items:
        raise EmptyIssueError("an issue needs at least one item")
    if data.number < 1:
        raise InvalidIssueError(f"issue number must be 1 or more, not {data.number}")
    if not data.publication_name.strip(layout.NAME_BRACKETS + " \u3000"):
        raise InvalidIssueError("the publication name is blank")
    if data.level in layout.REFUSED_LEVELS:
        raise RefusedLevelError(f"{data.level} material may not be exported")
    if data.level not in layout.LEVELS:
        raise InvalidIssueError(f"unknown confidentiality level {data.level!r}")
    if data.print_count is not None and data.print_count < 1:
        raise InvalidIssueError(f"print count must be 1 or more, not {data.print_count}")
    if data.copy_number is not None:
        copy_number = data.copy_number.strip()
        if not copy_number.isdigit() or len(copy_number) > layout.COPY_NUMBER_DIGITS:
            raise InvalidIssueError(f"copy number must be up to 6 digits, not {data.copy_number!r}")
    for index, item in enumerate(data.items, start=1):
        if not _one_line(item.title):
            raise InvalidIssueError(f"item {index} has no title")


# --- document parts ----------------------------------------------------------------------------


def _setup_properties(document: DocxDocument, data: BulletinData) -> None:
    props = document.core_properties
    props.title = f"{_publication_name(data)} {data.year}年{_issue_number(data)}"
    props.author = data.issuing_office
    props.last_modified_by = data.issuing_office
    props.category = data.level
    stamp = datetime.datetime.combine(data.issue_date, datetime.time())
    props.created = stamp
    props.modified = stamp
    props.revision = 1


# --- text helpers ------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    """Join the lines of `text` (titles may arrive wrapped) and trim it."""
    return "".join(line.strip(" \t\u3000") for line in text.splitlines()).strip()


def _publication_name(data: BulletinData) -> str:
    return data.publication_name.strip().strip(layout.NAME_BRACKETS + " \u3000")


def _issue_number(data: BulletinData) -> str:
    fmt = layout.SUPPLEMENT_NUMBER_FORMAT if data.supplement else layout.ISSUE_NUMBER_FORMAT
    return fmt.format(number=data.number)


def _date(day: datetime.date) -> str:
    return layout.DATE_FORMAT.format(year=day.year, month=day.month, day=day.day)


def _body_lines(text: str) -> Iterator[str]:
    """Yield the non-blank lines of `text` without their indentation (the paragraph indents)."""
    for line in text.split("\n"):
        stripped = line.strip(" \t\r\u3000\u00a0")
        if stripped:
            yield stripped


_HEADING_MARKERS: tuple[tuple[re.Pattern[str], RunSpec], ...] = (
    (re.compile(r"^[一二三四五六七八九十百]+、"), layout.HEADING_1_RUN),
    (re.compile(r"^（[一二三四五六七八九十百]+）"), layout.HEADING_2_RUN),
    # 「1.」 or 「1．」, but not a decimal number such as 「1.5亿元」.
    (re.compile(r"^\d{1,2}[.．](?!\d)"), layout.HEADING_3_RUN),
)
_SENTENCE_END = re.compile("[。！？]")


def body_line_runs(line: str) -> list[tuple[str, RunSpec]]:
    """Split a body line into (text, RunSpec) runs, styling a leading heading.

    A line opening with 「一、」, 「（一）」 or 「1.」 is a heading. If its first sentence ends (。！？)
    within HEADING_MAX_CHARS characters, that sentence takes the heading font and the rest of the
    line stays body text (「（一）盯紧用地指标。优先保障……」). Without such a sentence end, the whole
    line is a heading when shorter than HEADING_MAX_CHARS (「一、强化要素保障」), otherwise plain body
    text: a long run-on line is a paragraph that merely starts with a number. 「（1）」 is body text.
    """
    for pattern, spec in _HEADING_MARKERS:
        if not pattern.match(line):
            continue
        end = _SENTENCE_END.search(line, 0, layout.HEADING_MAX_CHARS)
        if end is not None:
            rest = line[end.end() :]
            return [(line[: end.end()], spec), (rest, layout.BODY_RUN)] if rest else [(line, spec)]
        if len(line) < layout.HEADING_MAX_CHARS:
            return [(line, spec)]
        break
    return [(line, layout.BODY_RUN)]


def _unit_credit(unit_name: str) -> str | None:
    unit = _one_line(unit_name).strip("（）() ")
    if not unit:
        return None
    if unit.endswith(("报送", "供稿", "提供")):
        return layout.UNIT_CREDIT_BARE_FORMAT.format(unit=unit)
    return layout.UNIT_CREDIT_FORMAT.format(unit=unit)


def _marking(data: BulletinData) -> str | None:
    if data.level not in layout.PRINTED_LEVELS:
        return None
    period = (data.secrecy_period or "").strip()
    return f"{data.level}{layout.MARKING_STAR}{period}" if period else data.level


def _masthead_run(name: str) -> RunSpec:
    """Shrink the masthead font for long names so that they still fit on one line."""
    width_pt = layout.mm_to_pt(layout.TYPE_AREA_WIDTH_MM)
    size = min(layout.MASTHEAD_SIZE_PT, max(layout.MASTHEAD_MIN_SIZE_PT, float(int(width_pt / len(name)))))
    if size == layout.MASTHEAD_RUN.size_pt:
        return layout.MASTHEAD_RUN
    return RunSpec(layout.MASTHEAD_RUN.font, size, layout.MASTHEAD_RUN.bold, layout.MASTHEAD_RUN.color)


# --- the issue, paragraph by paragraph ----------------------------------------------------------


def _issue_paragraphs(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    yield from _classification(data, f)
    yield from _masthead(data, f)
    if len(data.items) >= layout.CONTENTS_MIN_ITEMS:
        yield from _contents(data, f)
    if data.editor_note and data.editor_note.strip():
        yield from _editor_note(data.editor_note, f)
    yield from _items(data.items, f)
    yield from _distribution_block(data, f)


def _classification(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    marking = _marking(data)
    if marking is None:
        return
    if data.copy_number:
        copy_number = data.copy_number.strip().zfill(layout.COPY_NUMBER_DIGITS)
        yield f.paragraph(layout.MARKING_PARA, [(copy_number, layout.COPY_NUMBER_RUN)])
    yield f.paragraph(layout.MARKING_PARA, [(marking, layout.MARKING_RUN)])


def _masthead(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    name = _publication_name(data)
    yield f.paragraph(layout.MASTHEAD_PARA, [(name, _masthead_run(name))])
    yield f.paragraph(layout.ISSUE_NUMBER_PARA, [(_issue_number(data), layout.ISSUE_NUMBER_RUN)])
    office_line = f"{_one_line(data.issuing_office)}\t{_date(data.issue_date)}"
    yield f.paragraph(layout.MASTHEAD_OFFICE_PARA, [(office_line, layout.MASTHEAD_OFFICE_RUN)])


def _contents(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    yield f.paragraph(layout.CONTENTS_HEADING_PARA, [(layout.CONTENTS_HEADING, layout.CONTENTS_HEADING_RUN)])
    for item in data.items:
        yield f.paragraph(layout.CONTENTS_ENTRY_PARA, [(_one_line(item.title), layout.CONTENTS_ENTRY_RUN)])


def _editor_note(note: str, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    for index, line in enumerate(_body_lines(note)):
        runs = [(line, layout.EDITOR_NOTE_RUN)]
        if index == 0:
            runs.insert(0, (layout.EDITOR_NOTE_LABEL, layout.EDITOR_NOTE_LABEL_RUN))
        yield f.paragraph(layout.EDITOR_NOTE_PARA, runs)


def _items(items: Sequence[BulletinItem], f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    current_column: str | None = None
    for item in items:
        column = _one_line(item.column) if item.column else None
        if column and column != current_column:
            heading = layout.COLUMN_HEADING_FORMAT.format(column=column)
            yield f.paragraph(layout.COLUMN_HEADING_PARA, [(heading, layout.COLUMN_HEADING_RUN)])
        current_column = column
        yield f.paragraph(layout.TITLE_PARA, [(_one_line(item.title), layout.TITLE_RUN)])
        for line in _body_lines(item.body):
            yield f.paragraph(layout.BODY_PARA, body_line_runs(line))
        credit = _unit_credit(item.unit_name)
        if credit:
            yield f.paragraph(layout.UNIT_CREDIT_PARA, [(credit, layout.UNIT_CREDIT_RUN)])


def distribution_lines(data: BulletinData) -> list[str]:
    """Return the lines of the 版记: 报：/送：/发：, the 印发 line and the print count (tabs align right)."""
    dist = data.distribution
    lines = [
        f"{label}{_one_line(text)}"
        for label, text in (
            (layout.DISTRIBUTION_UPWARD_LABEL, dist.upward),
            (layout.DISTRIBUTION_PEERS_LABEL, dist.peers),
            (layout.DISTRIBUTION_DOWNWARD_LABEL, dist.downward),
        )
        if _one_line(text)
    ]
    printed = layout.PRINTED_FORMAT.format(date=_date(data.issue_date))
    lines.append(f"{_one_line(data.issuing_office)}\t{printed}")
    if data.print_count is not None:
        lines.append("\t" + layout.PRINT_COUNT_FORMAT.format(count=data.print_count))
    return lines


def _distribution_block(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    """Yield the 版记 (one line per table row between thick and thin rules) and its anchor paragraph.

    See layout.DISTRIBUTION_AT_PAGE_BOTTOM: the table floats to the bottom of the last page and
    hangs on the empty paragraph that follows it; otherwise it follows the last item after a
    blank line.
    """
    gap = layout.pt_to_twips(layout.DISTRIBUTION_SPACE_BEFORE_PT)
    at_bottom = layout.DISTRIBUTION_AT_PAGE_BOTTOM
    if not at_bottom:
        yield f.paragraph(
            dataclasses.replace(layout.ANCHOR_PARA, line_spacing_pt=layout.DISTRIBUTION_SPACE_BEFORE_PT)
        )
    rows = [
        [[f.paragraph(layout.DISTRIBUTION_PARA, [(line, layout.DISTRIBUTION_RUN)])]]
        for line in distribution_lines(data)
    ]
    yield dh.table(
        [layout.TYPE_AREA_WIDTH_TWIPS],
        rows,
        layout.DISTRIBUTION_RULES,
        float_to_bottom_gap_twips=gap if at_bottom else None,
    )
    yield f.paragraph(layout.ANCHOR_PARA)
