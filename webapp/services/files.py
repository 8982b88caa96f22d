"""Turn uploaded files (.docx, .txt, .md, .html) into a title and a text, detecting the encoding.

Word tables: the text keeps each table as lines, one per row with the cells separated by tabs (so
search, tagging and the diff read the cells), and the tables themselves are kept as structure
(`ExtractedText.tables` -> `Item.tables`: rows of cell texts, a merged cell's text in its first
grid column). The bulletin prints a real table where those lines stand (`exports.item_blocks`).
Only data tables are kept as structure: a one-row or one-column table is a frame around text.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath

import docx
from docx.oxml.ns import qn
from lxml import etree

from exports import is_data_table
from nlp import DecodeError, decode_bytes
from nlp.normalize import html_to_text, strip_unsafe_chars
from webapp.services.errors import ValidationError

ACCEPTED_SUFFIXES = (".docx", ".txt", ".md", ".html", ".htm")
MAX_TITLE_GUESS_CHARS = 60
MAX_FILENAME_CHARS = 255

# A .docx is a zip read by python-docx in full (lxml builds the whole tree, ~5-10x the XML in
# memory), so the zip's central directory is checked first; the sizes it declares are the most
# zipfile will ever inflate (it stops there and fails the CRC), so checking them bounds the work.
# Real files: a long information item (the text limit is 100,000 characters) with heavy formatting
# has a document.xml of a few MB, and Word's XML deflates 5-20x; images are stored nearly as is.
MAX_DOCX_MEMBERS = 1_000  # Word writes ~15 parts, plus one per image or embedded object
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024  # all parts together, images included
MAX_DOCX_XML_PART = 20 * 1024 * 1024  # one XML part (what lxml must parse)
MAX_DOCX_RATIO = 100  # uncompressed / compressed, for parts above RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024  # tiny parts (an empty styles list) may compress better; they cost nothing
_BAD_DOCX = "无法读取该 Word 文件（仅支持 .docx 格式）"
_BOMB_DOCX = "该 Word 文件解压后过大或压缩比异常，疑似损坏或恶意文件，已拒绝处理"
MAX_TABLES = 50  # tables kept as structure per file; more are kept as text lines only
MAX_TABLE_CELLS = 2_000  # cells per table kept as structure (grid columns x rows)

Table = list[list[str]]


@dataclass
class ExtractedText:
    """A file's text as received, a title guessed from its first line, and its encoding."""

    filename: str
    title: str
    text: str
    encoding: str
    tables: list[Table] = field(default_factory=list)  # Word tables, rows of cell texts


def check_docx_archive(data: bytes) -> None:
    """Refuse a .docx whose zip is unreadable or would inflate past the limits, before parsing it."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError) as exc:
        raise ValidationError(_BAD_DOCX, code="bad_file") from exc
    if len(members) > MAX_DOCX_MEMBERS:
        raise ValidationError(f"该 Word 文件包含的部件过多（超过 {MAX_DOCX_MEMBERS} 个）", code="bad_file")
    total = 0
    for member in members:
        size = member.file_size
        total += size
        is_xml = member.filename.lower().endswith((".xml", ".rels"))
        if (
            total > MAX_DOCX_UNCOMPRESSED
            or (is_xml and size > MAX_DOCX_XML_PART)
            or (size > RATIO_FLOOR and size > MAX_DOCX_RATIO * max(member.compress_size, 1))
        ):
            raise ValidationError(_BOMB_DOCX, code="docx_too_large")


def _cell_text(tc: etree._Element) -> str:
    """A cell's paragraphs, one line each (nested tables read as text)."""
    paragraphs = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))]
    return "\n".join(p.strip() for p in paragraphs if p.strip())


def _table_rows(tbl: etree._Element) -> Table:
    """A table's rows of cell texts; a cell spanning n grid columns is followed by n-1 empty cells."""
    rows: Table = []
    for tr in tbl.iterchildren(qn("w:tr")):
        row: list[str] = []
        for tc in tr.iterchildren(qn("w:tc")):
            span = tc.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
            width = int(span.get(qn("w:val"), "1")) if span is not None else 1
            row.append(_cell_text(tc))
            row.extend([""] * (min(max(width, 1), 64) - 1))
        rows.append(row)
    width = max((len(row) for row in rows), default=0)
    return [row + [""] * (width - len(row)) for row in rows]


def _docx_text(data: bytes) -> tuple[str, list[Table]]:
    """Paragraphs and table rows in document order, cells of a row joined by tabs; and the tables."""
    check_docx_archive(data)
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        tables: list[Table] = []
        for child in document.element.body.iterchildren():
            if child.tag == qn("w:p"):
                lines.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
            elif child.tag == qn("w:tbl"):
                for row in child.iter(qn("w:tr")):
                    cells = ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in row.iter(qn("w:tc"))]
                    lines.append("\t".join(cells))
                rows = _table_rows(child)
                if (
                    len(tables) < MAX_TABLES
                    and sum(map(len, rows)) <= MAX_TABLE_CELLS
                    and is_data_table(rows)
                ):
                    tables.append([[strip_unsafe_chars(cell) for cell in row] for row in rows])
    except etree.XMLSyntaxError as exc:
        raise ValidationError("Word 文件内容已损坏（XML 格式错误），无法读取", code="bad_file") from exc
    except Exception as exc:
        # Untrusted bytes meet python-docx, zipfile, zlib and lxml here, each with its own errors
        # (PackageNotFoundError, KeyError, BadZipFile, zlib.error, NotImplementedError for an
        # encrypted part, AttributeError for a part missing its body ...): any of them means the
        # file is not a Word document we can read, which is the user's answer, not a server error.
        raise ValidationError(_BAD_DOCX, code="bad_file") from exc
    return "\n".join(lines), tables


def _split_title(text: str) -> tuple[str, str]:
    """Use a short first line as the title; the body keeps everything after it."""
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines else ""
    if first and len(first) <= MAX_TITLE_GUESS_CHARS and len(lines) > 1:
        return first, "\n".join(lines[1:]).strip()
    return "", text.strip()


def extract(filename: str, data: bytes) -> ExtractedText:
    """Read an uploaded file; raise ValidationError with a Chinese message for what we cannot read."""
    name = strip_unsafe_chars(PurePath(filename or "").name)
    suffix = PurePath(name).suffix.lower()
    if len(name) > MAX_FILENAME_CHARS:  # the stored name has room for 255; keep its end (the suffix)
        name = name[: MAX_FILENAME_CHARS - 20] + "…" + name[-19:]
    if suffix == ".doc":
        raise ValidationError("请将 .doc 文件另存为 .docx 后上传", code="bad_file")
    if suffix not in ACCEPTED_SUFFIXES:
        raise ValidationError(
            f"不支持的文件类型“{suffix or name}”，请上传 .docx、.txt、.md 或 .html 文件", code="bad_file"
        )
    if not data:
        raise ValidationError("上传的文件是空的", code="bad_file")
    tables: list[Table] = []
    if suffix == ".docx":
        (text, tables), encoding = _docx_text(data), "docx"
    else:
        try:
            text, encoding = decode_bytes(data)
        except DecodeError as exc:
            raise ValidationError(str(exc), code="bad_encoding") from exc
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
    title, body = _split_title(strip_unsafe_chars(text))
    if not body:
        raise ValidationError("文件中没有正文内容", code="bad_file")
    return ExtractedText(name, title, body, encoding, tables)
