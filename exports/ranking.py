"""Build a ranking report (通报) on the units' information work as a Word document.

The report is laid out as an official document after GB/T 9704: the 版头 (发文机关标志 in red, the
发文字号 when there is one, the red rule), the title (小标宋 二号) and the period, the addressees
(主送机关) when given, a short intro, one table per unit category (名次/单位/得分/采用/报送/采用率/
问题信息占比/目标/是否达标, header row in 黑体, cells in 仿宋 五号, no figure wrapped), the 先进单位,
the late or missing reports (迟报/漏报), notes, and the 落款 (office and date) kept on a page with the
end of the text. Page, fonts and 「— N —」 footers are the bulletin's, from `exports.layout`.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement

from exports import docx_helpers as dh
from exports import layout
from exports.errors import InvalidReportError

__all__ = [
    "RankingReport",
    "RankingRow",
    "RankingSection",
    "build_ranking_report",
    "format_rank",
    "ranking_cells",
]


@dataclass(frozen=True)
class RankingRow:
    """One unit's line in a category table; rates are fractions (0.85 prints as 85.0%)."""

    rank: int
    unit: str
    category: str
    points: float
    adopted: int
    submitted: int
    adoption_rate: float
    problem_share: float
    target: float | None
    target_met: bool | None  # the year-end verdict; None outside a yearly report
    rank_change: int | None  # places gained since the last report (+2 → ↑2); None: not ranked then
    progress: float | None = None  # share of the yearly target reached so far (outside a yearly report)


@dataclass(frozen=True)
class RankingSection:
    """The ranking of one unit category (市县, 省直部门 …)."""

    category: str
    rows: Sequence[RankingRow]


@dataclass(frozen=True)
class RankingReport:
    """Everything printed in one 通报."""

    title: str
    period_label: str  # "2026年10月", "2026年第三季度", "2026年度"
    issuing_office: str
    issue_date: datetime.date
    sections: Sequence[RankingSection]
    notes: Sequence[str] = ()
    excellent_units: Sequence[str] = ()
    late_or_missing: Sequence[str] = ()
    unqualified_units: Sequence[str] = ()
    # Further numbered sections after the tables, each (heading, paragraphs): upward reporting, 约稿 …
    extra_sections: Sequence[tuple[str, Sequence[str]]] = ()
    yearly: bool = True  # the last column is the verdict (是否达标); else the target progress (年度进度)
    issuer_mark: str = ""  # 发文机关标志 (red, at the top); blank: the issuing office
    document_number: str = ""  # 发文字号, e.g. 「阳办字〔2026〕12号」; blank: none printed
    addressees: str = ""  # 主送机关, e.g. 「各县（区）委办公室，市直各单位」; blank: none printed


def build_ranking_report(report: RankingReport) -> bytes:
    """Return the .docx bytes of the ranking report described by `report`."""
    _validate(report)
    factory = dh.ElementFactory()
    document = dh.new_document(factory)
    _setup_properties(document, report)
    return dh.save_with_body(document, _report_elements(report, factory))


def format_rank(rank: int, change: int | None) -> str:
    """Return the 名次 cell: 「3 ↑2」, 「4 ↓1」, 「5 —」 (unchanged) or 「6」 (no earlier rank)."""
    if change is None:
        return str(rank)
    if change > 0:
        return f"{rank} {layout.RANK_UP}{change}"
    if change < 0:
        return f"{rank} {layout.RANK_DOWN}{-change}"
    return f"{rank} {layout.RANK_SAME}"


def _percent(fraction: float) -> str:
    return layout.PERCENT_FORMAT.format(fraction * 100)


def ranking_cells(row: RankingRow) -> list[str]:
    """Return the texts of the nine cells of `row`, in the order of layout.RANKING_COLUMNS."""
    if row.target_met is not None:
        met = layout.TARGET_MET if row.target_met else layout.TARGET_MISSED
    elif row.progress is not None:
        met = _percent(row.progress)
    else:
        met = layout.NOT_APPLICABLE
    return [
        format_rank(row.rank, row.rank_change),
        _one_line(row.unit),
        layout.POINTS_FORMAT.format(row.points),
        str(row.adopted),
        str(row.submitted),
        _percent(row.adoption_rate),
        _percent(row.problem_share),
        layout.NOT_APPLICABLE if row.target is None else layout.POINTS_FORMAT.format(row.target),
        met,
    ]


# --- validation --------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return "".join(line.strip(" \t\u3000") for line in text.splitlines()).strip()


def _validate(report: RankingReport) -> None:
    if not _one_line(report.title):
        raise InvalidReportError("the report has no title")
    if not report.sections:
        raise InvalidReportError("the report has no category")
    for section in report.sections:
        if not _one_line(section.category):
            raise InvalidReportError("a category has no name")
        for row in section.rows:
            where = f"{section.category} / {row.unit!r}"
            if not _one_line(row.unit):
                raise InvalidReportError(f"a row of {section.category} has no unit")
            if row.rank < 1:
                raise InvalidReportError(f"{where}: rank must be 1 or more, not {row.rank}")
            if row.adopted < 0 or row.submitted < 0:
                raise InvalidReportError(f"{where}: negative item counts")
            for name in ("points", "adoption_rate", "problem_share"):
                value = getattr(row, name)
                if not math.isfinite(value):
                    raise InvalidReportError(f"{where}: {name} is not a number")
            for name in ("adoption_rate", "problem_share"):
                if not 0.0 <= getattr(row, name) <= 1.0:
                    raise InvalidReportError(f"{where}: {name} must be a fraction between 0 and 1")
            if row.progress is not None and not (math.isfinite(row.progress) and row.progress >= 0):
                raise InvalidReportError(f"{where}: progress must be a non-negative number")
            if row.target is not None and not math.isfinite(row.target):
                raise InvalidReportError(f"{where}: target is not a number")


# --- document parts ----------------------------------------------------------------------------


def _setup_properties(document: DocxDocument, report: RankingReport) -> None:
    props = document.core_properties
    props.title = _one_line(report.title)
    props.subject = report.period_label
    props.author = report.issuing_office
    props.last_modified_by = report.issuing_office
    stamp = datetime.datetime.combine(report.issue_date, datetime.time())
    props.created = stamp
    props.modified = stamp
    props.revision = 1


def _date(day: datetime.date) -> str:
    return layout.DATE_FORMAT.format(year=day.year, month=day.month, day=day.day)


def _numeral(index: int) -> str:
    """Return the Chinese numeral for 1..99 (一, 十, 十一, 二十三 …)."""
    digits = layout.CHINESE_NUMERALS
    if index <= 10:
        return digits[index - 1]
    tens, ones = divmod(index, 10)
    head = "" if tens == 1 else digits[tens - 1]
    return head + digits[9] + (digits[ones - 1] if ones else "")


def _column_twips() -> list[int]:
    char = layout.pt_to_twips(layout.RANKING_CELL_SIZE_PT)
    widths = [round(chars * char) for _, chars in layout.RANKING_COLUMNS]
    widths[layout.RANKING_UNIT_COLUMN] = 0
    widths[layout.RANKING_UNIT_COLUMN] = layout.TYPE_AREA_WIDTH_TWIPS - sum(widths)
    return widths


def _width_chars(text: str) -> float:
    """Width in body characters: CJK and full-width glyphs 1, Latin letters and digits 0.5, and a
    quarter character where Latin and CJK text meet (Word and LibreOffice space them apart)."""
    width = 0.0
    previous: bool | None = None
    for ch in text:
        latin = ord(ch) < 0x2E80
        width += 0.5 if latin else 1.0
        if previous is not None and previous != latin:
            width += 0.25
        previous = latin
    return width


def signature_indents(office: str, date: str) -> tuple[float, float]:
    """Right indents (in characters) of the office and the date lines of a 落款 without a seal."""
    step = layout.SIGNATURE_DATE_STEP_CHARS
    office_width, date_width = _width_chars(office), _width_chars(date)
    date_right = layout.SIGNATURE_RIGHT_CHARS + office_width - step - date_width
    if date_right >= layout.SIGNATURE_RIGHT_CHARS:
        return layout.SIGNATURE_RIGHT_CHARS, date_right
    return layout.SIGNATURE_RIGHT_CHARS + date_width + step - office_width, layout.SIGNATURE_RIGHT_CHARS


def _fitted_mark_run(mark: str) -> layout.RunSpec:
    """Shrink the issuer's mark for long names so that it stays on one line."""
    base = layout.ISSUER_MARK_RUN
    width_pt = layout.mm_to_pt(layout.TYPE_AREA_WIDTH_MM)
    size = min(base.size_pt, max(layout.ISSUER_MARK_MIN_SIZE_PT, float(int(width_pt / max(len(mark), 1)))))
    return dataclasses.replace(base, size_pt=size)


def _header(report: RankingReport, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    """The 版头: the issuer's mark, the document number and the red rule."""
    mark = _one_line(report.issuer_mark) or _one_line(report.issuing_office)
    number = _one_line(report.document_number)
    mark_para = layout.ISSUER_MARK_PARA if number else layout.ISSUER_MARK_RULED_PARA
    yield f.paragraph(mark_para, [(mark, _fitted_mark_run(mark))])
    if number:
        yield f.paragraph(layout.DOCUMENT_NUMBER_PARA, [(number, layout.DOCUMENT_NUMBER_RUN)])


def _table(rows: Sequence[RankingRow], f: dh.ElementFactory, yearly: bool) -> BaseOxmlElement:
    names = [name for name, _ in layout.RANKING_COLUMNS]
    if not yearly:
        names[-1] = layout.RANKING_PROGRESS_HEADER
    header = [
        [f.paragraph(layout.RANKING_CELL_PARA, [(name, layout.RANKING_HEADER_CELL_RUN)])] for name in names
    ]
    body = [
        [
            [
                f.paragraph(
                    layout.RANKING_UNIT_CELL_PARA
                    if column == layout.RANKING_UNIT_COLUMN
                    else layout.RANKING_CELL_PARA,
                    [(text, layout.RANKING_CELL_RUN)],
                )
            ]
            for column, text in enumerate(ranking_cells(row))
        ]
        for row in rows
    ]
    return dh.table(
        _column_twips(),
        [header, *body],
        layout.RANKING_TABLE_RULES,
        header_rows=1,
        cell_margin_twips=layout.RANKING_CELL_MARGINS_TWIPS,
    )


def _report_elements(report: RankingReport, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    """The whole 通报; the paragraph before the 落款 keeps with it, so no page holds only the 落款."""
    elements = list(_report_body(report, f))
    last = elements[-1]
    # A table ending the text keeps its last row with the 落款 (Word's rule for rows).
    paragraphs = [last] if last.tag == qn("w:p") else last.findall(f"{qn('w:tr')}[last()]//{qn('w:p')}")
    for paragraph in paragraphs:
        ppr = paragraph.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:keepNext")) is None:
            ppr.insert(0, OxmlElement("w:keepNext"))
    yield from elements
    office, date = _one_line(report.issuing_office), _date(report.issue_date)
    office_right, date_right = signature_indents(office, date)
    office_para = layout.ParaSpec(
        align="right",
        right_chars=office_right,
        space_before_pt=layout.RANKING_SIGNATURE_SPACE_PT,
        keep_next=True,
        keep_lines=True,
    )
    yield f.paragraph(office_para, [(office, layout.BODY_RUN)])
    date_para = layout.ParaSpec(align="right", right_chars=date_right, keep_lines=True)
    yield f.paragraph(date_para, [(date, layout.BODY_RUN)])


def _report_body(report: RankingReport, f: dh.ElementFactory) -> Iterator[BaseOxmlElement]:
    yield from _header(report, f)
    title_para = dataclasses.replace(layout.RANKING_TITLE_PARA, space_before_pt=layout.REPORT_TITLE_SPACE_PT)
    yield f.paragraph(title_para, [(_one_line(report.title), layout.RANKING_TITLE_RUN)])
    yield f.paragraph(
        layout.RANKING_SUBTITLE_PARA, [(f"（{_one_line(report.period_label)}）", layout.BODY_RUN)]
    )
    addressees = _one_line(report.addressees).rstrip("：:")
    if addressees:
        yield f.paragraph(layout.ADDRESSEES_PARA, [(addressees + "：", layout.BODY_RUN)])
    intro = layout.RANKING_INTRO_FORMAT.format(period=_one_line(report.period_label))
    yield f.paragraph(layout.BODY_PARA, [(intro, layout.BODY_RUN)])

    headings = [_one_line(section.category) for section in report.sections]
    excellent = [_one_line(unit) for unit in report.excellent_units if _one_line(unit)]
    unqualified = [_one_line(unit) for unit in report.unqualified_units if _one_line(unit)]
    late = [_one_line(line) for line in report.late_or_missing if _one_line(line)]
    notes = [_one_line(line) for line in report.notes if _one_line(line)]
    if excellent:
        headings.append(layout.RANKING_EXCELLENT_HEADING)
    if unqualified:
        headings.append(layout.RANKING_UNQUALIFIED_HEADING)
    extras = [
        (_one_line(title), [_one_line(line) for line in lines if _one_line(line)])
        for title, lines in report.extra_sections
        if _one_line(title)
    ]
    extras = [(title, lines) for title, lines in extras if lines]
    headings.extend(title for title, _ in extras)
    if late:
        headings.append(layout.RANKING_LATE_HEADING)
    if notes:
        headings.append(layout.RANKING_NOTES_HEADING)

    def heading(index: int) -> BaseOxmlElement:
        text = layout.RANKING_SECTION_FORMAT.format(numeral=_numeral(index + 1), category=headings[index])
        return f.paragraph(layout.RANKING_HEADING_PARA, [(text, layout.RANKING_HEADING_RUN)])

    index = 0
    for section in report.sections:
        yield heading(index)
        index += 1
        if section.rows:
            yield _table(section.rows, f, report.yearly)
        else:
            yield f.paragraph(layout.BODY_PARA, [(layout.RANKING_EMPTY_SECTION, layout.BODY_RUN)])
    if excellent:
        yield heading(index)
        index += 1
        yield f.paragraph(
            layout.BODY_PARA, [(layout.RANKING_LIST_SEPARATOR.join(excellent) + "。", layout.BODY_RUN)]
        )
    if unqualified:
        yield heading(index)
        index += 1
        yield f.paragraph(
            layout.BODY_PARA, [(layout.RANKING_LIST_SEPARATOR.join(unqualified) + "。", layout.BODY_RUN)]
        )
    for _, lines in extras:
        yield heading(index)
        index += 1
        for line in lines:
            yield f.paragraph(layout.BODY_PARA, [(line, layout.BODY_RUN)])
    if late:
        yield heading(index)
        index += 1
        for line in late:
            yield f.paragraph(layout.BODY_PARA, [(line, layout.BODY_RUN)])
    if notes:
        yield heading(index)
        index += 1
        for number, line in enumerate(notes, start=1):
            yield f.paragraph(layout.BODY_PARA, [(f"{number}. {line}", layout.BODY_RUN)])
