"""In a real browser, with a real worker: an editor uploads 500 files as one zip and watches the job's
progress; a reporter answers an overdue 约稿 and sees it marked late."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from nlp import Segmenter
from tests.conftest import close_app, instance_env, make_app
from tests.test_browser_journey import CHROMIUM, CHROMIUM_ARGS, _login
from webapp.extensions import db
from webapp.services import demo, requests
from webapp.timeutil import local_today

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed"),
]
sync_api = pytest.importorskip("playwright.sync_api")
ROOT = Path(__file__).resolve().parents[1]
FILES = 500
PLACES = "盂县平定县郊区城区矿区高新区"
FIELDS = ["高标准农田", "冬季供暖", "安全生产", "养老服务", "农村公路", "中小学校舍", "营商环境", "文旅融合"]


def _zip(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(count):
            field = FIELDS[n % len(FIELDS)]
            title = f"盂县推进{field}工作（{n}）"
            text = f"{title}\n今年以来，我县围绕{field}完成重点任务{n % 17 + 3}项，编号{n}，取得阶段成效。"
            archive.writestr(f"来稿/{n:03d}.txt", text.encode("utf-8"))
    return buffer.getvalue()


@pytest.fixture
def served(tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[str, dict[str, str]]]:
    """The app over HTTP with a real queue, and the environment a worker needs to share it."""
    env = instance_env(tmp_path)
    app = make_app(tmp_path, segmenter, XINXI_TASKS_IMMEDIATE="", **env)
    with app.app_context():
        demo.seed_structure()
        overdue = requests.create_request(
            None, "冬季供暖保障", "请报送供暖保障情况", local_today() + timedelta(days=1), unit_codes=["yx"]
        )
        overdue.deadline = local_today() - timedelta(days=3)
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", env
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        close_app(app)


def test_import_of_500_files_shows_progress_and_a_late_answer(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    base, env = served
    upload = tmp_path / "来稿.zip"
    upload.write_bytes(_zip(FILES))
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("huey_consumer")), "webapp.worker.huey", "--workers", "1"],
        cwd=ROOT,
        env={**os.environ, **env, "XINXI_TASKS_IMMEDIATE": ""},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _login(page, base, "editor")
            page.goto(f"{base}/jobs/")
            page.set_input_files("#import-form input[type=file]", str(upload))
            page.select_option("#import-form select[name=unit]", "yx")
            page.click("#import-form button[type=submit]")
            sync_api.expect(page.locator("#job h1")).to_contain_text("批量导入")
            # The page follows the running job; its bar moves, then the finished page shows the result.
            seen: set[int] = set()
            for _ in range(600):
                status = page.locator("#job-status").inner_text()
                value = page.locator("#job progress").get_attribute("value") or "0"
                seen.add(int(float(value)))
                if status == "已完成":
                    break
                page.wait_for_timeout(250)
            sync_api.expect(page.locator("#job-status")).to_have_text("已完成", timeout=120_000)
            sync_api.expect(page.locator("#job-result")).to_contain_text(f"imported：{FILES}")
            assert any(0 < v < 100 for v in seen) or len(seen) > 1, seen  # progress was shown on the way
            page.screenshot(path=str(tmp_path / "job-done.png"), full_page=True)

            _login(page, base, "reporter")
            page.locator("#open-requests a.button").first.click()
            page.fill("input[name=title]", "我县冬季供暖保障情况")
            page.fill("textarea[name=text]", "全县完成换热站检修12座，储备燃煤3万吨，供暖平稳有序。")
            page.click("button:has-text('报送')")
            sync_api.expect(page.locator("#item-title")).to_have_text("我县冬季供暖保障情况")
            page.goto(f"{base}/requests/1")
            sync_api.expect(page.locator("#targets .target-state")).to_have_text(["已报送，待评定"])
            _login(page, base, "editor")
            page.goto(f"{base}/requests/1")
            page.select_option(".verdict-form select[name=verdict]", "adopted")
            page.click(".verdict-form button")
            sync_api.expect(page.locator("#targets .target-state")).to_have_text(["逾期报送"])
            browser.close()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
