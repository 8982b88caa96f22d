"""Configuration from environment variables, with a zero-configuration embedded default."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ENV_PREFIX = "XINXI_"


def _secret_key(instance: Path) -> str:
    """Return a key kept in the instance folder, so sessions survive restarts without configuration."""
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def load_config(instance: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the app configuration: overrides > XINXI_* environment > embedded defaults."""
    env = {key: value for key, value in os.environ.items() if key.startswith(ENV_PREFIX)}
    cfg: dict[str, Any] = {**env, **(overrides or {})}
    database_url = cfg.get("XINXI_DATABASE_URL") or f"sqlite:///{instance / 'xinxi.db'}"
    if database_url.startswith("postgres://"):  # the old Heroku-style scheme
        database_url = "postgresql://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    is_postgres = database_url.startswith("postgresql")
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True} if is_postgres else {},
        "SECRET_KEY": cfg.get("XINXI_SECRET_KEY") or _secret_key(instance),
        "XINXI_INDEX_DIR": Path(cfg.get("XINXI_INDEX_DIR") or instance / "index"),
        # Several hosts share one PostgreSQL database; its full-text index is shared with it.
        "XINXI_SEARCH_BACKEND": cfg.get("XINXI_SEARCH_BACKEND") or ("postgres" if is_postgres else "whoosh"),
        "XINXI_JIEBA_CACHE": Path(cfg.get("XINXI_JIEBA_CACHE") or instance / "jieba-cache"),
        "XINXI_CORPUS_DIR": cfg.get("XINXI_CORPUS_DIR"),
        # Keyword IDF computed from the archive by `flask refresh-idf`; jieba's own table until then.
        "XINXI_IDF_FILE": Path(cfg.get("XINXI_IDF_FILE") or instance / "idf.json"),
        # The kind model refined by editors' corrections (`flask train-kind`); the shipped one until then.
        "XINXI_KIND_MODEL_FILE": Path(cfg.get("XINXI_KIND_MODEL_FILE") or instance / "kind_model.json"),
        "XINXI_KIND_MIN_CORRECTIONS": int(cfg.get("XINXI_KIND_MIN_CORRECTIONS") or 50),
        # Processes cutting texts during `reindex` (default: every core for 2,000 items or more).
        "XINXI_REINDEX_WORKERS": int(cfg.get("XINXI_REINDEX_WORKERS") or 0),
        # werkzeug's default (scrypt); tests pass a cheap method to stay fast.
        "XINXI_PASSWORD_HASH": cfg.get("XINXI_PASSWORD_HASH") or "scrypt",
        "MAX_CONTENT_LENGTH": int(cfg.get("XINXI_MAX_UPLOAD_MB", 10)) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
    }
    # Plain Flask keys (TESTING, WTF_CSRF_ENABLED …) may be passed straight through by callers.
    config.update({k: v for k, v in (overrides or {}).items() if not k.startswith(ENV_PREFIX)})
    return config
