"""What the busiest pages cost the server: SQL statements per page that do not grow with the items
shown (an N+1 fails here), the dashboard's grassroots counts from the kinds kept per item, list rows
without their texts, and the shared cache of similar items that never shows what a viewer may not see."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, inspect

from nlp.entities import grassroots_kinds
from tests.conftest import bearer, login, submit, user
from webapp.extensions import db
from webapp.models import Item
from webapp.services import balance, bulletins, items, requests, searching
from webapp.timeutil import local_today

# Each text names a grassroots body (a village, a company, a school or a community) and shares
# words with the others, so that "more like this" and the dashboard have something to find.
TEXTS = [
    ("{n}号 盂县推进高标准农田建设", "盂县在张家村推进高标准农田建设，新建农田{n}千亩，农民增收明显。"),
    ("{n}号 平定县企业安全生产检查", "平定县组织检查山西兴达化工有限公司等企业{n}家，整改安全隐患。"),
    ("{n}号 郊区学校食品安全整治", "郊区在城关中学开展食品安全专项整治，检查食堂{n}个，农田蔬菜抽检合格。"),
    ("{n}号 城区社区养老服务", "城区在朝阳社区建设养老服务站{n}处，但也存在护理人员不足问题。"),
]
UNITS = ["yx", "pdx", "jq", "cq"]


def _seed(count: int, start: int = 0) -> list[Item]:
    """Submit `count` items spread over units and kinds; every third one adopted."""
    made = []
    editor = user("editor")
    for n in range(start, start + count):
        title, text = TEXTS[n % len(TEXTS)]
        item = submit(title.format(n=n + 1), text.format(n=n + 1), unit=UNITS[n % len(UNITS)]).item
        if n % 3 == 0:
            items.review_item(editor, item.id, "adopt", "mrkb")
        made.append(item)
    return made


def _overdue_request() -> None:
    """A request to yx and pdx whose deadline passed three days ago, unanswered."""
    made = requests.create_request(
        user("editor"), "秋粮收购情况", "请报送秋粮收购进展", local_today(), ["yx", "pdx"]
    )
    made.deadline = local_today() - timedelta(days=3)
    db.session.commit()


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block."""
    seen: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _cost(client: FlaskClient, path: str, **kwargs: object) -> int:
    db.session.expire_all()  # the page loads what it needs itself, as in a new request
    with _statements() as seen:
        response = client.get(path, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return len(seen)


# The most statements each page may run: generous enough for a page's own handful of lookups, far
# below one per item row (the pages show 20 to 100).
BUDGETS = {
    "/search?q=农田": 15,
    "/review?status=": 16,
    "/dashboard": 30,
    "/": 20,
}


@pytest.fixture
def editor_client(app: Flask) -> FlaskClient:
    return login(app.test_client(), "editor")


def test_statements_per_page_stay_within_budget_and_do_not_grow_with_items(any_db_app: Flask) -> None:
    editor_client = login(any_db_app.test_client(), "editor")
    first = _seed(8)
    _overdue_request()
    few = {path: _cost(editor_client, path) for path in BUDGETS}
    few_item = _cost(editor_client, f"/items/{first[0].id}")
    _seed(16, start=8)
    _overdue_request()  # the dashboard lists each overdue request: one more must cost nothing more
    many = {path: _cost(editor_client, path) for path in BUDGETS}
    for path, budget in BUDGETS.items():
        assert many[path] <= budget, (path, many[path])
        # One more statement at most (a shared artifact's freshness check may fall in either run).
        assert many[path] <= few[path] + 1, (path, few[path], many[path])
    assert _cost(editor_client, f"/items/{first[0].id}") <= max(few_item + 1, 25)


def test_api_item_list_loads_relations_per_page_not_per_item(app: Flask) -> None:
    client = app.test_client()
    headers = bearer("editor")
    _seed(4)
    few = _cost(client, "/api/v1/items?per_page=100", headers=headers)
    _seed(12, start=4)
    many = _cost(client, "/api/v1/items?per_page=100", headers=headers)
    assert many <= few + 1
    body = client.get("/api/v1/items?per_page=100", headers=headers).get_json()
    assert len(body["items"]) == 16
    assert all(row["text"] for row in body["items"])  # the API list still carries the texts
    assert sum(1 for row in body["items"] if row["publications"] == ["mrkb"]) == 6


def test_review_queue_rows_leave_texts_unloaded(app: Flask) -> None:
    _seed(3)
    page = items.page_items(user("editor"), items.ItemFilter(status="submitted"))
    assert page.rows
    for row in page.rows:
        assert {"original_text", "clean_text", "simplified_text"} <= inspect(row).unloaded


def test_dashboard_counts_grassroots_from_kept_kinds_and_scans_only_unkept_texts(any_db_app: Flask) -> None:
    made = _seed(8)
    expected = dict.fromkeys(("企业", "学校", "社区", "农村"), 0)
    for item in made:
        assert item.grassroots == items.grassroots_field(item.simplified_text)
        for kind in grassroots_kinds(item.simplified_text):
            expected[kind] += 1
    assert all(expected.values()), expected
    scope = balance.build_scope(None, None, None, None)
    assert balance.balance(scope).grassroots == expected
    # Items kept before the column existed (NULL) are scanned: the figures stay the same.
    for item in made[:3]:
        item.grassroots = None
    db.session.commit()
    assert balance.balance(scope).grassroots == expected


def test_edited_text_keeps_its_grassroots_kinds_current(app: Flask) -> None:
    from webapp.services import editing

    item = _seed(1)[0]
    assert item.grassroots == ",农村,"
    editing.edit_item(user("editor"), item.id, item.title, "盂县召开会议部署秋粮收购工作。")
    assert db.session.get(Item, item.id).grassroots == ","  # type: ignore[union-attr]


def test_cached_similar_items_never_show_what_the_viewer_may_not_see(
    app: Flask, editor_client: FlaskClient
) -> None:
    farm = [
        submit(
            f"{n}号 盂县推进高标准农田建设", f"盂县推进高标准农田建设，新建农田{n}千亩，农民增收。", unit=u
        ).item
        for n, u in ((1, "yx"), (2, "yx"), (3, "pdx"))
    ]
    page = editor_client.get(f"/items/{farm[0].id}").get_data(as_text=True)
    assert "2号 盂县推进高标准农田建设" in page and "3号 盂县推进高标准农田建设" in page
    # The reporter of yx reads the same item: the editor's kept list names a pdx item, never shown.
    reporter = login(app.test_client(), "reporter")
    page = reporter.get(f"/items/{farm[0].id}").get_data(as_text=True)
    assert "2号 盂县推进高标准农田建设" in page
    assert "3号 盂县推进高标准农田建设" not in page
    # A withdrawn item leaves the kept list at once (the database decides, not the cache).
    items.withdraw_item(user("admin"), farm[1].id, "重复")
    page = editor_client.get(f"/items/{farm[0].id}").get_data(as_text=True)
    assert "2号 盂县推进高标准农田建设" not in page
    assert [row.item.id for row in searching.similar_items(user("editor"), farm[0])] == [farm[2].id]


def test_adoption_shares_and_overdue_requests_on_the_dashboard_stay_exact(app: Flask) -> None:
    _seed(6)
    _overdue_request()
    figures = balance.balance(balance.build_scope(None, None, None, None))
    overdue = {s.unit.code for s in figures.silent_units if s.kind == "request_overdue"}
    assert overdue == {"yx", "pdx"}
    shares = {s.publication.code: s.items for s in figures.publications}
    assert shares["mrkb"] == 2
    assert bulletins.list_publications()


def test_page_cache_is_shared_through_redis_when_hosts_share_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.config import load_config

    for name in [key for key in os.environ if key.startswith("XINXI_")]:
        monkeypatch.delenv(name)
    one = load_config(tmp_path, {"XINXI_DATABASE_URL": "postgresql://db-host/xinxi"})
    assert one["CACHE_TYPE"] == "FileSystemCache"
    assert one["CACHE_DIR"] == str(tmp_path / "cache")  # beside the index: the workers share it
    several = load_config(
        tmp_path,
        {"XINXI_DATABASE_URL": "postgresql://db-host/xinxi", "XINXI_REDIS_URL": "redis://cache-host:6379/4"},
    )
    assert several["CACHE_TYPE"] == "RedisCache"
    assert several["CACHE_REDIS_URL"] == "redis://cache-host:6379/4"
    # Keys carry the database's identity: another office's app on the same Redis reads none of them.
    other = load_config(
        tmp_path,
        {"XINXI_DATABASE_URL": "postgresql://db-host/other", "XINXI_REDIS_URL": "redis://cache-host:6379/4"},
    )
    assert several["CACHE_KEY_PREFIX"] == one["CACHE_KEY_PREFIX"] != other["CACHE_KEY_PREFIX"]
