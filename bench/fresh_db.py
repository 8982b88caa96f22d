"""A fresh PostgreSQL database for a benchmark run (dropped and recreated; never one we keep)."""

from __future__ import annotations

import sys


def fresh_postgres(url: str) -> None:
    """Drop and recreate the database `url` names; refuse the names of databases people keep."""
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    if name in ("test", "postgres", "xinxi"):
        sys.exit(f"refusing to recreate the database {name!r}")
    admin = create_engine(
        url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + "/postgres"
    )
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
