"""What a list page's filter (InboxQuery, InstanceQuery) keeps in a saved filter or a link."""
from dataclasses import fields
from datetime import date


class FilterParams:
    """For a dataclass of filter fields, each with a default: `params()` gives the fields set, as plain JSON."""

    def params(self) -> dict:
        """As plain JSON (for saved filters, links and batch jobs); defaults, the page and its size left out."""
        default = type(self)()
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name) and f.name not in ("page", "per_page"):
                out[f.name] = value.isoformat() if isinstance(value, date) else value
        return out
