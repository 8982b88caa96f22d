"""The ranking report (通报): build real .docx files, read the tables back, render with LibreOffice."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from exports import (
    ExportError,
    InvalidReportError,
    RankingReport,
    RankingRow,
    RankingSection,
    build_ranking_report,
    layout,
)
from exports.ranking import format_rank
from tests.test_exports_render import convert_to_pdf, flat, needs_office, pdf_pages


def _row(rank: int, unit: str, category: str, **changes: object) -> RankingRow:
    row = RankingRow(
        rank=rank,
        unit=unit,
        category=category,
        points=92.5,
        adopted=37,
        submitted=44,
        adoption_rate=0.85,
        problem_share=0.2,
        target=80.0,
        target_met=True,
        rank_change=2,
    )
    return dataclasses.replace(row, **changes)  # type: ignore[arg-type]


CITIES = RankingSection(
    "市县",
    [
        _row(1, "阳泉市", "市县"),
        _row(2, "盂县", "市县", points=71.0, adoption_rate=0.5, target_met=False, rank_change=-1),
        _row(3, "平定县", "市县", rank_change=0, problem_share=0.0),
        _row(4, "郊区", "市县", rank_change=None, target=None, target_met=None, adoption_rate=1.0),
    ],
)
DEPARTMENTS = RankingSection(
    "省政府组成部门和直属机构",
    [
        _row(i, f"省{name}厅", "省政府组成部门和直属机构")
        for i, name in enumerate(["财政", "交通", "水利", "商务"], 1)
    ],
)
REPORT = RankingReport(
    title="关于2026年10月全省政务信息工作情况的通报",
    period_label="2026年10月",
    issuing_office="省政府办公厅",
    issue_date=datetime.date(2026, 11, 5),
    sections=[CITIES, DEPARTMENTS],
    notes=["得分按省政府办公厅信息工作考评办法计算。", "采用率=采用条数/报送条数。"],
    excellent_units=["阳泉市", "省财政厅"],
    late_or_missing=["10月12日某县道路塌陷事件，盂县迟报2小时。"],
)


@pytest.fixture(scope="module")
def report_doc(tmp_path_factory: pytest.TempPathFactory) -> DocxDocument:
    path = tmp_path_factory.mktemp("ranking") / "report.docx"
    path.write_bytes(build_ranking_report(REPORT))
    return docx.Document(str(path))


def _east_asia(run: object) -> str | None:
    rpr = run._r.rPr  # type: ignore[attr-defined]
    assert rpr is not None and rpr.rFonts is not None
    font: str | None = rpr.rFonts.get(qn("w:eastAsia"))
    return font


def test_page_settings_are_the_bulletins(report_doc: DocxDocument) -> None:
    section = report_doc.sections[0]
    for attribute, mm in {
        "page_width": 210,
        "page_height": 297,
        "top_margin": 37,
        "bottom_margin": 35,
        "left_margin": 28,
        "right_margin": 26,
    }.items():
        value = getattr(section, attribute)
        assert value is not None and abs(value - Mm(mm)) <= Mm(0.5), attribute
    assert report_doc.settings.odd_and_even_pages_header_footer is True
    assert section.footer.paragraphs[0].text == "— 1 —"


def test_title_in_xiaobiaosong_erhao(report_doc: DocxDocument) -> None:
    texts = [p.text for p in report_doc.paragraphs]
    title = report_doc.paragraphs[texts.index(REPORT.title)]
    assert _east_asia(title.runs[0]) == "方正小标宋简体"
    assert title.runs[0].font.size == Pt(22)
    intro = report_doc.paragraphs[texts.index(REPORT.title) + 2]
    assert "2026年10月" in intro.text
    assert _east_asia(intro.runs[0]) == "仿宋_GB2312"
    assert intro.runs[0].font.size == Pt(16)


def test_one_table_per_category_with_nine_columns(report_doc: DocxDocument) -> None:
    assert len(report_doc.tables) == 2
    cities, departments = report_doc.tables
    header = [cell.text for cell in cities.rows[0].cells]
    assert header == ["名次", "单位", "得分", "采用", "报送", "采用率", "问题信息占比", "目标", "是否达标"]
    assert [[cell.text for cell in row.cells] for row in cities.rows[1:]] == [
        ["1 ↑2", "阳泉市", "92.5", "37", "44", "85.0%", "20.0%", "80.0", "合格"],
        ["2 ↓1", "盂县", "71.0", "37", "44", "50.0%", "20.0%", "80.0", "不合格"],
        ["3 —", "平定县", "92.5", "37", "44", "85.0%", "0.0%", "80.0", "合格"],
        ["4", "郊区", "92.5", "37", "44", "100.0%", "20.0%", "—", "—"],
    ]
    assert len(departments.rows) == 1 + 4
    # The header row repeats on every page.
    assert cities.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_table_fonts_and_width(report_doc: DocxDocument) -> None:
    table = report_doc.tables[0]
    for cell in table.rows[0].cells:
        assert _east_asia(cell.paragraphs[0].runs[0]) == "黑体"
    for row in table.rows[1:]:
        for cell in row.cells:
            run = cell.paragraphs[0].runs[0]
            assert _east_asia(run) == "仿宋_GB2312"
            assert run.font.size == Pt(layout.RANKING_CELL_SIZE_PT)  # 五号
    widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert len(widths) == 9
    assert sum(widths) == layout.TYPE_AREA_WIDTH_TWIPS


def test_headings_lists_and_signature(report_doc: DocxDocument) -> None:
    texts = [p.text for p in report_doc.paragraphs]
    for heading in (
        "一、市县",
        "二、省政府组成部门和直属机构",
        "三、先进单位",
        "四、迟报、漏报情况",
        "五、说明",
    ):
        paragraph = report_doc.paragraphs[texts.index(heading)]
        assert _east_asia(paragraph.runs[0]) == "黑体"
    assert "阳泉市、省财政厅。" in texts
    assert "10月12日某县道路塌陷事件，盂县迟报2小时。" in texts
    assert "1. 得分按省政府办公厅信息工作考评办法计算。" in texts
    assert texts[-2:] == ["省政府办公厅", "2026年11月5日"]


def test_optional_parts_are_left_out(tmp_path: Path) -> None:
    bare = RankingReport("通报", "2026年度", "市委办公室", datetime.date(2027, 1, 10), [CITIES])
    path = tmp_path / "bare.docx"
    path.write_bytes(build_ranking_report(bare))
    texts = [p.text for p in docx.Document(str(path)).paragraphs]
    assert "一、市县" in texts
    assert not any(t.startswith(("二、", "三、")) for t in texts)


def test_empty_category_prints_a_line(tmp_path: Path) -> None:
    report = dataclasses.replace(REPORT, sections=[RankingSection("中央国家机关驻地单位", [])])
    path = tmp_path / "empty.docx"
    path.write_bytes(build_ranking_report(report))
    document = docx.Document(str(path))
    assert not document.tables
    assert layout.RANKING_EMPTY_SECTION in [p.text for p in document.paragraphs]


@pytest.mark.parametrize(
    ("rank", "change", "text"),
    [(1, 3, "1 ↑3"), (7, -2, "7 ↓2"), (5, 0, "5 —"), (9, None, "9")],
)
def test_rank_change_arrows(rank: int, change: int | None, text: str) -> None:
    assert format_rank(rank, change) == text


@pytest.mark.parametrize(
    "changes",
    [
        {"sections": []},
        {"title": "\u3000"},
        {"sections": [RankingSection("市县", [_row(0, "阳泉市", "市县")])]},
        {"sections": [RankingSection("市县", [_row(1, "阳泉市", "市县", adoption_rate=85.0)])]},
        {"sections": [RankingSection("市县", [_row(1, "阳泉市", "市县", points=float("nan"))])]},
        {"sections": [RankingSection("市县", [_row(1, "", "市县")])]},
    ],
)
def test_bad_reports_raise(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidReportError) as raised:
        build_ranking_report(dataclasses.replace(REPORT, **changes))  # type: ignore[arg-type]
    assert isinstance(raised.value, ExportError)
    assert raised.value.status_hint == 400


@needs_office
def test_report_renders_in_libreoffice(tmp_path: Path) -> None:
    many = RankingSection("市县", [_row(i, f"第{i}县", "市县", rank_change=i % 3 - 1) for i in range(1, 41)])
    path = tmp_path / "report.docx"
    path.write_bytes(build_ranking_report(dataclasses.replace(REPORT, sections=[many, DEPARTMENTS])))
    (pdf,) = convert_to_pdf([path], tmp_path, tmp_path / "lo-profile")
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    first = flat(pages[0])
    assert flat(REPORT.title) in first
    for text in ("一、市县", "名次", "第1县", "85.0%", "合格"):
        assert text in first
    assert "省政府办公厅2026年11月5日" in flat(pages[-1])
    for number, page in enumerate(pages, start=1):
        assert f"—{number}—" in flat(page)
    # The repeated header row heads the table's continuation on page 2.
    assert "名次" in pages[1]
