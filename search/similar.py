"""Pick a document's distinctive terms for "more like this", once for every backend.

The terms come from the stored token streams of the document (no second segmentation) and are
weighed by TF-IDF with the doc frequencies of the backend's own index: frequent in this document,
rare in the archive. The backends then search them OR'ed (`similar_tree`), within the permission
scope and filters of the user's query, excluding the document itself.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from nlp.lexicon import load_stopwords
from search.query import Node, Or, Term, index_terms

# How many candidate terms (by frequency in the document) get a doc-frequency lookup, and how
# many of the best survive into the query.
MAX_CANDIDATES = 40
MAX_TERMS = 12
TITLE_WEIGHT = 2

# Words too general to make two government items similar, whatever their doc frequency in a
# young index says: the stop words of nlp (one home).
STOP_WORDS = load_stopwords()


def _candidate(term: str) -> bool:
    if len(term) < 2 or term in STOP_WORDS:
        return False
    # Numbers (12, 5.2) and codes of digits are not topics.
    return not term.replace(".", "").replace("%", "").isdigit()


def distinctive_terms(
    title_tokens: Sequence[str],
    body_tokens: Sequence[str],
    doc_freq: Callable[[Sequence[str]], Mapping[str, int]],
    total_docs: int,
    limit: int = MAX_TERMS,
) -> list[str]:
    """Return up to `limit` terms of the document, best first, by TF-IDF over the index.

    `doc_freq` maps candidate terms to how many indexed documents hold them as a word (title or
    body); a term no other document holds cannot find a similar one and is skipped.
    """
    tf: Counter[str] = Counter()
    for term in index_terms(title_tokens):
        if _candidate(term):
            tf[term] += TITLE_WEIGHT
    for term in index_terms(body_tokens):
        if _candidate(term):
            tf[term] += 1
    candidates = [term for term, _ in tf.most_common(MAX_CANDIDATES)]
    if not candidates:
        return []
    freqs = doc_freq(candidates)
    n = max(total_docs, 1)
    scored: list[tuple[float, int, str]] = []
    for rank, term in enumerate(candidates):
        df = freqs.get(term, 0)
        if df <= 1 and n > 1:
            continue
        idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
        scored.append((tf[term] * idf, -rank, term))
    scored.sort(reverse=True)
    return [term for _, _, term in scored[:limit]]


def similar_tree(terms: Sequence[str]) -> Node:
    """Return the query tree that matches any of `terms`, each as a whole word."""
    return Or(tuple(Term(term, whole=True) for term in terms))
