"""Domain exceptions raised by services; `webapp.errors` turns them into pages or JSON."""

from __future__ import annotations


class DomainError(Exception):
    """Base of service errors: a machine-readable code, a Chinese message and an HTTP status."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ValidationError(DomainError):
    """The input is incomplete or malformed."""

    code = "invalid"
    status = 400


class NotFound(DomainError):
    """The thing asked for does not exist (or the user may not know it exists)."""

    code = "not_found"
    status = 404


class Forbidden(DomainError):
    """The user may not do this."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The action clashes with the current state (e.g. reviewing an already adopted item)."""

    code = "conflict"
    status = 409
