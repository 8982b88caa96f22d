"""A person's journey in a real browser: Debian's Chromium driven by Playwright."""

from __future__ import annotations

import io
import shutil
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import docx
import pytest
from werkzeug.serving import make_server

from nlp import Segmenter
from tests.conftest import PASSWORD, close_app, make_app
from webapp.extensions import db
from webapp.services import demo
from webapp.timeutil import local_today

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TITLE = "我县农村生活污水治理设施运行存在问题"
TEXT = (
    "近期调研发现，我县部分乡镇已建成的农村生活污水处理设施存在“建而不用”问题，"
    "运维经费缺口较大，管网配套滞后。建议将运维经费纳入财政预算。"
)


@pytest.fixture
def live_server(tmp_path: Path, segmenter: Segmenter) -> Iterator[str]:
    """The real app (CSRF on) served over HTTP on a free loopback port."""
    app = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        close_app(app)


def _login(page: sync_api.Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form:has(input[name=username]) button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_reporter_to_editor_to_word_bulletin(live_server: str, tmp_path: Path) -> None:
    base = live_server
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            _login(page, base, "reporter")
            page.click("text=报送信息 >> nth=0")
            page.fill("input[name=title]", TITLE)
            page.fill("textarea[name=text]", TEXT)
            page.click("button:has-text('报送')")
            sync_api.expect(page.locator("#item-title")).to_have_text(TITLE)
            sync_api.expect(page.locator(".kind")).to_have_text("问题性信息")
            page.click("button:has-text('退出')")

            _login(page, base, "editor")
            page.goto(f"{base}/search")
            page.fill("input[name=q]", "汙水 處理")  # traditional script finds the simplified item
            page.click("form.search button[type=submit]")
            sync_api.expect(page.locator("ol.hits mark").first).to_be_visible()
            page.click("a.hit-title")
            page.click("button[value=adopt]")
            sync_api.expect(page.locator(".flash.success")).to_have_text("已采用")

            page.click("text=刊物编发")
            page.check("input[name=add]")
            page.click("#create-draft")
            page.once("dialog", lambda dialog: dialog.accept())  # 印发 asks to confirm the number
            page.click("#publish")
            sync_api.expect(page.locator(".flash.success")).to_contain_text("第1期")
            with page.expect_download() as download_info:
                page.click("#download-docx")
            target = tmp_path / "bulletin.docx"
            download_info.value.save_as(target)
        finally:
            browser.close()
    document = docx.Document(io.BytesIO(target.read_bytes()))
    texts = [p.text for p in document.paragraphs]
    assert TITLE in texts
    assert any("第1期" in t for t in texts)


def test_editor_composes_reorders_previews_and_downloads(live_server: str, tmp_path: Path) -> None:
    base = live_server
    titles = [f"第{n}条：我市推进重点工作取得新进展" for n in range(1, 6)]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(accept_downloads=True).new_page()
            _login(page, base, "editor")
            for n, title in enumerate(titles):
                page.goto(f"{base}/items/new")
                page.fill("input[name=title]", title)
                page.select_option("select[name=unit]", index=n + 1)
                page.fill("textarea[name=text]", f"{TEXT}（第{n + 1}稿，各单位分别报送。）")
                page.click("button:has-text('报送')")
                page.click("button[value=adopt]")
                sync_api.expect(page.locator(".flash.success")).to_have_text("已采用")
            page.goto(f"{base}/bulletins/")
            for title in titles:
                page.check(f"tr:has-text('{title}') input[name=add]")
            page.fill("textarea[name=editor_note]", "现将各地重点工作进展摘编如下。")
            page.click("#create-draft")
            rows = page.locator("#entries .entry-title")
            sync_api.expect(rows).to_have_count(5)
            order = rows.all_inner_texts()
            # Move the last item to the top, one step at a time, and give the new top a column.
            for _ in range(4):
                page.locator(f"tr:has-text('{order[-1]}') button[title=上移]").click()
            expected = [order[-1], *order[:-1]]
            sync_api.expect(rows).to_have_text(expected)
            page.fill(f"tr:has-text('{expected[0]}') input[name^=column_]", "工作动态")
            page.click("#save")
            sync_api.expect(rows).to_have_text(expected)
            page.click("#preview")
            sync_api.expect(page.locator(".paper .item-title")).to_have_text(expected)
            sync_api.expect(page.locator(".contents-title")).to_have_text("本期要目")
            page.go_back()
            page.once("dialog", lambda dialog: dialog.accept())  # 印发 asks to confirm the number
            page.click("#publish")
            sync_api.expect(page.locator(".flash.success")).to_contain_text("第1期")
            with page.expect_download() as download_info:
                page.click("#download-docx")
            target = tmp_path / "issue.docx"
            download_info.value.save_as(target)
        finally:
            browser.close()
    texts = [p.text for p in docx.Document(io.BytesIO(target.read_bytes())).paragraphs]
    positions = [texts.index(title) for title in expected]
    assert positions == sorted(positions)
    assert any("现将各地重点工作进展摘编如下" in t for t in texts)


def test_dashboard_silent_unit_gets_a_request_that_its_reporter_answers(live_server: str) -> None:
    base = live_server
    deadline = (local_today() + timedelta(days=7)).isoformat()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            _login(page, base, "editor")
            page.click("text=结构分析")
            page.locator("#silent-units a.silent-unit", has_text="盂县人民政府办公室").first.click()
            sync_api.expect(page.locator("h1")).to_contain_text("盂县人民政府办公室")
            page.click("#issue-request")
            page.fill("input[name=topic]", "今冬明春安全生产隐患排查情况")
            page.fill("input[name=deadline]", deadline)
            page.click("#new-request button[type=submit]")
            sync_api.expect(page.locator("#request-state")).to_have_text("征集中")
            request_url = page.url
            page.click("button:has-text('退出')")

            _login(page, base, "reporter")
            page.locator("#open-requests a.button").first.click()
            page.fill("input[name=title]", "我县开展安全生产隐患排查")
            page.fill(
                "textarea[name=text]", "我县组织专班排查企业安全生产隐患86处，已整改79处，其余限期整改。"
            )
            page.click("button:has-text('报送')")
            sync_api.expect(page.locator("#item-title")).to_have_text("我县开展安全生产隐患排查")
            page.goto(request_url)
            # Answered, but only an accepted answer fulfils a request: it awaits the editor's verdict.
            sync_api.expect(page.locator("#request-state")).to_have_text("征集中")
            sync_api.expect(page.locator("#targets .target-state")).to_have_text(["已报送，待评定"])
            _login(page, base, "editor")
            page.goto(request_url)
            page.select_option(".verdict-form select[name=verdict]", "adopted")
            page.click(".verdict-form button")
            sync_api.expect(page.locator("#request-state")).to_have_text("已报送")
            sync_api.expect(page.locator("#targets .target-state")).to_have_text(["已按时报送并采用"])
        finally:
            browser.close()
