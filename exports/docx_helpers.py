"""Low-level WordprocessingML helpers shared by the Word builders.

Speed matters (a whole issue must export well under a second), so formatting is never applied run by
run through python-docx's proxies: each RunSpec/ParaSpec is rendered once per document into a small
template element, and every run or paragraph is a deep copy of its template with the text filled in.
"""

from __future__ import annotations

import copy
import io
import re
from collections.abc import Iterable, Sequence
from typing import cast

import docx
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.oxml import serialize_part_xml
from docx.opc.part import Part
from docx.oxml import parse_xml
from docx.oxml.document import CT_Body, CT_Document
from docx.oxml.ns import nsdecls, qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm

from exports import layout
from exports.layout import ParaSpec, Rule, RunSpec, TableRules

_W = nsdecls("w")
# Characters XML 1.0 cannot carry; they occasionally arrive in pasted or converted text.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})

TextRuns = Iterable[tuple[str, RunSpec]]


def clean_text(text: str) -> str:
    """Drop characters that XML 1.0 cannot hold."""
    return _XML_INVALID.sub("", text)


def _decl(root: bool) -> str:
    return f" {_W}" if root else ""


def _attr(value: str) -> str:
    return value.translate(_XML_ESCAPES)


def rfonts_xml(font: str) -> str:
    """Return a w:rFonts element naming `font` for Latin and East-Asian text alike.

    python-docx's ``font.name`` sets only the Latin slots; Chinese glyphs use ``w:eastAsia``.
    """
    f = _attr(font)
    return f'<w:rFonts w:ascii="{f}" w:eastAsia="{f}" w:hAnsi="{f}" w:cs="{f}" w:hint="eastAsia"/>'


def rpr_xml(spec: RunSpec, *, root: bool = False) -> str:
    """Render a RunSpec as a w:rPr element (children in schema order); `root` declares the namespace."""
    half_points = round(spec.size_pt * 2)
    bold = "<w:b/><w:bCs/>" if spec.bold else ""
    spacing = layout.pt_to_twips(spec.spacing_pt)
    spacing_xml = f'<w:spacing w:val="{spacing}"/>' if spacing else ""
    return (
        f'<w:rPr{_decl(root)}>{rfonts_xml(spec.font)}{bold}<w:color w:val="{spec.color}"/>{spacing_xml}'
        f'<w:sz w:val="{half_points}"/><w:szCs w:val="{half_points}"/>'
        f'<w:lang w:eastAsia="{layout.EAST_ASIA_LANGUAGE}"/></w:rPr>'
    )


def _border_xml(edge: str, rule: Rule) -> str:
    return (
        f'<w:{edge} w:val="{rule.style}" w:sz="{rule.size_eighths}" w:space="{rule.space_pt}"'
        f' w:color="{rule.color}"/>'
    )


def _chars_to_twips(chars: float, char_size_pt: float) -> int:
    return layout.pt_to_twips(chars * char_size_pt)


def ppr_xml(spec: ParaSpec, *, root: bool = False) -> str:
    """Render a ParaSpec as a w:pPr element (children in schema order); `root` declares the namespace."""
    parts: list[str] = [f"<w:pPr{_decl(root)}>"]
    if spec.keep_next:
        parts.append("<w:keepNext/>")
    if spec.keep_lines:
        parts.append("<w:keepLines/>")
    if spec.border_top or spec.border_bottom or spec.border_between:
        parts.append("<w:pBdr>")
        if spec.border_top:
            parts.append(_border_xml("top", spec.border_top))
        if spec.border_bottom:
            parts.append(_border_xml("bottom", spec.border_bottom))
        if spec.border_between:
            parts.append(_border_xml("between", spec.border_between))
        parts.append("</w:pBdr>")
    if spec.right_tab_twips is not None:
        parts.append(f'<w:tabs><w:tab w:val="right" w:pos="{spec.right_tab_twips}"/></w:tabs>')
    if not spec.snap_to_grid:
        parts.append('<w:snapToGrid w:val="0"/>')
    before = layout.pt_to_twips(spec.space_before_pt)
    after = layout.pt_to_twips(spec.space_after_pt)
    if spec.line_spacing_pt is None:
        line = 'w:line="240" w:lineRule="auto"'
    else:
        line = f'w:line="{layout.pt_to_twips(spec.line_spacing_pt)}" w:lineRule="exact"'
    parts.append(f'<w:spacing w:before="{before}" w:after="{after}" {line}/>')
    ind: list[str] = []
    for name, chars in (("left", spec.left_chars), ("right", spec.right_chars)):
        if chars:
            twips = _chars_to_twips(chars, spec.char_size_pt)
            ind.append(f'w:{name}="{twips}" w:{name}Chars="{round(chars * 100)}"')
    if spec.first_line_chars:
        twips = _chars_to_twips(spec.first_line_chars, spec.char_size_pt)
        ind.append(f'w:firstLine="{twips}" w:firstLineChars="{round(spec.first_line_chars * 100)}"')
    if ind:
        parts.append(f"<w:ind {' '.join(ind)}/>")
    parts.append(f'<w:jc w:val="{spec.align}"/></w:pPr>')
    return "".join(parts)


class ElementFactory:
    """Build runs and paragraphs by copying per-spec template elements."""

    def __init__(self) -> None:
        self._runs: dict[RunSpec, BaseOxmlElement] = {}
        self._tab_runs: dict[RunSpec, BaseOxmlElement] = {}
        self._paras: dict[ParaSpec, BaseOxmlElement] = {}

    def _run_template(self, spec: RunSpec) -> BaseOxmlElement:
        template = self._runs.get(spec)
        if template is None:
            template = parse_xml(f'<w:r {_W}>{rpr_xml(spec)}<w:t xml:space="preserve"/></w:r>')
            self._runs[spec] = template
        return template

    def _tab_template(self, spec: RunSpec) -> BaseOxmlElement:
        template = self._tab_runs.get(spec)
        if template is None:
            template = parse_xml(f"<w:r {_W}>{rpr_xml(spec)}<w:tab/></w:r>")
            self._tab_runs[spec] = template
        return template

    def run(self, text: str, spec: RunSpec) -> BaseOxmlElement:
        """Return a w:r with `text` (no tabs) formatted by `spec`."""
        r = copy.deepcopy(self._run_template(spec))
        r[-1].text = text
        return r

    def runs(self, text: str, spec: RunSpec) -> list[BaseOxmlElement]:
        """Return the runs for `text`, turning each tab character into a w:tab run."""
        text = clean_text(text)
        if "\t" not in text:
            return [self.run(text, spec)]
        out: list[BaseOxmlElement] = []
        for i, piece in enumerate(text.split("\t")):
            if i:
                out.append(copy.deepcopy(self._tab_template(spec)))
            if piece:
                out.append(self.run(piece, spec))
        return out

    def paragraph(self, spec: ParaSpec, runs: TextRuns = ()) -> BaseOxmlElement:
        """Return a w:p formatted by `spec` holding `runs` as (text, RunSpec) pairs."""
        template = self._paras.get(spec)
        if template is None:
            template = parse_xml(f"<w:p {_W}>{ppr_xml(spec)}</w:p>")
            self._paras[spec] = template
        p = copy.deepcopy(template)
        for text, run_spec in runs:
            for r in self.runs(text, run_spec):
                p.append(r)
        return p

    def field_runs(self, instruction: str, placeholder: str, spec: RunSpec) -> list[BaseOxmlElement]:
        """Return the runs of a complex field (e.g. PAGE) showing `placeholder` until updated."""
        rpr = rpr_xml(spec)
        instr = _attr(instruction)
        return [
            parse_xml(f'<w:r {_W}>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>'),
            parse_xml(f'<w:r {_W}>{rpr}<w:instrText xml:space="preserve">{instr}</w:instrText></w:r>'),
            parse_xml(f'<w:r {_W}>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'),
            self.run(placeholder, spec),
            parse_xml(f'<w:r {_W}>{rpr}<w:fldChar w:fldCharType="end"/></w:r>'),
        ]


def _table_border_xml(edge: str, rule: Rule | None) -> str:
    if rule is None:
        return f'<w:{edge} w:val="nil"/>'
    return f'<w:{edge} w:val="{rule.style}" w:sz="{rule.size_eighths}" w:space="0" w:color="{rule.color}"/>'


def table_borders_xml(rules: TableRules) -> str:
    """Render TableRules as a w:tblBorders element (children in schema order)."""
    edges = (
        ("top", rules.top),
        ("left", rules.left),
        ("bottom", rules.bottom),
        ("right", rules.right),
        ("insideH", rules.inside_h),
        ("insideV", rules.inside_v),
    )
    return "<w:tblBorders>" + "".join(_table_border_xml(e, r) for e, r in edges) + "</w:tblBorders>"


Cell = Sequence[BaseOxmlElement]  # the paragraphs of one table cell


def table(
    column_twips: Sequence[int],
    rows: Iterable[Sequence[Cell]],
    rules: TableRules,
    *,
    header_rows: int = 0,
    cell_margin_twips: tuple[int, int] = (0, 0),
    v_align: str = "center",
    float_to_bottom_gap_twips: int | None = None,
) -> BaseOxmlElement:
    """Return a fixed-layout w:tbl with one row per entry of `rows`, each a list of cells.

    `cell_margin_twips` is (top/bottom, left/right). `header_rows` rows repeat on every page.
    With `float_to_bottom_gap_twips`, the table floats to the bottom of the type area (anchored to
    the paragraph that follows it) and keeps that much space from the text above it. Its left edge
    is placed relative to the page at the left margin: LibreOffice imports a margin-relative
    floating table as wide as the type area as an ordinary inline table.
    """
    width = sum(column_twips)
    tb, lr = cell_margin_twips
    floating = ""
    if float_to_bottom_gap_twips is not None:
        floating = (
            f'<w:tblpPr w:leftFromText="0" w:rightFromText="0" w:topFromText="{float_to_bottom_gap_twips}"'
            ' w:bottomFromText="0" w:vertAnchor="margin" w:horzAnchor="page"'
            f' w:tblpX="{layout.mm_to_twips(layout.MARGIN_LEFT_MM)}" w:tblpYSpec="bottom"/>'
            '<w:tblOverlap w:val="never"/>'
        )
    tbl = parse_xml(
        f"<w:tbl {_W}><w:tblPr>{floating}"
        f'<w:tblW w:w="{width}" w:type="dxa"/><w:jc w:val="center"/>'
        f'<w:tblInd w:w="0" w:type="dxa"/>{table_borders_xml(rules)}<w:tblLayout w:type="fixed"/>'
        f'<w:tblCellMar><w:top w:w="{tb}" w:type="dxa"/><w:left w:w="{lr}" w:type="dxa"/>'
        f'<w:bottom w:w="{tb}" w:type="dxa"/><w:right w:w="{lr}" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000" w:firstRow="0" w:lastRow="0" w:firstColumn="0" w:lastColumn="0"'
        ' w:noHBand="1" w:noVBand="1"/></w:tblPr>'
        "<w:tblGrid>" + "".join(f'<w:gridCol w:w="{w}"/>' for w in column_twips) + "</w:tblGrid></w:tbl>"
    )
    row_templates = [
        parse_xml(f"<w:tr {_W}><w:trPr><w:cantSplit/>{header}</w:trPr></w:tr>")
        for header in ("", "<w:tblHeader/>")
    ]
    cell_templates = [
        parse_xml(
            f'<w:tc {_W}><w:tcPr><w:tcW w:w="{w}" w:type="dxa"/><w:vAlign w:val="{v_align}"/></w:tcPr></w:tc>'
        )
        for w in column_twips
    ]
    for index, row in enumerate(rows):
        if len(row) != len(column_twips):
            raise ValueError(f"row {index} has {len(row)} cells for {len(column_twips)} columns")
        tr = copy.deepcopy(row_templates[index < header_rows])
        for template, paragraphs in zip(cell_templates, row, strict=True):
            tc = copy.deepcopy(template)
            if not paragraphs:  # a cell must hold at least one paragraph
                tc.append(parse_xml(f"<w:p {_W}/>"))
            for p in paragraphs:
                tc.append(p)
            tr.append(tc)
        tbl.append(tr)
    return tbl


def document_body(document: DocxDocument) -> CT_Body:
    """Return the w:body element of `document`."""
    body = cast(CT_Document, document.element).body
    return body


def setup_page(document: DocxDocument) -> None:
    """Apply the A4 page, margins and the 22-line grid to the (single) section."""
    section = document.sections[0]
    section.page_width = Mm(layout.PAGE_WIDTH_MM)
    section.page_height = Mm(layout.PAGE_HEIGHT_MM)
    section.top_margin = Mm(layout.MARGIN_TOP_MM)
    section.bottom_margin = Mm(layout.MARGIN_BOTTOM_MM)
    section.left_margin = Mm(layout.MARGIN_LEFT_MM)
    section.right_margin = Mm(layout.MARGIN_RIGHT_MM)
    section.header_distance = Mm(layout.HEADER_DISTANCE_MM)
    section.footer_distance = Mm(layout.FOOTER_DISTANCE_MM)
    sect_pr = document_body(document).get_or_add_sectPr()
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = parse_xml(f"<w:docGrid {_W}/>")
        sect_pr.append(grid)
    grid.set(qn("w:type"), layout.DOC_GRID_TYPE)
    grid.set(qn("w:linePitch"), str(layout.DOC_GRID_LINE_PITCH_TWIPS))
    grid.attrib.pop(qn("w:charSpace"), None)


def setup_styles(document: DocxDocument) -> None:
    """Make 仿宋_GB2312 三号 with the fixed body line spacing the default of the document.

    The defaults (w:docDefaults and the Normal style) carry the East-Asian font too, so text that
    escapes direct formatting (e.g. typed later in Word) still comes out right.
    """
    styles = document.styles.element
    body_rpr = rpr_xml(layout.BODY_RUN)
    defaults = parse_xml(
        f"<w:docDefaults {_W}><w:rPrDefault>{body_rpr}</w:rPrDefault>"
        '<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'
        "</w:pPr></w:pPrDefault></w:docDefaults>"
    )
    old_defaults = styles.find(qn("w:docDefaults"))
    if old_defaults is None:
        styles.insert(0, defaults)
    else:
        old_defaults.addprevious(defaults)
        styles.remove(old_defaults)
    normal = document.styles["Normal"].element
    for tag in ("w:pPr", "w:rPr"):
        old = normal.find(qn(tag))
        if old is not None:
            normal.remove(old)
    normal.append(parse_xml(ppr_xml(layout.ParaSpec(), root=True)))
    normal.append(parse_xml(rpr_xml(layout.BODY_RUN, root=True)))


def setup_settings(document: DocxDocument) -> None:
    """Enable distinct odd/even footers and declare Chinese as the East-Asian language."""
    settings = document.settings
    settings.odd_and_even_pages_header_footer = True
    lang = settings.element.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), layout.EAST_ASIA_LANGUAGE)


def font_table_xml(original: bytes) -> bytes:
    """Return the font table `original` extended with the fallback chains of layout.FONT_FALLBACKS."""
    fonts = parse_xml(original)
    known = {font.get(qn("w:name")) for font in fonts}
    for chain in layout.FONT_FALLBACKS:
        for name, alt in zip(chain, (*chain[1:], None), strict=True):
            if name in known:
                continue
            known.add(name)
            alt_xml = f'<w:altName w:val="{_attr(alt)}"/>' if alt else ""
            fonts.append(
                parse_xml(
                    f'<w:font {_W} w:name="{_attr(name)}">{alt_xml}'
                    f'<w:charset w:val="{layout.FONT_TABLE_CHARSET}"/><w:family w:val="auto"/>'
                    '<w:pitch w:val="variable"/></w:font>'
                )
            )
    return serialize_part_xml(fonts)


def setup_font_table(document: DocxDocument) -> None:
    """Declare the fallback fonts (w:altName) in the document's font table, if it has one."""
    doc_part = document.part
    for rId, rel in list(doc_part.rels.items()):
        if rel.is_external or rel.reltype != RT.FONT_TABLE:
            continue
        old = rel.target_part
        new = Part(old.partname, old.content_type, font_table_xml(old.blob), old.package)
        doc_part.load_rel(RT.FONT_TABLE, new, rId)
        return


def replace_story(container: BaseOxmlElement, paragraphs: Iterable[BaseOxmlElement]) -> None:
    """Replace the paragraphs of a header/footer element with `paragraphs`."""
    for child in list(container):
        container.remove(child)
    for p in paragraphs:
        container.append(p)


def setup_page_number_footers(document: DocxDocument, factory: ElementFactory) -> None:
    """Put 「— N —」 page numbers in the footers: right on odd pages, left on even pages."""
    section = document.sections[0]
    for footer, spec in (
        (section.footer, layout.FOOTER_ODD_PARA),
        (section.even_page_footer, layout.FOOTER_EVEN_PARA),
    ):
        footer.is_linked_to_previous = False
        p = factory.paragraph(spec, [(layout.PAGE_NUMBER_PREFIX, layout.PAGE_NUMBER_RUN)])
        for r in factory.field_runs(
            layout.PAGE_NUMBER_INSTRUCTION, layout.PAGE_NUMBER_PLACEHOLDER, layout.PAGE_NUMBER_RUN
        ):
            p.append(r)
        p.append(factory.run(layout.PAGE_NUMBER_SUFFIX, layout.PAGE_NUMBER_RUN))
        replace_story(footer.part.element, [p])


def new_document(factory: ElementFactory) -> DocxDocument:
    """Return an empty document with the GB/T 9704 page, styles, fonts and page-number footers."""
    document = docx.Document()
    setup_page(document)
    setup_styles(document)
    setup_settings(document)
    setup_font_table(document)
    setup_page_number_footers(document, factory)
    return document


def save_with_body(document: DocxDocument, elements: Iterable[BaseOxmlElement]) -> bytes:
    """Append `elements` (paragraphs, tables) to the body of `document` and return the .docx bytes."""
    body = document_body(document)
    sect_pr = body.get_or_add_sectPr()
    # Detach the section properties, append everything, then put them back at the end: appending
    # is much cheaper than inserting before the sectPr element after element.
    body.remove(sect_pr)
    for element in elements:
        body.append(element)
    body.append(sect_pr)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
