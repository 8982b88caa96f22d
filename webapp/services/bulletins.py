"""Bulletin issues: numbering per publication per year, composition, and the Word export."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError

from exports import BulletinData, BulletinItem, Distribution, build_bulletin
from webapp.extensions import db
from webapp.models import LEVELS, BulletinEntry, BulletinIssue, Item, Publication, User
from webapp.services import audit
from webapp.services.access import can_see, is_editor
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.timeutil import local_today

NUMBERING_RETRIES = 5


def list_publications() -> list[Publication]:
    """Active publications in code order."""
    return list(
        db.session.scalars(db.select(Publication).where(Publication.active).order_by(Publication.code))
    )


def list_issues(limit: int = 50) -> list[BulletinIssue]:
    """The newest issues of every publication."""
    return list(
        db.session.scalars(
            db.select(BulletinIssue)
            .order_by(BulletinIssue.created_at.desc(), BulletinIssue.id.desc())
            .limit(limit)
        )
    )


def _next_number(publication: Publication, year: int, supplement: bool) -> int:
    current = db.session.scalar(
        db.select(db.func.max(BulletinIssue.number)).where(
            BulletinIssue.publication_id == publication.id,
            BulletinIssue.year == year,
            BulletinIssue.supplement == supplement,
        )
    )
    return (current or 0) + 1


def create_issue(
    actor: User | None,
    publication_code: str,
    item_ids: Sequence[int],
    *,
    issue_date: date | None = None,
    supplement: bool = False,
    editor_note: str | None = None,
) -> BulletinIssue:
    """Create the next numbered issue of a publication holding these adopted items, in this order.

    Numbers come from max+1 under a unique constraint; a concurrent editor who took the same number
    makes the insert fail, and we retry with the next one, so numbers never repeat or skip.
    """
    if not is_editor(actor):
        raise Forbidden("只有编辑可以编发刊物")
    publication = db.session.scalar(db.select(Publication).where(Publication.code == publication_code))
    if publication is None:
        raise ValidationError(f"没有编码为 {publication_code} 的刊物", code="unknown_publication")
    ids = list(dict.fromkeys(int(i) for i in item_ids))
    if not ids:
        raise ValidationError("请至少选择一条已采用的信息", code="items_required")
    items = {item.id: item for item in db.session.scalars(db.select(Item).where(Item.id.in_(ids)))}
    for item_id in ids:
        item = items.get(item_id)
        if item is None or not can_see(actor, item):
            raise NotFound(f"信息 {item_id} 不存在")
        if item.status != "adopted":
            raise Conflict(f"信息 {item_id}（{item.title}）尚未采用，不能编入刊物", code="not_adopted")
    issue_date = issue_date or local_today()
    for _ in range(NUMBERING_RETRIES):
        issue = BulletinIssue(
            publication=publication,
            year=issue_date.year,
            number=_next_number(publication, issue_date.year, supplement),
            supplement=supplement,
            issue_date=issue_date,
            editor_note=(editor_note or "").strip() or None,
            created_by=actor,
            entries=[
                BulletinEntry(item_id=item_id, position=pos) for pos, item_id in enumerate(ids, start=1)
            ],
        )
        db.session.add(issue)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            continue
        audit.record(actor, "bulletin", issue.id, "create", to_state="draft", details={"items": ids})
        db.session.commit()
        return issue
    raise Conflict("刊物期号分配冲突，请重试", code="numbering_conflict")


def get_issue(issue_id: int) -> BulletinIssue:
    """Load an issue or raise NotFound."""
    issue = db.session.get(BulletinIssue, issue_id)
    if issue is None:
        raise NotFound(f"刊物期次 {issue_id} 不存在")
    return issue


def bulletin_data(issue: BulletinIssue) -> BulletinData:
    """The plain data the Word builder needs; the issue is as classified as its highest item."""
    publication = issue.publication
    items = [entry.item for entry in issue.entries]
    level = max((i.level for i in items), key=LEVELS.index, default=publication.default_level)
    level = max(level, publication.default_level, key=LEVELS.index)
    return BulletinData(
        publication_name=publication.name,
        year=issue.year,
        number=issue.number,
        issue_date=issue.issue_date,
        issuing_office=publication.issuing_office,
        supplement=issue.supplement,
        editor_note=issue.editor_note,
        level=level,
        items=[
            BulletinItem(
                title=e.item.title, body=e.item.clean_text, unit_name=e.item.unit.name, column=e.column
            )
            for e in issue.entries
        ],
        distribution=Distribution(
            upward=publication.distribution_upward,
            peers=publication.distribution_peers,
            downward=publication.distribution_downward,
        ),
    )


def export_issue(actor: User | None, issue_id: int) -> tuple[str, bytes]:
    """Build the Word file of an issue; return (file name, bytes)."""
    issue = get_issue(issue_id)
    if actor is not None and not actor.sees_all_units:
        raise Forbidden("信息员不能下载刊物")
    if actor is not None and any(not can_see(actor, e.item) for e in issue.entries):
        raise Forbidden("该期刊物含有超出您密级权限的信息")
    prefix = "增刊" if issue.supplement else ""
    filename = f"{issue.publication.name}{issue.year}年{prefix}第{issue.number}期.docx"
    return filename, build_bulletin(bulletin_data(issue))
