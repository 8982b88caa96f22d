"""One way for form actions to report back: do it, then flash success or the domain error's message."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

from webapp.services.errors import DomainError


def attempt(action: Callable[[], object], done: str) -> bool:
    """Run a service call for a form; flash `done` or the error's Chinese message. True on success."""
    try:
        action()
    except DomainError as exc:
        flash(exc.message, "error")
        return False
    flash(done, "success")
    return True
