"""Official outputs through the app: simplified script only, and Word tables kept from upload to print.

An item sent in traditional script keeps its original; the bulletin (preview, frozen entries, .docx)
and the 通报 print simplified characters only. A .docx upload keeps its tables as structure
(`Item.tables`), shows them as tables on the item page, and the bulletin prints real Word tables.
"""

from __future__ import annotations

import datetime
import io
import re

import docx
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from flask import Flask

from exports import RankingReport, RankingRow, RankingSection, layout
from nlp import to_simplified
from tests.conftest import login, submit, user
from webapp.extensions import db
from webapp.models import Item
from webapp.services import bulletins, editing, files, items, reports, scoring
from webapp.services.bulletins import EntryInput
from webapp.services.reports import simplified_report
from webapp.timeutil import local_today

TRAD_TITLE = "盂縣開展安全生產大檢查"
TRAD_TEXT = (
    "盂縣應急管理局組織專項檢查組，對全縣礦山、危險化學品企業和人員密集場所開展安全生產大檢查，"
    "發現並整改隱患一百零二處。\n下一步，該縣將建立隱患整改清單銷號制度，確保整改到位。"
)
SIMPLIFIED_TITLE = "盂县开展安全生产大检查"
# Common characters that exist only in traditional script (each has a different simplified form).
TRADITIONAL_ONLY = set("縣開產檢應組織專對礦險學業員場發現處這銷單確將該廣東與書長門時們會來國過還點體")
FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田3.5万亩，带动农民人均增收600余元。"


def _traditional(text: str) -> set[str]:
    """The characters of `text` that OpenCC t2s changes, plus any known traditional-only ones."""
    changed = {ch for ch in set(text) if to_simplified(ch) != ch}
    return changed | (set(text) & TRADITIONAL_ONLY)


def _docx_text(document: DocxDocument) -> str:
    """Every text of the body: paragraphs and table cells (the 版记 included)."""
    return "".join(t.text or "" for t in document.element.body.iter(qn("w:t")))


def _publish(item_ids: list[int]) -> int:
    editor = user("editor")
    draft = bulletins.create_issue(editor, "mrkb", [EntryInput(item_id) for item_id in item_ids])
    return bulletins.publish_issue(editor, draft.id).id


def test_a_traditional_item_is_published_in_simplified_script(app: Flask) -> None:
    editor = user("editor")
    item = submit(TRAD_TITLE, TRAD_TEXT).item
    assert _traditional(TRAD_TITLE + TRAD_TEXT)  # the test text really is traditional
    assert item.original_text == TRAD_TEXT  # the original is kept as received
    items.review_item(editor, item.id, "adopt", "mrkb")
    draft = bulletins.create_issue(editor, "mrkb", [EntryInput(item.id)])

    client = login(app.test_client(), "editor")
    preview = client.get(f"/bulletins/{draft.id}/preview").get_data(as_text=True)
    assert SIMPLIFIED_TITLE in preview
    printed = re.sub(r"<[^>]+>", "", preview.split('<article class="paper">', 1)[1].split("</article>")[0])
    assert not _traditional(printed)

    issue_id = _publish([item.id])
    entry = bulletins.get_issue(editor, issue_id).entries[0]
    assert entry.title == SIMPLIFIED_TITLE and not _traditional(entry.title + (entry.body or ""))
    _, data = bulletins.export_issue(editor, issue_id)
    text = _docx_text(docx.Document(io.BytesIO(data)))
    assert SIMPLIFIED_TITLE in text and "隐患整改清单销号制度" in text
    assert not _traditional(text)
    assert db.session.get(Item, item.id).original_text == TRAD_TEXT  # still as received


def test_a_merge_including_a_traditional_item_prints_simplified(app: Flask) -> None:
    editor = user("editor")
    a = submit(TRAD_TITLE, TRAD_TEXT, unit="yx").item
    b = submit("平定县推进农田建设", FARM, unit="pdx").item
    merged = editing.merge_items(editor, [a.id, b.id], "全市安全生产和农田建设综述")
    items.review_item(editor, merged.id, "adopt", "mrkb")
    _, data = bulletins.export_issue(editor, _publish([merged.id]))
    text = _docx_text(docx.Document(io.BytesIO(data)))
    assert "盂县应急管理局" in text and "高标准农田" in text
    assert not _traditional(text)


def test_the_ranking_report_data_is_simplified() -> None:
    row = RankingRow(1, "盂縣人民政府辦公室", "市縣", 10.0, 3, 4, 0.75, 0.25, None, None, None)
    report = RankingReport(
        title="關於2026年10月信息工作情況的通報",
        period_label="2026年10月",
        issuing_office="市委辦公室信息科",
        issue_date=datetime.date(2026, 11, 5),
        sections=[RankingSection("市縣", [row])],
        notes=["採用率為採用條數除以報送條數。"],
        late_or_missing=["盂縣：礦山事故（遲報 3.0 小時）"],
        extra_sections=[("上報與上級採用", ["共上報信息3條。"])],
        issuer_mark="陽泉市委辦公室",
        document_number="陽辦字〔2026〕12號",
    )
    simplified = simplified_report(report)
    assert simplified.sections[0].rows[0].unit == "盂县人民政府办公室"
    assert simplified.document_number == "阳办字〔2026〕12号"
    assert not _traditional(repr(simplified))


# --- Word tables -------------------------------------------------------------------------------

ROWS = [
    ["指标", "1至9月", "同比增长"],
    ["地区生产总值（亿元）", "386.4", "5.2%"],
    ["規上工業增加值（億元）", "120.7", "6.8%"],
]


def _upload_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("盂县前三季度经济运行情况")
    document.add_paragraph("今年以来，全县经济运行总体平稳，主要指标如下：")
    table = document.add_table(rows=3, cols=3)
    for r, row in enumerate(ROWS):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    document.add_paragraph("下一步，将继续抓好项目建设，确保全年目标任务完成。")
    frame = document.add_table(rows=1, cols=1)  # a layout frame, not a data table
    frame.cell(0, 0).text = "（盂县统计局供稿）"
    merged = document.add_table(rows=2, cols=3)  # a merged header cell spans two grid columns
    merged.cell(0, 0).merge(merged.cell(0, 1)).text = "项目"
    merged.cell(0, 2).text = "金额"
    for c, text in enumerate(["甲", "乙", "100"]):
        merged.cell(1, c).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_extract_keeps_data_tables_as_structure() -> None:
    extracted = files.extract("经济运行.docx", _upload_docx())
    assert extracted.title == "盂县前三季度经济运行情况"
    assert extracted.tables == [ROWS, [["项目", "", "金额"], ["甲", "乙", "100"]]]
    # The text keeps each row as a line (cells joined by tabs) where the table stood.
    lines = extracted.text.split("\n")
    assert lines[1:4] == ["\t".join(row) for row in ROWS]


def test_an_uploaded_table_is_shown_and_printed_as_a_table(app: Flask) -> None:
    client = login(app.test_client(), "reporter")
    response = client.post(
        "/items/new",
        data={"title": "", "text": "", "file": (io.BytesIO(_upload_docx()), "经济运行.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalars(db.select(Item).order_by(Item.id.desc())).first()
    assert item is not None and item.tables is not None
    assert item.tables[0] == ROWS

    page = login(app.test_client(), "editor").get(f"/items/{item.id}").get_data(as_text=True)
    assert '<table class="items figures doc-table">' in page
    assert "<th>同比增长</th>" in page and "<td>386.4</td>" in page

    editor = user("editor")
    items.review_item(editor, item.id, "adopt", "mrkb")
    issue_id = _publish([item.id])
    preview = login(app.test_client(), "editor").get(f"/bulletins/{issue_id}/preview").get_data(as_text=True)
    assert "<td>规上工业增加值（亿元）</td>" in preview  # a table, and simplified

    _, data = bulletins.export_issue(editor, issue_id)
    document = docx.Document(io.BytesIO(data))
    assert len(document.tables) == 3  # the two data tables and the 版记
    printed = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert printed == [[to_simplified(cell) for cell in row] for row in ROWS]
    assert [[cell.text for cell in row.cells] for row in document.tables[1].rows] == [
        ["项目", "", "金额"],
        ["甲", "乙", "100"],
    ]
    # The rows are not printed a second time as lines of text.
    assert not any("386.4" in p.text for p in document.paragraphs)
    # GB/T 9704 fonts: header 黑体, cells 仿宋_GB2312, both 小四; single lines all round.
    table = document.tables[0]
    header_font = table.rows[0].cells[0].paragraphs[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia"))
    cell_font = table.rows[1].cells[1].paragraphs[0].runs[0]._r.rPr.rFonts.get(qn("w:eastAsia"))
    assert (header_font, cell_font) == ("黑体", "仿宋_GB2312")
    assert table.rows[1].cells[1].paragraphs[0].runs[0].font.size.pt == layout.ITEM_TABLE_CELL_SIZE_PT
    borders = table._tbl.tblPr.find(qn("w:tblBorders"))
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        assert borders.find(qn(f"w:{edge}")).get(qn("w:val")) == "single"
    widths = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert sum(widths) == layout.TYPE_AREA_WIDTH_TWIPS
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None


def test_the_item_page_offers_the_simplified_form_and_keeps_the_original(app: Flask) -> None:
    item = submit(TRAD_TITLE, TRAD_TEXT).item
    client = login(app.test_client(), "editor")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    offer = page.split('id="to-simplified"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'<input type="hidden" name="(title|text|note)" value="([^"]*)"', offer))
    assert fields["title"] == SIMPLIFIED_TITLE and not _traditional(fields["text"])
    response = client.post(f"/items/{item.id}/edit", data=fields)
    assert response.status_code == 302
    stored = db.session.get(Item, item.id)
    assert stored is not None
    assert [v.text for v in stored.versions] == [TRAD_TEXT, fields["text"]]
    assert stored.title == SIMPLIFIED_TITLE and not _traditional(stored.clean_text)
    # A simplified item is not offered a conversion.
    assert 'id="to-simplified"' not in client.get(f"/items/{item.id}").get_data(as_text=True)


def test_the_report_header_comes_from_the_settings(app: Flask) -> None:
    scoring.save_setting(None, reports.ISSUER_SETTING, "阳泉市委办公室")
    scoring.save_setting(None, reports.NUMBER_SETTING, "阳办字〔{year}〕12号")
    scoring.save_setting(None, reports.ADDRESSEES_SETTING, "各县（区）委办公室，市直各单位")
    db.session.commit()
    client = login(app.test_client(), "editor")
    today = local_today()
    word = client.get(f"/rankings/export.docx?period={today:%Y-%m}")
    assert word.status_code == 200
    texts = [p.text for p in docx.Document(io.BytesIO(word.data)).paragraphs]
    assert texts[:2] == ["阳泉市委办公室", f"阳办字〔{today.year}〕12号"]
    assert "各县（区）委办公室，市直各单位：" in texts
    assert texts[-2:] == [reports.DEFAULT_OFFICE, f"{today.year}年{today.month}月{today.day}日"]
