"""The web app against the usual attacks: login throttling, sessions that really end, cookies and
headers (CSP without inline script), API tokens, password rules and user administration."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from nlp import Segmenter
from tests.conftest import PASSWORD, close_app, login, make_app, submit, user
from webapp.charts import Bar, bar_chart, stacked_bar
from webapp.extensions import db
from webapp.models import ApiToken, AuditEvent, utcnow
from webapp.security import CONTENT_SECURITY_POLICY
from webapp.services import demo, users
from webapp.services.errors import ValidationError

TEMPLATES = Path(__file__).resolve().parents[1] / "webapp" / "templates"
NEW_PASSWORD = "Lan-shan@2027"


def _attempt(client: FlaskClient, username: str, password: str = "wrong-password-1") -> int:
    return client.post("/login", data={"username": username, "password": password}).status_code


def _logged_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


# --- login throttling ---------------------------------------------------------------------------


def test_failed_logins_are_throttled_per_account(app: Flask, client: FlaskClient) -> None:
    for _ in range(5):
        assert _attempt(client, "editor") == 200
    throttled = client.post("/login", data={"username": "editor", "password": PASSWORD})
    assert throttled.status_code == 429  # even the right password waits now
    assert "登录尝试过于频繁，请稍后再试" in throttled.get_data(as_text=True)
    assert _attempt(app.test_client(), " EDITOR ") == 429  # the same account, however it is spelt
    # Another account from the same address is not affected.
    assert login(app.test_client(), "admin")


def test_successful_logins_do_not_count(app: Flask) -> None:
    for _ in range(8):
        login(app.test_client(), "editor")


def test_failed_logins_are_throttled_per_address(tmp_path: Path, segmenter: Segmenter) -> None:
    app = make_app(tmp_path, segmenter, WTF_CSRF_ENABLED=False, XINXI_LOGIN_LIMIT_ADDRESS="4/minute")
    with app.app_context():
        demo.seed_structure()
        client = app.test_client()
        for n in range(4):
            assert _attempt(client, f"nobody{n}") == 200
        assert _attempt(client, "nobody-else") == 429
        assert client.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 429
        elsewhere = app.test_client()
        elsewhere.environ_base["REMOTE_ADDR"] = "10.0.0.9"
        assert elsewhere.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 302
        close_app(app)


def test_throttling_state_stays_with_its_app(tmp_path: Path, segmenter: Segmenter) -> None:
    first = make_app(tmp_path / "a", segmenter, WTF_CSRF_ENABLED=False)
    with first.app_context():
        demo.seed_structure()
        for _ in range(5):
            _attempt(first.test_client(), "editor")
        second = make_app(tmp_path / "b", segmenter, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False)
        # Binding the limiter to another app (here: switched off) neither resets nor disables this one.
        assert _attempt(first.test_client(), "editor") == 429
        with second.app_context():
            demo.seed_structure()
            for _ in range(8):
                assert _attempt(second.test_client(), "editor") == 200
            close_app(second)
        third = make_app(tmp_path / "c", segmenter, WTF_CSRF_ENABLED=False)
        with third.app_context():
            demo.seed_structure()
            login(third.test_client(), "editor")  # a fresh app starts with fresh counters
            close_app(third)
        assert _attempt(first.test_client(), "editor") == 429
        close_app(first)


def _redis_url() -> str:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    return "redis://127.0.0.1:6379/0"


def test_redis_storage_shares_counters_between_processes(tmp_path: Path, segmenter: Segmenter) -> None:
    url = _redis_url()
    name = f"probe-{uuid.uuid4().hex[:12]}"  # a fresh key: Redis outlives the test
    apps = [
        make_app(tmp_path / key, segmenter, WTF_CSRF_ENABLED=False, XINXI_RATELIMIT_STORAGE=url)
        for key in ("a", "b")
    ]
    for app in apps:
        assert app.config["RATELIMIT_STORAGE_URI"] == url
    with apps[0].app_context():
        for _ in range(5):
            assert _attempt(apps[0].test_client(), name) == 200
        close_app(apps[0])
    with apps[1].app_context():
        assert _attempt(apps[1].test_client(), name) == 429  # another worker sees the same counter
        close_app(apps[1])


def test_api_refuses_token_guessing_with_json_429(tmp_path: Path, segmenter: Segmenter) -> None:
    app = make_app(tmp_path, segmenter, XINXI_API_AUTH_LIMIT="3/minute")
    with app.app_context():
        demo.seed_structure()
        client = app.test_client()
        for n in range(3):
            guess = {"Authorization": f"Bearer xx_{n}"}
            assert client.get("/api/v1/items/1", headers=guess).status_code == 401
        response = client.get("/api/v1/items/1", headers={"Authorization": "Bearer xx_again"})
        assert response.status_code == 429
        assert response.json == {"error": "too_many_requests", "message": "请求过于频繁，请稍后再试"}
        close_app(app)


def test_unknown_and_known_names_cost_one_hash_check(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    real = users.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(users, "check_password_hash", spy)
    for name in ("editor", "no-such-user"):
        checked.clear()
        with pytest.raises(users.LoginRefused, match="用户名或密码错误"):
            users.authenticate(name, "wrong-password-1")
        assert len(checked) == 1 and checked[0].startswith("pbkdf2:sha256:1000")


def test_deactivated_account_is_named_only_with_the_right_password(app: Flask) -> None:
    users.administer_user(None, user("reporter").id, active=False)
    client = app.test_client()
    wrong = client.post("/login", data={"username": "reporter", "password": "wrong-password-1"})
    assert "用户名或密码错误" in wrong.get_data(as_text=True) and "停用" not in wrong.get_data(as_text=True)
    right = client.post("/login", data={"username": "reporter", "password": PASSWORD})
    assert right.status_code == 200 and "该账号已停用" in right.get_data(as_text=True)
    assert not _logged_in(client)


# --- sessions end for real ------------------------------------------------------------------------


def _two_sessions(app: Flask, username: str) -> tuple[FlaskClient, FlaskClient]:
    first, second = login(app.test_client(), username), login(app.test_client(), username)
    assert _logged_in(first) and _logged_in(second)
    return first, second


def test_logout_ends_every_session_of_the_user(app: Flask) -> None:
    first, second = _two_sessions(app, "editor")
    cookie = first.get_cookie("session")
    assert cookie is not None
    first.post("/logout")
    assert not _logged_in(first) and not _logged_in(second)
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)  # a copied cookie is worthless after logout
    assert not _logged_in(replay)


def test_own_password_change_keeps_this_session_and_ends_the_others(app: Flask) -> None:
    first, second = _two_sessions(app, "editor")
    response = first.post(
        "/account", data={"current": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert _logged_in(first) and not _logged_in(second)


@pytest.mark.parametrize(
    "form",
    [
        {"action": "password", "password": NEW_PASSWORD},
        {"action": "deactivate"},
        {"action": "update", "role": "reporter", "unit": "yx", "clearance": "内部"},
        {"action": "update", "role": "editor", "unit": "", "clearance": "机密"},
        {"action": "update", "role": "editor", "unit": "yx", "clearance": "内部"},
    ],
    ids=["password-reset", "deactivation", "role", "clearance", "unit"],
)
def test_administrators_changes_end_the_users_sessions(app: Flask, form: dict[str, str]) -> None:
    first, second = _two_sessions(app, "editor")
    admin = login(app.test_client(), "admin")
    assert admin.post(f"/admin/users/{user('editor').id}", data=form).status_code == 302
    assert not _logged_in(first) and not _logged_in(second)
    assert _logged_in(admin)


def test_saving_unchanged_rights_keeps_sessions(app: Flask) -> None:
    first, _ = _two_sessions(app, "editor")
    editor = user("editor")
    form = {"action": "update", "role": "editor", "unit": "", "clearance": users.LEVELS[editor.clearance]}
    login(app.test_client(), "admin").post(f"/admin/users/{editor.id}", data=form)
    assert _logged_in(first)


# --- cookies and headers --------------------------------------------------------------------------


def test_security_headers_on_every_response(app: Flask, client: FlaskClient) -> None:
    for path in ("/login", "/static/style.css", "/no-such-page"):
        response = client.get(path)
        response.close()
        headers = response.headers
        assert headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert "Strict-Transport-Security" not in headers
    api = client.get("/api/v1/openapi.json")
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def _session_cookie_header(client: FlaskClient) -> str:
    response = client.post("/login", data={"username": "editor", "password": PASSWORD})
    assert response.status_code == 302
    return next(v for v in response.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_session_cookie_flags(app: Flask, client: FlaskClient) -> None:
    cookie = _session_cookie_header(client)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_over_https(tmp_path: Path, segmenter: Segmenter) -> None:
    app = make_app(tmp_path, segmenter, WTF_CSRF_ENABLED=False, XINXI_SECURE_COOKIES="1")
    with app.app_context():
        demo.seed_structure()
        client = app.test_client()
        cookie = _session_cookie_header(client)
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
        close_app(app)


INLINE = [
    re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),  # inline script
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),  # inline event handler
    re.compile(r"\sstyle\s*=", re.IGNORECASE),  # inline style attribute
    re.compile(r"<style\b", re.IGNORECASE),  # style element
    re.compile(r"javascript:", re.IGNORECASE),
]


@pytest.mark.parametrize("template", sorted(TEMPLATES.glob("*.html")), ids=lambda p: p.name)
def test_templates_have_nothing_inline_that_csp_blocks(template: Path) -> None:
    text = template.read_text(encoding="utf-8")
    for pattern in INLINE:
        assert not pattern.search(text), f"{template.name}: {pattern.pattern}"


def test_charts_have_no_inline_style() -> None:
    bars = [Bar("问题", 3, "/search?kind=problem"), Bar("其他", 1, "")]
    for chart in (bar_chart(bars), stacked_bar(bars)):
        assert not any(pattern.search(str(chart)) for pattern in INLINE)


# --- API tokens -----------------------------------------------------------------------------------


def _api_status(client: FlaskClient, token: str) -> int:
    return client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"}).status_code


def test_account_page_creates_lists_and_revokes_tokens(app: Flask) -> None:
    editor = login(app.test_client(), "editor")
    created = editor.post("/account/tokens", data={"name": "夜间导入", "expires_days": "30"})
    assert created.status_code == 200 and created.headers["Cache-Control"] == "no-store"
    token = re.search(r'<code id="new-token">(xx_[^<]+)</code>', created.get_data(as_text=True))
    assert token is not None
    secret = token.group(1)
    client = app.test_client()
    assert _api_status(client, secret) == 200
    page = editor.get("/account").get_data(as_text=True)
    assert "夜间导入" in page and secret not in page  # shown once only
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "夜间导入"))
    assert row.last_used_at is not None and row.token_hash != secret
    assert timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
    assert "从未使用" not in page and "有效" in page
    # Another user can neither see nor revoke it.
    other = login(app.test_client(), "reporter")
    assert "夜间导入" not in other.get("/account").get_data(as_text=True)
    other.post(f"/account/tokens/{row.id}/revoke")
    assert _api_status(client, secret) == 200
    editor.post(f"/account/tokens/{row.id}/revoke")
    assert _api_status(client, secret) == 401
    assert "已撤销" in editor.get("/account").get_data(as_text=True)
    bad = editor.post("/account/tokens", data={"expires_days": "0"}, follow_redirects=True)
    assert "有效期必须是 1 到 3650 天" in bad.get_data(as_text=True)


def test_expired_token_gives_401(app: Flask, client: FlaskClient) -> None:
    token = users.issue_api_token("editor", "短期", expires_days=1)
    assert _api_status(client, token) == 200
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "短期"))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json["error"] == "unauthorized"
    assert "已过期" in login(app.test_client(), "editor").get("/account").get_data(as_text=True)


def test_deactivation_revokes_tokens_for_good(app: Flask, client: FlaskClient) -> None:
    tokens = [users.issue_api_token("editor", f"t{n}") for n in range(2)]
    editor_id = user("editor").id
    users.administer_user(None, editor_id, active=False)
    users.administer_user(None, editor_id, active=True)
    assert [_api_status(client, token) for token in tokens] == [401, 401]
    assert _api_status(client, users.issue_api_token("editor")) == 200  # a new one works


def test_cli_api_token_with_name_and_expiry(app: Flask, client: FlaskClient) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["api-token", "editor", "--name", "夜间同步", "--expires-days", "7"])
    assert result.exit_code == 0, result.output
    assert _api_status(client, result.output.strip()) == 200
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.name == "夜间同步"))
    assert row.expires_at is not None
    plain = runner.invoke(args=["api-token", "editor"])
    assert plain.exit_code == 0 and _api_status(client, plain.output.strip()) == 200
    assert runner.invoke(args=["api-token", "editor", "--expires-days", "0"]).exit_code != 0


# --- passwords ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "密码至少 10 位"),
        ("123456789012", "密码不能全是数字"),
        ("zhangsan", "密码至少 10 位"),
        ("Zhangsan2026!", "密码不能包含用户名"),
        ("zhangsan1234", "密码不能包含用户名"),
        ("1234567890a", "这个密码太常见"),
        ("QwertyUiop", "这个密码太常见"),
        ("woaini1314520", "这个密码太常见"),
        ("password123", "这个密码太常见"),
    ],
)
def test_password_rules(password: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        users.check_password_policy(password, "zhangsan")


def test_good_passwords_and_the_common_list() -> None:
    for password in (NEW_PASSWORD, PASSWORD, "山西阳泉信息科2026"):
        users.check_password_policy(password, "zhangsan")
    common = users.common_passwords()
    assert len(common) >= 200 and all(len(p) >= 10 for p in common)
    assert {"1234567890", "qwertyuiop", "password123", "woaini1314520"} <= common


def test_weak_new_password_refused_on_account_page(app: Flask) -> None:
    client = login(app.test_client(), "editor")
    form = {"current": PASSWORD, "new_password": "1234567890", "confirm": "1234567890"}
    assert "密码不能全是数字" in client.post("/account", data=form).get_data(as_text=True)
    assert _logged_in(client) and users.authenticate("editor", PASSWORD)


# --- user administration --------------------------------------------------------------------------


def test_cli_create_user_clearance(app: Flask) -> None:
    runner = app.test_cli_runner()
    plain = runner.invoke(args=["create-user", "li", "--role", "editor"], input="Taihang-2027\n")
    assert plain.exit_code == 0, plain.output
    assert user("li").clearance == users.LEVELS.index("内部")  # the lowest an office role needs
    high = runner.invoke(
        args=["create-user", "ma", "--role", "editor", "--clearance", "机密"], input="Taihang-2027\n"
    )
    assert high.exit_code == 0, high.output
    assert user("ma").clearance == users.LEVELS.index("机密")
    bad = runner.invoke(args=["create-user", "niu", "--role", "editor", "--clearance", "绝密"], input="x\n")
    assert bad.exit_code != 0
    weak = runner.invoke(args=["create-user", "niu", "--role", "editor"], input="niu1234567\n")
    assert weak.exit_code != 0 and "密码不能包含用户名" in weak.output


def test_only_administrators_manage_users(app: Flask) -> None:
    for name in ("editor", "leader", "reporter"):
        client = login(app.test_client(), name)
        assert client.get("/admin/users").status_code == 403, name
        form = {"action": "update", "role": "admin", "unit": "", "clearance": "机密"}
        assert client.post(f"/admin/users/{user(name).id}", data=form).status_code == 403, name
    assert user("editor").role == "editor"
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "reporter_nyj" in page and 'value="update"' in page
    assert login(app.test_client(), "editor").get("/admin/topics").status_code == 200


def test_admin_changes_role_unit_and_clearance_with_audit(app: Flask) -> None:
    admin = login(app.test_client(), "admin")
    target = user("reporter")
    form = {"action": "update", "role": "editor", "unit": "", "clearance": "秘密"}
    assert admin.post(f"/admin/users/{target.id}", data=form, follow_redirects=True).status_code == 200
    db.session.refresh(target)
    assert (target.role, target.unit, users.LEVELS[target.clearance]) == ("editor", None, "秘密")
    event = db.session.scalar(
        db.select(AuditEvent)
        .where(AuditEvent.entity == "user", AuditEvent.entity_id == target.id)
        .order_by(AuditEvent.id.desc())
    )
    assert event.action == "change_user" and event.actor_id == user("admin").id
    assert event.details["role"] == {"from": "reporter", "to": "editor"}
    assert event.details["clearance"]["to"] == "秘密"
    refused = admin.post(
        f"/admin/users/{target.id}",
        data={"action": "update", "role": "reporter", "unit": "", "clearance": "内部"},
        follow_redirects=True,
    )
    assert "信息员必须属于一个报送单位" in refused.get_data(as_text=True)
    own = admin.post(
        f"/admin/users/{user('admin').id}",
        data={"action": "update", "role": "editor", "unit": "", "clearance": "机密"},
        follow_redirects=True,
    )
    assert "不能修改自己的角色" in own.get_data(as_text=True) and user("admin").role == "admin"


# --- the pages in a real browser: no CSP violation --------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@pytest.fixture
def live_server(tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[str, int]]:
    """The real app (CSRF on) with one item, served over HTTP on a free loopback port."""
    app = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        item_id = submit(
            "我县推进高标准农田建设", "今年以来，我县新建高标准农田三万亩，粮食产量稳步提高。"
        ).item.id
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", item_id
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        close_app(app)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")
def test_main_pages_raise_no_csp_violation(live_server: tuple[str, int]) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    base, item_id = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context()
            # Before any page script: report every violation, at load or later, on the console.
            context.add_init_script(
                "document.addEventListener('securitypolicyviolation', e => "
                "console.error('Content Security Policy violation: ' + e.violatedDirective))"
            )
            page = context.new_page()
            problems: list[str] = []
            page.on(
                "console",
                lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{base}/login")
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/")
            paths = ["/", f"/items/{item_id}", "/search?q=农田", "/review", "/bulletins/", "/dashboard"]
            paths += ["/admin/users", "/account", "/rankings"]
            for path in paths:
                response = page.goto(f"{base}{path}")
                assert response is not None and response.status == 200, path
                assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            # app.js is loaded and wired: the review queue's select-all box ticks every row.
            page.goto(f"{base}/review")
            page.check("input[data-check-all]")
            boxes = page.locator("input[name=item_ids]")
            assert boxes.count() >= 1
            assert all(boxes.nth(n).is_checked() for n in range(boxes.count()))
            page.wait_for_timeout(200)
            assert problems == []
        finally:
            browser.close()


def test_unreachable_rate_limit_storage_does_not_lock_everyone_out(
    tmp_path: Path, segmenter: Segmenter
) -> None:
    app = make_app(
        tmp_path, segmenter, WTF_CSRF_ENABLED=False, XINXI_RATELIMIT_STORAGE="redis://127.0.0.1:1/0"
    )
    with app.app_context():
        demo.seed_structure()
        assert _attempt(app.test_client(), "editor") == 200
        login(app.test_client(), "editor")
        close_app(app)
