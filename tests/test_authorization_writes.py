"""Nobody changes what they may not: every state-changing route (POST, PUT, DELETE) of the app,
generated from its URL map, tried as every kind of user with a plausible body aimed at things the user
may not see or touch.

The office is the one of `tests/test_authorization.py` (each item with its own canary word), grown by
fresh, returned and further drafted items, a standing, spare API tokens, a leader's level and a
low-clearance administrator. For every attempt: no 500, no canary the user may not see in the response
(flash messages included: shown on the next page), and, when the rule written out here (independently
of `webapp.services.access`) says the user may not do it, nothing changed in the database: every
table's rows, minus bookkeeping (a token's `last_used_at`, a saved search's `last_visited_at`), are
hashed before and after. Allowed attempts change what they change (only the first few per route are
sent, to keep the run short); the database (and the index) are then put back as they were, so every
attempt meets the same office. A new route, or a new path argument, fails the test until it is given a
body and a rule here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from nlp import Segmenter
from tests.conftest import close_app, make_app
from tests.test_authorization import (
    PASSWORD,
    UNITS,
    VIEWERS,
    Office,
    Viewer,
    _build_office,
    _canary,
    _submit,
    _text,
    _viewer_sees,
)
from webapp.extensions import db
from webapp.models import (
    JOB_KINDS,
    LEVELS,
    ApiToken,
    BulletinIssue,
    ExternalStanding,
    Item,
    Job,
    Request,
    SavedSearch,
    Topic,
    Unit,
    User,
)
from webapp.services import bulletins, editing, items, scoring, upward, users
from webapp.services.bulletins import EntryInput
from webapp.services.indexing import sync_ids
from webapp.timeutil import local_today

WRITE_METHODS = frozenset({"POST", "PUT", "DELETE", "PATCH"})
ALLOWED_PER_ROUTE = 2
# An administrator cleared only for 公开: administration, yes; items above the clearance, no.
ADMIN_LOW = Viewer("admin_low", "admin", LEVELS.index("公开"))
WRITERS = [*VIEWERS, ADMIN_LOW]
# Bookkeeping a refused request may touch: the token it came with, the visit of a saved search.
IGNORED_COLUMNS = {("api_token", "last_used_at"), ("saved_search", "last_visited_at")}
NEW_TEXT = (
    "改写后的正文：县里召开专题会议部署秋粮收购工作，要求各乡镇落实收购资金，做好仓储准备，"
    "确保颗粒归仓。截至目前已收购秋粮三万吨。"
)


# --- the rule, written out independently of access.py --------------------------------------------


def sees(viewer: Viewer, item: Item) -> bool:
    """The GET test's rule, with administrators too held to their clearance."""
    if viewer.role is None:
        return False
    return _viewer_sees(viewer, item) and LEVELS.index(item.level) <= viewer.clearance


def is_editor(viewer: Viewer) -> bool:
    return viewer.role in ("editor", "admin")


def is_admin(viewer: Viewer) -> bool:
    return viewer.role == "admin"


def forbidden_canaries(office: Office, viewer: Viewer) -> set[str]:
    hidden = set()
    for canary, item_id in office.canaries.items():
        if item_id < 0:  # a request's topic: the desk, leaders and its target units see it
            commissioned = db.session.get(Request, -item_id)
            assert commissioned is not None
            targets = {t.unit.code for t in commissioned.targets}
            if viewer.role is None or (viewer.role == "reporter" and viewer.unit not in targets):
                hidden.add(canary)
            continue
        item = db.session.get(Item, item_id)
        assert item is not None
        if not sees(viewer, item):
            hidden.add(canary)
    return hidden


# --- the office ------------------------------------------------------------------------------------


@dataclass
class WriteOffice:
    """The office, its pristine database copy, and what each URL argument can take."""

    office: Office
    db_path: str
    pristine: sqlite3.Connection | None = None
    pristine_state: dict[str, tuple[int, str]] = field(default_factory=dict)
    args: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    restores: int = 0
    touched: set[int] = field(default_factory=set)
    raw: sqlite3.Connection | None = None
    _version: int = -1
    _state: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def app(self) -> Flask:
        return self.office.app

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """Row count and a hash of the rows of every table (bookkeeping columns left out), read on a
        connection of its own; unchanged when no other connection has committed since."""
        db.session.rollback()  # what a request left uncommitted dies with its session in production
        if self.raw is None:
            self.raw = sqlite3.connect(self.db_path, isolation_level=None)
        version = self.raw.execute("PRAGMA data_version").fetchone()[0]
        if version == self._version and self._state:
            return self._state
        state = {}
        for table in db.metadata.sorted_tables:
            columns = [c.name for c in table.columns if (table.name, c.name) not in IGNORED_COLUMNS]
            keys = [c.name for c in table.primary_key.columns]
            sql = f'SELECT {", ".join(columns)} FROM "{table.name}" ORDER BY {", ".join(keys)}'
            rows = self.raw.execute(sql).fetchall()
            state[table.name] = (len(rows), hashlib.sha1(repr(rows).encode()).hexdigest())
        self._version, self._state = version, state
        return state

    def keep_pristine(self) -> None:
        db.session.remove()
        db.engine.dispose()
        self.pristine = sqlite3.connect(":memory:")
        source = sqlite3.connect(self.db_path)
        source.backup(self.pristine)
        source.close()
        self.pristine_state = self.snapshot()

    def restore(self) -> None:
        """Put the database back as it was; the index follows in `sync_index`."""
        db.session.rollback()
        self.touched |= set(db.session.scalars(db.select(Item.id)))
        db.session.remove()
        db.engine.dispose()
        assert self.pristine is not None
        target = sqlite3.connect(self.db_path)
        self.pristine.backup(target)
        target.close()
        self.restores += 1

    def sync_index(self) -> None:
        """Make the index agree with the (restored) database again: once per viewer, not per restore,
        since no write decision reads the index."""
        if self.touched:
            sync_ids(self.touched | set(db.session.scalars(db.select(Item.id))))
            self.touched = set()
            db.session.remove()


def _grow(office: Office) -> None:
    """What the write attempts need beyond the GET test's office."""
    editor = db.session.scalar(db.select(User).where(User.username == "editor_top"))
    admin = db.session.scalar(db.select(User).where(User.username == "admin_top"))
    n = max(int(c[3:7]) for c in office.canaries) + 1
    # Awaiting review at every level in both units (adoptable, mergeable, taggable).
    for unit in UNITS:
        for level in LEVELS:
            _submit(unit, level, n)
            n += 1
    # Returned for revision: what a unit resubmits.
    for unit, level in (("yx", "公开"), ("yx", "机密"), ("nyj", "内部"), ("nyj", "秘密")):
        returned = _submit(unit, level, n)
        n += 1
        items.review_item(editor, returned.id, "return", None, "请补充具体数据")
    # A second draft, in the other publication, holding only a 公开 item.
    public = office.canaries[_canary(1)]  # yx's 公开 item, adopted
    bulletins.create_issue(editor, "yqxx", [EntryInput(public)])
    users.create_user(ADMIN_LOW.name, PASSWORD, "admin", None, clearance=LEVELS[ADMIN_LOW.clearance])
    leader = db.session.scalar(db.select(User).where(User.username == "leader_low"))
    assert leader is not None
    editing.set_leader_level(admin, leader.id, "municipal")
    upward.record_standing(editor, f"{local_today().year}-01", "provincial_rank", 3, 11, "全省第三")
    for item in db.session.scalars(db.select(Item)):
        found = re.findall(r"Qzc\d{4}k", item.title)
        if found and found[0] not in office.canaries:
            office.canaries[found[0]] = item.id
    db.session.commit()


@pytest.fixture(scope="module")
def wo(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter) -> Iterator[WriteOffice]:
    path = tmp_path_factory.mktemp("authz_writes")
    app = make_app(path, segmenter, WTF_CSRF_ENABLED=False, XINXI_RATELIMIT_ENABLED="0")
    with app.app_context():
        office = _build_office(app)
        _grow(office)
        found = WriteOffice(office, str(path / "xinxi.db"))
        found.tokens = dict(office.tokens)
        for viewer in WRITERS:
            if viewer.role is not None:
                if viewer.name not in found.tokens:
                    found.tokens[viewer.name] = users.issue_api_token(viewer.name)
                users.issue_api_token(viewer.name, "spare")  # something to revoke
        found.args = {
            "item_id": [str(i) for i in db.session.scalars(db.select(Item.id).order_by(Item.id))],
            "issue_id": [str(i) for i in db.session.scalars(db.select(BulletinIssue.id))],
            "request_id": [str(i) for i in db.session.scalars(db.select(Request.id))],
            "saved_id": [str(i) for i in db.session.scalars(db.select(SavedSearch.id))],
            "user_id": [str(i) for i in db.session.scalars(db.select(User.id))],
            "token_id": [str(i) for i in db.session.scalars(db.select(ApiToken.id))],
            "standing_id": [str(i) for i in db.session.scalars(db.select(ExternalStanding.id))],
            "code": [*UNITS, *db.session.scalars(db.select(Unit.code).where(Unit.is_office))],
            "job_id": [str(i) for i in db.session.scalars(db.select(Job.id))],
            "kind": list(JOB_KINDS),
        }
        found.keep_pristine()
        yield found
        for connection in (found.pristine, found.raw):
            if connection is not None:
                connection.close()
        close_app(app)


# --- the attempts ----------------------------------------------------------------------------------


@dataclass
class Ctx:
    """One route with its arguments filled, as one viewer."""

    viewer: Viewer
    args: dict[str, str]

    @property
    def editor(self) -> bool:
        return is_editor(self.viewer)

    @property
    def admin(self) -> bool:
        return is_admin(self.viewer)

    @property
    def item(self) -> Item:
        found = db.session.get(Item, int(self.args["item_id"]))
        assert found is not None
        return found

    @property
    def issue(self) -> BulletinIssue:
        found = db.session.get(BulletinIssue, int(self.args["issue_id"]))
        assert found is not None
        return found

    @property
    def user(self) -> User:
        found = db.session.get(User, int(self.args["user_id"]))
        assert found is not None
        return found

    def me(self) -> User | None:
        return db.session.scalar(db.select(User).where(User.username == self.viewer.name))

    def sees(self, item: Item) -> bool:
        return sees(self.viewer, item)

    def hostile_ids(self, *statuses: str) -> list[int]:
        """One item the viewer sees (first, so a half-done bulk action shows), then every one of
        these statuses they do not; withdrawn items count among the unseen."""
        query = db.select(Item).order_by(Item.id)
        if statuses:
            query = query.where(Item.status.in_(statuses))
        rows = list(db.session.scalars(query))
        seen = [i.id for i in rows if self.sees(i) and i.withdrawn_at is None]
        unseen = [i.id for i in rows if not self.sees(i)]
        return seen[:1] + unseen if unseen else seen[:2]

    def all_seen(self, ids: list[int]) -> bool:
        return all(self.sees(i) for i in (db.session.get(Item, x) for x in ids) if i is not None)

    def sees_unit(self, code: str) -> bool:
        return self.editor or (self.viewer.role == "reporter" and self.viewer.unit == code)


Attempt = tuple[dict[str, Any], bool]  # body, allowed by the rule
Spec = Callable[[Ctx], list[Attempt]]


def _today() -> str:
    return local_today().isoformat()


def _other_unit(ctx: Ctx) -> str:
    return "nyj" if ctx.viewer.unit == "yx" else "yx"


def _topic() -> str:
    name = db.session.scalar(db.select(Topic.name).where(Topic.active).order_by(Topic.sort_order))
    assert name is not None
    return name


def _item_rule(ctx: Ctx) -> bool:
    return ctx.editor and ctx.sees(ctx.item)


def _issue_entries(ctx: Ctx) -> list[int]:
    return [e.item_id for e in ctx.issue.entries]


def _compose_rule(ctx: Ctx, ids: list[int]) -> bool:
    return (
        ctx.editor and ctx.issue.status == "draft" and ctx.all_seen(_issue_entries(ctx)) and ctx.all_seen(ids)
    )


def _new_item(ctx: Ctx, api: bool) -> list[Attempt]:
    unit = _other_unit(ctx)
    body = {"title": "敌意报送的标题", "text": NEW_TEXT, "unit": unit, "level": "公开"}
    allowed = ctx.editor or (ctx.viewer.role == "reporter" and ctx.viewer.unit == unit)
    return [(body, allowed)]


def _withdrawal(ctx: Ctx) -> list[Attempt]:
    return [({"reason": "敌意撤回"}, ctx.admin and ctx.sees(ctx.item))]


def _resubmit_rule(ctx: Ctx) -> bool:
    """A returned item is revised by its own unit's reporters, or at the desk; nobody else."""
    item = ctx.item
    if not ctx.sees(item):
        return False
    own = ctx.viewer.role == "reporter" and item.unit.code == ctx.viewer.unit
    return own or ctx.editor


def _bulk(ctx: Ctx) -> list[Attempt]:
    adopt = ctx.hostile_ids("submitted")
    merge = ctx.hostile_ids("submitted", "returned")
    tag = ctx.hostile_ids()
    return [
        ({"action": "adopt", "publication": "yqxx", "item_ids": adopt}, ctx.editor and ctx.all_seen(adopt)),
        (
            {"action": "reject", "reason": "敌意不采用", "item_ids": adopt},
            ctx.editor and ctx.all_seen(adopt),
        ),
        (
            {"action": "merge", "merge_title": "敌意合并的综合信息", "item_ids": merge},
            ctx.editor and ctx.all_seen(merge),
        ),
        (
            {"action": "assign_topic", "topic": _topic(), "item_ids": tag},
            ctx.editor and ctx.all_seen(tag),
        ),
    ]


def _compose(ctx: Ctx) -> list[Attempt]:
    current = _issue_entries(ctx)
    hostile = ctx.hostile_ids("adopted")
    kept = [i for i in current if ctx.sees(db.session.get(Item, i))]  # type: ignore[arg-type]
    return [
        ({"entry": current, "editor_note": "敌意修改的编者按"}, _compose_rule(ctx, current)),
        (
            {"entry": kept, "add": hostile, "editor_note": "敌意加入"},
            _compose_rule(ctx, kept + hostile),
        ),
    ]


def _create_issue(ctx: Ctx) -> list[Attempt]:
    hostile = ctx.hostile_ids("adopted")
    return [({"publication": "yqxx", "add": hostile}, ctx.editor and ctx.all_seen(hostile))]


def _api_bulletin(ctx: Ctx) -> list[Attempt]:
    hostile = ctx.hostile_ids("adopted")
    body = {"publication": "yqxx", "item_ids": hostile, "publish": True}
    return [(body, ctx.editor and ctx.all_seen(hostile))]


def _judge(ctx: Ctx) -> list[Attempt]:
    return [({"verdict": "adopted"}, _item_rule(ctx))]


def _administer(ctx: Ctx) -> list[Attempt]:
    return [
        ({"action": "deactivate"}, ctx.admin),
        ({"action": "update", "role": "admin", "clearance": "机密", "unit": ""}, ctx.admin),
        ({"action": "password", "password": "Hostile-Pass-2026-x"}, ctx.admin),
    ]


def _revoke(ctx: Ctx) -> list[Attempt]:
    token = db.session.get(ApiToken, int(ctx.args["token_id"]))
    me = ctx.me()
    assert token is not None
    return [({}, me is not None and (ctx.admin or token.user_id == me.id))]


def _delete_saved(ctx: Ctx) -> list[Attempt]:
    saved = db.session.get(SavedSearch, int(ctx.args["saved_id"]))
    me = ctx.me()
    assert saved is not None
    return [({}, me is not None and saved.user_id == me.id)]


def _score(ctx: Ctx) -> list[Attempt]:
    year = local_today().year
    return [
        ({"action": "correction", "day": _today(), "points": "5", "note": "敌意加分"}, ctx.editor),
        ({"action": "target", "year": str(year), "points": "99"}, ctx.admin),
    ]


def _rules() -> dict[str, Any]:
    _, rules = scoring.rule_book().at(local_today())
    return dataclasses.asdict(rules)


def _scoring_page(ctx: Ctx) -> list[Attempt]:
    return [({"section": "setting", "key": "research_quota", "value": "7"}, ctx.admin)]


# Editors import and export; administrators also rescore, retag, reindex, repair and train.
EDITOR_JOBS = frozenset({"import", "export_report"})


def _may_run(ctx: Ctx, kind: str) -> bool:
    return ctx.admin or (ctx.editor and kind in EDITOR_JOBS)


def _retry(ctx: Ctx) -> list[Attempt]:
    job = db.session.get(Job, int(ctx.args["job_id"]))
    me = ctx.me()
    assert job is not None
    mine = me is not None and job.created_by_id == me.id
    return [({}, _may_run(ctx, job.kind) and (ctx.admin or mine))]


def _import(ctx: Ctx) -> list[Attempt]:
    upload = (io.BytesIO(NEW_TEXT.encode()), "敌意导入.txt")
    body = {"files": upload, "unit": _other_unit(ctx), "level": "机密", "event_date": _today()}
    return [(body, _may_run(ctx, "import"))]


def _logged_in(ctx: Ctx) -> bool:
    return ctx.viewer.role is not None


SPECS: dict[str, Spec] = {
    # Session and account: a hostile user knows no password but their own.
    "auth.login": lambda ctx: [({"username": "admin_top", "password": "wrong-Pass-2026"}, False)],
    "auth.logout": lambda ctx: [({}, _logged_in(ctx))],
    "auth.account": lambda ctx: [
        (
            {
                "current": "not-my-Pass-2026",
                "new_password": "Hostile-Pass-2026-y",
                "confirm": "Hostile-Pass-2026-y",
            },
            False,
        )
    ],
    "auth.create_token": lambda ctx: [({"name": "敌意令牌", "expires_days": "30"}, _logged_in(ctx))],
    "auth.revoke_token": _revoke,
    # Items.
    "pages.new_item": lambda ctx: _new_item(ctx, api=False),
    "api.create_item": lambda ctx: _new_item(ctx, api=True),
    "pages.review": lambda ctx: [({"action": "adopt", "publication": "yqxx"}, _item_rule(ctx))],
    "api.review_item": lambda ctx: [({"action": "adopt", "publication": "yqxx"}, _item_rule(ctx))],
    "pages.resubmit": lambda ctx: [
        ({"title": "敌意修改后重报", "text": NEW_TEXT, "note": "敌意"}, _resubmit_rule(ctx))
    ],
    "pages.my_instruction": lambda ctx: [
        (
            {"instructed_on": _today(), "text": "请抓紧研究"},
            ctx.viewer.role == "leader" and ctx.sees(ctx.item),
        )
    ],
    "desk.edit": lambda ctx: [
        ({"title": "敌意改写的标题", "text": NEW_TEXT, "note": "敌意"}, _item_rule(ctx))
    ],
    "desk.restore": lambda ctx: [({"number": "1"}, _item_rule(ctx))],
    "desk.tags": lambda ctx: [({"kind": "problem", "topics": [_topic()]}, _item_rule(ctx))],
    "desk.upward": lambda ctx: [
        ({"outlet": "zryq", "kind": "adopted", "day": _today(), "note": "敌意"}, _item_rule(ctx))
    ],
    "api.record_upward": lambda ctx: [
        ({"outlet": "zryq", "kind": "adopted", "date": _today(), "note": "敌意"}, _item_rule(ctx))
    ],
    "desk.instruction": lambda ctx: [
        (
            {"leader": "敌意书记", "level": "municipal", "instructed_on": _today(), "text": "阅"},
            _item_rule(ctx),
        )
    ],
    "admin.withdraw": _withdrawal,
    "api.withdraw_item": _withdrawal,
    "admin.reinstate": _withdrawal,
    "api.reinstate_item": _withdrawal,
    "desk.bulk": _bulk,
    # Requests.
    "office.request_list": lambda ctx: [
        (
            {
                "topic": "敌意约稿",
                "description": "请报送",
                "deadline": (local_today() + timedelta(days=3)).isoformat(),
                "units": list(UNITS),
            },
            ctx.editor,
        )
    ],
    "api.create_request": lambda ctx: [
        (
            {
                "topic": "敌意约稿",
                "description": "请报送",
                "deadline": (local_today() + timedelta(days=3)).isoformat(),
                "units": list(UNITS),
            },
            ctx.editor,
        )
    ],
    "office.judge_answer": _judge,
    "api.judge_answer": _judge,
    "office.close_request": lambda ctx: [({}, ctx.editor)],
    # Bulletins.
    "bulletins.index": _create_issue,
    "bulletins.show": _compose,
    "bulletins.publish": lambda ctx: [({}, _compose_rule(ctx, []))],
    "api.create_bulletin": _api_bulletin,
    # Units' records and scores.
    "office.adjust_score": _score,
    "office.record_missed": lambda ctx: [
        ({"event_date": _today(), "description": "敌意登记漏报", "kind": "missed"}, ctx.editor)
    ],
    "office.save_writer": lambda ctx: [
        ({"name": "敌意信息员", "full_time": "1", "phone": "13800000000"}, ctx.sees_unit(ctx.args["code"]))
    ],
    "office.record_standing": lambda ctx: [
        ({"period": f"{local_today().year}-02", "measure": "national_rank", "value": "1"}, ctx.editor)
    ],
    "office.delete_standing": lambda ctx: [({}, ctx.editor)],
    # Configuration.
    "admin.publications": lambda ctx: [
        ({"code": "mrkb", "name": "敌意快报", "issuing_office": "敌意办公室"}, ctx.editor)
    ],
    "admin.topics": lambda ctx: [({"name": "敌意主题", "words": "秋粮 2"}, ctx.admin)],
    "admin.user_list": lambda ctx: [
        (
            {
                "username": "intruder",
                "password": "Intruder-Pass-2026-z",
                "role": "admin",
                "clearance": "机密",
            },
            ctx.admin,
        )
    ],
    "admin.administer": _administer,
    "desk.leader_level": lambda ctx: [({"level": "central"}, ctx.admin)],
    "office.outlets": lambda ctx: [
        ({"code": "hostile", "name": "敌意刊物", "tier": "province", "points": "9"}, ctx.admin)
    ],
    "api.save_outlet": lambda ctx: [
        ({"code": "hostile", "name": "敌意刊物", "tier": "province", "points": 9}, ctx.admin)
    ],
    "office.unit_admin": lambda ctx: [
        ({"code": "hostile", "name": "敌意单位", "category": "xq"}, ctx.admin),
        ({"section": "category", "code": "hostile", "name": "敌意类别"}, ctx.admin),
    ],
    "api.save_unit": lambda ctx: [({"code": "hostile", "name": "敌意单位", "category": "xq"}, ctx.admin)],
    "office.scoring_settings": _scoring_page,
    "api.save_scoring_rules": lambda ctx: [
        ({"effective_from": f"{local_today().year}-01-01", "rules": {**_rules(), "bonus": 1}}, ctx.admin)
    ],
    # Long work.
    "jobs.start": lambda ctx: [({"period": str(local_today().year)}, _may_run(ctx, ctx.args["kind"]))],
    "jobs.start_import": _import,
    "jobs.retry": _retry,
    # Saved searches: anyone's own.
    "pages.save_search": lambda ctx: [({"name": "敌意检索", "q": "秋粮"}, _logged_in(ctx))],
    "pages.delete_saved": _delete_saved,
}


# --- the run ---------------------------------------------------------------------------------------


def _fill(rule: Rule, combo: dict[str, str]) -> str:
    url = rule.rule
    for arg, value in combo.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, url)
    return url


def write_routes(wo: WriteOffice) -> list[tuple[Rule, str, str, dict[str, str]]]:
    """Every state-changing route with its arguments filled: (rule, method, url, args)."""
    routes = []
    unknown, unspecified = [], []
    for rule in wo.app.url_map.iter_rules():
        methods = sorted((rule.methods or set()) & WRITE_METHODS)
        if not methods:
            continue
        if rule.endpoint not in SPECS:
            unspecified.append(f"{rule.rule} ({rule.endpoint})")
            continue
        combos: list[dict[str, str]] = [{}]
        for arg in sorted(rule.arguments):
            if arg not in wo.args:
                unknown.append(f"{rule.rule} ({arg})")
                break
            combos = [{**c, arg: v} for c in combos for v in wo.args[arg]]
        for combo in combos:
            for method in methods:
                routes.append((rule, method, _fill(rule, combo), combo))
    assert not unknown, (
        f"routes with arguments this test cannot fill; add them to WriteOffice.args: {unknown}"
    )
    assert not unspecified, (
        f"state-changing routes without a body and a rule here; add them to SPECS: {unspecified}"
    )
    return routes


def _login(app: Flask, viewer: Viewer) -> FlaskClient:
    client = app.test_client()
    if viewer.role is not None:
        response = client.post("/login", data={"username": viewer.name, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> list[str]:
    return [
        f"{name} ({before[name][0]}→{after[name][0]} rows)" for name in before if before[name] != after[name]
    ]


@pytest.mark.parametrize("viewer", WRITERS, ids=lambda v: v.name)
def test_no_write_route_changes_what_the_user_may_not(wo: WriteOffice, viewer: Viewer) -> None:
    forbidden = forbidden_canaries(wo.office, viewer)
    client = _login(wo.app, viewer)
    state = wo.pristine_state
    assert wo.snapshot() == state, "the office was left changed by an earlier test"
    changed, errors, leaks = [], [], []
    attempts = skipped = 0
    allowed_sent: Counter[str] = Counter()
    for rule, method, url, combo in write_routes(wo):
        api = url.startswith("/api/")
        for body, allowed in SPECS[rule.endpoint](Ctx(viewer, combo)):
            if allowed:
                # Allowed attempts are not the point (and each one indexes): a few per route show
                # they answer without error or leak.
                if allowed_sent[rule.endpoint] >= ALLOWED_PER_ROUTE:
                    skipped += 1
                    continue
                allowed_sent[rule.endpoint] += 1
            attempts += 1
            headers = {}
            if api and viewer.role is not None:
                headers["Authorization"] = f"Bearer {wo.tokens[viewer.name]}"
            if api:
                response = client.open(url, method=method, json=body, headers=headers)
            else:
                response = client.open(url, method=method, data=body)
            label = f"{method} {url} {json.dumps(body, ensure_ascii=False, default=str)}"
            if response.status_code >= 500:
                errors.append(f"{response.status_code} {label}")
            text = _text(response.get_data(), response.content_type or "")
            sent = label
            if response.status_code in (302, 303) and viewer.role is not None:
                # The flash messages the attempt left show on the next page: a cheap one.
                text += _text(client.get("/account").get_data(), "text/html")
            if found := sorted(c for c in forbidden if c in text and c not in sent):
                leaks.append(f"{label} ({response.status_code}): {', '.join(found)}")
            after = wo.snapshot()
            if after != state:
                if not allowed:
                    changed.append(
                        f"{label} ({response.status_code}) changed {', '.join(_diff(state, after))}"
                    )
                wo.restore()
                assert wo.snapshot() == state
            if rule.endpoint == "auth.logout" or (after != state and viewer.role is not None):
                client = _login(wo.app, viewer)  # a session ended by the attempt (or its undoing)
    wo.sync_index()
    allowed_count = sum(allowed_sent.values())
    print(
        f"{viewer.name}: {attempts} attempts sent, {attempts - allowed_count} of them refused by the rule;"
        f" {skipped} more allowed ones not sent; {wo.restores} restores so far"
    )
    assert not errors, "\n".join(errors)
    assert not leaks, "\n".join(leaks)
    assert not changed, "\n".join(changed)


def test_every_write_route_is_tried(wo: WriteOffice) -> None:
    """Guard: the generated list covers every state-changing endpoint, pages and API alike."""
    endpoints = {rule.endpoint for rule, *_ in write_routes(wo)}
    expected = {
        rule.endpoint for rule in wo.app.url_map.iter_rules() if (rule.methods or set()) & WRITE_METHODS
    }
    assert endpoints == expected
    assert {"api.review_item", "desk.bulk", "bulletins.publish", "admin.administer"} <= endpoints


def test_the_rule_is_not_vacuous(wo: WriteOffice) -> None:
    """The hostile bodies do change things when someone allowed sends them: the top editor's adoption
    of a fresh 机密 item, and an administrator's withdrawal, go through."""
    secret = db.session.scalar(
        db.select(Item).where(Item.status == "submitted", Item.level == "机密").order_by(Item.id)
    )
    assert secret is not None
    secret_id = secret.id
    editor = next(v for v in WRITERS if v.name == "editor_top")
    client = _login(wo.app, editor)
    state = wo.snapshot()
    body, allowed = SPECS["pages.review"](Ctx(editor, {"item_id": str(secret_id)}))[0]
    assert allowed
    client.post(f"/items/{secret_id}/review", data=body)
    assert wo.snapshot() != state
    wo.restore()
    admin = next(v for v in WRITERS if v.name == "admin_top")
    client = _login(wo.app, admin)
    body, allowed = SPECS["api.withdraw_item"](Ctx(admin, {"item_id": str(secret_id)}))[0]
    assert allowed
    response = client.post(
        f"/api/v1/items/{secret_id}/withdraw",
        json=body,
        headers={"Authorization": f"Bearer {wo.tokens[admin.name]}"},
    )
    assert response.status_code == 200, response.get_json()
    assert wo.snapshot() != state
    wo.restore()
    wo.sync_index()
    assert wo.snapshot() == state
