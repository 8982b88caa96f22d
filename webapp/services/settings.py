"""Configuration an administrator edits in the UI: publications and topic word lists."""

from __future__ import annotations

from collections.abc import Mapping

from webapp.extensions import db
from webapp.models import LEVELS, Publication, Topic, User
from webapp.services import audit
from webapp.services.access import is_admin, is_editor
from webapp.services.errors import Forbidden, ValidationError

MAX_TOPIC_WORDS = 500


def _require_admin(actor: User | None) -> None:
    if not is_admin(actor):
        raise Forbidden("只有管理员可以修改系统配置")


def save_publication(actor: User | None, code: str, fields: Mapping[str, str]) -> Publication:
    """Create or update a publication (name, issuing office, distribution lists, level, print count)."""
    if not is_editor(actor):
        raise Forbidden("只有编辑和管理员可以配置刊物")
    code = code.strip()
    name = (fields.get("name") or "").strip().strip("《》")
    office = (fields.get("issuing_office") or "").strip()
    if not code or not code.isascii() or not code.replace("_", "").isalnum():
        raise ValidationError("刊物编码只能由字母、数字和下划线组成", code="invalid_code")
    if not name or not office:
        raise ValidationError("请填写刊物名称和编印单位", code="name_required")
    level = fields.get("default_level") or "内部"
    if level not in LEVELS:
        raise ValidationError(f"密级必须是 {'、'.join(LEVELS)} 之一", code="invalid_level")
    raw_count = (fields.get("print_count") or "").strip()
    if raw_count and (not raw_count.isdigit() or int(raw_count) < 1):
        raise ValidationError("印数必须是正整数", code="invalid_number")
    publication = db.session.scalar(db.select(Publication).where(Publication.code == code))
    created = publication is None
    if publication is None:
        publication = Publication(code=code)
        db.session.add(publication)
    publication.name, publication.issuing_office, publication.default_level = name, office, level
    publication.masthead = (fields.get("masthead") or "").strip().strip("《》")
    publication.distribution_upward = (fields.get("distribution_upward") or "").strip()
    publication.distribution_peers = (fields.get("distribution_peers") or "").strip()
    publication.distribution_downward = (fields.get("distribution_downward") or "").strip()
    publication.print_count = int(raw_count) if raw_count else None
    publication.active = fields.get("active", "1") == "1"
    db.session.flush()
    audit.record(
        actor, "publication", publication.id, "create" if created else "update", details={"code": code}
    )
    db.session.commit()
    return publication


def parse_word_list(text: str) -> dict[str, float]:
    """Parse 'word weight' lines (weight optional, default 1); '#' starts a comment."""
    words: dict[str, float] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.replace("\t", " ").split()
        if len(parts) > 2:
            raise ValidationError(f"第 {number} 行格式应为“词语 权重”", code="invalid_words")
        weight = 1.0
        if len(parts) == 2:
            try:
                weight = float(parts[1])
            except ValueError:
                raise ValidationError(f"第 {number} 行的权重不是数字", code="invalid_words") from None
            if not 0 < weight <= 10:
                raise ValidationError(f"第 {number} 行的权重应在 0 到 10 之间", code="invalid_words")
        words[parts[0]] = weight
    if len(words) > MAX_TOPIC_WORDS:
        raise ValidationError(f"每个主题最多 {MAX_TOPIC_WORDS} 个词", code="invalid_words")
    return words


def format_word_list(words: Mapping[str, float]) -> str:
    """The editable text form of a word list, heaviest words first."""
    return "\n".join(
        f"{word} {weight:g}" for word, weight in sorted(words.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def list_topics() -> list[Topic]:
    """Every topic in display order."""
    return list(db.session.scalars(db.select(Topic).order_by(Topic.sort_order, Topic.id)))


def save_topic(actor: User | None, name: str, words_text: str, active: bool = True) -> Topic:
    """Create or update a topic's word list; it applies to new items and to `flask retag`."""
    _require_admin(actor)
    name = name.strip()
    if not name or len(name) > 50:
        raise ValidationError("主题名称不能为空，且不超过 50 字", code="name_required")
    words = parse_word_list(words_text)
    if active and not words:
        raise ValidationError("启用的主题至少需要一个词", code="invalid_words")
    topic = db.session.scalar(db.select(Topic).where(Topic.name == name))
    created = topic is None
    if topic is None:
        order = db.session.scalar(db.select(db.func.max(Topic.sort_order))) or 0
        topic = Topic(name=name, sort_order=order + 1)
        db.session.add(topic)
    topic.words, topic.active = words, active
    db.session.flush()
    audit.record(
        actor,
        "topic",
        topic.id,
        "create" if created else "update",
        details={"name": name, "words": len(words)},
    )
    db.session.commit()
    return topic
