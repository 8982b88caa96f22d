"""Request input made safe at the boundary: bounded ids and cleaned strings.

Ids: primary keys are 32-bit on PostgreSQL (``integer``) and 64-bit on SQLite; a larger number
reaching the database is an overflow error there (a 500), so ids are checked where they enter:
1..2^31-1, the range both databases store alike.

Strings: every query-string, form and JSON string passes `nlp.normalize.strip_unsafe_chars` once,
in `XinxiRequest`, so NUL, other C0 controls and lone surrogates never reach a service or the
database (PostgreSQL refuses NUL; SQLite would keep it and the row could not migrate).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, Map
from werkzeug.utils import cached_property

from nlp.normalize import strip_unsafe_chars

MIN_ID = 1
MAX_ID = 2**31 - 1
# ASCII digits only (``str.isdigit`` also accepts ² and other digits `int` refuses), at most ten.
_ID_TEXT = re.compile(r"[0-9]{1,10}")


class IdConverter(IntegerConverter):
    """The app's ``int`` URL converter: ASCII digits in 1..2^31-1, anything else is a 404."""

    regex = r"[0-9]{1,10}"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = MIN_ID,
        max: int | None = MAX_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def parse_id(value: Any) -> int | None:
    """Return `value` as an id (an int, or a string of ASCII digits, in 1..2^31-1), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        if not _ID_TEXT.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, int) and MIN_ID <= value <= MAX_ID:
        return value
    return None


def parse_ids(values: Iterable[Any]) -> list[int]:
    """The valid ids among `values`, in order (a form's stray or out-of-range values are ignored)."""
    return [number for number in map(parse_id, values) if number is not None]


def clean_json(value: Any) -> Any:
    """A copy of a parsed JSON value with every string (keys too) stripped of unsafe characters."""
    # Iterative: a body nested as deep as the JSON parser allows must not overflow the stack here.
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, value)]
    while stack:
        parent, key, node = stack.pop()
        if isinstance(node, str):
            parent[key] = strip_unsafe_chars(node)
        elif isinstance(node, list):
            copy: list[Any] = list(node)
            parent[key] = copy
            stack.extend((copy, i, child) for i, child in enumerate(copy))
        elif isinstance(node, dict):
            mapping = {strip_unsafe_chars(k): v for k, v in node.items()}
            parent[key] = mapping
            stack.extend((mapping, k, child) for k, child in mapping.items())
    return root[0]


def _clean_multidict(data: MultiDict[str, str], storage: type[MultiDict[str, str]]) -> MultiDict[str, str]:
    return storage(
        [(strip_unsafe_chars(key), strip_unsafe_chars(value)) for key, value in data.items(multi=True)]
    )


class XinxiRequest(Request):
    """Flask's request whose args, form and JSON body hold only safe strings."""

    @cached_property
    def args(self) -> MultiDict[str, str]:
        return _clean_multidict(super().args, self.parameter_storage_class)

    def _load_form_data(self) -> None:
        if "form" in self.__dict__:
            return
        super()._load_form_data()
        self.__dict__["form"] = _clean_multidict(self.__dict__["form"], self.parameter_storage_class)

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        """The parsed body, cleaned; a body nested too deep to parse is a 400 (None when silent)."""
        try:
            body = super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            if silent:
                return None
            raise BadRequest("JSON 嵌套层数过多") from None
        return clean_json(body)
