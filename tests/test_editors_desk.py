"""The editor's desk: versions, resubmission, tag corrections, merges, recognition, bulk actions,
and bulletin issues (drafts, numbering, freezing, concurrency)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from flask import Flask

from nlp import Segmenter, Token
from tests.conftest import bearer, close_app, login, make_app, submit, user
from webapp.extensions import db
from webapp.models import AuditEvent, BulletinIssue, Item
from webapp.services import audit, bulletins, demo, editing, items, upward
from webapp.services.bulletins import EntryInput
from webapp.services.errors import Conflict, Forbidden, NotFound, ValidationError
from webapp.timeutil import local_today

FARM = "市农业农村局推进高标准农田建设，今年新建高标准农田3.5万亩，带动农民人均增收600余元。"
SEWAGE = "部分乡镇农村生活污水处理设施存在建而不用问题，运维经费缺口较大，管网配套滞后。"


def _adopted(title: str, text: str = FARM, unit: str = "nyj") -> Item:
    item = submit(title, text, unit=unit).item
    return items.review_item(user("editor"), item.id, "adopt", "mrkb")


def test_edits_are_versions_with_diff_and_restore(app: Flask) -> None:
    editor = user("editor")
    item = submit("高标准农田建设", FARM).item
    assert [v.number for v in item.versions] == [1]
    editing.edit_item(editor, item.id, "高标准农田建设成效明显", FARM.replace("3.5万亩", "4万亩"), "核实数据")
    editing.edit_item(
        editor, item.id, "高标准农田建设成效明显", FARM.replace("3.5万亩", "4万亩")
    )  # unchanged
    assert [v.number for v in item.versions] == [1, 2]
    assert item.title == "高标准农田建设成效明显" and "4万亩" in item.clean_text
    diff = str(editing.version_diff(item.versions[0].text, item.versions[1].text))
    assert "<del>3.5</del>" in diff and "<ins>4</ins>" in diff
    assert "<" not in str(editing.version_diff("a<b", "a<b")).replace("&lt;", "")
    editing.restore_version(editor, item.id, 1)
    assert [v.number for v in item.versions] == [1, 2, 3] and "3.5万亩" in item.clean_text
    assert [e.action for e in audit.history("item", item.id)] == ["submit", "edit", "restore"]
    with pytest.raises(Forbidden):
        editing.edit_item(user("reporter"), item.id, "x", "y")


def test_returned_item_is_revised_and_resubmitted_by_its_unit(app: Flask) -> None:
    item = submit("我县污水处理设施运行情况", SEWAGE, unit="yx").item
    items.review_item(user("editor"), item.id, "return", reason="请补充具体数据")
    with pytest.raises(NotFound):
        editing.resubmit_item(user("reporter_nyj"), item.id, "x", "y")  # another unit cannot see it
    editing.resubmit_item(user("reporter"), item.id, item.title, SEWAGE + "12个站点中5个停运。", "已补充数据")
    assert item.status == "submitted" and len(item.versions) == 2
    events = audit.history("item", item.id)
    assert (events[-1].action, events[-1].from_state, events[-1].to_state) == (
        "resubmit",
        "returned",
        "submitted",
    )
    with pytest.raises(Conflict):
        editing.resubmit_item(user("reporter"), item.id, item.title, SEWAGE)


def test_tag_corrections_are_kept_through_retagging(app: Flask) -> None:
    editor = user("editor")
    item = submit("高标准农田建设", FARM).item
    assert item.kind != "problem"
    editing.correct_tags(editor, item.id, kind="problem", topics=["三农", "财政金融"])
    result = editing.retag_all()
    assert result.items >= 1
    # The corrected item keeps its labels: retagging counts no change for it.
    assert result.kinds_changed == 0 and result.topics_changed == 0
    db.session.refresh(item)
    assert item.kind == "problem" and item.kind_locked
    assert item.topic_names == ["三农", "财政金融"]
    event = audit.history("item", item.id)[-1]
    assert event.action == "correct_tags" and event.actor_id == editor.id
    assert event.details["after"]["kind"] == "problem"
    with pytest.raises(ValidationError):
        editing.correct_tags(editor, item.id, topics=["不存在的主题"])


def test_merge_credits_every_source_unit(app: Flask) -> None:
    editor = user("editor")
    a = submit("盂县推进农田建设", FARM, unit="yx").item
    b = submit("平定县推进农田建设", FARM, unit="pdx").item
    merged = editing.merge_items(editor, [a.id, b.id], "全市高标准农田建设综述")
    assert merged.is_comprehensive and merged.status == "submitted"
    assert {u.code for u in merged.source_units} == {"yx", "pdx"}
    assert a.status == b.status == "merged"
    assert "盂县人民政府办公室" in merged.clean_text
    with pytest.raises(Conflict):
        items.review_item(editor, a.id, "adopt", "mrkb")
    items.review_item(editor, merged.id, "adopt", "mrkb")
    issue = bulletins.create_issue(editor, "mrkb", [EntryInput(merged.id)])
    issue = bulletins.publish_issue(editor, issue.id)
    assert issue.entries[0].unit_name == "盂县人民政府办公室、平定县人民政府办公室"


def test_upward_adoption_and_instruction_are_recorded(app: Flask) -> None:
    editor = user("editor")
    item = _adopted("农田建设经验")
    today = local_today().isoformat()
    upward.record_upward(editor, item.id, "zryq", "adopted", today)
    editing.record_instruction(editor, item.id, "张省长", "provincial", today, "此经验可推广")
    db.session.refresh(item)
    assert item.upward_reports[0].outlet.name == "国办《昨日要情》"
    assert item.instructions[0].leader == "张省长"
    with pytest.raises(ValidationError):
        editing.record_instruction(editor, item.id, "", "provincial", None)
    with pytest.raises(ValidationError):
        upward.record_upward(editor, item.id, "county", "adopted", None)


def test_bulk_actions_write_one_audit_row_each(app: Flask) -> None:
    editor = user("editor")
    ids = [submit(f"信息{i}", FARM + str(i), unit="yx").item.id for i in range(3)]
    items.bulk_review(editor, ids, "reject", reason="价值不高")
    rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "reject")).all()
    assert sorted(r.entity_id for r in rows) == sorted(ids)
    editing.assign_topic(editor, ids, "党的建设")
    assert all("党的建设" in db.session.get(Item, i).topic_names for i in ids)
    with pytest.raises(ValidationError):
        items.bulk_review(editor, ids, "adopt", publication_code=None)


def test_bulk_and_merge_through_the_review_queue(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    a = submit("盂县农田", FARM, unit="yx").item.id
    b = submit("平定农田", FARM, unit="pdx").item.id
    page = client.get("/review").get_data(as_text=True)
    assert "疑似重复" in page and "盂县农田" in page
    response = client.post(
        "/review/bulk", data={"item_ids": [a, b], "action": "merge", "merge_title": "综述"}
    )
    assert response.status_code == 302
    assert db.session.get(Item, a).status == "merged"
    filtered = client.get("/review", query_string={"status": "merged", "unit": "yx"}).get_data(as_text=True)
    assert f'name="item_ids" value="{a}"' in filtered and f'name="item_ids" value="{b}"' not in filtered


def test_issue_numbers_per_publication_year_and_supplement(app: Flask) -> None:
    editor = user("editor")
    item = _adopted("农田建设")

    def publish(code: str, day: date, supplement: bool = False) -> BulletinIssue:
        # The same item in every issue: a repeat the editor allows with a reason.
        draft = bulletins.create_issue(
            editor,
            code,
            [EntryInput(item.id)],
            issue_date=day,
            supplement=supplement,
            override_reason="编号测试",
        )
        assert draft.number is None and draft.status == "draft"
        return bulletins.publish_issue(editor, draft.id, "编号测试")

    assert publish("mrkb", date(2025, 12, 30)).number == 1
    assert publish("mrkb", date(2025, 12, 31)).number == 2
    assert publish("mrkb", date(2026, 1, 2)).number == 1  # a new year starts again at 1
    assert publish("mrkb", date(2026, 1, 3), supplement=True).number == 1
    assert publish("yqxx", date(2026, 1, 3)).number == 1
    abandoned = bulletins.create_issue(
        editor, "mrkb", [EntryInput(item.id)], issue_date=date(2026, 1, 4), override_reason="编号测试"
    )
    assert publish("mrkb", date(2026, 1, 5)).number == 2  # a draft never takes a number
    assert abandoned.number is None
    with pytest.raises(Conflict):
        bulletins.publish_issue(editor, db.session.scalars(db.select(BulletinIssue)).first().id)


def test_publishing_freezes_content_and_records_adoption(app: Flask) -> None:
    editor = user("editor")
    first = _adopted("农田建设")
    second = submit("污水处理", SEWAGE).item
    items.review_item(editor, second.id, "adopt", "yqxx")  # adopted elsewhere
    draft = bulletins.create_issue(editor, "mrkb", [EntryInput(first.id, "基层经验"), EntryInput(second.id)])
    draft = bulletins.update_issue(
        editor,
        draft.id,
        [EntryInput(second.id, "问题反映"), EntryInput(first.id, "基层经验")],
        editor_note="注意",
    )
    assert [e.item_id for e in draft.entries] == [second.id, first.id]
    issue = bulletins.publish_issue(editor, draft.id)
    assert {a.publication.code for a in second.adoptions} == {"yqxx", "mrkb"}
    editing.edit_item(editor, first.id, "改过的标题", "改过的正文内容")
    data = bulletins.bulletin_data(issue)
    assert [i.title for i in data.items] == ["污水处理", "农田建设"]
    assert [i.column for i in data.items] == ["问题反映", "基层经验"]
    assert data.editor_note == "注意" and "改过" not in data.items[1].body
    with pytest.raises(Conflict):
        bulletins.update_issue(editor, issue.id, [EntryInput(first.id)])
    with pytest.raises(Conflict):
        bulletins.create_issue(editor, "mrkb", [EntryInput(submit("未采用", FARM).item.id)])


def test_concurrent_requests_never_repeat_or_skip_numbers(any_db_app: Flask) -> None:
    """Six editors' requests publish issues of one publication at the same moment."""
    item_id = _adopted("农田建设").id
    headers = [bearer("editor") for _ in range(6)]
    db.session.remove()
    barrier = threading.Barrier(len(headers))
    answers: list[tuple[int, object]] = []

    def publish(header: dict[str, str]) -> None:
        client = any_db_app.test_client()  # no app context here: each request gets its own
        barrier.wait()
        response = client.post(
            "/api/v1/bulletins",
            json={"publication": "mrkb", "item_ids": [item_id], "override_reason": "编号并发测试"},
            headers=header,
        )
        answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=publish, args=(h,)) for h in headers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [status for status, _ in answers] == [201] * len(headers), answers
    numbers = sorted(body["number"] for _, body in answers)  # type: ignore[index]
    assert numbers == list(range(1, len(headers) + 1))
    assert sorted(db.session.scalars(db.select(BulletinIssue.number)).all()) == numbers


def test_compose_page_reorders_and_groups(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    ids = [_adopted(f"第{i}条信息", FARM + str(i)).id for i in range(3)]
    response = client.post("/bulletins/", data={"publication": "mrkb", "add": ids})
    url = response.headers["Location"]
    form = {"entry": ids, f"column_{ids[0]}": "工作动态", "move": f"down:{ids[0]}"}
    client.post(url, data=form)
    issue = db.session.get(BulletinIssue, int(url.rsplit("/", 1)[1]))
    db.session.refresh(issue)
    assert [e.item_id for e in issue.entries] == [ids[1], ids[0], ids[2]]
    assert issue.entries[1].column == "工作动态"
    client.post(
        url, data={"entry": [ids[1], ids[0], ids[2]], "remove": [ids[2]], f"column_{ids[0]}": "工作动态"}
    )
    db.session.refresh(issue)
    assert [e.item_id for e in issue.entries] == [ids[1], ids[0]]
    preview = client.get(url + "/preview").get_data(as_text=True)
    assert preview.index("第1条信息") < preview.index("第0条信息") and "【工作动态】" in preview


class CountingSegmenter(Segmenter):
    """A real Segmenter that counts how often text is cut."""

    calls = 0

    def tokens(self, text: str) -> list[Token]:
        CountingSegmenter.calls += 1
        return super().tokens(text)


def test_an_edit_cuts_the_text_once(tmp_path: Path) -> None:
    app = make_app(
        tmp_path, CountingSegmenter(cache_dir=tmp_path / "jieba").initialize(), WTF_CSRF_ENABLED=False
    )
    with app.app_context():
        demo.seed_structure()
        item = submit("高标准农田建设", FARM).item
        CountingSegmenter.calls = 0
        editing.edit_item(user("editor"), item.id, "高标准农田建设成效明显", FARM + "带动农民增收。")
        assert CountingSegmenter.calls == 2  # title and text, once each: the index reuses the tokens
        close_app(app)
