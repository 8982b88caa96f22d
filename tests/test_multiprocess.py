"""Several processes at once: gunicorn with 4 workers and 8 concurrent submitters lose no index update
and show no lock error, for the embedded engines (Whoosh and tantivy)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask

from nlp import Segmenter
from tests.conftest import close_app, make_app
from webapp import build_search
from webapp.services import demo, indexing, users

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
SUBMITTERS, EACH = 8, 5
ADOPTED = 12  # items adopted into two publications at once


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(url: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@pytest.mark.parametrize("backend", ["whoosh", "tantivy"])
def test_gunicorn_workers_lose_no_index_update(backend: str, tmp_path: Path, segmenter: Segmenter) -> None:
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    env_config = {
        "XINXI_DATABASE_URL": f"sqlite:///{tmp_path / 'xinxi.db'}",
        "XINXI_INDEX_DIR": str(tmp_path / "index"),
        "XINXI_SEARCH_BACKEND": backend,
        "XINXI_SECRET_KEY": "test",
        "XINXI_JIEBA_CACHE": str(tmp_path / "jieba"),
    }
    app: Flask = make_app(tmp_path, segmenter, XINXI_SEARCH_BACKEND=backend)
    with app.app_context():
        demo.seed_structure()
        token = users.issue_api_token("editor")
        close_app(app)
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [str(GUNICORN), "--preload", "-w", "4", "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:app"],
        cwd=ROOT,
        env={**os.environ, **env_config},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(f"{base}/units", token)[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
            time.sleep(0.3)

        def submit(worker: int) -> list[int]:
            statuses = []
            for n in range(EACH):
                item = {
                    "title": f"并发报送第{worker}组第{n}条",
                    "text": f"多进程并发写入索引测试，编号{worker}-{n}。",
                }
                body = json.dumps({**item, "unit": "yx"}).encode()
                statuses.append(_request(f"{base}/items", token, body)[0])
            return statuses

        with ThreadPoolExecutor(SUBMITTERS) as pool:
            statuses = [s for batch in pool.map(submit, range(SUBMITTERS)) for s in batch]
        assert statuses == [201] * SUBMITTERS * EACH
        status, body = _request(f"{base}/search?q=%E5%B9%B6%E5%8F%91%E6%8A%A5%E9%80%81&per_page=1", token)
        assert status == 200 and b'"total":40' in body.replace(b" ", b"")

        # Two editors adopt the same items into two publications at the same moment (different
        # workers): the index must end with both publications, not the view of whichever wrote last.
        def adopt(job: tuple[int, str]) -> int:
            item_id, publication = job
            body = json.dumps({"action": "adopt", "publication": publication}).encode()
            return _request(f"{base}/items/{item_id}/review", token, body)[0]

        jobs = [(item_id, pub) for item_id in range(1, ADOPTED + 1) for pub in ("mrkb", "yqxx")]
        with ThreadPoolExecutor(SUBMITTERS) as pool:
            adopted = list(pool.map(adopt, jobs))
        assert adopted == [200] * len(jobs)
        query = "/search?q=%E5%B9%B6%E5%8F%91%E6%8A%A5%E9%80%81&per_page=1&publication="
        for publication in ("mrkb", "yqxx"):
            status, body = _request(f"{base}{query}{publication}", token)
            assert status == 200 and f'"total":{ADOPTED}'.encode() in body.replace(b" ", b""), body
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
    with app.app_context():
        index = build_search(app, segmenter, backend)
        assert index.count() == SUBMITTERS * EACH
        app.extensions["xinxi"].search = index
        report = indexing.check_index()
        assert report.clean, report
        index.close()
