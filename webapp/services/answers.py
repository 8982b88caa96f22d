"""How an answer to a commissioned request (约稿) stands: the one place for the rule.

An editor's verdict decides (采用 / 部分采用 accept; 答非所问, 避重就轻, 空话套话, 不采用 do not); with no
verdict, adopting the item accepts it and rejecting it does not; otherwise it awaits judgement.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from webapp.extensions import db
from webapp.models import ACCEPTED_VERDICTS, AuditEvent, Item
from webapp.timeutil import to_local

JUDGING_ACTIONS = ("judge_answer", "adopt", "reject")


def standing(item: Item) -> str:
    """accepted | unacceptable | pending."""
    if item.request_verdict is not None:
        return "accepted" if item.request_verdict in ACCEPTED_VERDICTS else "unacceptable"
    if item.status == "adopted":
        return "accepted"
    if item.status == "rejected":
        return "unacceptable"
    return "pending"


def judged_on(items: Iterable[Item]) -> dict[int, date]:
    """The day each answer was last judged (a verdict, an adoption or a rejection), from the audit
    trail: penalties and points that follow from a judgement are dated then, not earlier."""
    ids = [item.id for item in items]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(AuditEvent.entity_id, db.func.max(AuditEvent.at))
        .where(
            AuditEvent.entity == "item", AuditEvent.entity_id.in_(ids), AuditEvent.action.in_(JUDGING_ACTIONS)
        )
        .group_by(AuditEvent.entity_id)
    ).all()
    return {item_id: to_local(moment).date() for item_id, moment in rows if moment is not None}
