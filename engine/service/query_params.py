"""What a list page's filter (InboxQuery, InstanceQuery) reads from a request or a saved filter, and keeps in a
saved filter or a link."""
import typing
from collections.abc import Mapping
from dataclasses import fields
from datetime import date

MAX_PER_PAGE = 200
_TRUE = ("1", "true", "on", "y", "yes")


class FilterParams:
    """For a dataclass of filter fields, each with a default: `from_params` reads them, `params()` gives the fields
    set, as plain JSON. A subclass names its texts' lengths (TEXT_LIMITS) and the values its choices allow
    (`allowed()`)."""
    TEXT_LIMITS: dict[str, int] = {}  # field → the longest text kept (else 255)

    @classmethod
    def allowed(cls) -> dict[str, tuple]:
        """field → the values it may take; any other falls back to the default."""
        return {}

    @classmethod
    def from_params(cls, raw: Mapping):
        """From request arguments or a saved filter; unknown or malformed values fall back to the defaults."""
        query, kinds = cls(), typing.get_type_hints(cls)
        for f in fields(cls):
            value = raw.get(f.name)
            if value in (None, ""):
                continue
            try:
                value = cls._read(f.name, kinds[f.name], value)
            except (TypeError, ValueError):
                continue
            if value is not None:
                setattr(query, f.name, value)
        default = cls()
        for name, values in cls.allowed().items():
            if getattr(query, name) not in values:
                setattr(query, name, getattr(default, name))
        return query

    @classmethod
    def _read(cls, name: str, kind, value):
        if kind is bool:
            return value is True or str(value).lower() in _TRUE
        if name in ("page", "per_page"):
            return max(1, min(int(value), MAX_PER_PAGE if name == "per_page" else 100_000))
        if int in typing.get_args(kind) or kind is int:  # an id: within the database's integers
            number = int(value)
            return number if 0 < number < 2 ** 31 else None
        if date in typing.get_args(kind) or kind is date:
            return date.fromisoformat(str(value))
        return str(value).strip()[:cls.TEXT_LIMITS.get(name, 255)] or None

    def params(self) -> dict:
        """As plain JSON (for saved filters, links and batch jobs); defaults, the page and its size left out."""
        default = type(self)()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name) and f.name not in ("page", "per_page"):
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out
