"""The role catalogue (processes/roles.json) and how a diagram's lane names a role.

Lanes carry no binding in BPMN, so a lane is matched to a role by its code or its title, ignoring case. A lane
that names no known role (a third-party diagram's "Manager") is a role of its own under that name, so
`user create bob --role Manager` lets bob work that lane.
"""
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flask import current_app

ADMIN = "admin"
OPERATOR = "operator"  # repairs instances: retry, suspend, resume, cancel, skip, go back, batch (issue 13 §7)
DESIGNER = "designer"


@dataclass(frozen=True)
class Role:
    code: str
    title: str
    scope: str  # "city" or "unit"
    landing: str | None = None  # the page the role's people see first after signing in (roles.json `landing`)


@lru_cache(maxsize=4)
def _catalogue(path: str) -> dict[str, Role]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return {r["code"]: Role(r["code"], r["title"], r.get("scope", "unit"), r.get("landing")) for r in raw["roles"]}


def catalogue() -> dict[str, Role]:
    return _catalogue(_roles_file(current_app.config["PROCESSES_DIR"]))


@lru_cache(maxsize=4)
def _roles_file(directory) -> str:
    """The path, built once: a page asks for the catalogue at every role it names (50 rows of the inbox)."""
    return str(Path(directory) / "roles.json")


def canonical(name: str | None) -> str | None:
    """The code of a known role named by code or title, else the name itself, trimmed and case-folded."""
    if name is None or not str(name).strip():
        return None
    folded = " ".join(str(name).split()).casefold()
    for role in catalogue().values():
        if folded in (role.code.casefold(), role.title.casefold()):
            return role.code
    return folded


def title(code: str | None) -> str:
    if code is None:
        return ""
    role = catalogue().get(code)
    return role.title if role else code


def is_city_wide(code: str | None) -> bool:
    role = catalogue().get(code or "")
    return role is not None and role.scope == "city"


def landing(codes) -> str | None:
    """The first page (roles.json `landing`) of the first of `codes` in the catalogue's order that names one."""
    wanted = set(codes)
    return next((role.landing for role in catalogue().values() if role.code in wanted and role.landing), None)
