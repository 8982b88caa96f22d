"""Typed SQLAlchemy models: the database is the source of truth for every item and its history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db

ROLES = ("reporter", "editor", "leader", "admin")
ROLE_LABELS = {"reporter": "信息员", "editor": "编辑", "leader": "领导", "admin": "管理员"}
# Confidentiality levels in rising order; 绝密 must never enter the system (see DOMAIN.md).
LEVELS = ("公开", "内部", "秘密", "机密")
REFUSED_LEVEL = "绝密"
DEFAULT_LEVEL = "内部"
STATUSES = ("submitted", "adopted", "rejected", "returned")
STATUS_LABELS = {"submitted": "待审核", "adopted": "已采用", "rejected": "不采用", "returned": "退回修改"}
KIND_LABELS = {"problem": "问题性信息", "achievement": "成绩/经验", "other": "其他"}


def utcnow() -> datetime:
    """Now in UTC; every stored time is UTC and shown in Asia/Shanghai."""
    return datetime.now(UTC)


class UnitCategory(db.Model):  # type: ignore[name-defined,misc]
    """A category of reporting units, ranked separately (市县, 省直部门 …)."""

    __tablename__ = "unit_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[list[Unit]] = relationship(back_populates="category", order_by="Unit.code")


class Unit(db.Model):  # type: ignore[name-defined,misc]
    """A reporting unit (报送单位); direct-reporting points (直报点) also report upward."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("unit_category.id"))
    direct_reporting: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    category: Mapped[UnitCategory] = relationship(back_populates="units")


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person who logs in; reporters belong to a unit and see only its items."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    clearance: Mapped[int] = mapped_column(Integer, default=len(LEVELS) - 1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    unit: Mapped[Unit | None] = relationship()

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def sees_all_units(self) -> bool:
        """Editors, leaders and admins see every unit; reporters only their own."""
        return self.role != "reporter"


class ApiToken(db.Model):  # type: ignore[name-defined,misc]
    """A per-user API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user: Mapped[User] = relationship()


class Topic(db.Model):  # type: ignore[name-defined,misc]
    """A topic with its weighted word list ({word: weight}), editable by an administrator."""

    __tablename__ = "topic"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    words: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Item(db.Model):  # type: ignore[name-defined,misc]
    """An information item (信息稿): the original as received plus the analysed copies and tags."""

    __tablename__ = "item"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    original_text: Mapped[str] = mapped_column(Text)
    clean_text: Mapped[str] = mapped_column(Text)
    simplified_title: Mapped[str] = mapped_column(String(300))
    simplified_text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    author: Mapped[str] = mapped_column(String(100), default="")
    event_date: Mapped[date] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    level: Mapped[str] = mapped_column(String(8), default=DEFAULT_LEVEL)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    kind_score: Mapped[float] = mapped_column(default=0.0)
    kind_evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    fingerprint: Mapped[int] = mapped_column(BigInteger, default=0)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_encoding: Mapped[str | None] = mapped_column(String(32))
    review_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    topics: Mapped[list[ItemTopic]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemTopic.score.desc()"
    )
    adoptions: Mapped[list[Adoption]] = relationship(back_populates="item", cascade="all, delete-orphan")

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level)

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]


class ItemTopic(db.Model):  # type: ignore[name-defined,misc]
    """A topic given to an item, with its score and the words that triggered it."""

    __tablename__ = "item_topic"
    __table_args__ = (UniqueConstraint("item_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    item: Mapped[Item] = relationship(back_populates="topics")


class Publication(db.Model):  # type: ignore[name-defined,misc]
    """A bulletin title (刊物) with its own yearly numbering and default distribution."""

    __tablename__ = "publication"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    issuing_office: Mapped[str] = mapped_column(String(100))
    distribution_upward: Mapped[str] = mapped_column(String(500), default="")
    distribution_peers: Mapped[str] = mapped_column(String(500), default="")
    distribution_downward: Mapped[str] = mapped_column(String(500), default="")
    default_level: Mapped[str] = mapped_column(String(8), default=DEFAULT_LEVEL)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Adoption(db.Model):  # type: ignore[name-defined,misc]
    """An item adopted (采用) into a publication by an editor."""

    __tablename__ = "adoption"
    __table_args__ = (UniqueConstraint("item_id", "publication_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    adopted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    item: Mapped[Item] = relationship(back_populates="adoptions")
    publication: Mapped[Publication] = relationship()
    adopted_by: Mapped[User | None] = relationship()


class BulletinIssue(db.Model):  # type: ignore[name-defined,misc]
    """One numbered issue (期) of a publication; numbers restart each calendar year."""

    __tablename__ = "bulletin_issue"
    __table_args__ = (UniqueConstraint("publication_id", "year", "supplement", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    supplement: Mapped[bool] = mapped_column(Boolean, default=False)
    issue_date: Mapped[date] = mapped_column(Date)
    editor_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    publication: Mapped[Publication] = relationship()
    created_by: Mapped[User | None] = relationship()
    entries: Mapped[list[BulletinEntry]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", order_by="BulletinEntry.position"
    )

    @property
    def label(self) -> str:
        prefix = "增刊" if self.supplement else ""
        return f"《{self.publication.name}》{self.year}年{prefix}第{self.number}期"


class BulletinEntry(db.Model):  # type: ignore[name-defined,misc]
    """An item placed in an issue, in order, optionally under a column heading (栏目)."""

    __tablename__ = "bulletin_entry"
    __table_args__ = (UniqueConstraint("issue_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("bulletin_issue.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    position: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(50))
    issue: Mapped[BulletinIssue] = relationship(back_populates="entries")
    item: Mapped[Item] = relationship()


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """One state change: who, when, what, from, to, why."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[User | None] = relationship()
