"""Two hosts for real: two gunicorn processes with separate instance folders against one PostgreSQL
database and one Redis (queue and login throttling). What one host stores or trains, the other uses
without any file being copied; failed logins count across both."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nlp import Segmenter
from tests.conftest import PASSWORD, PG_URL, close_app, instance_env, make_app, submit, user
from webapp.services import demo, editing, settings, users

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("XINXI_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
TEXT = "深入开展人居环境整治专项行动，{}镇动员{}名干部进村入户，推动整治清单逐户落实。"
PLACES = ["东关", "西湖", "南山", "北岭", "青石", "白沙", "红旗", "金桥", "柳河", "杏林", "松岗", "桃源"]
PICKUP_SECONDS = 30  # each host looks for newer artifacts every second (XINXI_ARTIFACT_CHECK_SECONDS)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _redis_or_skip() -> None:
    """Skip without Redis; otherwise start from an empty database (the queue and the counters)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


class Host:
    """One app server with its own instance folder, and its JSON API."""

    def __init__(self, folder: Path, token: str) -> None:
        folder.mkdir(parents=True)
        self.folder, self.port = folder, _free_port()
        self.env = {
            **os.environ,
            **instance_env(folder),
            "XINXI_DATABASE_URL": str(PG_URL),
            "XINXI_REDIS_URL": REDIS_URL,
            "XINXI_RATELIMIT_STORAGE": REDIS_URL,
            "XINXI_ARTIFACT_CHECK_SECONDS": "1",
            "XINXI_KIND_MIN_CORRECTIONS": "10",
        }
        self.base = f"http://127.0.0.1:{self.port}"
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Bearer {token}"
        self.log = (folder / "gunicorn.log").open("wb")
        self.server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 120
        while True:
            try:  # gunicorn accepts connections before its worker has built the app
                if self.api.get(f"{self.base}/api/v1/units", timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            assert self.server.poll() is None, (self.folder / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.3)

    def submit(self, title: str, text: str) -> dict[str, Any]:
        response = self.api.post(
            f"{self.base}/api/v1/items", json={"title": title, "text": text, "unit": "yx"}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def search(self, query: str) -> dict[str, Any]:
        response = self.api.get(f"{self.base}/api/v1/search", params={"q": query})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def flask(self, *args: str) -> str:
        """A command run on this host (its environment and instance folder)."""
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def failed_login(self, browser: requests.Session, username: str) -> int:
        page = browser.get(f"{self.base}/login").text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found, page[:500]
        form = {"csrf_token": found.group(1), "username": username, "password": "wrong-" + PASSWORD}
        return browser.post(f"{self.base}/login", data=form, allow_redirects=False).status_code

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)
        self.log.close()


def _eventually(probe: Callable[[], Any], check: Callable[[Any], bool]) -> Any:
    """Call `probe` until `check` accepts its result (a host notices a newer artifact within seconds)."""
    deadline = time.monotonic() + PICKUP_SECONDS
    while True:
        result = probe()
        if check(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


@pytest.fixture
def hosts(tmp_path: Path, segmenter: Segmenter) -> Iterator[tuple[Host, Host]]:
    """Hosts A and B on one fresh PostgreSQL database (built and seeded here) and one Redis."""
    if not (BIN / "gunicorn").exists():
        pytest.skip("gunicorn is not installed")
    if not PG_URL:
        pytest.skip("XINXI_TEST_DATABASE_URL is not set")
    _redis_or_skip()
    setup = make_app(tmp_path / "setup", segmenter, "postgres")
    with setup.app_context():
        demo.seed_structure()
        token = users.issue_api_token("editor")
        # Editors' kind corrections to train on: this office reads such reports as achievements.
        for n, place in enumerate(PLACES):
            item = submit(f"{place}镇整治人居环境", TEXT.format(place, 20 + n)).item
            editing.correct_tags(user("editor"), item.id, kind="achievement")
        close_app(setup)
    a, b = Host(tmp_path / "a", token), Host(tmp_path / "b", token)
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


def test_two_hosts_share_items_models_idf_topics_and_login_counts(
    hosts: tuple[Host, Host], tmp_path: Path, segmenter: Segmenter
) -> None:
    a, b = hosts
    # An item submitted through one host is found through the other at once.
    stored = a.submit("雪乡冰雪旅游季开幕", "今冬雪乡冰雪旅游季开幕，新建滑雪场两座，接待游客同比增长三成。")
    found = b.search("雪乡 滑雪场")
    assert [hit["id"] for hit in found["hits"]] == [stored["id"]], found

    # A kind model trained on A (its command, its environment) is used by B: no file is copied.
    probe = TEXT.format("云台", 60)
    assert b.submit("云台镇整治人居环境", probe)["kind"] == "other"
    keywords_before = a.submit("凤凰镇整治人居环境", TEXT.format("凤凰", 61))["keywords"]
    assert "第 1 版" in a.flask("train-kind")
    counter = iter(range(100))
    tagged = _eventually(
        lambda: b.submit(f"云台镇整治人居环境（{next(counter)}）", probe),
        lambda item: item["kind"] == "achievement",
    )
    assert tagged["kind"] == "achievement", tagged

    # An IDF table refreshed on B ranks A's keywords: 整治 is in most stored items now.
    assert "第 1 版" in b.flask("refresh-idf")
    keywords_after = _eventually(
        lambda: a.submit(f"凤凰镇整治人居环境（{next(counter)}）", TEXT.format("凤凰", 61))["keywords"],
        lambda words: words != keywords_before,
    )
    assert keywords_after != keywords_before, keywords_before
    for host in hosts:
        assert not Path(host.env["XINXI_KIND_MODEL_FILE"]).exists()
        assert not Path(host.env["XINXI_IDF_FILE"]).exists()

    # A topic an administrator edits (here through a third process) tags new items on both hosts.
    admin_app = make_app(tmp_path / "admin", segmenter, XINXI_DATABASE_URL=str(PG_URL))
    with admin_app.app_context():
        settings.save_topic(user("admin"), "冰雪经济", "滑雪场 3\n冰雪旅游 3")
        close_app(admin_app)
    for host in hosts:
        item = host.submit("冰雪旅游持续升温", "各地滑雪场客流火爆，冰雪旅游带动住宿餐饮消费。")
        assert "冰雪经济" in [topic["name"] for topic in item["topics"]], item["topics"]

    # Failed logins count across both hosts (5 a minute per account): the sixth is refused.
    statuses = [host.failed_login(requests.Session(), "reporter") for host in (a, b, a, b, a, b)]
    assert statuses == [200] * 5 + [429], statuses
