"""Flask extension instances, bound to the app in `create_app`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context, request
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import Storage
from limits.strategies import RateLimiter
from sqlalchemy import MetaData, Table
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations portable (SQLite batch mode needs the names).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model."""

    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:
        # SQLAlchemy types it as any FromClause; every model here maps one table.
        __table__: ClassVar[Table]


_T = TypeVar("_T")


class _Same(Generic[_T]):
    """A class attribute that is `value` itself, overloads and all (for the type checker only)."""

    def __init__(self, value: _T) -> None:
        self.value = value

    def __get__(self, obj: object, owner: object = None) -> _T:
        return self.value


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, whose `db.select`, `db.func` … are SQLAlchemy's own: the extension hands
    them out through `__getattr__`, so without these declarations mypy sees them as Any and every
    query result as Any too."""

    if TYPE_CHECKING:
        select = _Same(sa.select)
        insert = _Same(sa.insert)
        update = _Same(sa.update)
        delete = _Same(sa.delete)
        distinct = _Same(sa.distinct)
        func = sa.func


db = Database(model_class=Base)
# The base of every model. mypy takes no class from an attribute as a base (`class Item(db.Model)` is
# an error there, and the model would be Any to it): it checks the models against Base, which
# `db.Model` extends only with Flask-SQLAlchemy's table naming and bind keys.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()  # derived page data shared by the workers (and hosts): webapp/services/pagecache.py


def client_address() -> str:
    """The rate-limit key of the client: its address as the WSGI server sees it (behind a reverse
    proxy, wrap the app in werkzeug's ProxyFix so that this is the real client)."""
    return request.remote_addr or "unknown"


@dataclass(frozen=True)
class _LimiterState:
    enabled: bool
    storage: Storage | None
    strategy: RateLimiter | None


class AppLimiter(Limiter):
    """Flask-Limiter whose switch, storage and counters belong to the app serving the request.

    Flask-Limiter keeps them on the extension object, so one module-level instance bound to several
    apps (tests build one per test) would let the last app's counters serve them all; here each app
    keeps its own, taken at `init_app`.
    """

    _enabled_default = True
    _binding = False

    def init_app(self, app: Flask) -> None:
        """Bind to `app` and keep what Flask-Limiter built for it in the app's extensions."""
        self._storage = None
        self._limiter = None
        self._binding = True  # another app's context may be current: read the attributes
        try:
            super().init_app(app)
        finally:
            self._binding = False
        app.extensions["xinxi_limiter"] = _LimiterState(self._enabled_default, self._storage, self._limiter)

    def _state(self) -> _LimiterState | None:
        if self._binding or not has_app_context():
            return None
        state: _LimiterState | None = current_app.extensions.get("xinxi_limiter")
        return state

    @property
    def enabled(self) -> bool:
        state = self._state()
        return state.enabled if state is not None else self._enabled_default

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled_default = value

    @property
    def storage(self) -> Storage:
        state = self._state()
        storage = state.storage if state is not None else self._storage
        assert storage is not None, "rate limiting is off for this app"
        return storage

    @property
    def limiter(self) -> RateLimiter:
        state = self._state()
        strategy = state.strategy if state is not None else self._limiter
        assert strategy is not None, "rate limiting is off for this app"
        return strategy

    def reset(self) -> None:
        """Forget every counter of the current app."""
        self.storage.reset()


limiter = AppLimiter(key_func=client_address, storage_uri=None, headers_enabled=False)
