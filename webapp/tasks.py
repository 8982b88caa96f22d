"""The task queue: Huey, with SQLite storage in the instance folder by default (the embedded install
needs nothing) or Redis when `XINXI_REDIS_URL` is set (workers on other hosts).

The app enqueues one task, `xinxi.run_job`, naming a `Job` row; a worker (`huey_consumer
webapp.worker.huey`, see `webapp/worker.py`) runs it with its own app built from the same
environment. With `XINXI_TASKS_IMMEDIATE=1` (the tests) jobs run at once in the calling process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_app_context
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper

TASK_NAME = "xinxi.run_job"
_worker_app: Flask | None = None


def build_queue(config: dict[str, Any], instance: Path) -> tuple[Huey, TaskWrapper]:
    """The queue named by the configuration, and the job task registered on it (calling the task
    with a job id enqueues it)."""
    immediate = str(config.get("XINXI_TASKS_IMMEDIATE") or "") == "1"
    redis_url = config.get("XINXI_REDIS_URL")
    if redis_url and not immediate:
        queue: Huey = RedisHuey("xinxi", url=redis_url)
    else:
        filename = config.get("XINXI_HUEY_FILE") or instance / "huey.db"
        queue = SqliteHuey("xinxi", filename=str(filename), immediate=immediate)
    task = queue.task(name=TASK_NAME, retries=0)(run_job)
    return queue, task


def run_job(job_id: int) -> None:
    """Run one job: in the app of the request that enqueued it (immediate mode), or in the worker's
    own app, built once per worker process."""
    from webapp.services import jobs

    if has_app_context():
        jobs.execute(job_id)
        return
    with worker_app().app_context():
        from webapp.services import artifacts

        artifacts.refresh_if_stale()  # a kind model or IDF table another host stored since
        jobs.execute(job_id)


def worker_app() -> Flask:
    """The worker process's app, built once from the environment."""
    global _worker_app
    if _worker_app is None:
        from webapp import create_app

        _worker_app = create_app()
    return _worker_app
