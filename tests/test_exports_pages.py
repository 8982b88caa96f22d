"""How the Word files fill their pages, rendered with LibreOffice: the bulletin's 密级 mark, numbered
contents, tables and 版记 (never alone on a page, and no near-empty last page when the block fits),
and the ranking 通报 as an official document (red issuer's mark, 发文字号, figures on one line, 落款
never alone on a page).

Skipped when `soffice` or poppler-utils are missing (see tests/test_exports_render.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exports import (
    BulletinData,
    BulletinItem,
    Distribution,
    RankingReport,
    RankingRow,
    RankingSection,
    build_bulletin,
    build_ranking_report,
    layout,
)
from exports.bulletin import last_page_room, setting_level
from tests.test_exports_render import (
    TOOLS,
    convert_to_pdf,
    flat,
    is_red,
    line_boxes,
    needs_office,
    pdf_pages,
    render_ppm,
)

DATE = datetime.date(2026, 11, 23)
DISTRIBUTION = Distribution("省委办公厅，省人大常委会办公厅", "省政协办公厅", "各市人民政府，省直各部门")
# Three short items as they arrive (the demo's first three: 205, 183 and 141 characters).
SHORT_ITEMS = [
    BulletinItem(
        "我县多措并举推进高标准农田建设",
        "今年以来，我县把高标准农田建设作为保障粮食安全的重要抓手，统筹整合涉农资金1.2亿元，新建高标准"
        "农田3.5万亩，配套建设灌溉渠系42公里、机耕路28公里。项目区亩均增产粮食80公斤以上，带动农民人均"
        "增收600余元。\n一是强化规划引领，按照“集中连片、整体推进”的思路编制建设规划。二是创新建管机制，"
        "推行“先建后补、以奖代补”，调动村集体和新型经营主体积极性。三是严格质量监管，聘请第三方全程监理，"
        "确保工程质量。",
        "盂县政府办公室",
    ),
    BulletinItem(
        "部分乡镇农村生活污水治理设施运行不正常",
        "近期调研发现，我市部分乡镇已建成的农村生活污水处理设施存在“建而不用”“用而不畅”等问题。一是运维"
        "经费缺口较大，12个处理站点中有5个因电费和维护费用无着落而长期停运。二是管网配套滞后，部分村庄收集"
        "管网覆盖率不足四成，进水量不足导致设施闲置。三是专业人才缺乏，乡镇普遍没有专职运维人员，设备出现"
        "故障无人维修。建议将运维经费纳入财政预算，推行区域打包、专业化运维模式。",
        "平定县政府办公室",
    ),
    BulletinItem(
        "市工信局推动规上工业企业数字化转型取得新进展",
        "市工信局聚焦制造业高质量发展，实施企业数字化转型三年行动。截至10月底，全市规上工业企业关键工序数控"
        "化率达到58%，较去年提高6个百分点；新增省级智能工厂3家、数字化车间11个。通过“诊断+改造+培训”一体化"
        "服务，为86家中小企业提供免费数字化诊断，帮助企业平均降低运营成本12%。",
        "市工业和信息化局",
    ),
]
THREE = BulletinData(
    "每日快报",
    2026,
    7,
    DATE,
    "省政府办公厅信息处",
    SHORT_ITEMS,
    level="内部",
    distribution=DISTRIBUTION,
    print_count=60,
)
LINE = "该县聚焦群众急难愁盼问题推动教育医疗养老等民生实事"  # 26 characters: one line with the indent
# One item of n one-line paragraphs: from a half page to past two pages, every way the text can end.
SWEEP = {
    f"sweep{n:02d}": dataclasses.replace(
        THREE,
        level="公开",
        items=[BulletinItem("盂县推动民生实事落地见效", "\n".join([LINE] * n), "盂县政府办公室")],
    )
    for n in range(8, 40, 2)
}
TABLE_ROWS = [
    ["指标", "1至9月", "同比增长", "备注"],
    ["地区生产总值（亿元）", "386.4", "5.2%", ""],
    ["规上工业增加值（亿元）", "120.7", "6.8%", "高于全省1.2个百分点"],
    ["固定资产投资（亿元）", "98.1", "-3.4%", "项目接续不足，需要关注"],
]
TABLE_BODY = "今年以来，全县经济运行总体平稳，主要指标如下：\n{rows}\n下一步，将继续抓好项目建设。".format(
    rows="\n".join("\t".join(row) for row in TABLE_ROWS)
)
WITH_TABLE = dataclasses.replace(
    THREE,
    level="秘密",
    secrecy_period="1年",
    items=[BulletinItem("盂县前三季度经济运行情况", TABLE_BODY, "盂县统计局", tables=[TABLE_ROWS])],
)
BULLETINS = {"three": THREE, "table": WITH_TABLE, **SWEEP}


def _row(rank: int, unit: str, **changes: object) -> RankingRow:
    row = RankingRow(rank, unit, "市县", 92.5, 37, 44, 0.85, 0.2, 80.0, None, rank % 3 - 1, progress=1.0)
    return dataclasses.replace(row, **changes)  # type: ignore[arg-type]


REPORT = RankingReport(
    title="关于2026年10月全市信息工作情况的通报",
    period_label="2026年10月",
    issuing_office="阳泉市委办公室",
    issue_date=datetime.date(2026, 11, 5),
    sections=[
        RankingSection("市县", [_row(i, f"第{i}县人民政府办公室", adoption_rate=1.0) for i in range(1, 7)]),
    ],
    notes=["采用率为本期报送的信息中已被采用的比例。"],
    yearly=False,
    issuer_mark="阳泉市委办公室",
    document_number="阳办字〔2026〕12号",
    addressees="各县（区）委办公室，市直各单位",
)
# The widest figures a cell holds, and a long unit name.
EDGE = dataclasses.replace(
    REPORT,
    sections=[
        RankingSection(
            "市县",
            [
                _row(1, "盂县人民政府办公室", points=313.0, rank_change=12, adoption_rate=1.0),
                _row(12, "阳泉经济技术开发区管委会", points=1234.5, target=1000.0, rank_change=-11),
                _row(3, "郊区", problem_share=1.0),
            ],
        )
    ],
)
# Rows enough to bring the 落款 to every position near a page end.
REPORTS = {"report": REPORT, "edge": EDGE} | {
    f"rows{n:02d}": dataclasses.replace(
        REPORT, sections=[RankingSection("市县", [_row(i, f"第{i}县") for i in range(1, n + 1)])]
    )
    for n in range(12, 30)
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if any(shutil.which(tool) is None for tool in TOOLS):
        pytest.skip("LibreOffice (soffice) and poppler-utils are needed to render")
    root = tmp_path_factory.mktemp("pages")
    paths = []
    for name, data in BULLETINS.items():
        paths.append(root / f"{name}.docx")
        paths[-1].write_bytes(build_bulletin(data))
    for name, report in REPORTS.items():
        paths.append(root / f"{name}.docx")
        paths[-1].write_bytes(build_ranking_report(report))
    pdfs = convert_to_pdf(paths, root, root / "lo-profile")
    return {path.stem: pdf for path, pdf in zip(paths, pdfs, strict=True)}


def _first_line(pdf: Path) -> tuple[str, float, float]:
    """The first text line of page 1: its text, left edge and top (pt)."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r'<line xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>(.*?)</line>', out, re.S)
    assert match is not None
    words = "".join(re.findall(r"<word[^>]*>(.*?)</word>", match.group(3)))
    return words, float(match.group(1)), float(match.group(2))


# --- the bulletin ------------------------------------------------------------------------------


@needs_office
def test_three_short_items_take_two_pages_with_the_block_under_the_text(rendered: dict[str, Path]) -> None:
    # Before: three pages, the third holding only the 版记 (and page 1 with room to spare).
    pages = pdf_pages(rendered["three"])
    assert len(pages) <= 2
    last = flat(pages[-1])
    assert "本期共印60份" in last and "（市工业和信息化局报送）" in last
    assert setting_level(THREE) > 0  # set tighter to get there
    for page in pages[:-1]:
        assert "印发" not in page


@needs_office
@pytest.mark.parametrize("name", sorted(SWEEP))
def test_the_block_never_stands_alone_on_a_page(rendered: dict[str, Path], name: str) -> None:
    pdf = rendered[name]
    pages = pdf_pages(pdf)
    last = len(pages)
    boxes = line_boxes(pdf, last)
    block_top = min(y_min for text, y_min, _ in boxes if text.startswith("报："))
    above = [text for text, _, y_max in boxes if y_max < block_top and not re.fullmatch(r"—\d+—", text)]
    assert above, f"page {last} holds only the 版记"
    # And no page is wasted: when the estimate says the block fits, it shares the last text page.
    data = SWEEP[name]
    if last_page_room(data, setting_level(data))[1] >= 0:
        assert LINE in flat(pages[-1]) or "报送）" in flat(pages[-1])
    # The block still ends at the foot of the type area.
    bottom = layout.mm_to_pt(layout.PAGE_HEIGHT_MM - layout.MARGIN_BOTTOM_MM)
    count_line = next(y_max for text, _, y_max in boxes if "本期共印" in text)
    assert bottom - layout.BODY_LINE_SPACING_PT < count_line <= bottom + 1


@needs_office
def test_internal_mark_at_the_top_left_of_page_one(rendered: dict[str, Path]) -> None:
    text, x_min, y_min = _first_line(rendered["three"])
    assert flat(text) == "内部资料注意保存"
    assert abs(x_min - layout.mm_to_pt(layout.MARGIN_LEFT_MM)) < 3  # flush with the left margin
    assert y_min < layout.mm_to_pt(layout.MARGIN_TOP_MM) + layout.BODY_LINE_SPACING_PT  # on line 1
    assert line_boxes(rendered["three"], 1)[1][0] == "每日快报"


@needs_office
def test_contents_are_numbered(rendered: dict[str, Path]) -> None:
    first = flat(pdf_pages(rendered["three"])[0])
    start = first.index("本期要目")
    for number, item in enumerate(SHORT_ITEMS, start=1):
        assert f"{number}．{item.title[:8]}" in first[start:]


@needs_office
def test_a_table_is_printed_as_a_table_with_its_figures_on_one_line(rendered: dict[str, Path]) -> None:
    pdf = rendered["table"]
    assert len(pdf_pages(pdf)) == 1
    texts = [flat(text) for text, _, _ in line_boxes(pdf, 1)]
    assert texts[0] == "秘密★1年"
    for cell in ("1至9月", "同比增长", "386.4", "-3.4%", "地区生产总值（亿元）"):
        assert any(cell in text for text in texts), cell
    # The rows are not printed a second time as text.
    assert sum("386.4" in text for text in texts) == 1


# --- the ranking 通报 ---------------------------------------------------------------------------


@needs_office
def test_report_opens_with_a_red_issuer_mark_number_and_rule(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    pdf = rendered["report"]
    texts = [flat(text) for text, _, _ in line_boxes(pdf, 1)]
    assert texts[:3] == ["阳泉市委办公室", "阳办字〔2026〕12号", flat(REPORT.title)[: len(texts[2])]]
    assert "各县（区）委办公室，市直各单位：" in texts
    dpi = 50
    width, height, pixels = render_ppm(pdf, 1, dpi, tmp_path)
    px_per_pt = dpi / 72
    number_y = next(y for text, y, _ in line_boxes(pdf, 1) if "阳办字" in text)

    def red(y: int) -> int:
        row = pixels[y * width * 3 : (y + 1) * width * 3]
        return sum(is_red(row[i], row[i + 1], row[i + 2]) for i in range(0, len(row), 3))

    mark_rows = [y for y in range(0, int(number_y * px_per_pt)) if red(y)]
    assert len(mark_rows) > 10, "the issuer's mark is not red"
    type_width_px = layout.mm_to_pt(layout.TYPE_AREA_WIDTH_MM) * px_per_pt
    rule_rows = [y for y in range(int(number_y * px_per_pt), height) if red(y) > 0.9 * type_width_px]
    assert rule_rows, "no full-width red rule under the document number"


@needs_office
def test_report_figures_do_not_wrap(rendered: dict[str, Path]) -> None:
    boxes = line_boxes(rendered["report"], 1)
    lines = [flat(text) for text, _, _ in boxes]
    assert any("100.0%" in line for line in lines)
    for line in lines:  # a wrapped cell reads 「100.」 over 「0%」, or 「100.0」 over 「%」
        assert not re.search(r"100(?!\.0%)", line), f"「100.0%」 wraps: {line}"
        assert line not in ("%", "0%")


@needs_office
def test_report_widest_figures_stay_on_one_line(rendered: dict[str, Path]) -> None:
    pdf = rendered["edge"]
    assert len(pdf_pages(pdf)) == 1
    lines = [flat(text) for text, _, _ in line_boxes(pdf, 1)]
    for figure in ("12↓11", "1↑12", "1234.5", "1000.0", "313.0", "100.0%", "盂县人民政府办公室"):
        assert any(figure in line for line in lines), figure


@needs_office
@pytest.mark.parametrize("name", sorted(REPORTS))
def test_report_signature_never_stands_alone(rendered: dict[str, Path], name: str) -> None:
    pages = pdf_pages(rendered[name])
    last = flat(pages[-1])
    assert "阳泉市委办公室2026年11月5日" in last
    rest = re.sub(r"—\d+—", "", last.replace("阳泉市委办公室2026年11月5日", ""))
    assert rest, f"the last page of {name} holds only the 落款"
