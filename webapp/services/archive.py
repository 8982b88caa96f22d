"""Walk the whole archive in id order and in batches, so long jobs keep memory bounded."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import ColumnElement, true

from webapp.extensions import db
from webapp.models import Item

BATCH = 500


def item_batches(
    *options: Any,
    size: int = BATCH,
    progress: Callable[[int], None] | None = None,
    where: ColumnElement[bool] | None = None,
) -> Iterator[list[Item]]:
    """Yield every item (or those matching `where`) in batches, with these loader options; report
    each finished batch."""
    last_id = 0
    condition = where if where is not None else true()
    while True:
        batch = list(
            db.session.scalars(
                db.select(Item)
                .where(Item.id > last_id, condition)
                .order_by(Item.id)
                .limit(size)
                .options(*options)
            )
        )
        if not batch:
            return
        last_id = batch[-1].id
        yield batch
        if progress:
            progress(len(batch))
