"""Errors raised by the Word builders, each with an HTTP status hint for the web layer."""

from __future__ import annotations


class ExportError(Exception):
    """Base of every export error; `status_hint` and `code` tell the web layer how to answer."""

    status_hint: int = 400
    code: str = "export_error"


class EmptyIssueError(ExportError):
    """An issue without items cannot be printed."""

    code = "empty_issue"


class InvalidIssueError(ExportError):
    """The issue data is inconsistent (bad number, blank title, malformed copy number …)."""

    code = "invalid_issue"


class RefusedLevelError(ExportError):
    """The confidentiality level may not be exported at all (绝密)."""

    status_hint = 403
    code = "refused_level"


class InvalidReportError(ExportError):
    """The ranking report data is inconsistent (no category, bad rank, rate outside 0–1 …)."""

    code = "invalid_report"
