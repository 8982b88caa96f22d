"""Classification marks in the header lines: 绝密 refused at every entry, 机密/秘密 raise the level."""

from __future__ import annotations

import io

import docx
import pytest
from flask.testing import FlaskClient

from nlp.marks import classification_mark
from tests.conftest import bearer, login, submit
from webapp.extensions import db
from webapp.models import Item
from webapp.services import editing, items
from webapp.services.errors import ValidationError

BODY = "县政府召开专题会议，部署冬季安全生产大检查工作，要求各乡镇压实责任。"


@pytest.mark.parametrize(
    ("title", "text", "mark"),
    [
        ("关于冬季安全生产的情况", f"绝密★启用前\n{BODY}", "绝密"),
        ("关于冬季安全生产的情况", f"绝密★10年\n{BODY}", "绝密"),
        ("（绝密）关于冬季安全生产的情况", BODY, "绝密"),
        ("关于冬季安全生产的情况", f"绝密级\n{BODY}", "绝密"),
        ("关于冬季安全生产的情况", f"【机密】\n{BODY}", "机密"),
        ("关于冬季安全生产的情况", f"机密★1年\n{BODY}", "机密"),
        ("关于冬季安全生产的情况", f"密级：秘密\n{BODY}", "秘密"),
        ("秘密★启用前 关于冬季安全生产的情况", BODY, "秘密"),
        ("关于冬季安全生产的情况", f"盂县人民政府办公室\n秘密\n{BODY}", "秘密"),
        ("关于冬季安全生产的情况", f"秘密\n机密★6个月\n{BODY}", "机密"),
        # Mentions in running text, and titles that merely begin with the word, are not marks.
        ("关于冬季安全生产的情况", f"{BODY}该刊物属绝密级刊物，请妥善保管。", None),
        ("绝密级文件管理办法出台", BODY, None),
        ("关于加强机密文件管理的通知", f"机密文件要专柜存放，{BODY}", None),
        ("关于冬季安全生产的情况", "\n".join([BODY] * 4 + ["（绝密）"]), None),
    ],
)
def test_classification_mark(title: str, text: str, mark: str | None) -> None:
    assert classification_mark(title, text) == mark


def test_top_secret_mark_refused_by_the_service(app: object) -> None:
    with pytest.raises(ValidationError) as refused:
        submit("关于冬季安全生产的情况", f"绝密★启用前\n{BODY}")
    assert refused.value.code == "level_refused"
    assert db.session.scalar(db.select(db.func.count(Item.id))) == 0


def test_secret_mark_raises_the_level_and_says_so(app: object) -> None:
    result = submit("关于冬季安全生产的情况", f"机密★1年\n{BODY}", level="公开")
    assert result.item.level == "机密"
    assert result.notices and "机密" in result.notices[0]
    lower = submit("关于冬季安全生产的情况（二）", f"秘密\n{BODY}", level="机密")
    assert lower.item.level == "机密" and not lower.notices  # a mark never lowers the level


def test_plain_mention_is_accepted(app: object) -> None:
    result = submit("关于冬季安全生产的情况", f"{BODY}该刊物属绝密级刊物，请妥善保管。", level="内部")
    assert result.item.level == "内部"


def test_top_secret_mark_refused_through_the_api_form_and_upload(client: FlaskClient) -> None:
    headers = bearer("editor")
    response = client.post(
        "/api/v1/items",
        json={"title": "（绝密）关于冬季安全生产的情况", "text": BODY, "unit": "yx"},
        headers=headers,
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "level_refused"
    login(client, "reporter")
    response = client.post("/items/new", data={"title": "关于冬季安全生产", "text": f"绝密★\n{BODY}"})
    assert response.status_code == 400
    assert "绝密" in response.get_data(as_text=True)
    document = docx.Document()
    document.add_paragraph("绝密★启用前")
    document.add_paragraph("关于冬季安全生产的情况")
    document.add_paragraph(BODY)
    buffer = io.BytesIO()
    document.save(buffer)
    response = client.post(
        "/items/new",
        data={"title": "", "text": "", "file": (io.BytesIO(buffer.getvalue()), "来稿.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(Item.id))) == 0


def test_secret_mark_notice_in_the_api_answer(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/items",
        json={"title": "关于冬季安全生产的情况", "text": f"【机密】\n{BODY}", "unit": "yx", "level": "内部"},
        headers=bearer("editor"),
    )
    assert response.status_code == 201
    payload = response.get_json()
    assert payload["level"] == "机密" and payload["notices"]


def test_an_edit_adding_a_mark_raises_or_is_refused(app: object) -> None:
    item = submit("关于冬季安全生产的情况", BODY, level="内部").item
    editing.edit_item(None, item.id, item.title, f"秘密★1年\n{BODY}")
    assert db.session.get(Item, item.id).level == "秘密"  # type: ignore[union-attr]
    with pytest.raises(ValidationError):
        editing.edit_item(None, item.id, "（绝密）" + item.title, BODY)
    db.session.rollback()
    assert db.session.get(Item, item.id).level == "秘密"  # type: ignore[union-attr]
    assert items.get_item(None, item.id).title == "关于冬季安全生产的情况"
