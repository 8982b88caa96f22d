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
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from webapp.extensions import Model

ROLES = ("reporter", "editor", "leader", "admin")
ROLE_LABELS = {"reporter": "信息员", "editor": "编辑", "leader": "领导", "admin": "管理员"}
# Confidentiality levels in rising order; 绝密 must never enter the system (see DOMAIN.md).
LEVELS = ("公开", "内部", "秘密", "机密")
REFUSED_LEVEL = "绝密"
DEFAULT_LEVEL = "内部"
STATUSES = ("submitted", "adopted", "rejected", "returned", "merged")
STATUS_LABELS = {
    "submitted": "待审核",
    "adopted": "已采用",
    "rejected": "不采用",
    "returned": "退回修改",
    "merged": "已合并",
}
# The upper offices' outlets by tier; an item is sent up (上报) or adopted there (上级采用).
OUTLET_TIERS = {"province": "省级", "central": "国家级"}
UPWARD_KINDS = {"sent": "上报", "adopted": "上级采用"}
STANDING_MEASURES = {
    "national_rank": "全国排名",
    "provincial_rank": "全省排名",
    "quality_coefficient": "信息质量系数",
    "direct_point_rank": "直报点排名",
}
# Who instructed on an item (批示), by level.
INSTRUCTION_LEVELS = {"central": "中央领导", "provincial": "省级领导", "municipal": "市级领导"}
ISSUE_STATUSES = {"draft": "草稿", "published": "已印发"}
# What sort of item it is (信息类别), beside its kind: research pieces and emergencies score and
# are timed differently; answers to commissioned requests link to the request.
GENRES = {"dynamic": "动态信息", "research": "调研信息", "emergency": "突发事件信息"}
# An editor's verdict on an answer to a request (约稿): only the first two fulfil it.
REQUEST_VERDICTS = {
    "adopted": "采用",
    "partly": "部分采用",
    "off_topic": "答非所问",
    "evasive": "避重就轻",
    "empty": "空话套话",
    "rejected": "不采用",
}
ACCEPTED_VERDICTS = frozenset({"adopted", "partly"})
# Emergencies by grade (国家突发事件分级): the time limit for the first report is a score rule per grade.
EVENT_GRADES = {"major": "特别重大、重大", "large": "较大", "general": "一般"}
MISSED_KINDS = {"missed": "漏报", "unreported": "不报"}
REQUEST_STATES = {"open": "征集中", "answered": "已报送", "overdue": "已逾期", "closed": "已结束"}
SCORE_CAUSES = {
    "adoption": "本级采用",
    "upward": "上级采用",
    "instruction": "领导批示",
    "problem_bonus": "问题性信息加分",
    "research_bonus": "调研信息加分",
    "request_late": "约稿迟报扣分",
    "request_missing": "约稿未报扣分",
    "request_answer": "约稿答复评定",
    "late_report": "突发事件迟报扣分",
    "missed_report": "漏报扣分",
    "unreported": "不报扣分",
    "correction": "人工调整",
}
AUDIT_ACTIONS = {
    "submit": "报送",
    "adopt": "采用",
    "reject": "不采用",
    "return": "退回修改",
    "resubmit": "修改重报",
    "edit": "编辑修改",
    "restore": "恢复版本",
    "correct_tags": "校正标签",
    "assign_topic": "添加主题",
    "merge": "合并",
    "upward_adoption": "上级采用",
    "upward_sent": "上报",
    "instruction": "领导批示",
    "judge_answer": "评定约稿答复",
    "archive_import": "历史信息导入",
    "withdraw": "撤回",
    "reinstate": "恢复撤回",
}
JOB_KINDS = {
    "import": "批量导入",
    "rescore": "重新计分",
    "retag": "重新标注",
    "reindex": "重建索引",
    "index_repair": "修复索引",
    "train_kind": "训练类型模型",
    "export_report": "导出通报",
}
JOB_STATUSES = {"queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
KIND_LABELS = {"problem": "问题性信息", "achievement": "成绩/经验", "other": "其他"}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC on every database and read back as an aware UTC datetime.

    SQLite keeps no time zone: without this, an aware Asia/Shanghai value would be stored as its
    wall-clock time and read back as if it were UTC, eight hours off.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """Now in UTC; every stored time is UTC and shown in Asia/Shanghai."""
    return datetime.now(UTC)


class UnitCategory(Model):
    """A category of reporting units, ranked separately (市县, 省直部门 …)."""

    __tablename__ = "unit_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[list[Unit]] = relationship(back_populates="category", order_by="Unit.code")


class Unit(Model):
    """A reporting unit (报送单位); direct-reporting points (直报点) also report upward."""

    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    category_id: Mapped[int] = mapped_column(ForeignKey("unit_category.id"))
    direct_reporting: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The information office itself: it files the comprehensive items (综合信息) it composes.
    is_office: Mapped[bool] = mapped_column(Boolean, default=False)
    category: Mapped[UnitCategory] = relationship(back_populates="units")


class User(UserMixin, Model):
    """A person who logs in; reporters belong to a unit and see only its items."""

    __tablename__ = "user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    clearance: Mapped[int] = mapped_column(Integer, default=LEVELS.index(DEFAULT_LEVEL))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Raised by logout, a password, role or clearance change and deactivation: sessions carrying an
    # older number are void.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[Unit | None] = relationship()

    def get_id(self) -> str:
        """Flask-Login's session key: the id and the session version, so old sessions stop working."""
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def sees_all_units(self) -> bool:
        """Editors, leaders and admins see every unit; reporters only their own."""
        return self.role != "reporter"


class Writer(Model):
    """A unit's information writer (信息员) on its roster."""

    __tablename__ = "writer"
    __table_args__ = (UniqueConstraint("unit_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    full_time: Mapped[bool] = mapped_column(Boolean, default=False)  # 专职 (else 兼职)
    leader_in_charge: Mapped[str] = mapped_column(String(50), default="")  # 分管领导
    phone: Mapped[str] = mapped_column(String(32), default="")
    in_post: Mapped[bool] = mapped_column(Boolean, default=True)
    trainings: Mapped[list[str]] = mapped_column(JSON, default=list)  # trainings attended
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    unit: Mapped[Unit] = relationship()


class ApiToken(Model):
    """A per-user API token; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user: Mapped[User] = relationship()


class Topic(Model):
    """A topic with its weighted word list ({word: weight}), editable by an administrator."""

    __tablename__ = "topic"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    words: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


# The columns of ix_item_figures, in order (the migration that creates it names them too).
FIGURE_COLUMNS = (
    "unit_id",
    "event_date",
    "status",
    "kind",
    "withdrawn_at",
    "contains_problems",
    "grassroots",
    "genre",
    "submitted_at",
)


class Item(Model):
    """An information item (信息稿): the original as received plus the analysed copies and tags."""

    __tablename__ = "item"
    # Only withdrawn rows are indexed: an index over the NULLs of every live item misleads SQLite's
    # planner into scanning the whole table for "withdrawn_at IS NULL" (every list and figure).
    __table_args__ = (
        Index(
            "ix_item_withdrawn_at",
            "withdrawn_at",
            sqlite_where=text("withdrawn_at IS NOT NULL"),
            postgresql_where=text("withdrawn_at IS NOT NULL"),
        ),
        # Covers the dashboard's and rankings' aggregates per unit, so they never read the rows (in
        # SQLite a row's later columns sit behind its long texts).
        Index("ix_item_figures", *FIGURE_COLUMNS),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    original_text: Mapped[str] = mapped_column(Text)
    clean_text: Mapped[str] = mapped_column(Text)
    simplified_title: Mapped[str] = mapped_column(String(300))
    simplified_text: Mapped[str] = mapped_column(Text)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    author: Mapped[str] = mapped_column(String(100), default="")
    event_date: Mapped[date] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="submitted", index=True)
    level: Mapped[str] = mapped_column(String(8), default=DEFAULT_LEVEL)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    kind_score: Mapped[float] = mapped_column(default=0.0)
    kind_evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Sentences with a kind, as [start, end, label] offsets into simplified_text (to highlight problems).
    sentences: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    fingerprint: Mapped[int] = mapped_column(BigInteger, default=0)
    source_filename: Mapped[str | None] = mapped_column(String(255))
    source_encoding: Mapped[str | None] = mapped_column(String(32))
    review_reason: Mapped[str | None] = mapped_column(Text)
    is_comprehensive: Mapped[bool] = mapped_column(Boolean, default=False)
    genre: Mapped[str] = mapped_column(String(16), default="dynamic")
    event_time: Mapped[datetime | None] = mapped_column(UTCDateTime())  # emergencies: when it happened
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id"), index=True)
    # An editor's correction of the tags; re-tagging never overwrites a locked field.
    kind_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    topics_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    writer_id: Mapped[int | None] = mapped_column(ForeignKey("writer.id"), index=True)  # the 信息员
    request_verdict: Mapped[str | None] = mapped_column(String(16))  # REQUEST_VERDICTS, on an answer
    event_grade: Mapped[str | None] = mapped_column(String(16))  # EVENT_GRADES, for emergencies
    # Tables of an uploaded Word file, in order: each a list of rows, each a list of cell texts.
    tables: Mapped[list[list[list[str]]] | None] = mapped_column(JSON)
    # An item of another kind whose text also reports a problem ("但也存在…问题"): counted apart.
    contains_problems: Mapped[bool] = mapped_column(Boolean, default=False)
    # SHA-256 of unit + normalised title and text: a rerun of an import skips what is stored.
    content_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # Kinds of grassroots body the text names (nlp.entities.KINDS), each between commas (",企业,农村,"),
    # kept per text version so that the dashboard counts them in SQL; None: not yet computed.
    grassroots: Mapped[str | None] = mapped_column(String(64))
    # Withdrawn by an administrator: hidden from search, figures and bulletins until restored.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    writer: Mapped[Writer | None] = relationship()
    topics: Mapped[list[ItemTopic]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemTopic.score.desc()"
    )
    adoptions: Mapped[list[Adoption]] = relationship(back_populates="item", cascade="all, delete-orphan")
    versions: Mapped[list[ItemVersion]] = relationship(
        back_populates="item", cascade="all, delete-orphan", order_by="ItemVersion.number"
    )
    sources: Mapped[list[ItemSource]] = relationship(
        foreign_keys="ItemSource.item_id", cascade="all, delete-orphan", order_by="ItemSource.id"
    )
    upward_reports: Mapped[list[UpwardReport]] = relationship(
        cascade="all, delete-orphan", order_by="(UpwardReport.reported_on, UpwardReport.id)"
    )
    instructions: Mapped[list[Instruction]] = relationship(
        cascade="all, delete-orphan", order_by="Instruction.instructed_on"
    )
    request: Mapped[Request | None] = relationship(back_populates="answers")
    # What the index and the duplicate check keep from the item's one analysis (None: not yet kept).
    stored_analysis: Mapped[ItemAnalysis | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def source_units(self) -> list[Unit]:
        """The units whose work the item carries: every source unit of a comprehensive item (for
        attribution; who earns the credit is a scoring rule)."""
        if not self.sources:
            return [self.unit]
        units: dict[int, Unit] = {}
        for link in self.sources:
            units.setdefault(link.source.unit_id, link.source.unit)
        return list(units.values())

    @property
    def level_rank(self) -> int:
        return LEVELS.index(self.level)

    @property
    def topic_names(self) -> list[str]:
        return [t.name for t in self.topics]


class ItemAnalysis(Model):
    """The token streams of an item's one analysis (joined by U+001F; they concatenate back to the
    simplified title and text they were cut from), so a status change re-indexes without cutting."""

    __tablename__ = "item_analysis"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), primary_key=True)
    title_tokens: Mapped[str] = mapped_column(Text)
    body_tokens: Mapped[str] = mapped_column(Text)


class SimhashBand(Model):
    """One band of an item's SimHash fingerprint (band number × 256 + its 8 bits): items sharing a
    band are the candidates of the near-duplicate check, found by index instead of a scan (the
    fingerprint rides along, so the candidates are compared without reading the items)."""

    __tablename__ = "simhash_band"
    key: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    fingerprint: Mapped[int] = mapped_column(BigInteger)  # the item's, so a lookup needs no join


class ItemDuplicate(Model):
    """A near-duplicate pair found once, on submission (stored both ways, for the item page)."""

    __tablename__ = "item_duplicate"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[int] = mapped_column(
        ForeignKey("item.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    similarity: Mapped[float] = mapped_column(default=0.0)


class ItemTopic(Model):
    """A topic given to an item, with its score and the words that triggered it."""

    __tablename__ = "item_topic"
    __table_args__ = (UniqueConstraint("item_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    score: Mapped[float] = mapped_column(default=0.0)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    item: Mapped[Item] = relationship(back_populates="topics")


class ItemVersion(Model):
    """One saved state of an item's title and text; version 1 is the text as submitted."""

    __tablename__ = "item_version"
    __table_args__ = (UniqueConstraint("item_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    item: Mapped[Item] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class ItemSource(Model):
    """A source item merged into a comprehensive item (综合信息)."""

    __tablename__ = "item_source"
    __table_args__ = (UniqueConstraint("item_id", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    source: Mapped[Item] = relationship(foreign_keys=[source_id])


class Outlet(Model):
    """An upper office's outlet (上级刊物或渠道): 省委/省政府办公厅's publications, 国办/中办 采用, 国办
    《昨日要情》 …; its points are score rules (by outlet code, with effective dates)."""

    __tablename__ = "outlet"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(16))  # OUTLET_TIERS
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UpwardReport(Model):
    """An item sent up to an outlet (上报) or adopted by it (上级采用), on a date; the upper office's
    own points for it may be recorded as awarded."""

    __tablename__ = "upward_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlet.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # UPWARD_KINDS
    reported_on: Mapped[date] = mapped_column(Date, index=True)
    awarded_points: Mapped[float | None] = mapped_column()
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outlet: Mapped[Outlet] = relationship()


class ExternalStanding(Model):
    """A figure the upper offices publish about this office for a period: a national or provincial
    rank, a 质量系数, a rank among N direct-reporting points."""

    __tablename__ = "external_standing"
    __table_args__ = (UniqueConstraint("period", "measure"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(32), index=True)  # a period key: 2026-05, 2026-Q2, 2026
    measure: Mapped[str] = mapped_column(String(32))  # STANDING_MEASURES
    value: Mapped[float] = mapped_column()
    out_of: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(String(200), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Instruction(Model):
    """A leader's written instruction (批示) on an item."""

    __tablename__ = "instruction"
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    leader: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(16))
    instructed_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Publication(Model):
    """A bulletin title (刊物) with its own yearly numbering and default distribution."""

    __tablename__ = "publication"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    masthead: Mapped[str] = mapped_column(String(100), default="")  # the 报头 text, when not the name
    issuing_office: Mapped[str] = mapped_column(String(100))
    distribution_upward: Mapped[str] = mapped_column(String(500), default="")
    distribution_peers: Mapped[str] = mapped_column(String(500), default="")
    distribution_downward: Mapped[str] = mapped_column(String(500), default="")
    default_level: Mapped[str] = mapped_column(String(8), default=DEFAULT_LEVEL)
    print_count: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Adoption(Model):
    """An item adopted (采用) into a publication by an editor."""

    __tablename__ = "adoption"
    __table_args__ = (UniqueConstraint("item_id", "publication_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    adopted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    item: Mapped[Item] = relationship(back_populates="adoptions")
    publication: Mapped[Publication] = relationship()
    adopted_by: Mapped[User | None] = relationship()


class BulletinIssue(Model):
    """One issue (期) of a publication: a draft until published, when it gets the next number.

    Numbers restart each calendar year and are given only at publication, so an abandoned draft
    never leaves a gap.
    """

    __tablename__ = "bulletin_issue"
    __table_args__ = (UniqueConstraint("publication_id", "year", "supplement", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    supplement: Mapped[bool] = mapped_column(Boolean, default=False)
    issue_date: Mapped[date] = mapped_column(Date)
    editor_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    publication: Mapped[Publication] = relationship()
    created_by: Mapped[User | None] = relationship()
    entries: Mapped[list[BulletinEntry]] = relationship(
        back_populates="issue", cascade="all, delete-orphan", order_by="BulletinEntry.position"
    )

    @property
    def number_label(self) -> str:
        """第N期 / 增刊第N期, or 草稿 before publication."""
        if self.number is None:
            return "草稿"
        return f"{'增刊' if self.supplement else ''}第{self.number}期"

    @property
    def label(self) -> str:
        return f"《{self.publication.name}》{self.year}年{self.number_label}"


class BulletinEntry(Model):
    """An item placed in an issue, in order, optionally under a column heading (栏目)."""

    __tablename__ = "bulletin_entry"
    __table_args__ = (UniqueConstraint("issue_id", "item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("bulletin_issue.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    position: Mapped[int] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(50))
    # Frozen at publication, so later edits to the item don't change a published issue.
    title: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    unit_name: Mapped[str | None] = mapped_column(String(300))
    issue: Mapped[BulletinIssue] = relationship(back_populates="entries")
    item: Mapped[Item] = relationship()


class Request(Model):
    """A commissioned request (约稿): a topic, the units asked, and a deadline."""

    __tablename__ = "request"
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date] = mapped_column(Date, index=True)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # A request may carry out a leader's 批示 ("请各县区3日内报送"): who, what, and the days allowed.
    instruction_leader: Mapped[str | None] = mapped_column(String(100))
    instruction_text: Mapped[str | None] = mapped_column(Text)
    time_limit_days: Mapped[int | None] = mapped_column(Integer)
    targets: Mapped[list[RequestTarget]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestTarget.id"
    )
    answers: Mapped[list[Item]] = relationship(back_populates="request", order_by="Item.submitted_at")


class RequestTarget(Model):
    """A unit a request was issued to."""

    __tablename__ = "request_target"
    __table_args__ = (UniqueConstraint("request_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    request: Mapped[Request] = relationship(back_populates="targets")
    unit: Mapped[Unit] = relationship()


class MissedReport(Model):
    """An event a unit failed to report, learned elsewhere and recorded by an editor: 漏报 (reported
    incompletely or only in part) or 不报 (never reported at all), by `kind`."""

    __tablename__ = "missed_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    event_date: Mapped[date] = mapped_column(Date, index=True)
    description: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), default="missed")  # MISSED_KINDS
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    unit: Mapped[Unit] = relationship()


class ScoreRuleSet(Model):
    """Scoring rules in force from a date on; an older set keeps scoring the facts of its time."""

    __tablename__ = "score_rule_set"
    id: Mapped[int] = mapped_column(primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, unique=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class ScoreEntry(Model):
    """One line of the score ledger: points for a unit, dated, pointing at their cause."""

    __tablename__ = "score_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    points: Mapped[float] = mapped_column(default=0.0)
    cause: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("request.id", ondelete="CASCADE"), index=True)
    source_id: Mapped[int | None] = mapped_column(Integer)  # the adoption/instruction/… row it came from
    rule_set_id: Mapped[int | None] = mapped_column(ForeignKey("score_rule_set.id"))
    note: Mapped[str] = mapped_column(String(300), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # manual corrections only
    unit: Mapped[Unit] = relationship()
    item: Mapped[Item | None] = relationship()


class UnitTarget(Model):
    """A unit's yearly target in points, when set by hand instead of from last year's average."""

    __tablename__ = "unit_target"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    year: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column()


class SavedSearch(Model):
    """A search a user keeps on their start page, with what it found at their last visit."""

    __tablename__ = "saved_search"
    __table_args__ = (UniqueConstraint("user_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # the search page's parameters
    last_total: Mapped[int] = mapped_column(Integer, default=0)
    last_visited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Setting(Model):
    """Office-wide settings an administrator edits (priorities, balance targets, thresholds)."""

    __tablename__ = "setting"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)


class Job(Model):
    """A long piece of work run by the task queue (JOB_KINDS), with its progress, log and result."""

    __tablename__ = "job"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)  # JOB_STATUSES
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    log: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[User | None] = relationship()

    @property
    def percent(self) -> int:
        return min(100, round(100 * self.progress / self.total)) if self.total else 0


class AuditEvent(Model):
    """One state change: who, when, what, from, to, why."""

    __tablename__ = "audit_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actor: Mapped[User | None] = relationship()


class SharedArtifact(Model):
    """Something the office changes at run time that every host must use (the refined kind model,
    the keyword IDF table): one row per name, its version grows on every write so that a process
    notices a newer one with one small query."""

    __tablename__ = "shared_artifact"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), default="")  # command, user or imported file
