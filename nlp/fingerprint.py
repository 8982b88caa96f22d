"""Near-duplicate fingerprints: a 64-bit SimHash over content words and their 2-gram shingles."""

from __future__ import annotations

import operator
import struct
from collections.abc import Mapping, Sequence
from itertools import compress, repeat

_MAX_WORD_WEIGHT = 3
_BIT_MASKS = range(8)


def _column_sums(packed: bytes) -> list[int]:
    """How many of the packed little-endian uint64s have each of the 64 bits set."""
    n = len(packed) // 8
    ones = int.from_bytes(b"\x01" * n, "little")
    masks = [ones << bit for bit in _BIT_MASKS]
    sums: list[int] = []
    for byte_index in range(8):
        # Byte `byte_index` of every feature, as one big integer; masking one bit of every byte and
        # counting the set bits gives a column sum in C, with no Python loop per feature.
        plane = int.from_bytes(packed[byte_index::8], "little")
        sums.extend(map(int.bit_count, map(operator.and_, repeat(plane), masks)))
    return sums


def _simhash(features: Sequence[int], excess: Sequence[int] = ()) -> int:
    """64-bit SimHash of feature hashes minus the `excess` ones (a sub-multiset), as a signed int64."""
    n = len(features) - len(excess)
    if n <= 0:
        return 0
    sums = _column_sums(struct.pack(f"<{len(features)}Q", *features))
    if excess:
        sums = list(map(operator.sub, sums, _column_sums(struct.pack(f"<{len(excess)}Q", *excess))))
    half = n / 2
    value: int = sum(map(operator.lshift, map(half.__lt__, sums), range(64)))
    return value - (1 << 64) if value >= 1 << 63 else value


def fingerprint(
    texts: Sequence[str], counts: Mapping[str, int], hash_of: Mapping[str, int], pair_of: Mapping[str, int]
) -> int:
    """SimHash over content words (weighted by frequency, capped) and their distinct 2-gram shingles.

    Words make a changed sentence move the fingerprint less; 2-grams keep texts that merely share
    vocabulary apart. Stop words and punctuation are left out. `counts` counts `texts`; `hash_of`
    and `pair_of` map the feature words of the text to their hash and 2-gram pair hash.
    """
    # The maps hold this text's feature words only: small dicts, one lookup per token, all in C.
    words = list(filter(hash_of.__contains__, texts))
    if not words:
        return 0
    hashes = list(map(hash_of.__getitem__, words))
    # Each word once per occurrence (the order of features does not matter to a SimHash) but at
    # most _MAX_WORD_WEIGHT times: the occurrences beyond are taken off again. Then the distinct
    # 2-grams.
    heavy = compress(counts, map(_MAX_WORD_WEIGHT.__lt__, counts.values()))
    excess = [
        hash_of[word] for word in heavy if word in hash_of for _ in range(counts[word] - _MAX_WORD_WEIGHT)
    ]
    pairs = set(map(operator.xor, map(pair_of.__getitem__, words), hashes[1:]))
    hashes.extend(pairs)
    return _simhash(hashes, excess)


def differing_bits(fingerprint_a: int, fingerprint_b: int) -> int:
    """The Hamming distance of two SimHash fingerprints (signed or not)."""
    return ((fingerprint_a ^ fingerprint_b) & (2**64 - 1)).bit_count()


def similarity(fingerprint_a: int, fingerprint_b: int) -> float:
    """Similarity in [0, 1] of two SimHash fingerprints (1 - Hamming distance / 64)."""
    return 1.0 - differing_bits(fingerprint_a, fingerprint_b) / 64.0


def most_differing_bits(threshold: float) -> int:
    """The largest Hamming distance at which `similarity` still reaches `threshold`: a caller comparing
    thousands of fingerprints compares `differing_bits` with it, with no float division each time."""
    return int((1.0 - threshold) * 64 + 1e-9)
