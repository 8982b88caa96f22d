"""Chinese text analysis for information items: normalise, segment once, tag, fingerprint."""

from nlp.analyze import (
    Analysis,
    Analyzer,
    KindTag,
    SentenceKind,
    TopicTag,
    analyze,
    default_analyzer,
    load_default_topics,
    similarity,
)
from nlp.errors import DecodeError, NlpError
from nlp.keywords import build_idf, load_idf, save_idf
from nlp.kind_model import KindLabel
from nlp.normalize import clean_text, decode_bytes, html_to_text, to_simplified
from nlp.segment import Segmenter, Token

__all__ = [
    "Analysis",
    "Analyzer",
    "DecodeError",
    "KindLabel",
    "KindTag",
    "NlpError",
    "Segmenter",
    "SentenceKind",
    "Token",
    "TopicTag",
    "analyze",
    "build_idf",
    "clean_text",
    "decode_bytes",
    "default_analyzer",
    "html_to_text",
    "load_default_topics",
    "load_idf",
    "save_idf",
    "similarity",
    "to_simplified",
]
