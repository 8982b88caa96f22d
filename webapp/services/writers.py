"""The information writers (信息员) of each unit: the roster, who wrote what, their points, and the
year's 优秀信息员 (one per 先进单位)."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.extensions import db
from webapp.models import Item, ScoreEntry, Unit, User, Writer
from webapp.services import audit
from webapp.services.access import is_editor
from webapp.services.errors import Forbidden, NotFound, ValidationError
from webapp.services.scoring import Period

MAX_TRAININGS = 50


def _unit(code: str) -> Unit:
    unit = db.session.scalar(db.select(Unit).where(Unit.code == code))
    if unit is None:
        raise NotFound(f"没有编码为 {code} 的报送单位")
    return unit


def can_keep_roster(actor: User | None, unit: Unit) -> bool:
    """The office's editors keep every roster; a unit's own reporters keep theirs."""
    return is_editor(actor) or (actor is not None and actor.unit_id == unit.id)


def roster(unit_code: str, in_post_only: bool = False) -> list[Writer]:
    """A unit's writers, in post first, by name."""
    unit = _unit(unit_code)
    query = db.select(Writer).where(Writer.unit_id == unit.id).order_by(Writer.in_post.desc(), Writer.name)
    if in_post_only:
        query = query.where(Writer.in_post)
    return list(db.session.scalars(query))


def save_writer(
    actor: User | None,
    unit_code: str,
    name: str,
    *,
    full_time: bool = False,
    leader_in_charge: str = "",
    phone: str = "",
    in_post: bool = True,
    trainings: list[str] | str = "",
) -> Writer:
    """Add a writer to a unit's roster or update one (by name within the unit)."""
    unit = _unit(unit_code)
    if not can_keep_roster(actor, unit):
        raise Forbidden("只能维护本单位的信息员名册")
    name = " ".join(name.split())
    if not name or len(name) > 50:
        raise ValidationError("请填写信息员姓名（至多 50 字）", code="name_required")
    if isinstance(trainings, str):
        trainings = [t.strip() for t in trainings.replace("；", "\n").replace(";", "\n").splitlines()]
    courses = [" ".join(t.split())[:100] for t in trainings if t and t.strip()][:MAX_TRAININGS]
    writer = db.session.scalar(db.select(Writer).where(Writer.unit_id == unit.id, Writer.name == name))
    if writer is None:
        writer = Writer(unit_id=unit.id, name=name)
        db.session.add(writer)
    writer.full_time, writer.in_post = full_time, in_post
    writer.leader_in_charge = " ".join(leader_in_charge.split())[:50]
    writer.phone = "".join(phone.split())[:32]
    writer.trainings = courses
    db.session.flush()
    audit.record(actor, "writer", writer.id, "update", details={"unit": unit.code, "name": name})
    db.session.commit()
    return writer


def writer_for(unit: Unit, name_or_id: str | int | None) -> Writer | None:
    """The roster entry an item names (by id or name) within its unit, or None when none is named."""
    if name_or_id in (None, ""):
        return None
    query = db.select(Writer).where(Writer.unit_id == unit.id)
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        query = query.where(Writer.id == int(name_or_id))
    else:
        query = query.where(Writer.name == " ".join(str(name_or_id).split()))
    writer = db.session.scalar(query)
    if writer is None:
        raise ValidationError(f"{unit.name}的信息员名册中没有“{name_or_id}”", code="unknown_writer")
    return writer


@dataclass
class WriterPoints:
    """A writer's points in a period: the ledger rows of the items they wrote."""

    writer: Writer
    points: float
    items: int


def writer_points(period: Period, unit_ids: list[int] | None = None) -> list[WriterPoints]:
    """Points per writer in a period, highest first (their items' ledger rows for their own unit)."""
    query = (
        db.select(Writer, db.func.sum(ScoreEntry.points), db.func.count(db.distinct(Item.id)))
        .join(Item, Item.writer_id == Writer.id)
        .join(ScoreEntry, (ScoreEntry.item_id == Item.id) & (ScoreEntry.unit_id == Writer.unit_id))
        .where(ScoreEntry.occurred_on >= period.start, ScoreEntry.occurred_on < period.end)
        .group_by(Writer.id)
    )
    if unit_ids is not None:
        query = query.where(Writer.unit_id.in_(unit_ids))
    rows = [WriterPoints(w, round(float(p or 0), 2), n) for w, p, n in db.session.execute(query).all()]
    return sorted(rows, key=lambda r: (-r.points, r.writer.name))


def best_writers(period: Period, unit_ids: list[int]) -> dict[int, WriterPoints]:
    """Each unit's best-scoring writer in the period (one 优秀信息员 per 先进单位), if any scored."""
    best: dict[int, WriterPoints] = {}
    for row in writer_points(period, unit_ids):
        if row.points > 0:
            best.setdefault(row.writer.unit_id, row)
    return best
