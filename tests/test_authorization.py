"""Nobody sees what they may not: every GET route of the app, generated from its URL map, requested as
every kind of user, and a crawl from each user's home page.

Each item carries a unique canary word in its title and all through its text. A response body (HTML,
JSON, .docx, CSV, XLSX text) may contain a canary only if the user may see the item it belongs to,
by the rule written out here independently of `webapp.services.access`: reporters their own unit,
everyone within their clearance, withdrawn items nobody but administrators, and the office's own
comprehensive items nobody below the editors' desk. A new route is covered without anyone listing it.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zipfile
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nlp import Segmenter
from tests.conftest import close_app, make_app
from webapp.extensions import db
from webapp.models import LEVELS, BulletinIssue, Item, Job, Request, SavedSearch, Unit, User
from webapp.services import bulletins, demo, editing, items, requests, upward, users
from webapp.services.bulletins import EntryInput

PASSWORD = "Authz-test-Pass-2026"
UNITS = ("yx", "nyj")
CRAWL_LIMIT = 250
BODY = (
    "{c}为深入推进乡村振兴，{c}县里召开专题会议部署秋粮收购工作。会议要求各乡镇加强组织领导，{c}"
    "落实收购资金，做好仓储准备。{c}截至目前已收购秋粮三万吨，同比增长百分之十二。{c}"
)


@dataclass
class Viewer:
    """A kind of user, and what the rule says they may see."""

    name: str
    role: str | None  # None: anonymous
    clearance: int = 0
    unit: str | None = None

    def may_see(self, item: Item) -> bool:
        if self.role is None:
            return False
        if item.withdrawn_at is not None:
            return self.role == "admin"
        if self.role == "reporter" and item.unit.code != self.unit:
            return False
        return LEVELS.index(item.level) <= self.clearance


VIEWERS = [
    Viewer("anonymous", None),
    Viewer("rep_yx", "reporter", LEVELS.index("内部"), "yx"),
    Viewer("rep_nyj", "reporter", LEVELS.index("机密"), "nyj"),
    Viewer("editor_low", "editor", LEVELS.index("内部")),
    Viewer("editor_top", "editor", LEVELS.index("机密")),
    Viewer("leader_low", "leader", LEVELS.index("公开")),
    Viewer("admin_top", "admin", LEVELS.index("机密")),
]


@dataclass
class Office:
    """The fixture office: its items by canary, and the ids each URL argument can take."""

    app: Flask
    canaries: dict[str, int] = field(default_factory=dict)  # canary -> item id
    args: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


def _canary(n: int) -> str:
    return f"Qzc{n:04d}k"


SECRET_CANARY = _canary(8)  # the 8th item submitted: nyj's 机密 one


def _submit(unit: str, level: str, n: int, **extra: object) -> Item:
    canary = _canary(n)
    result = items.submit_item(
        None,
        items.ItemInput(
            title=f"{canary}县里部署秋粮收购工作{n}",
            text=BODY.format(c=canary),
            unit_code=unit,
            level=level,
            **extra,  # type: ignore[arg-type]
        ),
    )
    return result.item


def _build_office(app: Flask) -> Office:
    office = Office(app)
    demo.seed_structure()
    for viewer in VIEWERS:
        if viewer.role is not None:
            users.create_user(
                viewer.name, PASSWORD, viewer.role, viewer.unit, clearance=LEVELS[viewer.clearance]
            )
    n = 0
    made: dict[tuple[str, str], Item] = {}
    for unit in UNITS:
        for level in LEVELS:
            n += 1
            made[unit, level] = _submit(unit, level, n)
    editor = db.session.scalar(db.select(User).where(User.username == "editor_top"))
    # Adopted into both publications; one published issue and one draft, each holding a 机密 item.
    for unit in UNITS:
        for level in LEVELS:
            items.review_item(editor, made[unit, level].id, "adopt", "mrkb")
    published = bulletins.create_issue(
        editor, "mrkb", [EntryInput(made["nyj", "秘密"].id), EntryInput(made["yx", "公开"].id)]
    )
    bulletins.publish_issue(editor, published.id)
    bulletins.create_issue(
        editor, "mrkb", [EntryInput(made["yx", "机密"].id), EntryInput(made["nyj", "公开"].id)]
    )
    # A comprehensive item merged from two units' items.
    sources = [_submit("yx", "公开", n + 1), _submit("nyj", "内部", n + 2)]
    n += 2
    editing.merge_items(editor, [s.id for s in sources], f"{_canary(n + 1)}综合：秋粮收购进展")
    n += 1
    # Upward adoption, a leader's instruction, a late emergency.
    upward.record_upward(editor, made["nyj", "机密"].id, "zryq", "adopted", None)
    editing.record_instruction(editor, made["yx", "秘密"].id, "张书记", "municipal", None, "请抓好落实")
    n += 1
    _submit(
        "nyj",
        "机密",
        n,
        genre="emergency",
        event_time=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
    )
    # A request to both units, answered by each.
    n += 1
    request_canary = _canary(n)
    commissioned = requests.create_request(
        editor,
        f"{request_canary}秋粮收购中的困难",
        "请报送情况",
        (datetime.now(UTC) + timedelta(days=5)).date().isoformat(),
        unit_codes=list(UNITS),
    )
    for unit, level in (("yx", "机密"), ("nyj", "公开")):
        n += 1
        _submit(unit, level, n, request_id=commissioned.id)
    # A near-duplicate of nyj's 机密 item, submitted by yx (its own canary removed).
    n += 1
    items.submit_item(
        None,
        items.ItemInput(
            title=f"{_canary(n)}县里部署秋粮收购工作",
            text=made["nyj", "机密"].original_text.replace(SECRET_CANARY, ""),
            unit_code="yx",
            level="公开",
        ),
    )
    # A withdrawn item: nobody but administrators sees it anywhere.
    admin = db.session.scalar(db.select(User).where(User.username == "admin_top"))
    items.withdraw_item(admin, made["yx", "内部"].id, "重复报送")
    # Every item's canary: what it was submitted with (the merge and the request carry their own).
    for item in db.session.scalars(db.select(Item)):
        found = re.findall(r"Qzc\d{4}k", item.title)
        if found:
            office.canaries[found[0]] = item.id
    office.canaries[request_canary] = -commissioned.id  # the request topic: seen by its targets
    # Failed jobs, to look at and retry: an editor's export and an administrator's rescore.
    for owner, kind, params in ((editor, "export_report", {"period": "2026"}), (admin, "rescore", {})):
        db.session.add(Job(kind=kind, params=params, status="failed", created_by=owner, log="失败\n"))
    # Saved searches: one per user, over every unit's items.
    for viewer in VIEWERS:
        if viewer.role is not None:
            user_id = db.session.scalar(db.select(User.id).where(User.username == viewer.name))
            db.session.add(SavedSearch(user_id=user_id, name="秋粮", query={"q": "秋粮"}, last_total=0))
    db.session.commit()
    office.args = {
        "item_id": [str(i) for i in db.session.scalars(db.select(Item.id))],
        "issue_id": [str(i) for i in db.session.scalars(db.select(BulletinIssue.id))],
        "request_id": [str(i) for i in db.session.scalars(db.select(Request.id))],
        "saved_id": [str(i) for i in db.session.scalars(db.select(SavedSearch.id))],
        "user_id": [str(i) for i in db.session.scalars(db.select(User.id))],
        "code": [*UNITS, *db.session.scalars(db.select(Unit.code).where(Unit.is_office))],
        "kind": ["docx", "csv", "xlsx"],
        "job_id": [str(i) for i in db.session.scalars(db.select(Job.id))],
    }
    for viewer in VIEWERS:
        if viewer.role is not None:
            office.tokens[viewer.name] = users.issue_api_token(viewer.name)
    return office


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory, segmenter: Segmenter) -> Iterator[Office]:
    # Hundreds of refused requests from one address: rate limits are tested elsewhere.
    app = make_app(
        tmp_path_factory.mktemp("authz"), segmenter, WTF_CSRF_ENABLED=False, XINXI_RATELIMIT_ENABLED="0"
    )
    with app.app_context():
        yield _build_office(app)
        close_app(app)


def _forbidden(office: Office, viewer: Viewer) -> set[str]:
    """The canaries this viewer must never be shown."""
    hidden = set()
    for canary, item_id in office.canaries.items():
        if item_id < 0:  # a request's topic: its target units' reporters and the desk see it
            commissioned = db.session.get(Request, -item_id)
            assert commissioned is not None
            targets = {t.unit.code for t in commissioned.targets}
            if viewer.role is None or (viewer.role == "reporter" and viewer.unit not in targets):
                hidden.add(canary)
            continue
        item = db.session.get(Item, item_id)
        assert item is not None
        if not _viewer_sees(viewer, item):
            hidden.add(canary)
    return hidden


def _viewer_sees(viewer: Viewer, item: Item) -> bool:
    """The rule, with comprehensive items filed under the office (no reporter's unit)."""
    if item.is_comprehensive and viewer.role == "reporter":
        return False
    if item.is_comprehensive and not all(_viewer_sees(viewer, link.source) for link in item.sources):
        return False
    return viewer.may_see(item)


def _text(body: bytes, content_type: str) -> str:
    """What a person could read in a response: HTML/JSON/CSV text, .docx and .xlsx contents."""
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            parts = [
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            ]
        # Word splits text into runs: join every text node so a canary split across runs still shows.
        return "".join(re.sub(r"<[^>]+>", "", part) for part in parts)
    text = body.decode("utf-8", "replace")
    if "json" in content_type:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    return text


def _client(office: Office, viewer: Viewer) -> FlaskClient:
    client = office.app.test_client()
    if viewer.role is not None:
        response = client.post("/login", data={"username": viewer.name, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


def _get(office: Office, client: FlaskClient, viewer: Viewer, url: str) -> tuple[int, str, str]:
    headers = {}
    if url.startswith("/api/") and viewer.role is not None:
        headers["Authorization"] = f"Bearer {office.tokens[viewer.name]}"
    response = client.get(url, headers=headers)
    body = response.get_data()
    return response.status_code, response.content_type or "", _text(body, response.content_type or "")


# Query strings worth adding to a route's bare URL (the crawl finds the others from the pages).
EXTRA_QUERIES = {
    "pages.search": [f"q={_canary(i)}" for i in range(1, 9)] + ["q=秋粮", "q=秋粮&status=merged"],
    "api.search": [f"q={_canary(i)}" for i in range(1, 9)] + ["q=秋粮&per_page=50"],
    "office.rankings": ["period={year}"],
    "office.unit_record": ["period={year}"],
    "office.export_ranking": ["period={year}"],
    "api.stats_ranking": ["period={year}&category=xq", "period={year}&category=szbm"],
}


def _route_urls(office: Office) -> list[tuple[str, str]]:
    """Every GET route with its arguments filled from the fixture office: (endpoint, url)."""
    year = str(datetime.now(UTC).year)
    urls: list[tuple[str, str]] = []
    unknown = []
    for rule in office.app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()) or rule.endpoint == "static":
            continue
        combos: list[dict[str, str]] = [{}]
        for arg in sorted(rule.arguments):
            if arg not in office.args:
                unknown.append(f"{rule.rule} ({arg})")
                break
            combos = [{**c, arg: v} for c in combos for v in office.args[arg]]
        for combo in combos:
            url = rule.rule
            for arg, value in combo.items():
                url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", value, url)
            urls.append((rule.endpoint, url))
            for query in EXTRA_QUERIES.get(rule.endpoint, []):
                urls.append((rule.endpoint, f"{url}?{query.format(year=year)}"))
    assert not unknown, f"routes with arguments this test cannot fill; add them to Office.args: {unknown}"
    return urls


def _leaks(text: str, forbidden: set[str], url: str) -> list[str]:
    """Forbidden canaries in a response, except those the user typed into the URL themselves."""
    return sorted(c for c in forbidden if c in text and c not in url)


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.name)
def test_no_route_shows_what_the_user_may_not_see(office: Office, viewer: Viewer) -> None:
    forbidden = _forbidden(office, viewer)
    client = _client(office, viewer)
    leaks, errors = [], []
    urls = _route_urls(office)
    print(f"{viewer.name}: {len(urls)} URLs of {len({e for e, _ in urls})} GET routes")
    for endpoint, url in urls:
        status, _, text = _get(office, client, viewer, url)
        if status >= 500:
            errors.append(f"{status} {url}")
        if found := _leaks(text, forbidden, url):
            leaks.append(f"{url} ({endpoint}): {', '.join(found)}")
    assert not errors, errors
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("viewer", VIEWERS, ids=lambda v: v.name)
def test_crawl_from_home_shows_nothing_forbidden(office: Office, viewer: Viewer) -> None:
    forbidden = _forbidden(office, viewer)
    client = _client(office, viewer)
    seen: set[str] = set()
    queue = deque(["/"])
    leaks, errors = [], []
    while queue and len(seen) < CRAWL_LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        status, content_type, text = _get(office, client, viewer, url)
        if status >= 500:
            errors.append(f"{status} {url}")
        if found := _leaks(text, forbidden, url):
            leaks.append(f"{url}: {', '.join(found)}")
        if "html" not in content_type:
            continue
        for href in re.findall(r'href="([^"#]+)', text):
            href = href.replace("&amp;", "&")
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static"):
                continue
            if href not in seen:
                queue.append(href)
    print(f"{viewer.name}: crawled {len(seen)} pages")
    assert not errors, errors
    assert not leaks, "\n".join(leaks)
    if viewer.role is not None:
        assert len(seen) > 3, f"the crawl found only {sorted(seen)}"


def test_the_canaries_do_show_where_allowed(office: Office) -> None:
    """The rule is not vacuous: the top editor finds every non-withdrawn canary somewhere."""
    viewer = next(v for v in VIEWERS if v.name == "admin_top")
    client = _client(office, viewer)
    shown = set()
    for _, url in _route_urls(office):
        _, _, text = _get(office, client, viewer, url)
        shown.update(re.findall(r"Qzc\d{4}k", text))
    assert set(office.canaries) <= shown


def test_submission_answers_name_no_invisible_duplicate(office: Office) -> None:
    """A reporter who submits another unit's 机密 text gets no trace of it back (API, form flash)."""
    secret_id = office.canaries[SECRET_CANARY]
    secret = db.session.get(Item, secret_id)
    assert secret is not None
    text = secret.original_text.replace(SECRET_CANARY, "")
    viewer = next(v for v in VIEWERS if v.name == "rep_yx")
    client = _client(office, viewer)
    response = client.post(
        "/api/v1/items",
        json={"title": "秋粮收购工作情况", "text": text, "unit": "yx", "level": "公开"},
        headers={"Authorization": f"Bearer {office.tokens['rep_yx']}"},
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_data(as_text=True)
    assert SECRET_CANARY not in body
    assert secret_id not in [d["id"] for d in response.get_json()["duplicates"]]
    response = client.post(
        "/items/new",
        data={"title": "秋粮收购工作情况二", "text": text, "level": "公开"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert SECRET_CANARY not in response.get_data(as_text=True)


def test_merged_item_is_the_offices_own(office: Office) -> None:
    """The comprehensive item is filed under the office, at the highest level of its sources."""
    merged = db.session.scalar(db.select(Item).where(Item.is_comprehensive))
    assert merged is not None
    assert merged.unit.is_office
    assert merged.level == max((link.source.level for link in merged.sources), key=LEVELS.index)


def test_low_clearance_editor_gets_403_on_a_secret_draft(office: Office) -> None:
    viewer = next(v for v in VIEWERS if v.name == "editor_low")
    client = _client(office, viewer)
    draft = db.session.scalar(db.select(BulletinIssue).where(BulletinIssue.status == "draft"))
    assert draft is not None
    for url in (f"/bulletins/{draft.id}", f"/bulletins/{draft.id}/preview", f"/bulletins/{draft.id}.docx"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "密级" in response.get_data(as_text=True)
    response = client.post(f"/bulletins/{draft.id}/publish")
    assert response.status_code == 403
    db.session.refresh(draft)
    assert draft.status == "draft"


def test_editors_cannot_open_user_or_scoring_administration(office: Office) -> None:
    client = _client(office, next(v for v in VIEWERS if v.name == "editor_top"))
    for url in ("/admin/users", "/admin/scoring"):
        assert client.get(url).status_code == 403, url
    admin = _client(office, next(v for v in VIEWERS if v.name == "admin_top"))
    for url in ("/admin/users", "/admin/scoring"):
        assert admin.get(url).status_code == 200, url


def test_route_table_is_covered(office: Office) -> None:
    """Guard: the generated route list is not empty and includes the leak paths of issue #10."""
    endpoints = {endpoint for endpoint, _ in _route_urls(office)}
    for expected in (
        "pages.item",
        "bulletins.show",
        "bulletins.preview",
        "office.unit_record",
        "office.request_detail",
        "desk.queue",
        "api.get_item",
    ):
        assert expected in endpoints
