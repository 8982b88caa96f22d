"""Pages under load: gunicorn with 4 workers on SQLite and on PostgreSQL, concurrent clients on
loopback mixing search, item pages, the review queue, the dashboard and submissions.

    .venv/bin/python bench/load.py [--database sqlite|postgres|both] [--clients 20] [--seconds 60]
        [--wait 1,3] [--max-requests 20000]
        [--database-url postgresql://postgres@127.0.0.1:5432/bench_load]

Each run starts from a fresh database with the demo office (`flask seed-demo`, real corpus texts),
serves it with `gunicorn --preload -w 4` on 127.0.0.1 only, and stops after `--seconds` or
`--max-requests`, whichever comes first. With PostgreSQL the database named by `--database-url` is
dropped and recreated (never point it at a database you keep). Rate limits are off: every client
comes from 127.0.0.1, which per-address limits would otherwise throttle as one visitor. Targets:
p95 < 150 ms for search and item pages, < 300 ms for the review queue and dashboard, 0 errors.

`--wait MIN,MAX` is each client's think time: after every request it waits a random MIN to MAX
seconds, like Locust's `wait_time = between(MIN, MAX)` (default 1,3: office users read a page
before the next). `--wait 0,0` is a closed loop with no think time, a saturation test: then the
latency mostly measures the queue in front of the workers (20 clients, 4 workers, the machine's
cores), not a page's own cost. The last line printed is one JSON object; it names the `wait`.
"""

from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fresh_db import fresh_postgres

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
PASSWORD = "xinxi@2026demo"  # the demo office's (webapp.services.demo.DEMO_PASSWORD)
QUERIES = [
    "农业",
    "经济",
    "改革",
    "安全生产",
    "乡村振兴",
    "高质量发展",
    "生态环境",
    "教育",
    "医疗",
    "交通运输",
]
# (page, weight): what an office's day looks like, roughly.
MIX = [("search", 35), ("item", 30), ("review", 15), ("dashboard", 10), ("submit", 10)]
TARGETS_MS = {"search": 150, "item": 150, "review": 300, "dashboard": 300}
TIMEOUT = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        sys.exit(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _texts(corpus: Path, skip: int, count: int) -> list[tuple[str, str]]:
    """Real texts for submissions, past the ones the demo office already holds."""
    path = corpus / "xinwenlianbo-2022-2026" / "xwlb_items.jsonl.gz"
    found: list[tuple[str, str]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for number, line in enumerate(fh):
            if number < skip:
                continue
            row = json.loads(line)
            found.append((row["title"], row["text"]))
            if len(found) >= count:
                break
    return found


class Client:
    """One logged-in browser (cookies, CSRF token) plus the API token for submissions."""

    def __init__(self, base: str, token: str) -> None:
        self.base = base
        self.token = token
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> int:
        with self.opener.open(self.base + path, timeout=TIMEOUT) as response:
            response.read()
            return int(response.status)

    def login(self, username: str) -> None:
        with self.opener.open(self.base + "/login", timeout=TIMEOUT) as response:
            page = response.read().decode("utf-8")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        form = {"username": username, "password": PASSWORD, "csrf_token": match.group(1) if match else ""}
        data = urllib.parse.urlencode(form).encode()
        with self.opener.open(self.base + "/login", data=data, timeout=TIMEOUT) as response:
            response.read()
            if "/login" in response.geturl():
                raise RuntimeError(f"login as {username} failed")

    def submit(self, title: str, text: str) -> int:
        body = json.dumps({"title": title, "text": text, "unit": "yx"}).encode()
        request = urllib.request.Request(
            self.base + "/api/v1/items",
            data=body,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
            return int(response.status)


def _item_ids(base: str, token: str) -> list[int]:
    request = urllib.request.Request(
        base + "/api/v1/items?per_page=100", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        body = json.loads(response.read())
    rows = body.get("items", body) if isinstance(body, dict) else body
    return [int(row["id"]) for row in rows]


def run_one(database: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, serve and load one database; return the figures per page."""
    with tempfile.TemporaryDirectory(prefix="xinxi-load-") as tmp:
        work = Path(tmp)
        url = f"sqlite:///{work / 'xinxi.db'}"
        if database == "postgres":
            fresh_postgres(args.database_url)
            url = args.database_url
        env = {
            **os.environ,
            "XINXI_DATABASE_URL": url,
            "XINXI_INDEX_DIR": str(work / "index"),
            "XINXI_IDF_FILE": str(work / "idf.json"),
            "XINXI_KIND_MODEL_FILE": str(work / "kind_model.json"),
            "XINXI_SECRET_KEY": "bench-secret",
            "XINXI_JIEBA_CACHE": str(work / "jieba"),
            "XINXI_RATELIMIT_ENABLED": "0",
        }
        _flask(env, "db", "upgrade")
        _flask(env, "seed-demo", "--corpus", str(args.corpus))
        token = _flask(env, "api-token", "editor").strip().splitlines()[-1]
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        log = (work / "gunicorn.log").open("wb")
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--preload",
                "-w",
                "4",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "120",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=5):
                        break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        sys.exit((work / "gunicorn.log").read_text("utf-8", "replace"))
                    time.sleep(0.5)
            ids = _item_ids(base, token)
            cpu_before, load_before = _server_cpu(server.pid), os.getloadavg()[0]
            found = _load(base, token, ids, args)
            cpu = _server_cpu(server.pid) - cpu_before
            # The server's own CPU per request, whatever else runs on the machine: on a shared host
            # the latencies above also measure the neighbours (see load_average).
            found["server_cpu_ms_per_request"] = round(cpu * 1000 / max(found["requests"], 1), 1)
            found["load_average"] = [round(load_before, 1), round(os.getloadavg()[0], 1)]
            return found
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


def _server_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's workers (Linux /proc; 0 elsewhere)."""
    total = 0.0
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    for child in [str(pid), *children]:
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a worker that exited (and was replaced) since
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _load(base: str, token: str, ids: list[int], args: argparse.Namespace) -> dict[str, Any]:
    texts = _texts(args.corpus, 5000, max(1, args.max_requests // 10 + args.clients))
    timings: dict[str, list[float]] = {name: [] for name, _ in MIX}
    errors: dict[str, int] = {name: 0 for name, _ in MIX}
    lock = threading.Lock()
    budget = [args.max_requests]
    stop_at = time.monotonic() + args.seconds
    names = [name for name, _ in MIX]
    weights = [weight for _, weight in MIX]

    def worker(number: int) -> None:
        rng = random.Random(number)
        client = Client(base, token)
        try:
            client.login("editor")
        except (OSError, RuntimeError):
            with lock:
                errors["review"] += 1
            return
        while time.monotonic() < stop_at:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
                text = texts[budget[0] % len(texts)]
            page = rng.choices(names, weights)[0]
            start = time.perf_counter()
            try:
                if page == "search":
                    status = client.get("/search?" + urllib.parse.urlencode({"q": rng.choice(QUERIES)}))
                elif page == "item":
                    status = client.get(f"/items/{rng.choice(ids)}")
                elif page == "review":
                    status = client.get("/review")
                elif page == "dashboard":
                    status = client.get("/dashboard")
                else:
                    status = client.submit(f"{text[0]}（{number}）", text[1])
                ok = 200 <= status < 400
            except (OSError, urllib.error.HTTPError):
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                timings[page].append(elapsed)
                if not ok:
                    errors[page] += 1
            low, high = args.wait
            pause = min(rng.uniform(low, high), stop_at - time.monotonic())
            if pause > 0:
                time.sleep(pause)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    pages: dict[str, Any] = {}
    for name in names:
        values = sorted(timings[name])
        pages[name] = {
            "requests": len(values),
            "p50_ms": round(statistics.median(values), 1) if values else None,
            "p95_ms": round(values[int(0.95 * (len(values) - 1))], 1) if values else None,
            "errors": errors[name],
        }
    total = sum(len(v) for v in timings.values())
    return {"seconds": round(wall, 1), "requests": total, "per_s": round(total / wall, 1), "pages": pages}


def _wait(value: str) -> tuple[float, float]:
    """Parse `--wait MIN,MAX` (seconds)."""
    try:
        low, high = (float(part) for part in value.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("expected MIN,MAX in seconds, e.g. 1,3") from None
    if not 0 <= low <= high:
        raise argparse.ArgumentTypeError("expected 0 <= MIN <= MAX")
    return low, high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="both", choices=("sqlite", "postgres", "both"))
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/bench_load")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--wait", type=_wait, default=(1.0, 3.0), help="think time MIN,MAX seconds")
    parser.add_argument("--max-requests", type=int, default=20_000)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    results: dict[str, Any] = {"wait": list(args.wait), "clients": args.clients}
    for database in databases:
        results[database] = found = run_one(database, args)
        print(
            f"{database}: {found['requests']} requests in {found['seconds']} s ({found['per_s']}/s), "
            f"wait {args.wait[0]:g}–{args.wait[1]:g} s, server CPU {found['server_cpu_ms_per_request']} ms "
            f"per request, load average {found['load_average']}"
        )
        for name, page in found["pages"].items():
            target = TARGETS_MS.get(name)
            note = f" (target < {target} ms)" if target else ""
            p50, p95, errors = page["p50_ms"], page["p95_ms"], page["errors"]
            print(f"  {name:<10} p50 {p50} ms, p95 {p95} ms{note}, errors {errors}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
