"""Character grams that widen whole-token matching, shared by every backend (no search library here).

Whole-token matching depends on how jieba cut a text: 农田 does not find 高标准农田, a name glued to
the next character (王浩在) is not found as 王浩. So every text is indexed a second time as a
stream of grams taken from the concatenation of its stored tokens (never a second segmentation):

- each run of CJK characters gives its overlapping bigrams (高标准农田 → 高标 标准 准农 农田); a
  run of a single character gives that character, so the stream keeps one gram per place;
- each run of other letters and digits gives one lower-cased word (GDP → gdp, 5.2 → 5 2);
- everything else (punctuation, spaces) only separates runs: no gram crosses it.

Consecutive grams take consecutive positions, so a query's grams searched as a phrase match exactly
the contiguous text. Single CJK characters are indexed separately (`index_chars`, no positions
needed) so a one-character query can match anywhere without making the gram stream ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nlp.lexicon import CJK_CLASS
from search.query import Phrase, Term, fold_width

# Han ideographs, as nlp defines them (one home for the ranges).
_CJK = CJK_CLASS
_CJK_CHAR = re.compile(f"[{_CJK}]")
_CJK_TEXT = re.compile(f"[{_CJK}]+")
# A CJK run, or a run of other letters and digits (word characters except "_" and CJK).
_RUN = re.compile(f"([{_CJK}]+)|(?:(?![{_CJK}])[^\\W_])+")


def is_cjk(ch: str) -> bool:
    """Whether one character is a Han ideograph (the script that gets bigrams)."""
    return _CJK_CHAR.fullmatch(ch) is not None


def is_cjk_text(text: str) -> bool:
    """Whether `text` is non-empty and made of Han ideographs only."""
    return _CJK_TEXT.fullmatch(text) is not None


# The same stream in one findall (all in C): at every position, the CJK bigram starting there, or
# a lone CJK character, or a run of other letters and digits starting there (a zero-width
# lookahead, so bigrams overlap; a run is taken at its first character only).
_WORD_CHAR = f"[^\\W_{_CJK}]"
_GRAM = re.compile(f"(?=([{_CJK}]{{2}}|(?<![{_CJK}])[{_CJK}](?![{_CJK}])|(?<!{_WORD_CHAR}){_WORD_CHAR}+))")


def text_grams(text: str) -> list[str]:
    """Return the gram stream of normalised `text` in order (see the module docstring)."""
    return _GRAM.findall(text)


def tokens_text(tokens: Iterable[str]) -> str:
    """Return the normalised concatenation of stored tokens: the text the grams are taken from."""
    # Not `normalize_token`: a whole text would only crowd the token cache.
    return fold_width("".join(tokens)).lower()


def index_grams(tokens: Iterable[str]) -> list[str]:
    """Return the gram stream of a stored token stream, for a positional grams field."""
    return text_grams(tokens_text(tokens))


def index_chars(tokens: Iterable[str]) -> list[str]:
    """Return every CJK character of a stored token stream, in order, for a chars field."""
    return _CJK_CHAR.findall(tokens_text(tokens))


def index_streams(tokens: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return `index_grams` and `index_chars` of one token stream, normalising its text once."""
    text = tokens_text(tokens)
    return _GRAM.findall(text), _CJK_CHAR.findall(text)


def phrase_text(words: Sequence[str]) -> str:
    """Join a phrase's normalised words into the text it stands for.

    CJK words join directly (资金 缺口 → 资金缺口, so bigrams cross the word boundary); a space is kept
    between two words whose touching characters are both non-CJK letters or digits, so that
    ``new york`` does not become one word ``newyork``.
    """
    parts: list[str] = []
    for word in words:
        if not word:
            continue
        if parts and _joins_run(parts[-1][-1], word[0]):
            parts.append(" ")
        parts.append(word)
    return "".join(parts)


def _joins_run(left: str, right: str) -> bool:
    return _RUN.fullmatch(left + right) is not None and not is_cjk(left) and not is_cjk(right)


@dataclass(frozen=True)
class GramQuery:
    """How to find a query word through the gram fields.

    `kind` is "chars" for one CJK character (match it in the chars field) or "grams" (match
    `grams` in the grams field, as a phrase when there are several).
    """

    kind: str
    grams: tuple[str, ...]


def widening(node: Term | Phrase) -> GramQuery | None:
    """Return the gram match that widens a term or phrase of a query tree (None for a `whole` term)."""
    if isinstance(node, Term):
        return None if node.whole else gram_query(node.text)
    return gram_query(phrase_text(node.words))


def gram_query(text: str) -> GramQuery | None:
    """Return the gram match that widens a normalised query word or phrase text, if it has any."""
    if len(text) == 1 and is_cjk(text):
        return GramQuery("chars", (text,))
    grams = tuple(text_grams(text))
    return GramQuery("grams", grams) if grams else None
