"""Editing items: versions (diff, restore), resubmission, tag corrections, re-tagging and merges."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload

from nlp import Analysis
from webapp.extensions import db
from webapp.models import (
    INSTRUCTION_LEVELS,
    KIND_LABELS,
    LEVELS,
    BulletinEntry,
    BulletinIssue,
    Instruction,
    Item,
    ItemSource,
    ItemTopic,
    ItemVersion,
    Setting,
    Topic,
    User,
)
from webapp.services import audit, scoring
from webapp.services.access import can_revise, is_admin, is_editor, is_leader, visible_clause
from webapp.services.archive import item_batches
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.services.indexing import batched, index_items
from webapp.services.items import (
    analyze_item,
    apply_analysis,
    classified_level,
    get_item,
    parse_event_date,
    validated_text,
)
from webapp.services.units import office_unit

RETAG_BATCH = 200
MERGEABLE = frozenset({"submitted", "returned"})


def _require_editor(actor: User | None) -> None:
    if not is_editor(actor):
        raise Forbidden("只有编辑可以执行该操作")


def _new_version(
    actor: User | None, item: Item, title: str, text: str, note: str
) -> tuple[ItemVersion, Analysis]:
    """Store title and text as the item's next version and re-analyse it (locked tags stay).

    The analysis is returned so the index reuses its tokens instead of cutting the text again.
    """
    item.level, _ = classified_level(item.level, title, text)  # a mark added in the edit raises it
    number = max((v.number for v in item.versions), default=0) + 1
    version = ItemVersion(number=number, title=title, text=text, note=note or None, created_by=actor)
    item.versions.append(version)
    item.title = title
    with db.session.no_autoflush:  # a half-built item must not be flushed by the lexicon query
        analysis = analyze_item(title, text)
    apply_analysis(item, analysis)
    return version, analysis


def _current_text(item: Item) -> str:
    return item.versions[-1].text if item.versions else item.original_text


def edit_item(actor: User | None, item_id: int, title: str, text: str, note: str = "") -> Item:
    """Save an editor's edit of title and text as a new version; nothing changes if nothing changed."""
    _require_editor(actor)
    item = get_item(actor, item_id)
    if item.status == "merged":
        raise Conflict("已合并的信息不能再编辑，请编辑综合信息", code="invalid_transition")
    title, text = validated_text(title, text)
    if title == item.title and text == _current_text(item):
        return item
    version, analysis = _new_version(actor, item, title, text, note.strip() or "编辑修改")
    audit.record(actor, "item", item.id, "edit", details={"version": version.number})
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item], {item.id: analysis})
    return item


def resubmit_item(actor: User | None, item_id: int, title: str, text: str, note: str = "") -> Item:
    """A returned item, revised by its unit, goes back into the review queue as a new version."""
    item = get_item(actor, item_id)
    if item.status != "returned":
        raise Conflict("只有退回修改的信息可以重新报送", code="invalid_transition")
    if not can_revise(actor, item):
        raise Forbidden("只有本单位的信息员和编辑可以修改退回的信息")
    title, text = validated_text(title, text)
    version, analysis = _new_version(actor, item, title, text, note.strip() or "退回后修改重报")
    item.status = "submitted"
    audit.record(
        actor,
        "item",
        item.id,
        "resubmit",
        from_state="returned",
        to_state="submitted",
        reason=note.strip() or None,
        details={"version": version.number},
    )
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item], {item.id: analysis})
    return item


def restore_version(actor: User | None, item_id: int, number: int) -> Item:
    """Make an earlier version current again (as a new version, so history only grows)."""
    _require_editor(actor)
    item = get_item(actor, item_id)
    old = next((v for v in item.versions if v.number == number), None)
    if old is None:
        raise NotFound(f"版本 {number} 不存在")
    version, analysis = _new_version(actor, item, old.title, old.text, f"恢复第 {number} 版")
    audit.record(
        actor, "item", item.id, "restore", details={"from_version": number, "version": version.number}
    )
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item], {item.id: analysis})
    return item


def version_diff(old: str, new: str) -> Markup:
    """A character-level diff for Chinese text: deletions in <del>, insertions in <ins>, escaped."""
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(str(escape(old[a1:a2])))
            continue
        if a2 > a1:
            parts.append(f"<del>{escape(old[a1:a2])}</del>")
        if b2 > b1:
            parts.append(f"<ins>{escape(new[b1:b2])}</ins>")
    return Markup("".join(parts))


def _topic_names() -> set[str]:
    return set(db.session.scalars(db.select(Topic.name).where(Topic.active)))


def correct_tags(
    actor: User | None, item_id: int, kind: str | None = None, topics: list[str] | None = None
) -> Item:
    """Store an editor's correction of kind and/or topics; re-tagging never overwrites it."""
    _require_editor(actor)
    item = get_item(actor, item_id)
    before = {"kind": item.kind, "topics": item.topic_names}
    if kind is not None:
        if kind not in KIND_LABELS:
            raise ValidationError("信息类型必须是 problem、achievement 或 other", code="invalid_kind")
        item.kind, item.kind_score, item.kind_evidence, item.kind_locked = kind, 1.0, ["编辑校正"], True
    if topics is not None:
        unknown = set(topics) - _topic_names()
        if unknown:
            raise ValidationError(f"没有这些主题：{'、'.join(sorted(unknown))}", code="invalid_topic")
        _set_topics(item, list(dict.fromkeys(topics)))
    audit.record(
        actor,
        "item",
        item.id,
        "correct_tags",
        details={"before": before, "after": {"kind": item.kind, "topics": item.topic_names}},
    )
    scoring.rescore_items([item])
    db.session.commit()
    index_items([item])
    return item


def _set_topics(item: Item, names: list[str]) -> None:
    kept = {t.name: t for t in item.topics}
    item.topics = [kept.get(name) or ItemTopic(name=name, score=1.0, evidence=["编辑校正"]) for name in names]
    item.topics_locked = True


def assign_topic(actor: User | None, item_ids: list[int], topic: str) -> list[Item]:
    """Bulk action: add one topic to each selected item (one audit row each)."""
    _require_editor(actor)
    if topic not in _topic_names():
        raise ValidationError(f"没有主题“{topic}”", code="invalid_topic")
    if not item_ids:
        raise ValidationError("请至少选择一条信息", code="items_required")
    changed = []
    for item_id in dict.fromkeys(item_ids):
        item = get_item(actor, item_id)
        if topic in item.topic_names:
            continue
        before = item.topic_names
        _set_topics(item, [*before, topic])
        audit.record(
            actor, "item", item.id, "assign_topic", details={"before": before, "after": item.topic_names}
        )
        changed.append(item)
    db.session.commit()
    index_items(changed)
    return changed


@dataclass(frozen=True)
class RetagResult:
    """What a retag did: items re-analysed, and how many of them changed kind or topics."""

    items: int = 0
    kinds_changed: int = 0
    topics_changed: int = 0


def retag_all(progress: Callable[[int], None] | None = None) -> RetagResult:
    """Re-analyse every item with the current topic lists; corrected (locked) tags stay as they are."""
    count = kinds_changed = topics_changed = 0
    with batched():
        loads = (selectinload(Item.topics), selectinload(Item.versions))
        for batch in item_batches(*loads, size=RETAG_BATCH, progress=progress):
            analyses = {item.id: analyze_item(item.title, _current_text(item)) for item in batch}
            for item in batch:
                kind, topics = item.kind, sorted(item.topic_names)
                apply_analysis(item, analyses[item.id])
                kinds_changed += item.kind != kind
                topics_changed += sorted(row.name for row in item.topics) != topics
            scoring.rescore_items(batch)
            db.session.commit()
            index_items(batch, analyses)
            count += len(batch)
    return RetagResult(count, kinds_changed, topics_changed)


def merge_items(actor: User | None, item_ids: list[int], title: str, text: str = "") -> Item:
    """Merge several items into one comprehensive item (综合信息), filed under the office's own unit at
    the highest level of its sources; it credits every source unit."""
    _require_editor(actor)
    ids = list(dict.fromkeys(item_ids))
    if len(ids) < 2:
        raise ValidationError("合并至少需要两条信息", code="items_required")
    sources = [get_item(actor, item_id) for item_id in ids]
    for source in sources:
        if source.status not in MERGEABLE:
            raise Conflict(f"信息“{source.title}”已处理，不能合并", code="invalid_transition")
    text = text.strip() or "\n".join(f"{s.clean_text}（{s.unit.name}）" for s in sources)
    title, text = validated_text(title, text)
    merged = Item(
        title=title,
        original_text=text,
        unit=office_unit(),  # the office's product: no source unit's reporter reads the others' texts
        author="",
        event_date=max(s.event_date for s in sources),
        submitted_by=actor,
        status="submitted",
        level=max((s.level for s in sources), key=LEVELS.index),
        is_comprehensive=True,
        sources=[ItemSource(source=s) for s in sources],
    )
    db.session.add(merged)
    _, analysis = _new_version(actor, merged, title, text, "综合信息")
    db.session.flush()
    audit.record(actor, "item", merged.id, "merge", to_state="submitted", details={"sources": ids})
    for source in sources:
        audit.record(
            actor,
            "item",
            source.id,
            "merge",
            from_state=source.status,
            to_state="merged",
            details={"into": merged.id},
        )
        source.status = "merged"
    scoring.rescore_items([merged, *sources])
    db.session.commit()
    index_items([merged, *sources], {merged.id: analysis})
    return merged


LEADER_LEVELS_KEY = "instruction_levels"  # Setting: {user id: INSTRUCTION_LEVELS key}, the leaders' profiles


def leader_levels() -> dict[int, str]:
    """Each leader's instruction level (中央/省级/市级领导) as the administrator set it."""
    row = db.session.get(Setting, LEADER_LEVELS_KEY)
    raw = row.value if row is not None and isinstance(row.value, dict) else {}
    return {int(k): v for k, v in raw.items() if str(k).isdigit() and v in INSTRUCTION_LEVELS}


def leader_level(user: User | None) -> str | None:
    """A leader's instruction level from their profile, or None while it is not set."""
    return leader_levels().get(user.id) if user is not None else None


def set_leader_level(actor: User | None, user_id: int, level: str) -> User:
    """Set a leader's instruction level in their profile (administrators)."""
    if not is_admin(actor):
        raise Forbidden("只有管理员可以设置领导的批示层级")
    user = db.session.get(User, user_id)
    if user is None or not is_leader(user):
        raise NotFound("没有该领导账号")
    if level not in INSTRUCTION_LEVELS:
        raise ValidationError("请选择批示层级：中央领导、省级领导或市级领导", code="invalid_level")
    levels = {str(k): v for k, v in leader_levels().items()}
    before = levels.get(str(user.id))
    levels[str(user.id)] = level
    row = db.session.get(Setting, LEADER_LEVELS_KEY)
    if row is None:
        db.session.add(Setting(key=LEADER_LEVELS_KEY, value=levels))
    else:
        row.value = levels
    audit.record(actor, "user", user.id, "instruction_level", from_state=before, to_state=level)
    db.session.commit()
    return user


def record_instruction(
    actor: User | None,
    item_id: int,
    leader: str,
    level: str,
    instructed_on: date | str | None,
    text: str = "",
) -> Instruction:
    """Record a leader's instruction (批示) on an item, as an editor; the level must be chosen."""
    _require_editor(actor)
    return _instruction(actor, item_id, leader, level, instructed_on, text)


def record_own_instruction(
    actor: User | None, item_id: int, instructed_on: date | str | None, text: str
) -> Instruction:
    """A leader records their own instruction; the level comes from their profile, never a default."""
    if not is_leader(actor) or actor is None:
        raise Forbidden("只有领导可以登记本人批示")
    level = leader_level(actor)
    if level is None:
        raise ValidationError("您的批示层级尚未设置，请联系管理员在用户管理中设置", code="level_not_set")
    if not text.strip():
        raise ValidationError("请填写批示内容", code="text_required")
    return _instruction(actor, item_id, actor.display_name or actor.username, level, instructed_on, text)


def _instruction(
    actor: User | None, item_id: int, leader: str, level: str, instructed_on: date | str | None, text: str
) -> Instruction:
    item = get_item(actor, item_id)
    if level not in INSTRUCTION_LEVELS:
        raise ValidationError("请选择批示领导层级：中央领导、省级领导或市级领导", code="invalid_level")
    leader = leader.strip()
    if not leader:
        raise ValidationError("请填写批示领导", code="leader_required")
    row = Instruction(
        item_id=item.id,
        leader=leader[:100],
        level=level,
        instructed_on=parse_event_date(instructed_on),
        text=text.strip(),
        recorded_by_id=actor.id if actor else None,
    )
    item.instructions.append(row)
    audit.record(actor, "item", item.id, "instruction", details={"leader": leader, "level": level})
    scoring.rescore_items([item])
    db.session.commit()
    return row


def awaiting_instruction(actor: User | None, limit: int = 20) -> list[Item]:
    """Items in the published issues the leader may read that they have not yet instructed on,
    newest issue first."""
    rows = db.session.scalars(
        db.select(Item)
        .join(BulletinEntry, BulletinEntry.item_id == Item.id)
        .join(BulletinIssue, BulletinEntry.issue_id == BulletinIssue.id)
        .where(BulletinIssue.status == "published", visible_clause(actor))
        .where(~Item.instructions.any(Instruction.recorded_by_id == (actor.id if actor else None)))
        .order_by(BulletinIssue.published_at.desc(), BulletinEntry.position)
        .options(selectinload(Item.unit))
    )
    found: dict[int, Item] = {}
    for item in rows:
        found.setdefault(item.id, item)
        if len(found) >= limit:
            break
    return list(found.values())
