"""Render an item's text with its problem sentences highlighted, escaped for HTML."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from markupsafe import Markup, escape


def marked_paragraphs(text: str, simplified: str, sentences: Sequence[Sequence[Any]]) -> list[Markup]:
    """Split `text` into paragraphs, wrapping sentences tagged problem in <mark class="problem">.

    The offsets point into the simplified copy; they fit the text only when both have the same
    length (OpenCC maps character for character), otherwise the text is shown unmarked.
    """
    spans = sorted((int(s[0]), int(s[1])) for s in sentences if len(s) >= 3 and s[2] == "problem")
    if len(text) != len(simplified):
        spans = []
    pieces: list[str] = []
    position = 0
    for start, end in spans:
        if start < position or end > len(text):
            continue
        pieces.append(str(escape(text[position:start])))
        pieces.append(f'<mark class="problem" title="问题性表述">{escape(text[start:end])}</mark>')
        position = end
    pieces.append(str(escape(text[position:])))
    # Marks never cross paragraph breaks in practice (sentences end at line ends), but close and
    # reopen them if they do, so each paragraph stays well-formed.
    paragraphs = []
    for raw in "".join(pieces).split("\n"):
        opened = raw.count("<mark") - raw.count("</mark>")
        if opened > 0:
            raw += "</mark>"
        elif opened < 0:
            raw = '<mark class="problem">' + raw
        if raw.strip():
            paragraphs.append(Markup(raw))
    return paragraphs
