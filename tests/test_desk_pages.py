"""The pages of the office day: lists that page, safe publishing, the leader's home and 批示, search by
unit name, and the small points (titles, 413, favicon, silent units, merge duplicates)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nlp import Segmenter
from tests.conftest import bearer, close_app, login, make_app, submit, user
from webapp.extensions import db
from webapp.models import AuditEvent, Instruction, Item
from webapp.services import bulletins, demo, editing, items
from webapp.services.bulletins import EntryInput
from webapp.services.errors import Conflict, Forbidden, ValidationError
from webapp.services.paging import Page, PageRequest

FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田3.5万亩，带动农民人均增收600余元。"
SEWAGE = "部分乡镇农村生活污水处理设施存在建而不用问题，运维经费缺口较大，管网配套滞后。"
TOPICS = [
    "盂县开展安全生产大检查",
    "平定县推进农村人居环境整治",
    "郊区抓好秋粮收购工作",
    "城区优化营商环境",
    "矿区加强采空区治理",
    "高新区引进科技企业",
    "盂县推进文旅融合发展",
    "平定县建设高标准农田",
    "郊区开展冬季供暖检查",
    "城区推进老旧小区改造",
    "矿区完善社区养老服务",
    "盂县加快交通项目建设",
]


def _many(count: int, unit: str = "yx") -> list[Item]:
    """Submit distinct items, oldest first."""
    made = []
    for n, title in enumerate(TOPICS[:count]):
        text = f"{title}，第{n + 1}项工作已经部署，全县共检查企业{n * 7 + 3}家，整改隐患{n * 5 + 2}处。"
        made.append(submit(title, text, unit=unit).item)
    return made


def _adopted(title: str, text: str = FARM, unit: str = "nyj", publication: str = "mrkb") -> Item:
    item = submit(title, text, unit=unit).item
    return items.review_item(user("editor"), item.id, "adopt", publication)


def _published(item_ids: list[int], publication: str = "mrkb", reason: str = "") -> int:
    editor = user("editor")
    draft = bulletins.create_issue(
        editor, publication, [EntryInput(i) for i in item_ids], override_reason=reason
    )
    return bulletins.publish_issue(editor, draft.id, reason).id


def _between(html: str, first: str, second: str) -> bool:
    return html.index(first) < html.index(second)


# ---------------------------------------------------------------- paging


def test_page_arithmetic() -> None:
    page = Page(list(range(10)), 360, 3, 10)
    assert (page.pages, page.first, page.last) == (36, 21, 30)
    assert page.as_json() == {"total": 360, "page": 3, "per_page": 10, "pages": 36}
    empty = Page([], 0, 1, 50)
    assert (empty.pages, empty.first, empty.last) == (1, 0, 0)
    wanted = PageRequest.from_args({"page": "x", "per_page": "100000"})
    assert (wanted.page, wanted.per_page) == (1, 200)
    assert PageRequest.from_args({"page": "-4"}).page == 1


def test_review_queue_pages_oldest_first_with_the_bulk_bar_on_top(app: Flask, client: FlaskClient) -> None:
    made = _many(12)
    login(client, "editor")
    first = client.get("/review", query_string={"per_page": 5}).get_data(as_text=True)
    assert "共 12 条，第 1–5 条" in first
    assert made[0].title in first and made[5].title not in first  # the oldest pending first
    assert _between(first, 'class="bulk sticky-bar"', "<table")  # the bulk bar above the rows
    assert 'rel="next"' in first and "per_page=5" in first
    last = client.get("/review", query_string={"per_page": 5, "page": 3}).get_data(as_text=True)
    assert "共 12 条，第 11–12 条" in last
    assert made[11].title in last and made[0].title not in last
    newest = client.get("/review", query_string={"per_page": 5, "sort": "newest"}).get_data(as_text=True)
    assert made[11].title in newest and made[0].title not in newest
    beyond = client.get("/review", query_string={"per_page": 5, "page": 99}).get_data(as_text=True)
    assert "共 12 条" in beyond and "没有符合条件的信息" in beyond


def test_home_pages_page_their_lists(app: Flask, client: FlaskClient) -> None:
    made = _many(12)
    login(client, "editor")
    home = client.get("/", query_string={"per_page": 5}).get_data(as_text=True)
    assert "待审核信息（12）" in home and "共 12 条，第 1–5 条" in home
    assert made[0].title in home
    reporter = login(client.application.test_client(), "reporter")
    mine = reporter.get("/", query_string={"per_page": 5, "page": 2}).get_data(as_text=True)
    assert "共 12 条，第 6–10 条" in mine


def test_withdrawn_list_pages(app: Flask, client: FlaskClient) -> None:
    made = _many(3)
    for item in made:
        items.withdraw_item(user("admin"), item.id, "重复报送")
    login(client, "admin")
    page = client.get("/admin/withdrawn", query_string={"per_page": 2}).get_data(as_text=True)
    assert "共 3 条，第 1–2 条" in page
    assert [i.id for i in items.list_withdrawn(user("admin"))] == [i.id for i in reversed(made)]


def test_search_page_and_api_say_total_page_and_per_page(app: Flask, client: FlaskClient) -> None:
    _many(6)
    login(client, "editor")
    html = client.get("/search", query_string={"q": "unit:yx", "per_page": 4}).get_data(as_text=True)
    assert "共 6 条，第 1–4 条" in html
    body = client.get("/api/v1/search?q=unit:yx&per_page=4&page=2", headers=bearer("editor")).get_json()
    assert (body["total"], body["page"], body["per_page"], len(body["hits"])) == (6, 2, 4, 2)


def test_api_item_list_pages_within_what_the_caller_sees(app: Flask, client: FlaskClient) -> None:
    made = _many(7)
    submit("农田建设", FARM, unit="nyj")
    body = client.get(
        "/api/v1/items?status=submitted&sort=oldest&per_page=5&page=2", headers=bearer("editor")
    ).get_json()
    assert (body["total"], body["page"], body["per_page"], body["pages"]) == (8, 2, 5, 2)
    assert [i["id"] for i in body["items"]][:2] == [made[5].id, made[6].id]
    mine = client.get("/api/v1/items", headers=bearer("reporter_nyj")).get_json()
    assert mine["total"] == 1 and mine["items"][0]["unit"] == "nyj"


# ---------------------------------------------------------------- publishing safely


def test_an_item_cannot_be_published_twice_in_one_publication(app: Flask) -> None:
    editor = user("editor")
    item = _adopted("农田建设")
    _published([item.id])
    with pytest.raises(Conflict) as refused:
        bulletins.create_issue(editor, "mrkb", [EntryInput(item.id)])
    assert refused.value.code == "already_published"
    assert "已编发于《每日快报》" in refused.value.message and "第1期" in refused.value.message
    other = bulletins.create_issue(editor, "yqxx", [EntryInput(item.id)])  # another publication: fine
    assert other.status == "draft"
    # The editor may override with a reason, which the audit keeps.
    again = _published([item.id], reason="应领导要求再次刊发")
    event = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.entity == "bulletin", AuditEvent.entity_id == again, AuditEvent.action == "publish"
        )
    ).one()
    assert event.details is not None and event.details["override_reason"] == "应领导要求再次刊发"
    assert bulletins.published_issues([item.id])[item.id][-1].number == 2


def test_a_draft_is_checked_again_when_published_and_when_items_are_added(app: Flask) -> None:
    editor = user("editor")
    item = _adopted("农田建设")
    extra = _adopted("污水处理", SEWAGE, unit="sthj")
    first = bulletins.create_issue(editor, "mrkb", [EntryInput(item.id)])
    second = bulletins.create_issue(editor, "mrkb", [EntryInput(item.id)])
    bulletins.publish_issue(editor, first.id)
    with pytest.raises(Conflict):
        bulletins.publish_issue(editor, second.id)  # published elsewhere since it was drafted
    assert db.session.get(type(second), second.id).status == "draft"
    third = bulletins.create_issue(editor, "mrkb", [EntryInput(extra.id)])
    with pytest.raises(Conflict):
        bulletins.update_issue(editor, third.id, [EntryInput(extra.id), EntryInput(item.id)])


def test_the_api_answers_409_for_a_double_publication(app: Flask, client: FlaskClient) -> None:
    item = _adopted("农田建设")
    headers = bearer("editor")
    body = {"publication": "mrkb", "item_ids": [item.id]}
    assert client.post("/api/v1/bulletins", json=body, headers=headers).status_code == 201
    refused = client.post("/api/v1/bulletins", json=body, headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"] == "already_published"
    allowed = client.post(
        "/api/v1/bulletins", json={**body, "override_reason": "更正后重发"}, headers=headers
    )
    assert allowed.status_code == 201 and allowed.get_json()["number"] == 2


def test_compose_pages_mark_published_items_and_confirm_the_number(app: Flask, client: FlaskClient) -> None:
    item = _adopted("农田建设")
    fresh = _adopted("污水处理", SEWAGE, unit="sthj")
    _published([item.id])
    login(client, "editor")
    index = client.get("/bulletins/").get_data(as_text=True)
    assert "已编发（《每日快报》第1期）" in index
    refused = client.post("/bulletins/", data={"publication": "mrkb", "add": [str(item.id)]})
    assert refused.status_code == 200
    assert "不能在《每日快报》中重复编发" in refused.get_data(as_text=True)
    assert f'value="{item.id}" id="pick-{item.id}" aria-label="选择" checked' in refused.get_data(
        as_text=True
    )
    created = client.post("/bulletins/", data={"publication": "mrkb", "add": [str(fresh.id)]})
    assert created.status_code == 302
    draft = client.get(created.headers["Location"]).get_data(as_text=True)
    assert re.search(r'data-confirm="[^"]*《每日快报》\d{4}年第2期', draft)
    assert "印发为第2期" in draft
    assert 'id="repeat-warning"' not in draft  # a published candidate is marked, not warned about
    assert "已编发（《每日快报》第1期）" in draft
    repeat = bulletins.create_issue(user("editor"), "mrkb", [EntryInput(item.id)], override_reason="重发")
    assert 'id="repeat-warning"' in client.get(f"/bulletins/{repeat.id}").get_data(as_text=True)
    saved = client.post(created.headers["Location"], data={"entry": [str(fresh.id)]}, follow_redirects=True)
    assert "草稿已保存" in saved.get_data(as_text=True)


# ---------------------------------------------------------------- the leader


def test_leader_home_reads_bulletins_and_records_own_instruction(app: Flask, client: FlaskClient) -> None:
    item = _adopted("农田建设")
    issue_id = _published([item.id])
    login(client, "leader")
    home = client.get("/").get_data(as_text=True)
    assert "领导首页" in home and "《每日快报》" in home and item.title in home
    assert "/dashboard" in home and "/rankings" in home
    assert "本年报送 <strong>1</strong> 条，采用 <strong>1</strong> 条" in home
    assert client.get(f"/bulletins/{issue_id}/preview").status_code == 200
    docx = client.get(f"/bulletins/{issue_id}.docx")
    assert docx.status_code == 200 and docx.data[:2] == b"PK"
    assert client.get(f"/bulletins/{issue_id}").status_code == 403  # composing stays the editors'
    assert "批示层级尚未设置" in client.get(f"/items/{item.id}").get_data(as_text=True)
    refused = client.post(f"/items/{item.id}/my-instruction", data={"text": "请推广"}, follow_redirects=True)
    assert "批示层级尚未设置" in refused.get_data(as_text=True)
    assert not db.session.scalars(db.select(Instruction)).all()

    admin = login(app.test_client(), "admin")
    assert admin.post(f"/leaders/{user('leader').id}/level", data={"level": "municipal"}).status_code == 302
    assert editing.leader_level(user("leader")) == "municipal"
    done = client.post(f"/items/{item.id}/my-instruction", data={"text": "请推广"}, follow_redirects=True)
    assert "已登记批示" in done.get_data(as_text=True)
    row = db.session.scalars(db.select(Instruction)).one()
    assert (row.level, row.leader, row.text) == ("municipal", "张秘书长", "请推广")
    assert item.title not in client.get("/").get_data(as_text=True).split("待批示的信息")[1]


def test_instruction_level_is_never_a_silent_default(app: Flask) -> None:
    item = _adopted("农田建设")
    with pytest.raises(ValidationError):
        editing.record_instruction(user("editor"), item.id, "张省长", "", None, "好")
    with pytest.raises(Forbidden):
        editing.record_own_instruction(user("editor"), item.id, None, "好")
    with pytest.raises(Forbidden):
        editing.set_leader_level(user("editor"), user("leader").id, "central")


def test_editor_instruction_form_asks_for_the_level(app: Flask, client: FlaskClient) -> None:
    item = _adopted("农田建设")
    login(client, "editor")
    page = client.get(f"/items/{item.id}").get_data(as_text=True)
    assert '<select name="level" required><option value="">请选择</option>' in page


# ---------------------------------------------------------------- search


@pytest.mark.parametrize("value", ["yx", "盂县", "盂县人民政府办公室", '"盂县人民政府办公室"'])
def test_unit_filter_takes_code_full_or_short_name(app: Flask, client: FlaskClient, value: str) -> None:
    _many(2, unit="yx")
    submit("农田建设", FARM, unit="nyj")
    login(client, "editor")
    body = client.get(f"/api/v1/search?q=unit:{value}", headers=bearer("editor")).get_json()
    assert body["total"] == 2 and {h["unit"] for h in body["hits"]} == {"yx"}


def test_unit_short_name_matching_several_units_finds_each(app: Flask) -> None:
    from webapp.services import searching

    assert searching.unit_codes("县") == ["pdx", "yx"]
    assert searching.resolve_unit_names("安全 unit:县") == "安全 (unit:pdx OR unit:yx)"
    assert searching.resolve_unit_names("unit:不存在") == "unit:不存在"
    assert searching.resolve_unit_names("-单位：盂县") == "-unit:yx"
    assert searching.resolve_unit_names("community:县") == "community:县"


def test_a_reporters_search_offers_only_their_unit(app: Flask, client: FlaskClient) -> None:
    login(client, "reporter")
    page = client.get("/search").get_data(as_text=True)
    assert 'value="yx"' in page and 'value="nyj"' not in page
    bad = client.get("/search", query_string={"q": '"未闭合'})
    assert bad.status_code == 400 and "未闭合" in bad.get_data(as_text=True)


# ---------------------------------------------------------------- smaller points


def test_pasted_text_without_title_takes_its_first_line(app: Flask, client: FlaskClient) -> None:
    login(client, "reporter")
    response = client.post(
        "/items/new", data={"title": "", "text": "盂县开展安全生产大检查\n" + SEWAGE}, follow_redirects=True
    )
    assert response.status_code == 200
    item = db.session.scalars(db.select(Item)).one()
    assert item.title == "盂县开展安全生产大检查" and item.original_text.startswith("部分乡镇")
    long_line = client.post("/items/new", data={"text": SEWAGE * 2}, follow_redirects=True)
    assert long_line.status_code == 200
    titled = db.session.scalars(db.select(Item).order_by(Item.id.desc())).first()
    assert titled is not None and titled.title == SEWAGE.split("。")[0]


def test_an_uploaded_txt_is_not_titled_with_its_file_name(app: Flask, client: FlaskClient) -> None:
    login(client, "reporter")
    data = {"file": (io.BytesIO((SEWAGE * 3).encode("gb18030")), "report-2026-11.txt")}
    response = client.post("/items/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    item = db.session.scalars(db.select(Item)).one()
    assert "report" not in item.title and item.title.startswith("部分乡镇")


def test_the_413_page_states_the_limit_and_offers_to_go_back(tmp_path: Path, segmenter: Segmenter) -> None:
    app = make_app(tmp_path, segmenter, WTF_CSRF_ENABLED=False, XINXI_MAX_UPLOAD_MB=1)
    with app.app_context():
        demo.seed_structure()
        client = login(app.test_client(), "reporter")
        body = (
            b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
            + b"x" * (2 << 20)
            + b"\r\n--b--\r\n"
        )
        response = client.post("/items/new", data=body, content_type="multipart/form-data; boundary=b")
        html = response.get_data(as_text=True)
        assert response.status_code == 413 and "不能超过 1 MB" in html and "data-back" in html
        close_app(app)


def test_favicon_is_served(app: Flask, client: FlaskClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.data[:4] == b"\x00\x00\x01\x00"


def test_a_merged_item_does_not_flag_its_own_sources(app: Flask, client: FlaskClient) -> None:
    a = submit("盂县推进高标准农田建设", FARM, unit="yx").item
    b = submit("平定县推进高标准农田建设", FARM + "平定县。", unit="pdx").item
    merged = editing.merge_items(user("editor"), [a.id, b.id], "我市推进高标准农田建设", FARM)
    warned = items.duplicates_for(user("editor"), [merged, a])
    assert a.id not in {d.item_id for d in warned.get(merged.id, [])}
    assert merged.id not in {d.item_id for d in warned.get(a.id, [])}


def test_silent_units_are_listed_once(app: Flask, client: FlaskClient) -> None:
    login(client, "editor")
    html = client.get("/dashboard").get_data(as_text=True)
    section = html.split('id="silent-units"')[1].split("</table>")[0]
    names = re.findall(r'class="silent-unit"[^>]*>([^<]+)<', section)
    assert names and len(names) == len(set(names))


def test_no_web_message_names_a_cli_flag(app: Flask, client: FlaskClient) -> None:
    login(client, "admin")
    response = client.post(
        "/admin/users", data={"username": "newbie", "password": "Xinxi-2026-abc", "role": "reporter"}
    )
    html = response.get_data(as_text=True)
    assert "必须属于一个报送单位" in html and "--unit" not in html


def test_make_run_takes_a_port() -> None:
    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")
    assert "--port $${PORT:-5000}" in makefile
