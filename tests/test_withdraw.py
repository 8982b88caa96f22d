"""Withdrawing an item: admins only, audited, out of search, figures and drafts, and back on reinstatement."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import bearer, login, submit, user
from webapp.extensions import db
from webapp.models import AuditEvent, BulletinIssue, Unit
from webapp.services import bulletins, indexing, items, scoring, searching
from webapp.services.errors import Conflict, Forbidden, NotFound
from webapp.timeutil import local_today

TEXT = "我县高标准农田建设完成年度任务，新增灌溉面积三万亩，群众普遍满意。"


def _points(unit: str = "yx") -> float:
    found = db.session.scalar(db.select(Unit).where(Unit.code == unit))
    assert found is not None
    period = scoring.parse_period(local_today().strftime("%Y-%m"))
    return {r.unit.code: r.points for r in scoring.ranking(found.category.code, period)}[unit]


def found_by(query: str) -> set[int]:
    return {row.item.id for row in searching.search_items(user("admin"), {"q": query}).rows}


def test_withdraw_hides_item_everywhere_and_reinstate_brings_it_back(app: Flask) -> None:
    item = submit("盂县高标准农田建设成效明显", TEXT).item
    other = submit("盂县秋粮收购进展顺利", "全县秋粮收购工作有序推进，收购量同比增长。").item
    items.review_item(user("editor"), item.id, "adopt", "mrkb")
    items.review_item(user("editor"), other.id, "adopt", "mrkb")
    draft = bulletins.create_issue(
        user("editor"), "mrkb", [bulletins.EntryInput(item.id), bulletins.EntryInput(other.id)]
    )
    before = _points()
    assert before > 0 and item.id in found_by("高标准农田")

    with pytest.raises(Forbidden):
        items.withdraw_item(user("editor"), item.id, "重复报送")
    items.withdraw_item(user("admin"), item.id, "重复报送")

    assert item.id not in found_by("高标准农田")
    assert indexing.check_index().clean
    assert _points() < before
    assert item.id not in {i.id for i in items.list_items(user("editor"))}
    assert item.id not in {i.id for i in items.list_items(user("admin"))}
    assert [i.id for i in items.list_withdrawn(user("admin"))] == [item.id]
    with pytest.raises(NotFound):
        items.get_item(user("editor"), item.id)
    assert items.get_item(user("admin"), item.id).withdrawn_at is not None
    issue = db.session.get(BulletinIssue, draft.id)
    assert issue is not None and [(e.item_id, e.position) for e in issue.entries] == [(other.id, 1)]
    with pytest.raises(Conflict):
        bulletins.create_issue(user("admin"), "mrkb", [bulletins.EntryInput(item.id)])
    actions = list(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_id == item.id)))
    assert actions[-1] == "withdraw"
    with pytest.raises(Conflict):
        items.withdraw_item(user("admin"), item.id, "再次撤回")

    items.reinstate_item(user("admin"), item.id, "核实后恢复")
    assert item.id in found_by("高标准农田")
    assert _points() == before
    assert indexing.check_index().clean
    assert items.list_withdrawn(user("admin")) == []
    assert "reinstate" in set(
        db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.entity_id == item.id))
    )


def test_published_issue_keeps_its_frozen_copy(app: Flask) -> None:
    item = submit("盂县高标准农田建设成效明显", TEXT).item
    items.review_item(user("editor"), item.id, "adopt", "mrkb")
    issue = bulletins.create_issue(user("editor"), "mrkb", [bulletins.EntryInput(item.id)])
    bulletins.publish_issue(user("editor"), issue.id)
    items.withdraw_item(user("admin"), item.id, "内容有误")
    published = db.session.get(BulletinIssue, issue.id)
    assert published is not None and [e.title for e in published.entries] == ["盂县高标准农田建设成效明显"]


def test_withdraw_through_the_api_and_the_item_page(client: FlaskClient) -> None:
    item = submit("盂县高标准农田建设成效明显", TEXT).item
    response = client.post(
        f"/api/v1/items/{item.id}/withdraw", json={"reason": "重复"}, headers=bearer("editor")
    )
    assert response.status_code == 403
    admin = bearer("admin")
    response = client.post(f"/api/v1/items/{item.id}/withdraw", json={"reason": "重复"}, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert (
        client.post(f"/api/v1/items/{item.id}/withdraw", json={"reason": "重复"}, headers=admin).status_code
        == 409
    )
    assert client.get(f"/api/v1/items/{item.id}", headers=bearer("editor")).status_code == 404
    assert client.post(f"/api/v1/items/{item.id}/reinstate", headers=admin).status_code == 200
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/items/{id}/withdraw" in paths and "/items/{id}/reinstate" in paths

    login(client, "admin")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert "撤回该信息" in page
    response = client.post(f"/admin/items/{item.id}/withdraw", data={"reason": "重复报送"})
    assert response.status_code == 302
    assert "高标准农田" in client.get("/admin/withdrawn").get_data(as_text=True)
    assert "恢复该信息" in client.get(f"/items/{item.id}").get_data(as_text=True)
    client.post(f"/admin/items/{item.id}/reinstate", data={"reason": ""})
    assert db.session.get(type(item), item.id).withdrawn_at is None  # type: ignore[union-attr]
