"""The journey through the server-rendered pages (Flask test client), including file uploads."""

from __future__ import annotations

import io

import docx
from flask import Flask

from tests.conftest import PASSWORD, login

BIG5_TEXT = "市農業農村局推進高標準農田建設，新建農田3.5萬畝，帶動農民增收。經驗做法獲省辦採用。"


def _docx_upload() -> bytes:
    document = docx.Document()
    document.add_paragraph("我县扎实推进农村人居环境整治")
    document.add_paragraph("今年以来，我县完成农村改厕1200户，新建污水管网20公里。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "指标"
    table.cell(0, 1).text = "完成情况"
    table.cell(1, 0).text = "改厕户数"
    table.cell(1, 1).text = "1200户"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_reporter_submits_editor_adopts_and_downloads(app: Flask) -> None:
    reporter = login(app.test_client(), "reporter")
    response = reporter.post(
        "/items/new",
        data={
            "title": "",
            "event_date": "2026-11-01",
            "level": "内部",
            "file": (io.BytesIO(BIG5_TEXT.encode("big5")), "農田.txt"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = reporter.get(response.headers["Location"]).get_data(as_text=True)
    assert "農田.txt" in page and "big5" in page and "三农" in page

    response = reporter.post(
        "/items/new",
        data={"title": "", "file": (io.BytesIO(_docx_upload()), "整治.docx")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "我县扎实推进农村人居环境整治" in page and "改厕户数" in page

    editor = login(app.test_client(), "editor")
    home = editor.get("/").get_data(as_text=True)
    assert "待审核信息（2）" in home
    results = editor.get("/search", query_string={"q": "採用"}).get_data(as_text=True)
    assert "<mark>采用</mark>" in results
    item_id = 1
    response = editor.post(
        f"/items/{item_id}/review", data={"action": "adopt", "publication": "yqxx"}, follow_redirects=True
    )
    assert "已采用" in response.get_data(as_text=True)

    response = editor.post("/bulletins/", data={"publication": "yqxx", "add": [str(item_id)]})
    assert response.status_code == 302
    issue_url = response.headers["Location"]
    draft = editor.get(issue_url).get_data(as_text=True)
    assert "草稿" in draft and "第1期" in draft
    editor.post(issue_url + "/publish")
    preview = editor.get(issue_url + "/preview").get_data(as_text=True)
    assert "阳泉信息" in preview and "第1期" in preview and "（草稿）" not in preview
    download = editor.get(issue_url + ".docx")
    assert download.status_code == 200
    texts = [p.text for p in docx.Document(io.BytesIO(download.data)).paragraphs]
    assert any("第1期" in t for t in texts)


def test_bad_uploads_keep_the_form_and_say_why(app: Flask) -> None:
    reporter = login(app.test_client(), "reporter")
    cases = [
        (b"\x00\x01binary\xff\xfe\xfd" * 20, "x.txt", "编码"),
        (b"PK\x03\x04 not really a zip", "x.docx", "Word"),
        (b"text", "x.pdf", "不支持的文件类型"),
    ]
    for data, name, message in cases:
        response = reporter.post(
            "/items/new",
            data={"title": "保留的标题", "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and message in page and "保留的标题" in page
    response = reporter.post("/items/new", data={"title": "绝密文件", "text": "正文", "level": "绝密"})
    assert response.status_code == 400 and "严禁" in response.get_data(as_text=True)


def test_pages_need_login_and_reporters_cannot_compose(app: Flask) -> None:
    anonymous = app.test_client()
    assert anonymous.get("/").status_code == 302
    assert anonymous.get("/search").headers["Location"].startswith("/login")
    reporter = login(app.test_client(), "reporter")
    assert reporter.get("/bulletins/").status_code == 403
    failed = app.test_client().post("/login", data={"username": "editor", "password": "wrong-password"})
    assert "用户名或密码错误" in failed.get_data(as_text=True)


def test_login_redirect_stays_on_site(app: Flask) -> None:
    client = app.test_client()
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "editor", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"
