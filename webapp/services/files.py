"""Turn uploaded files (.docx, .txt, .md, .html) into a title and a text, detecting the encoding."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import docx
from docx.oxml.ns import qn

from nlp import DecodeError, decode_bytes
from nlp.normalize import html_to_text
from webapp.services.errors import ValidationError

ACCEPTED_SUFFIXES = (".docx", ".txt", ".md", ".html", ".htm")
MAX_TITLE_GUESS_CHARS = 60


@dataclass
class ExtractedText:
    """A file's text as received, a title guessed from its first line, and its encoding."""

    filename: str
    title: str
    text: str
    encoding: str


def _docx_text(data: bytes) -> str:
    """Paragraphs and table rows in document order; cells of a row joined by tabs."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError("无法读取该 Word 文件（仅支持 .docx 格式）", code="bad_file") from exc
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p"):
            lines.append("".join(t.text or "" for t in child.iter(qn("w:t"))))
        elif child.tag == qn("w:tbl"):
            for row in child.iter(qn("w:tr")):
                cells = ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in row.iter(qn("w:tc"))]
                lines.append("\t".join(cells))
    return "\n".join(lines)


def _split_title(text: str) -> tuple[str, str]:
    """Use a short first line as the title; the body keeps everything after it."""
    lines = text.strip().split("\n")
    first = lines[0].strip() if lines else ""
    if first and len(first) <= MAX_TITLE_GUESS_CHARS and len(lines) > 1:
        return first, "\n".join(lines[1:]).strip()
    return "", text.strip()


def extract(filename: str, data: bytes) -> ExtractedText:
    """Read an uploaded file; raise ValidationError with a Chinese message for what we cannot read."""
    name = PurePath(filename or "").name
    suffix = PurePath(name).suffix.lower()
    if suffix == ".doc":
        raise ValidationError("请将 .doc 文件另存为 .docx 后上传", code="bad_file")
    if suffix not in ACCEPTED_SUFFIXES:
        raise ValidationError(
            f"不支持的文件类型“{suffix or name}”，请上传 .docx、.txt、.md 或 .html 文件", code="bad_file"
        )
    if not data:
        raise ValidationError("上传的文件是空的", code="bad_file")
    if suffix == ".docx":
        text, encoding = _docx_text(data), "docx"
    else:
        try:
            text, encoding = decode_bytes(data)
        except DecodeError as exc:
            raise ValidationError(str(exc), code="bad_encoding") from exc
        if suffix in (".html", ".htm"):
            text = html_to_text(text)
    title, body = _split_title(text)
    if not body:
        raise ValidationError("文件中没有正文内容", code="bad_file")
    return ExtractedText(name, title, body, encoding)
