"""Job pages: start long work (imports from the browser, rescoring, retagging, index work, training,
large exports), follow its progress and log, download what it produced."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from webapp.extensions import db
from webapp.models import JOB_KINDS, Job, Unit
from webapp.services import jobs
from webapp.services.access import is_editor
from webapp.services.errors import DomainError, Forbidden, NotFound
from webapp.timeutil import local_today
from webapp.views.bulletins import DOCX_MIMETYPE

bp = Blueprint("jobs", __name__, url_prefix="/jobs")


@bp.before_request
@login_required
def editors_only() -> None:
    if not is_editor(current_user):
        raise Forbidden("只有编辑和管理员可以运行后台任务")


@bp.route("/")
def index() -> str:
    units = list(db.session.scalars(db.select(Unit).where(Unit.active).order_by(Unit.code)))
    return render_template(
        "jobs.html",
        jobs=jobs.list_jobs(current_user),
        units=units,
        kinds={k: v for k, v in JOB_KINDS.items() if k not in ("import", "export_report")},
        may_start=jobs.may_start,
        today=local_today(),
    )


@bp.route("/import", methods=["POST"])
def start_import() -> Response:
    files = [(f.filename or "", f.read()) for f in request.files.getlist("files") if f.filename]
    return _started(
        lambda: jobs.start_import(
            current_user,
            files,
            request.form.get("unit", ""),
            request.form.get("level", "内部"),
            request.form.get("event_date") or None,
        )
    )


@bp.route("/start/<kind>", methods=["POST"])
def start(kind: str) -> Response:
    params = {"period": request.form.get("period", "")} if kind == "export_report" else {}
    return _started(lambda: jobs.start(current_user, kind, params))


def _started(action: Callable[[], Job]) -> Response:
    """Start a job and go to its page, or back with the reason it could not start."""
    try:
        job = action()
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(url_for("jobs.index"))
    flash(f"已开始“{JOB_KINDS[job.kind]}”任务，本页显示进度", "success")
    return redirect(url_for("jobs.show", job_id=job.id))


@bp.route("/<int:job_id>")
def show(job_id: int) -> str:
    return render_template("job.html", job=jobs.get_job(current_user, job_id))


@bp.route("/<int:job_id>.json")
def status(job_id: int) -> Response:
    job = jobs.get_job(current_user, job_id)
    return jsonify(
        id=job.id,
        status=job.status,
        progress=job.progress,
        total=job.total,
        percent=job.percent,
        log=job.log[-4000:],
        result=job.result,
    )


@bp.route("/<int:job_id>/retry", methods=["POST"])
def retry(job_id: int) -> Response:
    return _started(lambda: jobs.retry(current_user, job_id))


@bp.route("/<int:job_id>/file")
def download(job_id: int) -> Response:
    job = jobs.get_job(current_user, job_id)
    if job.status != "done" or not job.result or "file" not in job.result:
        raise NotFound("该任务没有可下载的文件")
    path = jobs.job_dir(job.id) / str(job.result["file"])
    if not path.is_file():
        raise NotFound("文件已不存在，请重新运行任务")
    return send_file(
        path, mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=job.result["download_name"]
    )
