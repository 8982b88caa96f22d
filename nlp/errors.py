"""Errors raised by the text-analysis package; each carries an HTTP-like status hint."""


class NlpError(Exception):
    """Base error of `nlp`: the input text could not be processed."""

    status_hint = 400


class DecodeError(NlpError):
    """Raw bytes are in none of the encodings we accept (UTF-8, GB18030, Big5)."""
