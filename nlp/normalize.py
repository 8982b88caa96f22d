"""Decode and clean texts as they really arrive; keep the original, analyse a simplified copy."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser

import opencc

from nlp._hanzi import COMMON_HANZI
from nlp.errors import DecodeError
from nlp.lexicon import CJK_CLASS
from nlp.lexicon import is_cjk as _is_cjk

# ---------------------------------------------------------------------------------------------------
# Traditional -> simplified


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@functools.cache
def _traditional_chars() -> frozenset[str]:
    """Hanzi that OpenCC t2s changes on their own (computed once, ~10 ms)."""
    ranges = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00))
    chars = [chr(cp) for start, end in ranges for cp in range(start, end)]
    converted = _t2s().convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # never seen; fall back to converting every text
        return frozenset(chars)
    return frozenset(c for c, t in zip(chars, converted, strict=True) if c != t)


@functools.cache
def _traditional_re() -> re.Pattern[str]:
    """One character class of every traditional-only hanzi: a regex scan is faster than a set probe."""
    return re.compile("[" + "".join(map(re.escape, sorted(_traditional_chars()))) + "]")


def to_simplified(text: str) -> str:
    """Convert traditional script to simplified (a simplified text comes back unchanged)."""
    if not _traditional_re().search(text):
        # Most texts are simplified already: a set scan in C instead of a conversion. (This also
        # spares them t2s's rare phrase rewrites of simplified text, e.g. 坏 -> 坯.)
        return text
    converted: str = _t2s().convert(text)
    return converted


@functools.cache
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Convert simplified script to traditional (demo data and tests of mixed-script archives)."""
    converted: str = _s2t().convert(text)
    return converted


# ---------------------------------------------------------------------------------------------------
# Unsafe characters

# NUL (PostgreSQL refuses it in text), the other C0 controls but tab, line feed and carriage return,
# DEL, and UTF-16 surrogates (a Python str may hold a lone one, from a JSON "\ud800" escape; no
# database or UTF-8 encoder accepts it).
_UNSAFE = re.compile("[\x00-\x08\x0e-\x1f\x7f\ud800-\udfff]")
# Vertical tab and form feed are line breaks in text that arrives (page breaks of a .txt export).
_BREAKS = re.compile("[\x0b\x0c]")


def strip_unsafe_chars(text: str) -> str:
    """Remove the characters no store keeps alike: NUL, C0 controls (\\t \\n \\r kept), DEL, surrogates.

    Vertical tab and form feed become line feeds. The result is idempotent and UTF-8 encodable.
    """
    if _UNSAFE.search(text):
        text = _UNSAFE.sub("", text)
    if _BREAKS.search(text):
        text = _BREAKS.sub("\n", text)
    return text


# ---------------------------------------------------------------------------------------------------
# Decoding

_DECODE_FAILED = "文件编码无法识别（支持 UTF-8、UTF-16、GB18030/GBK、Big5）"
_DECODE_GARBLED = "文件内容无法正确解码（疑似乱码或二进制文件），请另存为 UTF-8 文本后重试"
# A right decoding of Chinese text has nearly all its hanzi among the common ones (~97 % of running
# text); a wrong one still decodes GB18030/Big5 without error but to rare characters (~10-20 %).
_MIN_COMMON_SHARE = 0.5
_MAX_BAD_SHARE = 0.05
# Lenient decoding (a file cut mid-character, one stray byte) is accepted only for a handful of errors.
_MAX_REPLACED_SHARE = 0.002


def _is_bad(ch: str) -> bool:
    """Control, replacement, private-use or unassigned characters: signs of a wrong decoding."""
    if ch in "\t\n\r\f\v":
        return False
    cat = unicodedata.category(ch)
    return ch == "\ufffd" or cat in ("Cc", "Co", "Cn", "Cs")


def _quality(text: str) -> tuple[float, float, int]:
    """Return (common-hanzi share among hanzi, bad-character share, number of hanzi)."""
    hanzi = common = bad = 0
    for ch in text:
        if ch < "\u0080":
            if ch < " " and ch not in "\t\n\r\f\v":
                bad += 1
            continue
        if _is_cjk(ch):
            hanzi += 1
            if ch in COMMON_HANZI:
                common += 1
        elif _is_bad(ch):
            bad += 1
    share = common / hanzi if hanzi else 0.0
    return share, bad / max(len(text), 1), hanzi


def _score(text: str) -> float:
    share, bad, hanzi = _quality(text)
    return share - 4.0 * bad if hanzi else -bad


def _acceptable(text: str) -> bool:
    share, bad, hanzi = _quality(text)
    if bad > _MAX_BAD_SHARE:
        return False
    # Very short texts give too few hanzi for a share; accept them when nothing looks broken.
    return hanzi < 4 or share >= _MIN_COMMON_SHARE


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Detect the encoding of raw bytes (UTF-8, UTF-16 with BOM, GB18030/GBK, Big5); return (text, encoding).

    UTF-8 is taken only when the bytes are strictly valid UTF-8. GB18030 and Big5 both decode most byte
    strings of the other without error, so both are tried and the decoding whose hanzi are most often
    among the common ones wins.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _checked(data[3:].decode("utf-8", errors="strict"), "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _checked(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise DecodeError(_DECODE_FAILED) from exc
    try:
        return _checked(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    candidates: list[tuple[float, str, str]] = []
    for encoding in ("gb18030", "big5"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        candidates.append((_score(text), encoding, text))
    if not candidates:
        # Accept a file with a few broken bytes (cut mid-character), never a mostly broken one.
        for encoding in ("utf-8", "gb18030", "big5"):
            text = data.decode(encoding, errors="replace")
            if text.count("\ufffd") <= max(1, len(text) * _MAX_REPLACED_SHARE):
                candidates.append((_score(text), encoding, text))
    if not candidates:
        raise DecodeError(_DECODE_FAILED)
    _, encoding, text = max(candidates, key=lambda c: c[0])
    return _checked(text, encoding)


def _checked(text: str, encoding: str) -> tuple[str, str]:
    if not _acceptable(text):
        raise DecodeError(_DECODE_GARBLED)
    return text, encoding


# ---------------------------------------------------------------------------------------------------
# HTML to text

_SKIP_TAGS = frozenset(
    {"script", "style", "nav", "header", "footer", "noscript", "template", "head", "svg", "iframe", "select"}
)
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "br", "li", "ul", "ol", "tr", "table", "tbody", "thead", "h1", "h2", "h3", "h4", "h5",
        "h6", "section", "article", "main", "aside", "blockquote", "pre", "dd", "dt", "dl", "hr",
        "figure", "figcaption", "caption", "address", "form", "fieldset", "center", "body", "title",
    }
)  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS and not self._skip:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            # Whitespace inside HTML text is insignificant: line breaks come from block tags only.
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html_text: str) -> str:
    """Extract the readable text of an HTML page: no scripts, styles or navigation; blocks become lines."""
    parser = _TextExtractor()
    parser.feed(html_text)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)


# ---------------------------------------------------------------------------------------------------
# Cleaning

_CJK_CLASS = CJK_CLASS
# Chinese context: hanzi and the full-width punctuation that only appears in Chinese text.
_ZH = f"[{_CJK_CLASS}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\u201c\u201d\u2018\u2019\u2014\u2026]"
_ZH_RE = re.compile(_ZH)

# Zero-width and control characters (tab and line breaks excepted), dropped in one pass.
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0e-\x1f\x7f]")
_HALF_WIDTH_PUNCT = re.compile(r'[,;:?!()"]')
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x0b\x0c\x85]")
_HALF_DECODED_ENTITY = re.compile(
    r"[?？](quot|amp|nbsp|lt|gt|apos|ldquo|rdquo|lsquo|rsquo|hellip|mdash|middot);"
)
_ENTITY = re.compile(r"&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
_TAG = re.compile(r"<!--.*?-->|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>", re.DOTALL)
_BLOCK_TAG = re.compile(r"<(?:br|p|/p|div|/div|li|/li|tr|/tr|h[1-6]|/h[1-6])\b[^<>]*>", re.IGNORECASE)
_HAS_TAG = re.compile(
    r"</?(?:p|div|br|span|a|font|td|tr|table|li|strong|b|img|h[1-6])\b[^<>]*>", re.IGNORECASE
)
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002-\u200a\u202f\u205f]+")

# Full-width ASCII letters, digits and symbols become half-width; Chinese sentence punctuation stays.
_KEEP_FULL = "，。！？；：（）【】《》、“”‘’「」『』…—～"
_FULL_TO_HALF = {
    cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP_FULL and chr(cp) != "＂"
}
# Only the characters that change: Chinese punctuation (，：；) is full-width too, and a search that
# matched it would send nearly every line through the slow dict-based translate.
_FULL_WIDTH = re.compile("[" + "".join(re.escape(chr(cp)) for cp in _FULL_TO_HALF) + "]")

_HALF_PUNCT = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_PUNCT_BEFORE_ZH = re.compile(f"(?<={_ZH})\\s*([,;:?!])")
_PUNCT_AFTER_ZH = re.compile(f"([,;:?!])\\s*(?={_ZH})")
_OPEN_PAREN = re.compile(f"\\((?=\\s*{_ZH})|(?<={_ZH})\\s*\\(")
_CLOSE_PAREN = re.compile(f"(?<={_ZH})\\s*\\)|\\)(?={_ZH})")

# Lines of web-page furniture, matched whole (after whitespace is collapsed).
_FURNITURE_EXACT = frozenset(
    {
        "下载", "打印", "全屏", "收藏", "加大", "还原", "减小", "【", "】", "[", "]", "|", "×", ">",
        "»", "›", "首页", "返回", "返回首页", "返回顶部", "回到顶部", "顶部", "打印本页", "关闭窗口",
        "关闭本页", "关闭", "分享", "分享：", "分享:", "分享到", "分享到：", "分享到:", "分享到微信",
        "分享到微博", "微信", "微博", "QQ空间", "扫一扫", "扫一扫在手机打开当前页", "在手机上打开",
        "相关报道：", "相关报道", "相关文档：", "相关链接：", "相关链接", "相关阅读：", "相关阅读",
        "相关新闻：", "相关新闻", "网站地图", "联系我们", "设为首页", "加入收藏", "无障碍",
        "无障碍浏览", "长者模式", "English", "繁體", "简体", "繁体", "来源：", "来源:", "时间：",
        "时间:", "发布时间：", "发布时间:", "发表时间：", "发表时间:", "阅读量：", "阅读量:",
        "浏览次数：", "浏览次数:", "点击数：", "字号：", "字号:", "【字号：", "【字号:", "【字体：",
        "【字体:", "您的位置：", "您的位置:", "当前位置：", "当前位置:", "您现在的位置：",
        "您现在的位置:", "上一篇", "下一篇", "【打印】", "【关闭】", "【打印本页】", "【关闭窗口】",
        "[打印本页]", "[关闭窗口]",
    }
)  # fmt: skip
# Lines that take a following value line (来源： / 四川日报).
_LABEL_WITH_VALUE = frozenset(
    {
        "来源：", "来源:", "时间：", "时间:", "发布时间：", "发布时间:", "发表时间：", "发表时间:",
        "阅读量：", "阅读量:", "浏览次数：", "浏览次数:", "点击数：", "作者：", "作者:", "信息来源：",
        "信息来源:",
    }
)  # fmt: skip
_FONT_SIZE_START = re.compile(r"^【?\s*字[号体]\s*[:：]?$")
_FONT_SIZE_WORDS = frozenset(
    {"大", "中", "小", "加大", "还原", "减小", "默认", "A+", "A-", "A", "】", "[", "]"}
)
_FURNITURE_PATTERNS = (
    re.compile(r"^【?\s*字[号体]\s*[:：]?\s*(?:[大中小]|加大|还原|减小|默认|\s)+】?$"),
    re.compile(r"^[(（]?(?:信息)?来源\s*[:：].{0,30}[)）]?$"),
    re.compile(r"^(?:发布|发表|更新)?(?:时间|日期)\s*[:：]\s*[\d\s:：年月日时分秒/.-]{6,}.{0,20}$"),
    re.compile(r"^(?:责任编辑|责编|编辑|审核|校对|终审|初审|复审)\s*[:：].{0,20}$"),
    re.compile(r"^(?:阅读量|浏览次数|点击数|访问量|阅读次数)\s*[:：]?\s*\d*$"),
    re.compile(r"^分享到?\s*[:：]?\s*(?:微信|微博|QQ|QQ空间|朋友圈|\s|[|/、])*$"),
    re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?$"),
    re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日\s*\d{1,2}[时:：]\d{1,2}分?$"),
    re.compile(r"^[—–\-－─]+\s*\d{1,4}\s*[—–\-－─]+$"),  # page numbers: — 3 —
    re.compile(r"^第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?$"),
    re.compile(r"^[0-9a-f]{24,}\s*[:：]?$"),
    re.compile(r"^(?:您的位置|当前位置|您现在的位置|所在位置)\s*[:：].{0,60}$"),
    re.compile(r"^首页\s*(?:[>＞»›/]\s*[^>＞»›/。，]{1,20}\s*)+$"),
)
# Footer lines: copyright, ICP record, site sponsors; only when the line is short and not a sentence.
_FOOTER_MARKERS = re.compile(
    r"版权所有|Copyright|©|ICP备|ICP证|公网安备|网站标识码|主办单位\s*[:：]|承办单位\s*[:：]|"
    r"技术支持\s*[:：]|网站地图|联系我们|设为首页|加入收藏|建议使用.{0,20}浏览器|分辨率",
    re.IGNORECASE,
)
_BREADCRUMB_SEP = frozenset({">", "＞", "»", "›", "/", "->"})
_SENTENCE_END = tuple("。！？；：…")


def _repair_entities(text: str) -> str:
    if ";" not in text:
        return text
    text = _HALF_DECODED_ENTITY.sub(r"&\1;", text)
    # Twice: texts escaped twice (&amp;quot;) still come out readable.
    for _ in range(2):
        if "&" not in text:
            break
        text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    return text


def _strip_tags(text: str) -> str:
    if "<" not in text or not _HAS_TAG.search(text):
        return text
    text = _BLOCK_TAG.sub("\n", text)
    return _TAG.sub("", text)


def _repair_quotes(line: str) -> str:
    """Straight double quotes around Chinese text become “ ” when they pair up."""
    if '"' not in line or line.count('"') % 2 or not _ZH_RE.search(line):
        return line
    parts = line.split('"')
    out = [parts[0]]
    for i, part in enumerate(parts[1:]):
        out.append("“" if i % 2 == 0 else "”")
        out.append(part)
    return "".join(out)


def _repair_punctuation(line: str) -> str:
    # Searches before the substitutions: most lines need none, and str.translate with a dict is slow.
    if _FULL_WIDTH.search(line):
        line = line.translate(_FULL_TO_HALF)
    if not _HALF_WIDTH_PUNCT.search(line) or not _ZH_RE.search(line):
        return line
    line = _PUNCT_BEFORE_ZH.sub(lambda m: _HALF_PUNCT[m.group(1)], line)
    line = _PUNCT_AFTER_ZH.sub(lambda m: _HALF_PUNCT[m.group(1)], line)
    line = _OPEN_PAREN.sub("（", line)
    line = _CLOSE_PAREN.sub("）", line)
    return _repair_quotes(line)


# All the patterns in one alternation: one regex call per short line instead of thirteen.
_FURNITURE_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _FURNITURE_PATTERNS))


def _is_furniture(line: str) -> bool:
    if line in _FURNITURE_EXACT:
        return True
    if len(line) <= 80 and _FURNITURE_ANY.match(line):
        return True
    return len(line) <= 100 and not line.endswith("。") and bool(_FOOTER_MARKERS.search(line))


def _is_short_label(line: str) -> bool:
    """A short value or menu entry: no sentence punctuation, at most a few words."""
    return len(line) <= 20 and not any(p in line for p in "。，；！？")


def _is_value_line(line: str) -> bool:
    """The value after a label line (来源： / 四川日报), not another label or the body."""
    return (
        _is_short_label(line)
        and line not in _FURNITURE_EXACT
        and line not in _LABEL_WITH_VALUE
        and not _FONT_SIZE_START.match(line)
        and not line.startswith(("各位", "一、", "（一）"))
    )


def _strip_furniture(lines: list[str]) -> list[str]:
    keep: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if _FONT_SIZE_START.match(line):
            # 【字号： / 加大 / 还原 / 减小 / 】 spread over several lines
            i += 1
            while i < n and lines[i] in _FONT_SIZE_WORDS:
                i += 1
            continue
        if line in _LABEL_WITH_VALUE:
            i += 1
            if i < n and _is_value_line(lines[i]):
                i += 1
            continue
        if line in ("首页", "您的位置：", "您的位置:", "当前位置：", "当前位置:") or (
            line.endswith(("位置：", "位置:")) and len(line) <= 8
        ):
            # A breadcrumb spread over lines: 首页 / > / 政务信息 / > / 宁夏要闻 (then its repeat)
            j = i + 1
            if j < n and lines[j] == "首页":
                j += 1
            last = ""
            while j + 1 < n and lines[j] in _BREADCRUMB_SEP and _is_short_label(lines[j + 1]):
                last = lines[j + 1]
                j += 2
            if last and j < n and lines[j] == last:
                j += 1
            if j > i + 1 or line != "首页":
                i = j
                continue
        if not _is_furniture(line):
            keep.append(line)
        i += 1
    return keep


def _strip_repeated_headers(lines: list[str]) -> list[str]:
    """Drop short lines repeated 3+ times (running page headers/footers), never sentences."""
    if len(lines) < 3:
        return lines
    counts = Counter(line for line in lines if len(line) <= 40)
    repeated = {
        line
        for line, count in counts.items()
        if count >= 3 and not line.endswith(_SENTENCE_END) and not line.endswith(("！", "!"))
    }
    if not repeated:
        return lines
    return [line for line in lines if line not in repeated]


def clean_text(raw: str) -> str:
    """Return a cleaned copy of `raw`: furniture stripped, entities repaired, punctuation normalised."""
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub("\n", raw))
    text = _strip_tags(text)
    text = _repair_entities(text)
    # Whole-text passes where a line-by-line one gives the same result: most texts need no
    # punctuation repair at all, and one search over the text tells.
    text = _SPACES.sub(" ", text)
    lines = [line for line in map(str.strip, text.split("\n")) if line]
    if _FULL_WIDTH.search(text) or _HALF_WIDTH_PUNCT.search(text):
        lines = list(map(_repair_punctuation, lines))
    lines = _strip_furniture(lines)
    lines = _strip_repeated_headers(lines)
    return "\n".join(lines)
