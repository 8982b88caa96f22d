"""Who may see what: the one place for item visibility rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, true

from webapp.models import LEVELS, Item, User

EDITOR_ROLES = frozenset({"editor", "admin"})


def visible_levels(user: User | None) -> list[str]:
    """Confidentiality levels at or below the user's clearance (None: a system job, sees all)."""
    return list(LEVELS if user is None else LEVELS[: user.clearance + 1])


def can_see(user: User | None, item: Item) -> bool:
    """Whether `user` may read `item`: own unit for reporters, and within clearance."""
    if user is None:
        return True
    if not user.sees_all_units and item.unit_id != user.unit_id:
        return False
    return item.level in visible_levels(user)


def visible_clause(user: User | None) -> ColumnElement[bool]:
    """The same rule as `can_see`, as a SQL condition on Item."""
    if user is None:
        return true()
    conditions = [Item.level.in_(visible_levels(user))]
    if not user.sees_all_units:
        conditions.append(Item.unit_id == user.unit_id)
    return and_(*conditions)


def is_editor(user: User | None) -> bool:
    """Editors and administrators review items and compose bulletins (None: a system job)."""
    return user is None or user.role in EDITOR_ROLES
