"""Turn domain errors of every layer into a page (UI) or a JSON body (API) with the right status."""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from exports import ExportError
from nlp import NlpError
from search import SearchError
from webapp.extensions import db
from webapp.services.errors import DomainError

HTTP_MESSAGES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持该请求方法",
    413: "上传的文件太大",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误",
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(code: str, message: str, status: int) -> tuple[Response | str, int]:
    """One shape for every error: JSON {"error", "message"} for the API, a page for people."""
    db.session.rollback()
    if _wants_json():
        return jsonify(error=code, message=message), status
    return render_template("error.html", message=message, status=status), status


def register(app: Flask) -> None:
    """Install the error handlers."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> tuple[Response | str, int]:
        return error_response(exc.code, exc.message, exc.status)

    @app.errorhandler(NlpError)
    @app.errorhandler(SearchError)
    @app.errorhandler(ExportError)
    def package_error(exc: NlpError | SearchError | ExportError) -> tuple[Response | str, int]:
        return error_response(type(exc).__name__, str(exc), exc.status_hint)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return error_response("csrf", "页面已过期，请刷新后重试", 400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int]:
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, exc.description or "请求有误")
        if status == 413 and (limit := current_app.config.get("MAX_CONTENT_LENGTH")):
            message = (
                f"上传的文件太大：每次提交不能超过 {limit / 1024 / 1024:g} MB。"
                "请返回上一页，换一个较小的文件或分几次报送"
            )
        return error_response((exc.name or "error").lower().replace(" ", "_"), message, status)
