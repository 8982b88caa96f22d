"""Derived page data kept between requests in the shared cache (Flask-Caching: Redis for several
hosts, files beside the index for one), so that every worker and host serves the same values.

Only what may lag the database by its time to live belongs here (suggestions such as similar items);
figures that must be exact are computed from stored columns instead. A cache that is down or broken
costs speed, never a page: the value is computed as if nothing were kept.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TypeVar

from webapp.extensions import cache

T = TypeVar("T")
log = logging.getLogger(__name__)


def cache_key(*parts: object) -> str:
    """A short key for `parts` (their reprs hashed: scopes and queries make long, unsafe keys)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def cached(name: str, key: str, seconds: int, compute: Callable[[], T]) -> T:
    """The value kept under `name:key`, or `compute()` kept for `seconds`."""
    full = f"{name}:{key}"
    try:
        found = cache.get(full)
    except Exception:  # an unreachable Redis or unreadable file: serve the page without the cache
        log.warning("page cache unavailable for %s", name, exc_info=True)
        return compute()
    if found is not None:
        return found  # type: ignore[no-any-return]
    value = compute()
    try:
        cache.set(full, value, timeout=seconds)
    except Exception:
        log.warning("page cache unavailable for %s", name, exc_info=True)
    return value
