# huey 3.5 ships no types and no stubs package exists: the part of its API the app uses. Names not
# declared here are Any (the `__getattr__`s).
from typing import Any

from huey.api import Huey as Huey
from huey.api import RedisHuey as RedisHuey
from huey.api import SqliteHuey as SqliteHuey

def __getattr__(name: str) -> Any: ...
