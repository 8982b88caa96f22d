"""Configuration pages (publications, topic word lists) and the command-line tools."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from nlp import Segmenter
from nlp.analyze import default_kind_model
from search import SearchQuery
from tests.conftest import login, submit, user
from webapp import build_analyzer
from webapp.engines import engines
from webapp.extensions import db
from webapp.models import Item, Publication, Topic, User
from webapp.services import editing, settings
from webapp.services.errors import Forbidden, ValidationError


def test_publication_configuration(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    form = {
        "code": "sbxx",
        "name": "《上报信息》",
        "issuing_office": "市委办公室信息科",
        "distribution_upward": "省委办公厅",
        "default_level": "秘密",
        "print_count": "30",
    }
    assert client.post("/admin/publications", data=form).status_code == 302
    publication = db.session.scalar(db.select(Publication).where(Publication.code == "sbxx"))
    assert (
        publication.name == "上报信息"
        and publication.print_count == 30
        and publication.default_level == "秘密"
    )
    bad = client.post("/admin/publications", data={**form, "print_count": "-1"})
    assert "印数必须是正整数" in bad.get_data(as_text=True)
    assert login(app.test_client(), "reporter").get("/admin/publications").status_code == 403


def test_topic_word_lists_are_admin_data(app: Flask) -> None:
    assert settings.parse_word_list("高标准农田 3\n# 注释\n粮食\t2.5\n\n种粮") == {
        "高标准农田": 3.0,
        "粮食": 2.5,
        "种粮": 1.0,
    }
    for bad in ("粮食 很多", "粮食 1 2", "粮食 20"):
        with pytest.raises(ValidationError):
            settings.parse_word_list(bad)
    with pytest.raises(Forbidden):
        settings.save_topic(user("editor"), "三农", "粮食 1")
    client = login(app.test_client(), "admin")
    client.post("/admin/topics", data={"name": "数字政府", "words": "一网通办 3\n政务服务 2\n数字政府 3"})
    assert db.session.scalar(db.select(Topic).where(Topic.name == "数字政府")).words["一网通办"] == 3.0
    item = submit("推进一网通办", "我市深化一网通办改革，政务服务事项全部实现网上办理。").item
    assert "数字政府" in item.topic_names


def test_retag_applies_new_word_lists_but_keeps_corrections(app: Flask) -> None:
    runner = app.test_cli_runner()
    item = submit("推进一网通办", "我市深化一网通办改革，政务服务事项全部实现网上办理。").item
    assert "数字政府" not in item.topic_names
    settings.save_topic(None, "数字政府", "一网通办 3\n政务服务 2")
    result = runner.invoke(args=["retag"])
    assert result.exit_code == 0 and "已重新标注 1 条信息" in result.output
    assert "类型变化 0 条" in result.output and "主题变化 1 条" in result.output
    db.session.expire_all()
    assert "数字政府" in db.session.get(Item, item.id).topic_names


def test_cli_users_tokens_import_and_reindex(app: Flask, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-user", "wang", "--role", "reporter", "--unit", "yx"], input="long-password\n"
    )
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(User).where(User.username == "wang")).unit.code == "yx"
    short = runner.invoke(args=["create-user", "li", "--role", "editor"], input="short\n")
    assert short.exit_code != 0 and "密码至少" in short.output
    no_unit = runner.invoke(args=["create-user", "zhao", "--role", "reporter"], input="long-password\n")
    assert no_unit.exit_code != 0 and "--unit" in no_unit.output
    token = runner.invoke(args=["api-token", "wang"]).output.strip()
    assert token.startswith("xx_")
    assert (
        app.test_client().get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )

    folder = tmp_path / "来稿"
    folder.mkdir()
    (folder / "a.txt").write_bytes("我县召开安全生产会议\n会议要求压实安全生产责任。".encode("gb18030"))
    (folder / "b.html").write_text(
        "<html><body><nav>首页</nav><h1>县里推进乡村振兴</h1><p>今年以来取得成效。</p></body></html>",
        encoding="utf-8",
    )
    (folder / "c.docx").write_bytes(b"not a docx")
    (folder / "ignored.pdf").write_bytes(b"%PDF")
    result = runner.invoke(args=["import", str(folder), "--unit", "yx"])
    assert "已导入 2 条，失败 1 条" in result.output and "c.docx" in result.output
    titles = set(db.session.scalars(db.select(Item.title)))
    assert {"我县召开安全生产会议", "县里推进乡村振兴"} <= titles
    assert runner.invoke(args=["import", str(tmp_path / "missing"), "--unit", "yx"]).exit_code != 0

    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "已索引 2 条信息" in result.output
    hits = app.test_client().get(
        "/api/v1/search", query_string={"q": "安全生产"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert hits.get_json()["total"] == 1


def test_index_check_finds_and_fixes_missing_stale_and_extra(app: Flask) -> None:
    from search import IndexDoc
    from webapp.engines import engines

    runner = app.test_cli_runner()
    first = submit("推进一网通办", "我市深化一网通办改革，政务服务事项全部实现网上办理。").item
    second = submit("秋粮收购", "今年秋粮收购进展顺利，收购价格总体稳定。").item
    assert runner.invoke(args=["index-check"]).exit_code == 0
    backend = engines().search
    backend.delete([first.id])  # missing
    db.session.execute(db.update(Item).where(Item.id == second.id).values(status="rejected"))  # stale
    db.session.commit()
    backend.index(
        [
            IndexDoc(
                999,
                "多余",
                "多余",
                ["多余"],
                ["多余"],
                "yx",
                "xq",
                [],
                "other",
                "submitted",
                1,
                first.event_date,
            )
        ]
    )  # extra
    result = runner.invoke(args=["index-check"])
    assert result.exit_code == 1 and "缺失 1 条，过期 1 条，多余 1 条" in result.output
    assert runner.invoke(args=["index-check", "--fix"]).exit_code == 0
    result = runner.invoke(args=["index-check"])
    assert result.exit_code == 0 and "一致" in result.output


def test_reindex_into_another_backend(app: Flask) -> None:
    from webapp import build_search
    from webapp.engines import engines

    submit("推进一网通办", "我市深化一网通办改革，政务服务事项全部实现网上办理。")
    result = app.test_cli_runner().invoke(args=["reindex", "--backend", "tantivy"])
    assert result.exit_code == 0 and "已索引 1 条信息" in result.output
    tantivy = build_search(app, engines().segmenter, "tantivy")
    assert tantivy.count() == 1
    tantivy.close()


def test_reindex_with_worker_processes_gives_the_same_index(app: Flask) -> None:
    from webapp.engines import engines
    from webapp.services import indexing

    texts = [
        f"{place}镇推进人居环境整治，清理垃圾{n}吨，群众满意度明显提升。" for n, place in enumerate(PLACES)
    ]
    for n, text in enumerate(texts):
        submit(f"{PLACES[n]}镇整治人居环境", text)
    backend = engines().search
    serial = backend.stamps()
    app.config["XINXI_REINDEX_WORKERS"] = 2
    assert indexing.reindex_workers(len(texts)) == 2
    result = app.test_cli_runner().invoke(args=["reindex"])
    assert result.exit_code == 0 and f"已索引 {len(texts)} 条信息" in result.output
    assert backend.stamps() == serial
    assert indexing.check_index().clean
    found = backend.search(SearchQuery(text="桃源 垃圾"))
    assert [hit.id for hit in found.hits] == [PLACES.index("桃源") + 1]


def test_refresh_idf_builds_the_archive_table(app: Flask) -> None:
    submit("推进一网通办", "我市深化一网通办改革，政务服务事项全部实现网上办理。")
    submit("秋粮收购", "今年秋粮收购进展顺利，收购价格总体稳定。")
    result = app.test_cli_runner().invoke(args=["refresh-idf"])
    assert result.exit_code == 0 and "2 条信息" in result.output
    assert "第 1 版" in result.output  # stored in the database for every host (tests/test_kind_learning.py)
    item = submit("一网通办再提速", "一网通办事项再增加，群众办事更方便。").item
    assert "一网通办" in item.keywords


def test_problem_sentences_are_highlighted_on_the_item_page(app: Flask) -> None:
    text = (
        "今年以来，我县新建高标准农田3.5万亩，取得明显成效。\n"
        "但部分乡镇污水处理设施运维经费缺口较大，存在建而不用问题。"
    )
    item = submit("农田建设和污水治理", text).item
    assert any(label == "problem" for _, _, label in item.sentences)
    page = login(app.test_client(), "editor").get(f"/items/{item.id}").get_data(as_text=True)
    marked = page.split('<mark class="problem"', 1)[1].split("</mark>", 1)[0]
    assert "缺口" in marked and "高标准农田" not in marked


def test_user_administration_and_own_password(app: Flask) -> None:
    admin = login(app.test_client(), "admin")
    form = {
        "username": "zhou",
        "password": "long-password",
        "role": "reporter",
        "unit": "yx",
        "clearance": "内部",
    }
    assert admin.post("/admin/users", data=form).status_code == 302
    zhou = db.session.scalar(db.select(User).where(User.username == "zhou"))
    assert zhou.unit.code == "yx" and zhou.clearance == 1
    missing_unit = admin.post("/admin/users", data={**form, "username": "wu", "unit": ""})
    assert "必须属于一个报送单位" in missing_unit.get_data(as_text=True)
    assert (
        login(app.test_client(), "editor").post("/admin/users", data={**form, "username": "x"}).status_code
        == 403
    )
    assert (
        db.session.scalar(db.select(User).where(User.username == "x")) is None
    )  # editors cannot create users

    admin.post(f"/admin/users/{zhou.id}", data={"action": "deactivate"})
    refused = app.test_client().post("/login", data={"username": "zhou", "password": "long-password"})
    assert refused.status_code == 200  # stays on the login page
    admin.post(f"/admin/users/{zhou.id}", data={"action": "activate", "password": "another-password"})
    client = login_as(app, "zhou", "another-password")
    wrong = client.post(
        "/account", data={"current": "nope", "new_password": "third-password", "confirm": "third-password"}
    )
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    client.post(
        "/account",
        data={"current": "another-password", "new_password": "third-password", "confirm": "third-password"},
    )
    assert login_as(app, "zhou", "third-password")


def login_as(app: Flask, username: str, password: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302
    return client


PLACES = [
    "东关",
    "西湖",
    "南山",
    "北岭",
    "青石",
    "白沙",
    "红旗",
    "金桥",
    "柳河",
    "杏林",
    "松岗",
    "桃源",
    "石门",
    "梅溪",
]


def test_train_kind_learns_from_editors_corrections_and_survives_a_restart(
    app: Flask, segmenter: Segmenter
) -> None:
    runner = app.test_cli_runner()
    app.config["XINXI_KIND_MIN_CORRECTIONS"] = 10
    editor = user("editor")
    text = "深入开展人居环境整治专项行动，{}镇动员{}名干部进村入户，推动整治清单逐户落实。"
    probe = text.format("云台", 60)
    assert engines().analyzer.analyze("", probe).kind.label == "other"
    refused = runner.invoke(args=["train-kind"])
    assert refused.exit_code != 0 and "至少需要 10 条" in refused.output
    # This office reads such reports of work done as achievements, and its editors say so.
    for n, place in enumerate(PLACES):
        item = submit(f"{place}镇整治人居环境", text.format(place, 20 + n)).item
        editing.correct_tags(editor, item.id, kind="achievement")
    result = runner.invoke(args=["train-kind"])
    assert result.exit_code == 0, result.output
    assert "已用 14 条编辑校正" in result.output and "留出" in result.output
    assert engines().analyzer.analyze("", probe).kind.label == "achievement"
    assert submit("云台镇整治人居环境", probe).item.kind == "achievement"
    # The next start (another worker, a restart, another host) loads the office's model from the database.
    restarted = build_analyzer(app, segmenter)
    assert restarted.kind_model is not None and restarted.kind_model is not default_kind_model()
    assert restarted.analyze("", probe).kind.label == "achievement"
