"""The process-wide engines (segmenter, analyzer, search backend), built once in `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from nlp import Analyzer, Segmenter
from search import SearchBackend


@dataclass
class Engines:
    """Explicit instances handed to services instead of hidden module globals."""

    segmenter: Segmenter
    analyzer: Analyzer
    search: SearchBackend


def engines() -> Engines:
    """The engines of the current app."""
    found: Engines = current_app.extensions["xinxi"]
    return found
