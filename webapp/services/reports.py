"""The ranking report (通报) for a period: as a Word document in the bulletin layout, CSV and XLSX."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from exports import RankingReport, RankingRow, RankingSection, build_ranking_report
from nlp import to_simplified
from webapp.extensions import db
from webapp.models import MISSED_KINDS, Request, UnitCategory, User
from webapp.services import balance, requests, scoring, timeliness, upward, writers
from webapp.services.access import visible_title
from webapp.services.scoring import Period
from webapp.timeutil import local_today

HEADERS = (
    "类别",
    "名次",
    "名次变化",
    "单位",
    "得分",
    "采用",
    "报送",
    "采用率",
    "问题信息占比",
    "年度目标",
    "年度进度",
    "是否达标（仅年度）",
    "先进单位（仅年度）",
)
ADOPTION_RATE_NOTE = "采用率为本期报送的信息中已被采用（含上级采用）的比例；“采用”列为本期计分的采用条数。"
OFFICE_SETTING = "report_office"
DEFAULT_OFFICE = "市委办公室信息科"
# The 通报's document header: the issuer's mark (blank: the office above), the 发文字号 (blank: none;
# 「{year}」 takes the year of issue, e.g. "阳办字〔{year}〕12号") and the addressees (主送机关).
ISSUER_SETTING = "report_issuer"
NUMBER_SETTING = "report_number"
ADDRESSEES_SETTING = "report_addressees"


def _categories() -> list[UnitCategory]:
    return list(
        db.session.scalars(db.select(UnitCategory).order_by(UnitCategory.sort_order, UnitCategory.code))
    )


def sections(period: Period) -> list[tuple[UnitCategory, list[scoring.RankingRow]]]:
    """Each category with its ranking for the period."""
    return [
        (category, scoring.ranking(category.code, period))
        for category in _categories()
        if not category.units or not all(unit.is_office for unit in category.units)
    ]


def simplified_report(report: RankingReport) -> RankingReport:
    """The report with every text in simplified script (an official output; unit names and the
    quoted titles may have been entered in traditional script)."""
    s = to_simplified

    def texts(values: Sequence[str]) -> list[str]:
        return [s(value) for value in values]

    return dataclasses.replace(
        report,
        title=s(report.title),
        issuing_office=s(report.issuing_office),
        issuer_mark=s(report.issuer_mark),
        document_number=s(report.document_number),
        addressees=s(report.addressees),
        sections=[
            RankingSection(
                s(section.category),
                [
                    dataclasses.replace(row, unit=s(row.unit), category=s(row.category))
                    for row in section.rows
                ],
            )
            for section in report.sections
        ],
        notes=texts(report.notes),
        excellent_units=texts(report.excellent_units),
        late_or_missing=texts(report.late_or_missing),
        unqualified_units=texts(report.unqualified_units),
        extra_sections=[(s(title), texts(lines)) for title, lines in report.extra_sections],
    )


def document_number(year: int) -> str:
    """The 通报's 发文字号 from the office setting (blank: none)."""
    template = str(scoring.setting(NUMBER_SETTING, "") or "")
    return template.replace("{year}", str(year))


def ranking_report(period: Period, viewer: User | None) -> RankingReport:
    """The plain data of the 通报, in simplified script: the document header from the settings,
    rankings per category, 先进单位 for a year, 迟报/漏报 notes (quoting only titles `viewer` may
    see)."""
    parts = sections(period)
    excellent = [
        f"{category.name}：{row.unit.name}" for category, rows in parts for row in rows if row.excellent
    ]
    unqualified = [
        f"{category.name}：{row.unit.name}"
        for category, rows in parts
        for row in rows
        if row.target_met is False
    ]
    unit_ids = [row.unit.id for _, rows in parts for row in rows]
    notes = [
        f"{r.item.unit.name}：{visible_title(viewer, r.item) or '一条信息'}（迟报 {r.hours:.1f} 小时）"
        for r in timeliness.late_reports(unit_ids, period.start, period.end)
    ] + [
        f"{m.unit.name}：{m.event_date} {m.description}（{MISSED_KINDS[m.kind]}）"
        for m in timeliness.missed_reports(unit_ids, period.start, period.end)
    ]
    today = local_today()
    report = RankingReport(
        title=f"关于{period.label}信息工作情况的通报",
        period_label=period.label,
        issuing_office=scoring.setting(OFFICE_SETTING, DEFAULT_OFFICE),
        issue_date=today,
        issuer_mark=str(scoring.setting(ISSUER_SETTING, "") or ""),
        document_number=document_number(today.year),
        addressees=str(scoring.setting(ADDRESSEES_SETTING, "") or ""),
        sections=[
            RankingSection(
                category=category.name,
                rows=[
                    RankingRow(
                        rank=row.rank,
                        unit=row.unit.name,
                        category=category.name,
                        points=row.points,
                        adopted=row.adopted,
                        submitted=row.submitted,
                        adoption_rate=row.adoption_rate,
                        problem_share=row.problem_share,
                        target=row.target,
                        target_met=row.target_met,
                        rank_change=row.rank_change,
                        progress=None if period.is_year else row.progress,
                    )
                    for row in rows
                ],
            )
            for category, rows in parts
        ],
        excellent_units=excellent,
        unqualified_units=unqualified,
        extra_sections=[
            ("上报与上级采用", upward_lines(upward.upward_figures(period))),
            ("约稿完成情况", request_lines(period)),
            ("调研信息", research_lines(period, parts)),
            *([("优秀信息员", writer_lines(period, parts))] if period.is_year else []),
        ],
        late_or_missing=notes,
        yearly=period.is_year,
        notes=[scoring.EXCELLENT_RULE, ADOPTION_RATE_NOTE] if period.is_year else [ADOPTION_RATE_NOTE],
    )
    return simplified_report(report)


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def request_lines(period: Period) -> list[str]:
    """Each request due in the period: how many targets answered acceptably, late, or not at all
    (答非所问 and the like count as not answered), naming the units that did not."""
    due = db.session.scalars(
        db.select(Request)
        .where(Request.deadline >= period.start, Request.deadline < period.end)
        .order_by(Request.deadline, Request.id)
    )
    lines = []
    for request in due:
        states = requests.target_states(request)
        done = [t for t in states if t.state == "answered"]
        late = [t for t in states if t.state == "late"]
        failed = [t for t in states if not t.fulfilled]
        source = f"落实{request.instruction_leader}批示，" if request.instruction_leader else ""
        line = (
            f"“{request.topic}”（{source}截止{request.deadline.month}月{request.deadline.day}日）：约稿{len(states)}个单位，"
            f"按时采用{len(done)}个，逾期{len(late)}个，未报或答复未被采用{len(failed)}个"
        )
        if failed:
            line += "（" + "、".join(t.unit.name for t in failed) + "）"
        lines.append(line + "。")
    return lines or [f"{period.label}没有到期的约稿。"]


def research_lines(
    period: Period, parts: Sequence[tuple[UnitCategory, list[scoring.RankingRow]]]
) -> list[str]:
    """调研信息 submitted per unit in the period; for a year, the units short of the yearly quota."""
    counts = balance.research_counts(period.start, period.end)
    total = sum(counts.values())
    lines = [f"{period.label}共报送调研信息{total}条。"]
    quota = int(scoring.setting("research_quota", balance.DEFAULT_RESEARCH_QUOTA))
    if period.is_year and quota:
        short = [
            f"{row.unit.name}（{counts.get(row.unit.id, 0)}条）"
            for _, rows in parts
            for row in rows
            if counts.get(row.unit.id, 0) < quota
        ]
        if short:
            lines.append(f"未达到每年{quota}条调研信息要求的单位：" + "、".join(short) + "。")
    return lines


def writer_lines(period: Period, parts: Sequence[tuple[UnitCategory, list[scoring.RankingRow]]]) -> list[str]:
    """One 优秀信息员 per 先进单位: its writer with the most points in the year."""
    excellent = [row.unit for _, rows in parts for row in rows if row.excellent]
    best = writers.best_writers(period, [unit.id for unit in excellent])
    return [
        f"{unit.name}：{best[unit.id].writer.name}（{best[unit.id].points:g}分）"
        for unit in excellent
        if unit.id in best
    ]


def upward_lines(figures: upward.UpwardFigures) -> list[str]:
    """The 通报's upward paragraph: counts by outlet, the city's points, the shares that matter."""
    if not figures.sent and not figures.adopted:
        return [f"{figures.period.label}未登记上报和上级采用信息。"]
    outlets = "，".join(f"{o.outlet.name}{o.adopted}条" for o in figures.outlets if o.adopted)
    lines = [
        f"{figures.period.label}共上报信息{figures.sent}条，被上级采用{figures.adopted}条"
        + (f"（{outlets}）" if outlets else "")
        + f"，上级采用计分{figures.total_points:g}分。"
    ]
    office = [u for u in figures.units if u.unit.is_office]
    if office:
        lines.append(f"本办综合信息得分{office[0].points:g}分，占全市{_percent(office[0].share)}。")
    direct = figures.direct_points
    if direct:
        shares = "，".join(f"{u.unit.name}{u.points:g}分、占{_percent(u.share)}" for u in direct)
        lines.append(f"直报点：{shares}。")
    return lines


def ranking_docx(period: Period, viewer: User | None) -> tuple[str, bytes]:
    """The 通报 as a Word file."""
    return f"{period.label}信息工作通报.docx", build_ranking_report(ranking_report(period, viewer))


def _rows(period: Period) -> list[list[object]]:
    table: list[list[object]] = []
    for category, rows in sections(period):
        for row in rows:
            table.append(
                [
                    category.name,
                    row.rank,
                    row.rank_change if row.rank_change is not None else "",
                    row.unit.name,
                    row.points,
                    row.adopted,
                    row.submitted,
                    round(row.adoption_rate, 4),
                    round(row.problem_share, 4),
                    row.target if row.target is not None else "",
                    round(row.progress, 4) if row.progress is not None else "",
                    "" if row.target_met is None else ("合格" if row.target_met else "不合格"),
                    "先进" if row.excellent else "",
                ]
            )
    return table


def ranking_csv(period: Period) -> tuple[str, bytes]:
    """The rankings as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese right)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerows(_rows(period))
    return f"{period.label}信息工作排名.csv", buffer.getvalue().encode("utf-8-sig")


def ranking_xlsx(period: Period) -> tuple[str, bytes]:
    """The rankings as an Excel workbook, percentages formatted as such."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook holds one worksheet
    sheet.title = period.key
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in _rows(period):
        sheet.append(row)
    for column in ("H", "I", "K"):
        for cell in sheet[column][1:]:
            cell.number_format = "0.0%"
    widths = (14, 6, 8, 26, 8, 6, 6, 8, 12, 8, 8, 12, 10)
    for column, width in zip("ABCDEFGHIJKLM", widths, strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return f"{period.label}信息工作排名.xlsx", buffer.getvalue()
