"""Who may see and do what: the one place for these rules.

Every page, API response, flash message, export, chart and warning that shows an item's title, text or
unit, or counts items, asks this module; templates get the same predicates as globals (see
`TEMPLATE_PREDICATES`), never role strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from search import SearchQuery
from webapp.models import LEVELS, BulletinIssue, Item, Request, RequestTarget, Unit, User

EDITOR_ROLES = frozenset({"editor", "admin"})
READER_ROLES = frozenset({"editor", "admin", "leader"})


def visible_levels(user: User | None) -> list[str]:
    """Confidentiality levels at or below the user's clearance (None: a system job, sees all)."""
    return list(LEVELS if user is None else LEVELS[: user.clearance + 1])


def within_clearance(user: User | None, level: str) -> bool:
    """Whether a level is at or below the user's clearance."""
    return level in visible_levels(user)


def can_see(user: User | None, item: Item) -> bool:
    """Whether `user` may read `item`: own unit for reporters, within clearance, and withdrawn items
    only for administrators (who may restore them)."""
    if user is None:
        return True
    if item.withdrawn_at is not None and not is_admin(user):
        return False
    if not user.sees_all_units and item.unit_id != user.unit_id:
        return False
    return within_clearance(user, item.level)


def visible_clause(user: User | None) -> ColumnElement[bool]:
    """The same rule as `can_see`, as a SQL condition on Item (withdrawn items are left out of every
    list and figure, administrators' included; they reach them through the withdrawn list)."""
    conditions: list[ColumnElement[bool]] = [Item.withdrawn_at.is_(None)]
    if user is not None:
        conditions.append(Item.level.in_(visible_levels(user)))
        if not user.sees_all_units:
            conditions.append(Item.unit_id == user.unit_id)
    return and_(*conditions)


def scoped_query(user: User | None, **criteria: Any) -> SearchQuery:
    """A search query limited to what `user` may see; the backends apply the scope inside the query
    (None: a system job, searches everything)."""
    if user is None:
        return SearchQuery(**criteria)
    allowed = None
    if not user.sees_all_units:
        allowed = frozenset({user.unit.code if user.unit else "-"})
    return SearchQuery(**criteria, allowed_units=allowed, max_level=user.clearance)


def visible_title(user: User | None, item: Item) -> str | None:
    """The item's title if `user` may see it, else None (pages show a neutral placeholder)."""
    return item.title if can_see(user, item) else None


def is_editor(user: User | None) -> bool:
    """Editors and administrators review items and compose bulletins (None: a system job)."""
    return user is None or user.role in EDITOR_ROLES


def is_admin(user: User | None) -> bool:
    """Administrators manage users, score rules and topics (None: a system job)."""
    return user is None or user.role == "admin"


def is_reader(user: User | None) -> bool:
    """Editors, leaders and administrators read across units: dashboards, rankings, unit records."""
    return user is None or user.role in READER_ROLES


def is_leader(user: User | None) -> bool:
    """Leaders read bulletins and record their own instructions (批示)."""
    return user is not None and user.role == "leader"


def is_reporter(user: User | None) -> bool:
    """Reporters submit for their own unit."""
    return user is not None and user.role == "reporter"


def can_revise(user: User | None, item: Item) -> bool:
    """Whether `user` may revise and resubmit a returned item: its own unit's reporters, or the
    editors' desk; leaders read, they do not rewrite a unit's text."""
    if not can_see(user, item):
        return False
    return is_editor(user) or (is_reporter(user) and user is not None and user.unit_id == item.unit_id)


def can_withdraw(user: User | None, item: Item) -> bool:
    """Whether `user` may withdraw or reinstate `item`: administrators, within their clearance
    (withdrawn or not, an item above it stays out of their reach and out of their answers)."""
    return is_admin(user) and within_clearance(user, item.level)


def can_see_all(user: User | None, items: Iterable[Item]) -> bool:
    """Whether `user` may see every one of `items` (a bulletin issue, a merge's sources)."""
    return all(can_see(user, item) for item in items)


def can_read_issue(user: User | None, issue: BulletinIssue) -> bool:
    """Editors read every issue, leaders the published ones; either only if cleared for every item."""
    if not (is_editor(user) or (is_reader(user) and issue.status == "published")):
        return False
    return can_see_all(user, (entry.item for entry in issue.entries))


def can_compose_issue(user: User | None, issue: BulletinIssue) -> bool:
    """Only editors cleared for every item in a draft may change or publish it."""
    return is_editor(user) and can_see_all(user, (entry.item for entry in issue.entries))


def can_see_unit(user: User | None, unit: Unit) -> bool:
    """Whether a unit is among those whose items `user` may see (filters offer only these)."""
    return user is None or user.sees_all_units or unit.id == user.unit_id


def can_see_unit_record(user: User | None, unit: Unit) -> bool:
    """A unit's record (ledger, requests, timeliness): the office's readers, and the unit's own staff."""
    return is_reader(user) or (user is not None and user.unit_id == unit.id)


def can_see_request(user: User | None, request: Request) -> bool:
    """A commissioned request: the office's readers, and the staff of the units it was issued to."""
    if is_reader(user):
        return True
    return user is not None and any(target.unit_id == user.unit_id for target in request.targets)


def visible_requests_clause(user: User | None) -> ColumnElement[bool]:
    """The same rule as `can_see_request`, as a SQL condition on Request."""
    if is_reader(user):
        return true()
    unit_id = user.unit_id if user is not None else None
    return Request.targets.any(RequestTarget.unit_id == unit_id)


# Exposed to every template, so that no template decides access by comparing role strings.
TEMPLATE_PREDICATES: dict[str, Any] = {
    "can_revise": can_revise,
    "is_editor": is_editor,
    "is_admin": is_admin,
    "is_reader": is_reader,
    "is_reporter": is_reporter,
    "is_leader": is_leader,
    "can_see": can_see,
    "can_compose_issue": can_compose_issue,
}
