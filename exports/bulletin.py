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
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

from docx.document import Document as DocxDocument
from docx.oxml.xmlchemy import BaseOxmlElement

from exports import docx_helpers as dh
from exports import layout
from exports.errors import EmptyIssueError, InvalidIssueError, RefusedLevelError
from exports.layout import RunSpec

__all__ = [
    "Block",
    "BulletinData",
    "BulletinItem",
    "Distribution",
    "TableRows",
    "build_bulletin",
    "is_data_table",
    "item_blocks",
]

TableRows: TypeAlias = Sequence[Sequence[str]]  # a table: rows of cell texts
Block: TypeAlias = "str | list[list[str]]"  # a body paragraph, or a table's rows


@dataclass(frozen=True)
class BulletinItem:
    """One item of an issue.

    `tables` are the Word tables of the item's upload. The text keeps each table as lines, one per
    row (the cells separated by tabs or spaces), so that search and tagging read the cells; where a
    run of body lines matches a table's rows (whitespace aside), the table is printed instead of
    those lines. A table whose rows were edited away or changed in the text is not printed: the
    text, as the editor left it, is printed instead.
    """

    title: str
    body: str  # plain text, paragraphs separated by "\n"
    unit_name: str  # credited at the end: 「（盂县政府办公室报送）」
    column: str | None = None  # 栏目; consecutive items with the same column share one heading
    tables: Sequence[TableRows] = ()

    def blocks(self) -> list[Block]:
        """Return the body as paragraphs (str) and tables (rows of cells), in order."""
        return item_blocks(self.body, self.tables)


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


_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub("", text)


def is_data_table(rows: TableRows) -> bool:
    """Tell a data table (2 rows and 2 columns or more) from a layout frame around text."""
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    columns = max((len(row) for row in rows), default=0)
    return len(rows) >= 2 and 2 <= columns <= layout.ITEM_TABLE_MAX_COLUMNS


def item_blocks(body: str, tables: Sequence[TableRows] = ()) -> list[Block]:
    """Split a body into paragraphs and tables: a run of lines matching a table's rows becomes it.

    Rows are compared without whitespace (the text joins cells with tabs, a cleaned text with
    spaces); empty rows are skipped (they leave no line in the text). Every row is padded to the
    table's widest row.
    """
    lines = list(_body_lines(body))
    candidates: list[tuple[list[str], list[list[str]]]] = []
    for table in tables:
        rows = [[cell.strip() for cell in row] for row in table if any(cell.strip() for cell in row)]
        if not is_data_table(rows):
            continue
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        candidates.append(([_key("".join(row)) for row in rows], rows))
    keys = [_key(line) for line in lines]
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        for position, (row_keys, rows) in enumerate(candidates):
            if keys[index : index + len(row_keys)] == row_keys:
                blocks.append(rows)
                index += len(row_keys)
                del candidates[position]  # each table prints once
                break
        else:
            blocks.append(lines[index])
            index += 1
    return blocks


def _unit_credit(unit_name: str) -> str | None:
    unit = _one_line(unit_name).strip("（）() ")
    if not unit:
        return None
    if unit.endswith(("报送", "供稿", "提供")):
        return layout.UNIT_CREDIT_BARE_FORMAT.format(unit=unit)
    return layout.UNIT_CREDIT_FORMAT.format(unit=unit)


def _marking(data: BulletinData) -> str | None:
    if data.level in layout.LEVEL_MARKINGS:
        return layout.LEVEL_MARKINGS[data.level]
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


@dataclass(frozen=True)
class _Specs:
    """The paragraph formats that the compact setting changes."""

    body: layout.ParaSpec
    title: layout.ParaSpec
    contents_entry: layout.ParaSpec
    editor_note: layout.ParaSpec
    credit: layout.ParaSpec
    credit_last: layout.ParaSpec


_NORMAL = _Specs(
    body=layout.BODY_PARA,
    title=layout.TITLE_PARA,
    contents_entry=layout.CONTENTS_ENTRY_PARA,
    editor_note=layout.EDITOR_NOTE_PARA,
    credit=layout.UNIT_CREDIT_PARA,
    credit_last=layout.UNIT_CREDIT_KEEP_NEXT_PARA,
)


def _compact(line_pt: float) -> _Specs:
    def tight(spec: layout.ParaSpec) -> layout.ParaSpec:
        # Off the line grid: LibreOffice would round a snapped line up to the grid's pitch again.
        return dataclasses.replace(spec, line_spacing_pt=line_pt, snap_to_grid=False)

    return _Specs(
        body=tight(layout.BODY_PARA),
        title=dataclasses.replace(
            layout.TITLE_PARA,
            space_before_pt=layout.COMPACT_TITLE_SPACE_BEFORE_PT,
            space_after_pt=layout.COMPACT_TITLE_SPACE_AFTER_PT,
        ),
        contents_entry=tight(layout.CONTENTS_ENTRY_PARA),
        editor_note=tight(layout.EDITOR_NOTE_PARA),
        credit=tight(layout.UNIT_CREDIT_PARA),
        credit_last=tight(layout.UNIT_CREDIT_KEEP_NEXT_PARA),
    )


_SETTINGS = (_NORMAL, *(_compact(line) for line in layout.COMPACT_LINE_SPACINGS_PT))


def _issue_paragraphs(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    specs = _SETTINGS[setting_level(data)]
    yield from _classification(data, f)
    yield from _masthead(data, f)
    if len(data.items) >= layout.CONTENTS_MIN_ITEMS:
        yield from _contents(data, f, specs)
    if data.editor_note and data.editor_note.strip():
        yield from _editor_note(data.editor_note, f, specs)
    yield from _items(data.items, f, specs)
    yield from _distribution_block(data, f)


# --- estimating the fill of the last page -------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """An element of the text as the paginator sees it: a run of equal lines, or a block."""

    height: float  # all of it, spacing included
    lines: int = 1  # lines of `line` height that may be split across pages (widow/orphan: 2)
    line: float = 0.0  # 0: the box is not split
    keep_next: bool = False  # moves to the next page with the first two lines of what follows


def _grid_lines(text: str, indent: float = layout.BODY_FIRST_LINE_CHARS) -> int:
    return max(1, math.ceil((_display_width(text) + indent) / layout.BODY_CHARS_PER_LINE))


def _auto_line(size_pt: float) -> float:
    return size_pt * layout.AUTO_LINE_HEIGHT_EM


def _lines_box(spec: layout.ParaSpec, lines: int) -> _Box:
    line = spec.line_spacing_pt or _auto_line(layout.BODY_SIZE_PT)
    return _Box(spec.space_before_pt + spec.space_after_pt + lines * line, lines, line, spec.keep_next)


def _boxes(data: BulletinData, specs: _Specs) -> tuple[list[_Box], float]:
    """Estimate the boxes of the text in order, and the height (pt) of the 版记 block."""
    boxes: list[_Box] = []
    if _marking(data) is not None:
        copies = 2 if data.copy_number and data.level in layout.PRINTED_LEVELS else 1
        boxes.append(_lines_box(layout.MARKING_PARA, copies))
    name = _publication_name(data)
    boxes.append(_Box(layout.MASTHEAD_PARA.space_before_pt + _auto_line(_masthead_run(name).size_pt)))
    boxes.append(_lines_box(layout.ISSUE_NUMBER_PARA, 1))
    rule = layout.RULE_MASTHEAD
    office = _lines_box(layout.MASTHEAD_OFFICE_PARA, 1)
    boxes.append(_Box(office.height + rule.space_pt + rule.size_eighths / 8))
    if len(data.items) >= layout.CONTENTS_MIN_ITEMS:
        boxes.append(_lines_box(layout.CONTENTS_HEADING_PARA, 1))
        for number, item in enumerate(data.items, start=1):
            entry = layout.CONTENTS_ENTRY_FORMAT.format(number=number, title=_one_line(item.title))
            boxes.append(_lines_box(specs.contents_entry, _grid_lines(entry)))
    if data.editor_note and data.editor_note.strip():
        for index, line in enumerate(_body_lines(data.editor_note)):
            label = layout.EDITOR_NOTE_LABEL if index == 0 else ""
            boxes.append(_lines_box(specs.editor_note, _grid_lines(label + line)))
    current_column: str | None = None
    for item in data.items:
        column = _one_line(item.column) if item.column else None
        if column and column != current_column:
            boxes.append(_lines_box(layout.COLUMN_HEADING_PARA, 1))
        current_column = column
        title_lines = max(1, math.ceil(_display_width(_one_line(item.title)) / layout.TITLE_CHARS_PER_LINE))
        title = specs.title
        height = title.space_before_pt + title.space_after_pt + title_lines * _auto_line(layout.SIZE_ERHAO_PT)
        boxes.append(_Box(height, keep_next=True))
        for block in item.blocks():
            if isinstance(block, str):
                boxes.append(_lines_box(specs.body, _grid_lines(block)))
                continue
            cell_line = _auto_line(layout.ITEM_TABLE_CELL_SIZE_PT)
            margins = 2 * layout.ITEM_TABLE_CELL_MARGINS_TWIPS[0] / layout.TWIPS_PER_PT
            for row in block:  # rows do not split
                boxes.append(_Box(max(len(cell.split("\n")) for cell in row) * cell_line + margins))
            boxes.append(_lines_box(layout.ITEM_TABLE_AFTER_PARA, 1))
        if _unit_credit(item.unit_name):
            boxes.append(_lines_box(specs.credit, 1))
    row_height = _lines_box(layout.DISTRIBUTION_PARA, 1).height + layout.DISTRIBUTION_ROW_EXTRA_PT
    anchor = layout.ANCHOR_PARA.line_spacing_pt or 0.0
    distribution = len(distribution_lines(data)) * row_height
    return boxes, layout.DISTRIBUTION_SPACE_BEFORE_PT + distribution + anchor


def _paginate(boxes: Sequence[_Box], page: float) -> tuple[int, float]:
    """Lay the boxes out on pages as Word and LibreOffice do; return the pages and the height used
    on the last."""
    pages, used = 1, 0.0
    for index, box in enumerate(boxes):
        if box.keep_next and index + 1 < len(boxes):
            after = boxes[index + 1]
            start = after.height if not after.line else after.height - (after.lines - 2) * after.line
            if used and used + box.height + min(start, after.height) > page:
                pages, used = pages + 1, 0.0
        if used + box.height <= page:
            used += box.height
            continue
        fit = int((page - used - (box.height - box.lines * box.line)) // box.line) if box.line else 0
        fit = min(fit, box.lines - 2)  # two lines at least on each side
        pages += 1
        if box.line and box.lines >= 4 and fit >= 2:
            used = (box.lines - fit) * box.line
        else:
            used = box.height
            while used > page:  # a box taller than a page (a long table) runs on
                pages, used = pages + 1, used - page
    return pages, used


def last_page_room(data: BulletinData, level: int = 0) -> tuple[int, float]:
    """Estimate the pages of text and the room (pt) left on the last after the 版记 (negative: it
    won't fit) when set at `level`: 0 the standard grid, then layout.COMPACT_LINE_SPACINGS_PT."""
    boxes, block = _boxes(data, _SETTINGS[level])
    page = layout.mm_to_pt(layout.TYPE_AREA_HEIGHT_MM)
    pages, used = _paginate(boxes, page)
    return pages, page - used - block


def setting_level(data: BulletinData) -> int:
    """The setting under which the 版记 fits below the text on the fewest pages (the standard grid
    first, then tighter ones); 0 when none does: the block then starts a page with the end of the
    last item (see _items)."""
    if not layout.DISTRIBUTION_AT_PAGE_BOTTOM:
        return 0
    fitting = []
    for level in range(len(_SETTINGS)):
        pages, room = last_page_room(data, level)
        if room >= 0:
            fitting.append((pages, level))
    return min(fitting)[1] if fitting else 0


def _classification(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    marking = _marking(data)
    if marking is None:
        return
    if data.copy_number and data.level in layout.PRINTED_LEVELS:  # 份号: classified copies only
        copy_number = data.copy_number.strip().zfill(layout.COPY_NUMBER_DIGITS)
        yield f.paragraph(layout.MARKING_PARA, [(copy_number, layout.COPY_NUMBER_RUN)])
    yield f.paragraph(layout.MARKING_PARA, [(marking, layout.MARKING_RUN)])


def _masthead(data: BulletinData, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    name = _publication_name(data)
    yield f.paragraph(layout.MASTHEAD_PARA, [(name, _masthead_run(name))])
    yield f.paragraph(layout.ISSUE_NUMBER_PARA, [(_issue_number(data), layout.ISSUE_NUMBER_RUN)])
    office_line = f"{_one_line(data.issuing_office)}\t{_date(data.issue_date)}"
    yield f.paragraph(layout.MASTHEAD_OFFICE_PARA, [(office_line, layout.MASTHEAD_OFFICE_RUN)])


def _contents(data: BulletinData, f: dh.ElementFactory, specs: _Specs) -> Iterator[BaseOxmlElement]:
    yield f.paragraph(layout.CONTENTS_HEADING_PARA, [(layout.CONTENTS_HEADING, layout.CONTENTS_HEADING_RUN)])
    for number, item in enumerate(data.items, start=1):
        entry = layout.CONTENTS_ENTRY_FORMAT.format(number=number, title=_one_line(item.title))
        yield f.paragraph(specs.contents_entry, [(entry, layout.CONTENTS_ENTRY_RUN)])


def _editor_note(note: str, f: dh.ElementFactory, specs: _Specs) -> Iterator[BaseOxmlElement]:
    for index, line in enumerate(_body_lines(note)):
        runs = [(line, layout.EDITOR_NOTE_RUN)]
        if index == 0:
            runs.insert(0, (layout.EDITOR_NOTE_LABEL, layout.EDITOR_NOTE_LABEL_RUN))
        yield f.paragraph(specs.editor_note, runs)


def _items(items: Sequence[BulletinItem], f: dh.ElementFactory, specs: _Specs) -> Iterator[BaseOxmlElement]:
    current_column: str | None = None
    for number, item in enumerate(items, start=1):
        column = _one_line(item.column) if item.column else None
        if column and column != current_column:
            heading = layout.COLUMN_HEADING_FORMAT.format(column=column)
            yield f.paragraph(layout.COLUMN_HEADING_PARA, [(heading, layout.COLUMN_HEADING_RUN)])
        current_column = column
        yield f.paragraph(specs.title, [(_one_line(item.title), layout.TITLE_RUN)])
        # The end of the last item keeps with the 版记, so that a block which must start a page
        # never does so alone: the credit, and the last paragraph when it is short (a long one
        # would move whole and leave a gap).
        last = number == len(items) and layout.DISTRIBUTION_AT_PAGE_BOTTOM
        blocks = item.blocks()
        for index, block in enumerate(blocks):
            if isinstance(block, str):
                keep = (
                    last
                    and index == len(blocks) - 1
                    and _grid_lines(block) <= layout.KEEP_WITH_BLOCK_MAX_LINES
                )
                spec = dataclasses.replace(specs.body, keep_next=True) if keep else specs.body
                yield f.paragraph(spec, body_line_runs(block))
            else:
                yield from item_table(block, f)
        credit = _unit_credit(item.unit_name)
        if credit:
            yield f.paragraph(specs.credit_last if last else specs.credit, [(credit, layout.UNIT_CREDIT_RUN)])


def _display_width(text: str) -> float:
    """Width in 三号 characters: CJK and full-width glyphs 1, Latin letters and digits 0.5."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in text)


def _item_column_twips(rows: Sequence[Sequence[str]]) -> list[int]:
    """Column widths filling the type area, each in proportion to its longest cell line."""
    columns = len(rows[0])
    wanted = [
        layout.ITEM_TABLE_PADDING_CHARS
        + max(
            layout.ITEM_TABLE_MIN_COLUMN_CHARS,
            *(_display_width(line) for row in rows for line in row[c].split("\n")),
        )
        for c in range(columns)
    ]
    total = sum(wanted)
    widths = [int(layout.TYPE_AREA_WIDTH_TWIPS * w / total) for w in wanted]
    widths[wanted.index(max(wanted))] += layout.TYPE_AREA_WIDTH_TWIPS - sum(widths)
    return widths


def item_table(rows: Sequence[Sequence[str]], f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    """Yield a Word table of `rows` (the first row the header) and the spacing paragraph after it."""
    cells = [
        [
            [
                f.paragraph(
                    layout.ITEM_TABLE_CELL_PARA
                    if index == 0 or _display_width(text) <= layout.ITEM_TABLE_CENTRED_CHARS
                    else layout.ITEM_TABLE_WIDE_CELL_PARA,
                    [(line, layout.ITEM_TABLE_HEADER_RUN if index == 0 else layout.ITEM_TABLE_CELL_RUN)],
                )
                for line in (text.split("\n") if text else [""])
            ]
            for text in row
        ]
        for index, row in enumerate(rows)
    ]
    yield dh.table(
        _item_column_twips(rows),
        cells,
        layout.ITEM_TABLE_RULES,
        header_rows=1,
        cell_margin_twips=layout.ITEM_TABLE_CELL_MARGINS_TWIPS,
    )
    yield f.paragraph(layout.ITEM_TABLE_AFTER_PARA)


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
