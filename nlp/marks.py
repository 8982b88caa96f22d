"""Classification marks (密级标志) in a document's header lines.

GB/T 9704 prints the 密级 and its 保密期限 at the top left of the first page ("机密★1年",
"秘密★启用前"); documents also arrive marked "（绝密）", "【机密】", "绝密级" or "密级：秘密" on a line of
their own or in front of the title. Only such header marks count: running text that mentions a level
("该刊物属绝密级刊物") is not a mark.
"""

from __future__ import annotations

import re

MARK_LEVELS = ("秘密", "机密", "绝密")  # rising
HEADER_LINES = 3  # non-empty lines at the top of the text that may carry the mark
MAX_HEADER_LINE_CHARS = 40  # a longer line is body text, not a header line

_LEVEL = "(绝密|机密|秘密)"
_OPEN, _CLOSE = "[（(【\\[〔]", "[）)】\\]〕]"
# The level alone on its line, bracketed or not, with 级, ★ and a period, 启用前 or 期限 after it.
_WHOLE_LINE = re.compile(rf"^{_OPEN}?\s*{_LEVEL}\s*级?\s*{_CLOSE}?\s*(?:★.*)?$")
# The level in front of a title: bracketed, or followed by ★.
_PREFIX = re.compile(rf"^(?:{_OPEN}\s*{_LEVEL}\s*级?\s*{_CLOSE}|{_LEVEL}\s*级?\s*★)")
# "密级：机密", "密级 秘密★启用前".
_LABELLED = re.compile(rf"^密\s*级\s*[:：]?\s*{_LEVEL}")


def _line_mark(line: str) -> str | None:
    line = line.strip().replace("\u3000", " ")
    if not line or (len(line) > MAX_HEADER_LINE_CHARS and not _PREFIX.match(line)):
        return None
    for pattern in (_WHOLE_LINE, _PREFIX, _LABELLED):
        match = pattern.match(line)
        if match:
            return next(group for group in match.groups() if group)
    return None


def classification_mark(title: str, text: str) -> str | None:
    """The highest level marked in the title or the text's header lines (秘密, 机密, 绝密), or None."""
    header = [line for line in text.splitlines() if line.strip()][:HEADER_LINES]
    marks = [mark for line in (title, *header) if (mark := _line_mark(line))]
    return max(marks, key=MARK_LEVELS.index) if marks else None
