"""The Word bulletin (简报): build real .docx files and read them back with python-docx."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from exports import (
    BulletinData,
    BulletinItem,
    Distribution,
    ExportError,
    build_bulletin,
    layout,
)
from exports.bulletin import body_line_runs
from exports.errors import EmptyIssueError, InvalidIssueError, RefusedLevelError

ITEMS = (
    BulletinItem(
        title="盂县多措并举推动重点项目建设提速增效",
        body=(
            "\u3000\u3000今年以来，盂县坚持把项目建设作为推动高质量发展的总抓手，建立县级领导包联重点项目"
            "机制，截至10月底，全县42个重点项目累计完成投资38.6亿元，同比增长12.4%。\n"
            "\n"
            "一、强化要素保障\n"
            "县自然资源局、县行政审批服务管理局等部门实行“并联审批、容缺受理”，项目平均审批时限"
            "压缩至15个工作日以内。\n"
            "（一）盯紧用地指标。优先保障产业项目用地，今年以来共供应工业用地1260亩。\n"
            "1．完善调度机制。每月召开一次项目推进会，现场协调解决征地拆迁、水电接入等问题27个。"
        ),
        unit_name="盂县政府办公室",
        column="工作动态",
    ),
    BulletinItem(
        title="阳泉市开展安全生产隐患排查整治“回头看”",
        body=(
            "阳泉市应急管理局组织12个督导组，对全市非煤矿山、危化品企业和人员密集场所开展隐患排查"
            "整治“回头看”，共检查企业386家，发现并整改隐患1042处。\n"
            "下一步，该市将建立隐患整改清单销号制度，确保整改到位。"
        ),
        unit_name="阳泉市人民政府办公室",
        column="工作动态",
    ),
    BulletinItem(
        title="部分乡镇农村供水设施老化问题亟待解决",
        body=(
            "据调查，全县仍有17个行政村的供水管网建于2005年以前，管道老化、跑冒滴漏现象突出，"
            "部分村庄冬季频繁停水，群众反映强烈。\n"
            "建议加大农村供水工程改造资金投入，推行县级统管、专业运维的管理模式。"
        ),
        unit_name="平定县水利局报送",
        column="问题反映",
    ),
    BulletinItem(
        title="郊区探索“村企联建”带动村集体经济增收",
        body=(
            "郊区组织28家民营企业与36个村结对联建，通过土地入股、订单农业、劳务合作等方式，"
            "带动村集体经济年均增收15万元以上。"
        ),
        unit_name="郊区区委办公室",
        column="基层经验",
    ),
)

ISSUE = BulletinData(
    publication_name="每日快报",
    year=2026,
    number=12,
    issue_date=datetime.date(2026, 11, 23),
    issuing_office="省政府办公厅信息处",
    items=ITEMS,
    editor_note="盂县的做法值得借鉴。\n各地要结合实际，推动重点项目早开工、早投产。",
    level="秘密",
    secrecy_period="1年",
    copy_number="000123",
    distribution=Distribution(
        upward="省委办公厅，省人大常委会办公厅",
        peers="省政协办公厅",
        downward="各市人民政府，省直各部门",
    ),
    print_count=60,
)


def _open(tmp_path: Path, data: BulletinData, name: str = "issue.docx") -> DocxDocument:
    path = tmp_path / name
    path.write_bytes(build_bulletin(data))
    return docx.Document(str(path))


def _east_asia(run: Run) -> str | None:
    rpr = run._r.rPr
    assert rpr is not None and rpr.rFonts is not None
    font: str | None = rpr.rFonts.get(qn("w:eastAsia"))
    return font


def _find(document: DocxDocument, text: str) -> Paragraph:
    for paragraph in document.paragraphs:
        if paragraph.text == text:
            return paragraph
    raise AssertionError(f"no paragraph reads {text!r}")


def _border(paragraph: Paragraph, edge: str) -> dict[str, str] | None:
    ppr = paragraph._p.pPr
    pbdr = None if ppr is None else ppr.find(qn("w:pBdr"))
    line = None if pbdr is None else pbdr.find(qn(f"w:{edge}"))
    if line is None:
        return None
    return {key: line.get(qn(f"w:{key}")) for key in ("val", "sz", "color")}


@pytest.fixture(scope="module")
def issue_doc(tmp_path_factory: pytest.TempPathFactory) -> DocxDocument:
    return _open(tmp_path_factory.mktemp("bulletin"), ISSUE)


def test_page_is_a4_with_gbt9704_margins(issue_doc: DocxDocument) -> None:
    section = issue_doc.sections[0]
    expected = {
        "page_width": 210,
        "page_height": 297,
        "top_margin": 37,
        "bottom_margin": 35,
        "left_margin": 28,
        "right_margin": 26,
    }
    for attribute, mm in expected.items():
        value = getattr(section, attribute)
        assert value is not None
        assert abs(value - Mm(mm)) <= Mm(0.5), attribute


def test_document_grid_holds_22_lines_of_28_characters(issue_doc: DocxDocument) -> None:
    grid = issue_doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid is not None
    # A line grid only: LibreOffice spreads glyphs wider than a character-grid cell over two cells.
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:charSpace")) is None
    line_pitch_pt = int(grid.get(qn("w:linePitch"))) / 20
    assert int(225 / 25.4 * 72 / line_pitch_pt) == 22
    # 28 condensed 三号 characters fit the 156 mm line, 29 do not.
    body = next(p for p in issue_doc.paragraphs if p.text.startswith("今年以来，盂县"))
    spacing = body.runs[0]._r.rPr.find(qn("w:spacing"))
    assert spacing is not None
    pitch_pt = 16 + int(spacing.get(qn("w:val"))) / 20
    assert int(156 / 25.4 * 72 / pitch_pt) == 28


def test_classification_marking_comes_first(issue_doc: DocxDocument) -> None:
    first, second = issue_doc.paragraphs[:2]
    assert first.text == "000123"
    assert second.text == "秘密★1年"
    assert _east_asia(second.runs[0]) == "黑体"
    assert second.runs[0].font.size == Pt(16)
    assert second.alignment == WD_ALIGN_PARAGRAPH.LEFT


def test_masthead_name_number_office_and_red_rule(issue_doc: DocxDocument) -> None:
    name = _find(issue_doc, "每日快报")
    run = name.runs[0]
    assert run.font.color.rgb == RGBColor(0xFF, 0x00, 0x00)
    assert run.font.size == Pt(42)
    assert name.alignment == WD_ALIGN_PARAGRAPH.CENTER
    number = _find(issue_doc, "第12期")
    assert number.alignment == WD_ALIGN_PARAGRAPH.CENTER
    office_line = _find(issue_doc, "省政府办公厅信息处\t2026年11月23日")
    tab = office_line.paragraph_format.tab_stops[0]
    assert abs(tab.position - Mm(156)) <= Mm(0.5)
    assert _border(office_line, "bottom") == {"val": "single", "sz": "18", "color": "FF0000"}


def test_items_appear_in_order_with_title_fonts(issue_doc: DocxDocument) -> None:
    texts = [p.text for p in issue_doc.paragraphs]
    contents_end = texts.index("本期要目") + 1 + len(ITEMS)
    positions = [texts.index(item.title, contents_end) for item in ITEMS]
    assert positions == sorted(positions)
    for position in positions:
        title = issue_doc.paragraphs[position]
        assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
        for run in title.runs:
            assert _east_asia(run) == "方正小标宋简体"
            assert run.font.name == "方正小标宋简体"
            assert run.font.size == Pt(22)


def test_body_paragraphs_use_fangsong_sanhao_fixed_spacing(issue_doc: DocxDocument) -> None:
    body = next(p for p in issue_doc.paragraphs if p.text.startswith("今年以来，盂县"))
    fmt = body.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY
    assert fmt.line_spacing == Pt(28.9)
    assert fmt.first_line_indent == Pt(32)
    assert not body.text.startswith("\u3000"), "leading full-width spaces are stripped"
    for run in body.runs:
        assert _east_asia(run) == "仿宋_GB2312"
        assert run.font.size == Pt(16)
        assert run.font.color.rgb == RGBColor(0, 0, 0)


def test_headings_inside_a_body_take_their_fonts(issue_doc: DocxDocument) -> None:
    assert _east_asia(_find(issue_doc, "一、强化要素保障").runs[0]) == "黑体"
    kaiti = next(p for p in issue_doc.paragraphs if p.text.startswith("（一）盯紧用地指标。"))
    assert (kaiti.runs[0].text, _east_asia(kaiti.runs[0])) == ("（一）盯紧用地指标。", "楷体_GB2312")
    assert _east_asia(kaiti.runs[1]) == "仿宋_GB2312"
    bold = next(p for p in issue_doc.paragraphs if p.text.startswith("1．完善调度机制。"))
    assert bold.runs[0].bold is True
    assert bold.runs[1].bold is not True


def test_columns_head_consecutive_items_once(issue_doc: DocxDocument) -> None:
    texts = [p.text for p in issue_doc.paragraphs]
    assert texts.count("【工作动态】") == 1
    assert texts.count("【问题反映】") == 1
    assert _east_asia(_find(issue_doc, "【基层经验】").runs[0]) == "黑体"


def test_units_are_credited_in_brackets(issue_doc: DocxDocument) -> None:
    credit = _find(issue_doc, "（盂县政府办公室报送）")
    assert credit.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    _find(issue_doc, "（平定县水利局报送）")  # not 「报送报送」


def test_editor_note_label_in_heiti_and_text_in_kaiti(issue_doc: DocxDocument) -> None:
    note = _find(issue_doc, "编者按：盂县的做法值得借鉴。")
    assert [_east_asia(r) for r in note.runs] == ["黑体", "楷体_GB2312"]


def _table_border(table: Table, edge: str) -> dict[str, str] | None:
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    line = None if borders is None else borders.find(qn(f"w:{edge}"))
    if line is None:
        return None
    return {key: line.get(qn(f"w:{key}")) for key in ("val", "sz", "color")}


def test_distribution_block_between_thick_and_thin_rules(issue_doc: DocxDocument) -> None:
    (block,) = issue_doc.tables
    assert [cell.text for row in block.rows for cell in row.cells] == [
        "报：省委办公厅，省人大常委会办公厅",
        "送：省政协办公厅",
        "发：各市人民政府，省直各部门",
        "省政府办公厅信息处\t2026年11月23日印发",
        "\t本期共印 60 份",
    ]
    for row in block.rows:
        paragraph = row.cells[0].paragraphs[0]
        assert paragraph.runs[0].font.size == Pt(14)
        assert _east_asia(paragraph.runs[0]) == "仿宋_GB2312"
        assert paragraph.paragraph_format.first_line_indent == Pt(14)
    thick = {"val": "single", "sz": "8", "color": "000000"}
    assert _table_border(block, "top") == thick
    assert _table_border(block, "bottom") == thick
    assert _table_border(block, "insideH") == {"val": "single", "sz": "6", "color": "000000"}
    assert _table_border(block, "left") == {"val": "nil", "sz": None, "color": None}
    # As wide as the type area, floating to the bottom of the page, after the last item.
    assert block._tbl.tblPr.find(qn("w:tblW")).get(qn("w:w")) == str(layout.TYPE_AREA_WIDTH_TWIPS)
    floating = block._tbl.tblPr.find(qn("w:tblpPr"))
    assert floating.get(qn("w:tblpYSpec")) == "bottom"
    assert floating.get(qn("w:vertAnchor")) == "margin"
    body = issue_doc.element.body
    assert body.index(block._tbl) > body.index(_find(issue_doc, "（郊区区委办公室报送）")._p)
    assert issue_doc.paragraphs[-1].text == ""  # the anchor the table hangs on


def test_footers_carry_page_fields_odd_right_even_left(issue_doc: DocxDocument) -> None:
    assert issue_doc.settings.odd_and_even_pages_header_footer is True
    section = issue_doc.sections[0]
    for footer, alignment in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        assert not footer.is_linked_to_previous
        paragraph = footer.paragraphs[0]
        xml = paragraph._p.xml
        assert "fldSimple" in xml or "instrText" in xml
        assert "PAGE" in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")
        assert paragraph.alignment == alignment
        assert paragraph.runs[0].font.size == Pt(14)
        assert _east_asia(paragraph.runs[0]) == "宋体"


def test_styles_and_font_table_declare_fallbacks(tmp_path: Path) -> None:
    document = _open(tmp_path, ISSUE)
    normal = document.styles["Normal"]
    rpr = normal.element.rPr
    assert rpr is not None and rpr.rFonts is not None
    assert rpr.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.font.size == Pt(16)
    font_table = next(
        rel.target_part for rel in document.part.rels.values() if rel.reltype.endswith("/fontTable")
    )
    xml = font_table.blob.decode("utf-8")
    assert 'w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in xml
    assert 'w:name="方正小标宋简体"><w:altName w:val="华文中宋"/>' in xml


@pytest.mark.parametrize(
    ("count", "has_contents"),
    [(4, True), (3, True), (2, False), (1, False)],
)
def test_contents_list_from_three_items(tmp_path: Path, count: int, has_contents: bool) -> None:
    data = dataclasses.replace(ISSUE, items=ITEMS[:count])
    texts = [p.text for p in _open(tmp_path, data).paragraphs]
    assert ("本期要目" in texts) is has_contents
    if has_contents:
        start = texts.index("本期要目") + 1
        # Numbered like the HTML preview's list.
        assert texts[start : start + count] == [
            f"{n}．{item.title}" for n, item in enumerate(ITEMS[:count], 1)
        ]


@pytest.mark.parametrize(
    ("changes", "number_line"),
    [
        ({}, "第12期"),
        ({"supplement": True, "number": 3}, "增刊第3期"),
    ],
)
def test_issue_number_line(tmp_path: Path, changes: dict[str, object], number_line: str) -> None:
    data = dataclasses.replace(ISSUE, **changes)  # type: ignore[arg-type]
    _find(_open(tmp_path, data), number_line)


@pytest.mark.parametrize(
    ("level", "period", "marking"),
    [
        ("秘密", "1年", "秘密★1年"),
        ("机密", None, "机密"),
        ("内部", "1年", "内部资料 注意保存"),
        ("公开", None, None),
    ],
)
def test_levels_above_public_print_a_marking_top_left(
    tmp_path: Path, level: str, period: str | None, marking: str | None
) -> None:
    data = dataclasses.replace(ISSUE, level=level, secrecy_period=period)
    document = _open(tmp_path, data)
    texts = [p.text for p in document.paragraphs]
    if marking is None:
        assert texts[0] == "每日快报"
        assert "000123" not in texts
    elif level == "内部":  # internal material: the fixed wording, no copy number
        assert texts[:2] == [marking, "每日快报"]
    else:
        assert texts[:2] == ["000123", marking]
    if marking is not None:
        paragraph = document.paragraphs[texts.index(marking)]
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.LEFT
        assert _east_asia(paragraph.runs[0]) == "黑体"
        assert paragraph.runs[0].font.size == Pt(16)


def test_minimal_issue_without_distribution(tmp_path: Path) -> None:
    data = BulletinData(
        publication_name="《信息摘编》",
        year=2026,
        number=1,
        issue_date=datetime.date(2026, 1, 5),
        issuing_office="市委办公室信息科",
        items=[BulletinItem("一条信息", "正文。", "")],
    )
    document = _open(tmp_path, data)
    texts = [p.text for p in document.paragraphs]
    assert texts[:2] == ["内部资料 注意保存", "信息摘编"]  # 内部 is the default level
    (block,) = document.tables
    assert [row.cells[0].text for row in block.rows] == ["市委办公室信息科\t2026年1月5日印发"]
    assert not any(t.startswith(("报：", "送：", "发：", "（")) for t in texts)
    assert not any("本期共印" in t for t in texts)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"items": ()}, EmptyIssueError),
        ({"number": 0}, InvalidIssueError),
        ({"level": "绝密"}, RefusedLevelError),
        ({"level": "保密"}, InvalidIssueError),
        ({"copy_number": "A-12"}, InvalidIssueError),
        ({"print_count": 0}, InvalidIssueError),
        ({"items": (BulletinItem("\u3000", "正文。", "某单位"),)}, InvalidIssueError),
    ],
)
def test_bad_issues_raise_export_errors(changes: dict[str, object], error: type[ExportError]) -> None:
    data = dataclasses.replace(ISSUE, **changes)  # type: ignore[arg-type]
    with pytest.raises(error) as raised:
        build_bulletin(data)
    assert isinstance(raised.value, ExportError)
    assert raised.value.status_hint in (400, 403)


def test_empty_issue_is_a_400(tmp_path: Path) -> None:
    with pytest.raises(ExportError) as raised:
        build_bulletin(dataclasses.replace(ISSUE, items=[]))
    assert raised.value.status_hint == 400


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("一、强化要素保障", [("一、强化要素保障", layout.HEADING_1_RUN)]),
        ("（二）压实工作责任", [("（二）压实工作责任", layout.HEADING_2_RUN)]),
        ("2.健全长效机制", [("2.健全长效机制", layout.HEADING_3_RUN)]),
        ("（1）加强宣传引导", [("（1）加强宣传引导", layout.BODY_RUN)]),
        ("1.5亿元资金已拨付到位", [("1.5亿元资金已拨付到位", layout.BODY_RUN)]),
        (
            "三、主要问题。部分项目前期工作不扎实，开工后因规划调整、资金不到位等原因停工，影响投资进度。",
            [
                ("三、主要问题。", layout.HEADING_1_RUN),
                (
                    "部分项目前期工作不扎实，开工后因规划调整、资金不到位等原因停工，影响投资进度。",
                    layout.BODY_RUN,
                ),
            ],
        ),
        (
            "一、全县上下认真贯彻落实省委省政府决策部署，坚持稳中求进工作总基调，推动经济社会持续健康发展",
            [
                (
                    "一、全县上下认真贯彻落实省委省政府决策部署，坚持稳中求进工作总基调，推动经济社会持续健康发展",
                    layout.BODY_RUN,
                )
            ],
        ),
    ],
)
def test_body_line_headings(line: str, expected: list[tuple[str, layout.RunSpec]]) -> None:
    assert body_line_runs(line) == expected


def test_forty_long_items_build(tmp_path: Path) -> None:
    sentence = "该县聚焦群众急难愁盼问题，推动教育、医疗、养老等民生实事落地见效，群众满意度持续提升。"
    body = "\n".join([sentence * 4] * 5)
    items = [BulletinItem(f"第{i}条信息标题", body, "某县政府办公室") for i in range(40)]
    document = _open(tmp_path, dataclasses.replace(ISSUE, items=items))
    assert sum(p.text == sentence * 4 for p in document.paragraphs) == 200


def test_distribution_block_can_follow_the_last_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layout, "DISTRIBUTION_AT_PAGE_BOTTOM", False)
    document = _open(tmp_path, ISSUE)
    (block,) = document.tables
    assert block._tbl.tblPr.find(qn("w:tblpPr")) is None
    assert block.rows[0].cells[0].text.startswith("报：")
