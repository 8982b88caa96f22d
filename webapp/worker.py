"""The worker's entry point: `huey_consumer webapp.worker.huey` (same XINXI_* environment as the app)."""

from __future__ import annotations

from pathlib import Path

from webapp.config import load_config
from webapp.tasks import build_queue, worker_app

INSTANCE = Path(__file__).resolve().parent.parent / "instance"
INSTANCE.mkdir(parents=True, exist_ok=True)
huey, _ = build_queue(load_config(INSTANCE), INSTANCE)


@huey.on_startup()
def recover_interrupted() -> None:
    """Jobs a stopped worker left running are marked failed (their page offers a rerun). This assumes
    one consumer per queue, the embedded default; with Redis and several hosts, leave it to people."""
    from webapp.services import jobs

    if load_config(INSTANCE).get("XINXI_REDIS_URL"):
        return
    with worker_app().app_context():
        jobs.recover_interrupted()
