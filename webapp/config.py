"""Configuration from environment variables, with a zero-configuration embedded default."""

from __future__ import annotations

import hashlib
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


def _flag(value: object) -> bool:
    """A boolean setting from the environment ("1", "true", "yes", "on") or a real bool."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _cache_settings(cfg: dict[str, Any], database_url: str, index_dir: Path) -> dict[str, Any]:
    """Flask-Caching's settings: Redis when several hosts share one (XINXI_CACHE_URL, or the task
    queue's XINXI_REDIS_URL), else files beside the index (one host; its workers share them). Keys
    carry the database's identity, so apps on other databases never read each other's entries."""
    url = cfg.get("XINXI_CACHE_URL") or cfg.get("XINXI_REDIS_URL")
    prefix = "xinxi:" + hashlib.sha256(database_url.encode()).hexdigest()[:12] + ":"
    if url:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": prefix}
    return {
        "CACHE_TYPE": "FileSystemCache",
        "CACHE_DIR": str(cfg.get("XINXI_CACHE_DIR") or index_dir.parent / "cache"),
        "CACHE_THRESHOLD": 5000,
        "CACHE_KEY_PREFIX": prefix,
    }


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
    secure_cookies = _flag(cfg.get("XINXI_SECURE_COOKIES", "0"))
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
        # How often a process asks the database whether another host stored a newer kind model or
        # IDF table (webapp/services/artifacts.py); 0 asks on every request.
        "XINXI_ARTIFACT_CHECK_SECONDS": float(cfg.get("XINXI_ARTIFACT_CHECK_SECONDS") or 2),
        # Processes cutting texts during `reindex` (default: every core for 2,000 items or more).
        "XINXI_REINDEX_WORKERS": int(cfg.get("XINXI_REINDEX_WORKERS") or 0),
        # Processes analysing files during `import` (default: every core for 200 files or more).
        "XINXI_IMPORT_WORKERS": int(cfg.get("XINXI_IMPORT_WORKERS") or 0),
        # werkzeug's default (scrypt); tests pass a cheap method to stay fast.
        "XINXI_PASSWORD_HASH": cfg.get("XINXI_PASSWORD_HASH") or "scrypt",
        # The task queue (webapp/tasks.py): SQLite in the instance folder, or Redis for several hosts;
        # immediate mode runs jobs in the calling process (tests).
        "XINXI_REDIS_URL": cfg.get("XINXI_REDIS_URL") or None,
        # Derived page data worth keeping between requests (webapp/services/pagecache.py).
        **_cache_settings(cfg, database_url, Path(cfg.get("XINXI_INDEX_DIR") or instance / "index")),
        "XINXI_HUEY_FILE": cfg.get("XINXI_HUEY_FILE") or None,
        "XINXI_TASKS_IMMEDIATE": str(cfg.get("XINXI_TASKS_IMMEDIATE") or ""),
        # Uploaded files of import jobs and files that jobs produce (large 通报).
        "XINXI_JOB_DIR": Path(cfg.get("XINXI_JOB_DIR") or instance / "jobs"),
        "MAX_CONTENT_LENGTH": int(cfg.get("XINXI_MAX_UPLOAD_MB", 10)) * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_AS_ASCII": False,
        # The session cookie is out of reach of scripts and of other sites' forms; Secure once the
        # site is served over HTTPS (XINXI_SECURE_COOKIES=1), which also turns on HSTS.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Login throttling (Flask-Limiter): counters in memory per process by default; several workers
        # or hosts share them through Redis (XINXI_RATELIMIT_STORAGE=redis://127.0.0.1:6379/0).
        "RATELIMIT_ENABLED": _flag(cfg.get("XINXI_RATELIMIT_ENABLED", "1")),
        "RATELIMIT_STORAGE_URI": cfg.get("XINXI_RATELIMIT_STORAGE") or "memory://",
        "RATELIMIT_KEY_PREFIX": "xinxi",
        # A Redis outage is logged and lets logins through rather than locking everyone out.
        "RATELIMIT_SWALLOW_ERRORS": True,
        # Failed logins only: per account (any address) and per client address (any account).
        "XINXI_LOGIN_LIMIT_ACCOUNT": cfg.get("XINXI_LOGIN_LIMIT_ACCOUNT") or "5/minute;20/hour",
        "XINXI_LOGIN_LIMIT_ADDRESS": cfg.get("XINXI_LOGIN_LIMIT_ADDRESS") or "30/minute",
        # Failed API token checks per client address.
        "XINXI_API_AUTH_LIMIT": cfg.get("XINXI_API_AUTH_LIMIT") or "30/minute",
    }
    # Plain Flask keys (TESTING, WTF_CSRF_ENABLED …) may be passed straight through by callers.
    config.update({k: v for k, v in (overrides or {}).items() if not k.startswith(ENV_PREFIX)})
    return config
