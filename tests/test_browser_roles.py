"""Each role's day in a real browser (Debian's Chromium driven by Playwright), on a desktop screen and
at phone width (390 px): reporter, editor, leader and administrator."""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from werkzeug.serving import make_server

from nlp import Segmenter
from tests.conftest import close_app, make_app, user
from tests.test_browser_journey import CHROMIUM, CHROMIUM_ARGS
from tests.test_browser_journey import _login as log_in
from webapp.extensions import db
from webapp.services import bulletins, demo, items
from webapp.services.bulletins import EntryInput

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PENDING = 55  # more than a page of the review queue (50)
PLACES = ["盂县", "平定县", "郊区", "城区", "矿区"]
WORKS = ["安全生产大检查", "秋粮收购", "老旧小区改造", "冬季供暖保障", "营商环境优化", "农村人居环境整治"]


@dataclass
class Office:
    """The live server and the ids the walks need."""

    base: str
    item_id: int  # an adopted item in a published issue
    issue_id: int  # a published issue of 《阳泉信息》
    draft_id: int  # a draft issue


@pytest.fixture
def office(tmp_path: Path, segmenter: Segmenter) -> Iterator[Office]:
    """The real app (CSRF on) with 55 pending items and one published issue, served over HTTP."""
    app = make_app(tmp_path, segmenter)
    with app.app_context():
        demo.seed_structure()
        made = []
        for n in range(PENDING):
            place, work = PLACES[n % len(PLACES)], WORKS[n % len(WORKS)]
            title = f"{place}{work}第{n + 1}次推进会召开"
            text = f"{title}。会议部署{work}，全县检查点位{n * 3 + 4}个，发现问题{n + 2}个，已整改{n + 1}个。"
            made.append(items.submit_item(None, items.ItemInput(title, text, unit_code="yx")).item)
        editor = user("editor")
        farm = items.submit_item(
            None,
            items.ItemInput(
                "市农业农村局推进高标准农田建设",
                "今年新建高标准农田3.5万亩，带动农民人均增收600余元，秋粮实现丰收。",
                unit_code="nyj",
            ),
        ).item
        items.review_item(editor, farm.id, "adopt", "yqxx")
        issue = bulletins.create_issue(editor, "yqxx", [EntryInput(farm.id)])
        bulletins.publish_issue(editor, issue.id)
        sewage = items.submit_item(
            None,
            items.ItemInput(
                "部分乡镇污水处理设施建而不用",
                "部分乡镇农村生活污水处理设施存在建而不用问题，运维经费缺口较大，管网配套滞后。",
                unit_code="sthj",
            ),
        ).item
        items.review_item(editor, sewage.id, "adopt", "yqxx")
        draft = bulletins.create_issue(editor, "yqxx", [EntryInput(sewage.id)])
        ids = Office("", farm.id, issue.id, draft.id)
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ids.base = f"http://127.0.0.1:{server.server_port}"
    yield ids
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        close_app(app)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where screenshots go: XINXI_SCREENSHOTS if set (to look at them), else the test's tmp_path."""
    folder = Path(os.environ.get("XINXI_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _browser(playwright: sync_api.Playwright) -> sync_api.Browser:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def _login(browser: sync_api.Browser, base: str, username: str, viewport: dict[str, int]) -> sync_api.Page:
    page = browser.new_context(viewport=viewport, accept_downloads=True).new_page()  # type: ignore[arg-type]
    log_in(page, base, username)
    return page


def _sideways(page: sync_api.Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


def test_a_day_of_every_role_on_the_desktop(office: Office, shots: Path, tmp_path: Path) -> None:
    base = office.base
    with sync_api.sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            # The reporter: the form, pasted text without a title, an uploaded .txt.
            reporter = _login(browser, base, "reporter", DESKTOP)
            reporter.goto(f"{base}/items/new")
            reporter.fill(
                "textarea[name=text]", "盂县召开防汛工作会议\n会议部署今年防汛工作，全县排查隐患点12处。"
            )
            reporter.click("form button[type=submit]:has-text('报送')")
            sync_api.expect(reporter.locator("#item-title")).to_have_text("盂县召开防汛工作会议")
            reporter.goto(f"{base}/items/new")
            body = "盂县开展冬季安全生产检查\n全县检查企业35家，整改隐患47处，约谈企业负责人6人。"
            reporter.set_input_files(
                "input[type=file]",
                {"name": "upload-2026.txt", "mimeType": "text/plain", "buffer": body.encode("gb18030")},
            )
            reporter.click("form button[type=submit]:has-text('报送')")
            sync_api.expect(reporter.locator("#item-title")).to_have_text("盂县开展冬季安全生产检查")
            reporter.goto(f"{base}/")
            sync_api.expect(reporter.locator(".page-total")).to_contain_text(f"共 {PENDING + 2} 条")
            reporter.screenshot(path=shots / "desktop-reporter-home.png", full_page=True)

            # The editor: the queue pages (oldest first), the bulk bar on top, compose, confirm 印发,
            # and the refusal of a second publication of the same items.
            editor = _login(browser, base, "editor", DESKTOP)
            editor.goto(f"{base}/review")
            total = PENDING + 2
            sync_api.expect(editor.locator(".page-total")).to_have_text(f"共 {total} 条，第 1–50 条")
            sync_api.expect(editor.locator("table.items tbody tr").first).to_contain_text("第1次推进会")
            editor.screenshot(path=shots / "desktop-editor-queue.png")
            editor.click(".pager a[rel=next]")
            sync_api.expect(editor.locator(".page-total")).to_have_text(f"共 {total} 条，第 51–{total} 条")
            sync_api.expect(editor.locator("table.items")).to_contain_text("防汛工作会议")
            editor.goto(f"{base}/review")
            editor.locator("input[name=item_ids]").nth(0).check()
            editor.locator("input[name=item_ids]").nth(1).check()
            editor.select_option("fieldset.bulk select[name=publication]", "mrkb")
            editor.mouse.wheel(0, 3000)  # the bar stays in view while scrolling down the rows
            assert editor.locator("fieldset.bulk button[value=adopt]").is_visible()
            assert editor.evaluate("document.querySelector('fieldset.bulk').getBoundingClientRect().top") >= 0
            editor.click("fieldset.bulk button[value=adopt]")
            sync_api.expect(editor.locator(".flash.success")).to_have_text("已处理 2 条信息")
            sync_api.expect(editor.locator(".page-total")).to_have_text(f"共 {total - 2} 条，第 1–50 条")

            editor.goto(f"{base}/bulletins/")
            editor.select_option("select[name=publication]", "mrkb")
            picks = editor.locator("input[name=add]")
            for n in range(picks.count()):
                row = editor.locator("table.items tbody tr").nth(n)
                if "推进会" in row.inner_text():
                    picks.nth(n).check()
            editor.click("#create-draft")
            sync_api.expect(editor.locator("h1")).to_contain_text("《每日快报》")
            asked: list[str] = []
            editor.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
            editor.click("#publish")
            assert asked and "《每日快报》" in asked[0] and "第1期" in asked[0]
            sync_api.expect(editor.locator("h1 .status")).to_have_text("草稿")  # dismissed: nothing done
            editor.once("dialog", lambda d: d.accept())
            editor.click("#publish")
            sync_api.expect(editor.locator(".flash.success")).to_contain_text("第1期")
            editor.screenshot(path=shots / "desktop-editor-published.png")

            editor.goto(f"{base}/bulletins/")
            mrkb_marks = editor.locator(".published-mark", has_text="《每日快报》")
            sync_api.expect(mrkb_marks).to_have_count(2)
            sync_api.expect(mrkb_marks.first).to_have_text("已编发（《每日快报》第1期）")
            editor.select_option("select[name=publication]", "mrkb")
            editor.locator("tr.composed", has_text="《每日快报》").locator("input[name=add]").first.check()
            editor.click("#create-draft")
            sync_api.expect(editor.locator(".flash.error")).to_contain_text("不能在《每日快报》中重复编发")
            editor.screenshot(path=shots / "desktop-editor-refused.png")

            # The administrator: sets the leader's instruction level, looks at the withdrawn list.
            admin = _login(browser, base, "admin", DESKTOP)
            admin.goto(f"{base}/admin/users")
            level_form = admin.locator("form.leader-level")
            level_form.locator("select[name=level]").select_option("municipal")
            level_form.locator("button").click()
            sync_api.expect(admin.locator(".flash.success")).to_have_text("已设置领导批示层级")
            admin.goto(f"{base}/admin/withdrawn")
            sync_api.expect(admin.locator(".page-total")).to_have_text("共 0 条")

            # The leader: home, the bulletin (preview and Word), and their own 批示.
            leader = _login(browser, base, "leader", DESKTOP)
            sync_api.expect(leader.locator("#latest-bulletins")).to_contain_text("《每日快报》2")
            sync_api.expect(leader.locator("#figures a[href='/dashboard']")).to_be_visible()
            sync_api.expect(leader.locator("nav a[href='/rankings']")).to_be_attached()
            leader.screenshot(path=shots / "desktop-leader-home.png", full_page=True)
            leader.click("#latest-bulletins li >> nth=0 >> a >> nth=0")
            sync_api.expect(leader.locator(".paper")).to_contain_text("推进会")
            leader.go_back()
            with leader.expect_download() as download_info:
                leader.click("#latest-bulletins li >> nth=0 >> a.button")
            target = tmp_path / "leader.docx"
            download_info.value.save_as(target)
            texts = [p.text for p in docx.Document(io.BytesIO(target.read_bytes())).paragraphs]
            assert any("推进会" in t for t in texts)
            leader.click("#awaiting tbody a >> nth=0")
            leader.fill("#my-instruction textarea[name=text]", "请抓好落实，及时报告进展。")
            leader.click("#my-instruction button[type=submit]")
            sync_api.expect(leader.locator(".flash.success")).to_have_text("已登记批示")
            sync_api.expect(leader.locator(".recognition")).to_contain_text("市级领导 张秘书长 批示")
        finally:
            browser.close()


def _pages(office: Office) -> dict[str, list[str]]:
    item, issue, draft = office.item_id, office.issue_id, office.draft_id
    common = ["/", "/search?q=推进会", f"/items/{item}", "/requests", "/account"]
    return {
        "reporter": ["/", "/items/new", "/search?q=推进会", "/requests", "/account", '/search?q="未闭合'],
        "editor": [
            *common,
            "/review",
            "/review?page=2",
            "/items/new",
            "/bulletins/",
            f"/bulletins/{draft}",
            f"/bulletins/{issue}/preview",
            f"/items/{item}/versions",
            "/dashboard",
            "/rankings",
            "/upward",
            "/units/yx",
            "/admin/publications",
            "/admin/topics",
            "/jobs/",
        ],
        "leader": [*common, f"/bulletins/{issue}/preview", "/dashboard", "/rankings", "/upward", "/units/yx"],
        "admin": [
            *common,
            "/admin/users",
            "/admin/withdrawn",
            "/admin/scoring",
            "/admin/outlets",
            "/admin/units",
        ],
    }


def test_every_main_page_fits_a_phone(office: Office, shots: Path) -> None:
    base = office.base
    wide: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            for role, paths in _pages(office).items():
                page = _login(browser, base, role, PHONE)
                # The menu is one button until opened, then a column of whole words.
                nav = page.locator("#site-menu")
                assert not nav.is_visible()
                page.click("button.menu-toggle")
                assert nav.is_visible()
                first = nav.locator("a").first.bounding_box()
                assert first is not None and first["width"] > 100 and first["height"] < 60
                if role == "editor":
                    page.screenshot(path=shots / "phone-menu-open.png")
                for path in paths:
                    response = page.goto(f"{base}{path}")
                    assert response is not None and response.status in (200, 400), (role, path)
                    if (extra := _sideways(page)) > 0:
                        wide.append(f"{role} {path}: {extra}px")
                    name = path.strip("/").replace("/", "-").split("?")[0] or "home"
                    page.screenshot(path=shots / f"phone-{role}-{name}.png", full_page=True)
                page.context.close()
        finally:
            browser.close()
    assert not wide, wide


def test_phone_forms_use_the_full_width(office: Office) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = _browser(playwright)
        try:
            page = _login(browser, office.base, "editor", PHONE)
            page.goto(f"{office.base}/items/new")
            for selector in (
                "input[name=title]",
                "select[name=unit]",
                "textarea[name=text]",
                "select[name=level]",
            ):
                box = page.locator(selector).bounding_box()
                assert box is not None and box["width"] > 300, selector
            page.goto(f"{office.base}/review")
            box = page.locator("fieldset.bulk select[name=publication]").bounding_box()
            assert box is not None and box["width"] > 250
            # Stacked rows: a title cell is as wide as the screen allows, not a column of characters.
            cell = page.locator("table.items tbody tr >> nth=0 >> td >> nth=1").bounding_box()
            assert cell is not None and cell["width"] > 300
            # Search results come before the facets that narrow them.
            page.goto(f"{office.base}/search?q=农业")
            hits = page.locator("ol.hits").bounding_box()
            facets = page.locator("aside.facets").bounding_box()
            assert hits is not None and facets is not None and hits["y"] < facets["y"]
            # The silent units stack one block per unit (its reasons under its name) instead of
            # scrolling sideways in their card.
            page.goto(f"{office.base}/dashboard")
            name = page.locator("#silent-units tbody tr >> nth=0 >> td >> nth=0").bounding_box()
            reasons = page.locator("#silent-units tbody tr >> nth=0 >> td >> nth=1").bounding_box()
            assert name is not None and reasons is not None
            assert reasons["y"] >= name["y"] + name["height"] - 1 and reasons["width"] > 300
        finally:
            browser.close()
