"""Bulletin issues: compose drafts, publish with the next number, freeze content, export to Word."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError, OperationalError

from exports import BulletinData, BulletinItem, Distribution, build_bulletin
from nlp import to_simplified
from webapp.extensions import db
from webapp.models import LEVELS, Adoption, BulletinEntry, BulletinIssue, Item, Publication, User, utcnow
from webapp.services import audit, scoring
from webapp.services.access import can_compose_issue, can_read_issue, can_see, is_editor, is_reader
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.services.indexing import index_items
from webapp.timeutil import local_today

NUMBERING_ATTEMPTS = 20


@dataclass
class EntryInput:
    """One item placed in an issue, with its column heading (栏目)."""

    item_id: int
    column: str | None = None


def list_publications() -> list[Publication]:
    """Active publications in code order."""
    return list(
        db.session.scalars(db.select(Publication).where(Publication.active).order_by(Publication.code))
    )


def list_all_publications() -> list[Publication]:
    """Every publication, active or not, for the configuration page."""
    return list(db.session.scalars(db.select(Publication).order_by(Publication.code)))


def get_publication(code: str) -> Publication:
    """A publication by code, or a validation error naming it."""
    publication = db.session.scalar(db.select(Publication).where(Publication.code == code))
    if publication is None:
        raise ValidationError(f"没有编码为 {code} 的刊物", code="unknown_publication")
    return publication


def list_issues(limit: int = 50) -> list[BulletinIssue]:
    """The newest issues of every publication."""
    return list(
        db.session.scalars(
            db.select(BulletinIssue)
            .order_by(BulletinIssue.created_at.desc(), BulletinIssue.id.desc())
            .limit(limit)
        )
    )


def readable_issues(actor: User | None, limit: int = 10) -> list[BulletinIssue]:
    """The newest published issues the actor may read (a leader's home)."""
    query = (
        db.select(BulletinIssue)
        .where(BulletinIssue.status == "published")
        .order_by(BulletinIssue.published_at.desc(), BulletinIssue.id.desc())
        .limit(limit * 3)
    )
    return [issue for issue in db.session.scalars(query) if can_read_issue(actor, issue)][:limit]


def _require_editor(actor: User | None) -> None:
    if not is_editor(actor):
        raise Forbidden("只有编辑可以编发刊物")


def published_issues(item_ids: Sequence[int]) -> dict[int, list[BulletinIssue]]:
    """The published issues each item is in (oldest first): what "已编发（第N期）" shows."""
    found: dict[int, list[BulletinIssue]] = {}
    if not item_ids:
        return found
    rows = db.session.execute(
        db.select(BulletinEntry.item_id, BulletinIssue)
        .join(BulletinIssue, BulletinEntry.issue_id == BulletinIssue.id)
        .where(BulletinEntry.item_id.in_(list(item_ids)), BulletinIssue.status == "published")
        .order_by(BulletinIssue.published_at, BulletinIssue.id)
    ).all()
    for item_id, issue in rows:
        found.setdefault(item_id, []).append(issue)
    return found


def repeated_items(
    publication_id: int, item_ids: Sequence[int], exclude_issue: int | None = None
) -> dict[int, BulletinIssue]:
    """Items already in a published issue of this publication (other than `exclude_issue`)."""
    return {
        item_id: issue
        for item_id, issues in published_issues(item_ids).items()
        for issue in issues
        if issue.publication_id == publication_id and issue.id != exclude_issue
    }


def _check_repeats(
    publication: Publication, items: Sequence[Item], override_reason: str, exclude_issue: int | None = None
) -> dict[int, str]:
    """Refuse items already published in this publication, unless the editor gives a reason.

    Returns {item id: label of the earlier issue} for the audit row of an override.
    """
    repeats = repeated_items(publication.id, [i.id for i in items], exclude_issue)
    if repeats and not override_reason.strip():
        titles = {i.id: i.title for i in items}
        listed = "；".join(f"“{titles[i]}”已编发于{issue.label}" for i, issue in repeats.items())
        raise Conflict(
            f"{listed}。同一信息不能在《{publication.name}》中重复编发；如确需重复编发，请填写理由",
            code="already_published",
        )
    return {item_id: issue.label for item_id, issue in repeats.items()}


def _entries(actor: User | None, entries: Sequence[EntryInput]) -> list[BulletinEntry]:
    """Check the chosen items (visible, adopted or awaiting review) and build the ordered entries."""
    seen: dict[int, EntryInput] = {}
    for entry in entries:
        seen.setdefault(int(entry.item_id), entry)
    if not seen:
        raise ValidationError("请至少选择一条已采用的信息", code="items_required")
    items = {item.id: item for item in db.session.scalars(db.select(Item).where(Item.id.in_(seen)))}
    result = []
    for position, (item_id, entry) in enumerate(seen.items(), start=1):
        item = items.get(item_id)
        if item is None or not can_see(actor, item):
            raise NotFound(f"信息 {item_id} 不存在")
        if item.withdrawn_at is not None:
            raise Conflict(f"信息 {item_id}（{item.title}）已撤回，不能编入刊物", code="withdrawn")
        if item.status != "adopted":
            raise Conflict(f"信息 {item_id}（{item.title}）尚未采用，不能编入刊物", code="not_adopted")
        column = (entry.column or "").strip()[:50] or None
        result.append(BulletinEntry(item_id=item_id, position=position, column=column, item=item))
    return result


def _override_details(override: dict[int, str], reason: str) -> dict[str, object]:
    """Audit details of a repeated publication the editor allowed, with the reason."""
    if not override:
        return {}
    return {"repeated": {str(k): v for k, v in override.items()}, "override_reason": reason.strip()}


def create_issue(
    actor: User | None,
    publication_code: str,
    entries: Sequence[EntryInput],
    *,
    issue_date: date | None = None,
    supplement: bool = False,
    editor_note: str | None = None,
    override_reason: str = "",
) -> BulletinIssue:
    """Create a draft issue of a publication holding these adopted items in this order; items already
    published in the publication are refused unless the editor gives a reason (audited)."""
    _require_editor(actor)
    publication = get_publication(publication_code)
    issue_date = issue_date or local_today()
    chosen = _entries(actor, entries)
    override = _check_repeats(publication, [e.item for e in chosen], override_reason)
    issue = BulletinIssue(
        publication=publication,
        year=issue_date.year,
        supplement=supplement,
        issue_date=issue_date,
        editor_note=(editor_note or "").strip() or None,
        created_by=actor,
        status="draft",
        entries=chosen,
    )
    db.session.add(issue)
    db.session.flush()
    audit.record(
        actor,
        "bulletin",
        issue.id,
        "create",
        to_state="draft",
        details={"items": _ids(issue), **_override_details(override, override_reason)},
    )
    db.session.commit()
    return issue


def _ids(issue: BulletinIssue) -> list[int]:
    return [entry.item_id for entry in issue.entries]


def get_issue(actor: User | None, issue_id: int, *, compose: bool = False) -> BulletinIssue:
    """Load an issue the actor may read (or, with `compose`, edit and publish): editors cleared for
    every item in it; others get 403 with the reason, never the content."""
    issue = db.session.get(BulletinIssue, issue_id)
    if issue is None:
        raise NotFound(f"刊物期次 {issue_id} 不存在")
    if not (can_compose_issue(actor, issue) if compose else can_read_issue(actor, issue)):
        if not is_editor(actor) and (compose or not is_reader(actor)):
            raise Forbidden("只有编辑可以编发刊物")
        raise Forbidden("该期刊物含有超出您密级权限的信息，不能查看或印发")
    return issue


def update_issue(
    actor: User | None,
    issue_id: int,
    entries: Sequence[EntryInput],
    *,
    editor_note: str | None = None,
    issue_date: date | None = None,
    override_reason: str = "",
) -> BulletinIssue:
    """Reorder, regroup, add or remove items and set the editor's note of a draft; items already
    published in the publication are refused unless the editor gives a reason (audited)."""
    _require_editor(actor)
    issue = get_issue(actor, issue_id, compose=True)
    if issue.status != "draft":
        raise Conflict("已印发的刊物不能修改", code="published")
    new_entries = _entries(actor, entries)
    kept = set(_ids(issue))
    added = [e.item for e in new_entries if e.item_id not in kept]
    override = _check_repeats(issue.publication, added, override_reason, exclude_issue=issue.id)
    issue.entries.clear()
    db.session.flush()  # the unique (issue, item) rows must go before the new ones come
    issue.entries.extend(new_entries)
    issue.editor_note = (editor_note or "").strip() or None
    if issue_date is not None:
        issue.issue_date, issue.year = issue_date, issue_date.year
    audit.record(
        actor,
        "bulletin",
        issue.id,
        "update",
        details={"items": _ids(issue), **_override_details(override, override_reason)},
    )
    db.session.commit()
    return issue


def next_number(issue: BulletinIssue) -> int:
    """The number a draft will take if published now."""
    return _next_number(issue)


def _next_number(issue: BulletinIssue) -> int:
    current = db.session.scalar(
        db.select(db.func.max(BulletinIssue.number)).where(
            BulletinIssue.publication_id == issue.publication_id,
            BulletinIssue.year == issue.year,
            BulletinIssue.supplement == issue.supplement,
        )
    )
    return (current or 0) + 1


def publish_issue(actor: User | None, issue_id: int, override_reason: str = "") -> BulletinIssue:
    """Give a draft the next number of its publication and year, freeze its content, record adoptions.

    Two editors publishing at the same moment compute the same max+1; the unique constraint makes
    the second commit fail and it retries with the next number, so numbers never repeat or skip.
    """
    _require_editor(actor)
    for attempt in range(NUMBERING_ATTEMPTS):
        try:
            issue, adopted = _publish_once(actor, issue_id, override_reason)
        except (IntegrityError, OperationalError):  # number taken, or SQLite busy: try again
            db.session.rollback()
            time.sleep(0.01 * (attempt + 1))
            continue
        index_items(adopted)
        return issue
    raise Conflict("刊物期号分配冲突，请重试", code="numbering_conflict")


def _publish_once(
    actor: User | None, issue_id: int, override_reason: str
) -> tuple[BulletinIssue, list[Item]]:
    """One attempt at numbering and publishing; the unique constraint rejects a taken number.

    An item published in the same publication since it was put in this draft is refused again here,
    unless the editor gives a reason."""
    issue = get_issue(actor, issue_id, compose=True)
    if issue.status != "draft":
        raise Conflict("该期刊物已印发", code="published")
    if not issue.entries:
        raise ValidationError("刊物中没有信息", code="items_required")
    override = _check_repeats(
        issue.publication, [e.item for e in issue.entries], override_reason, exclude_issue=issue.id
    )
    issue.number = _next_number(issue)
    issue.status, issue.published_at = "published", utcnow()
    adopted = _freeze(actor, issue)
    scoring.rescore_items(adopted)
    audit.record(
        actor,
        "bulletin",
        issue.id,
        "publish",
        from_state="draft",
        to_state="published",
        details={
            "number": issue.number,
            "items": _ids(issue),
            **_override_details(override, override_reason),
        },
    )
    db.session.commit()
    return issue, adopted


def _freeze(actor: User | None, issue: BulletinIssue) -> list[Item]:
    """Copy each item's current title, text and credit into the issue, in simplified script (an
    official output never prints traditional characters; the item keeps its original as
    received); record adoption into it."""
    touched = []
    for entry in issue.entries:
        item = entry.item
        entry.title, entry.body = to_simplified(item.title), to_simplified(item.clean_text)
        entry.unit_name = to_simplified("、".join(unit.name for unit in item.source_units))
        if not any(a.publication_id == issue.publication_id for a in item.adoptions):
            item.adoptions.append(Adoption(publication_id=issue.publication_id, adopted_by=actor))
            touched.append(item)
    return touched


def item_tables(item: Item) -> list[list[list[str]]]:
    """The Word tables of an item; a comprehensive item carries its sources' tables (its text
    holds their texts, table lines included)."""
    if item.tables:
        return item.tables
    return [table for link in item.sources for table in (link.source.tables or [])]


def _simplified_table(table: list[list[str]]) -> list[list[str]]:
    return [[to_simplified(cell) for cell in row] for row in table]


def bulletin_data(issue: BulletinIssue) -> BulletinData:
    """The plain data the Word builder and the preview need, all in simplified script (frozen
    entries of issues published before that rule included); the issue is as classified as its
    highest item. Tables come from the items (the frozen text keeps their rows as lines)."""
    publication = issue.publication
    items = [entry.item for entry in issue.entries]
    level = max([publication.default_level, *(i.level for i in items)], key=LEVELS.index)
    s = to_simplified
    return BulletinData(
        publication_name=s(publication.masthead or publication.name),
        year=issue.year,
        number=issue.number or _next_number(issue),
        issue_date=issue.issue_date,
        issuing_office=s(publication.issuing_office),
        supplement=issue.supplement,
        editor_note=s(issue.editor_note) if issue.editor_note else None,
        level=level,
        items=[
            BulletinItem(
                title=s(e.title or e.item.title),
                body=s(e.body or e.item.clean_text),
                unit_name=s(e.unit_name or "、".join(u.name for u in e.item.source_units)),
                column=s(e.column) if e.column else None,
                tables=[_simplified_table(t) for t in item_tables(e.item)],
            )
            for e in issue.entries
        ],
        distribution=Distribution(
            upward=s(publication.distribution_upward),
            peers=s(publication.distribution_peers),
            downward=s(publication.distribution_downward),
        ),
        print_count=publication.print_count,
    )


def export_issue(actor: User | None, issue_id: int) -> tuple[str, bytes]:
    """Build the Word file of an issue; return (file name, bytes). Drafts carry the number to come."""
    issue = get_issue(actor, issue_id)
    data = bulletin_data(issue)
    suffix = "" if issue.status == "published" else "（草稿）"
    prefix = "增刊" if issue.supplement else ""
    filename = f"{issue.publication.name}{issue.year}年{prefix}第{data.number}期{suffix}.docx"
    return filename, build_bulletin(data)


def drop_from_drafts(item_id: int) -> list[int]:
    """Take an item out of every draft issue (published issues are frozen); return those drafts' ids.

    The caller commits; later entries move up so positions stay 1, 2, 3 …
    """
    drafts = list(
        db.session.scalars(
            db.select(BulletinIssue)
            .join(BulletinEntry, BulletinEntry.issue_id == BulletinIssue.id)
            .where(BulletinEntry.item_id == item_id, BulletinIssue.status == "draft")
            .distinct()
        )
    )
    for issue in drafts:
        for entry in [e for e in issue.entries if e.item_id == item_id]:
            issue.entries.remove(entry)
            db.session.delete(entry)
        for position, entry in enumerate(sorted(issue.entries, key=lambda e: e.position), start=1):
            entry.position = position
    return [issue.id for issue in drafts]
