"""The forms of the catalogue: one JSON file per form in forms/definitions (or the folder FORMS_DIR names)."""
import json
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from .definition import FormDefinition, FormDefinitionError
from .reading import parse

_DEFAULT_DIR = Path(__file__).resolve().parent / "definitions"
_directory = [_DEFAULT_DIR]
MAX_KEY = 100  # characters: the task's form_key column


def use_directory(path) -> None:
    """Point the registry at another folder (the app does this from its FORMS_DIR setting)."""
    _directory[0] = Path(path)
    load.cache_clear()


def registry_keys() -> list[str]:
    return sorted(p.stem for p in _directory[0].glob("*.json"))


@lru_cache(maxsize=None)
def load(key: str) -> FormDefinition:
    return parse(load_raw(key), f"{key}.json")


def load_raw(key: str) -> dict:
    """The JSON of form `key`'s file, as written (the designer's form editor starts from it)."""
    if not valid_key(key):
        raise FormDefinitionError(_l("%(key)s is not a form key: a key is Latin letters, digits and _.",
                                     key=repr(key)))
    path = _directory[0] / f"{key}.json"
    if not path.is_file():
        raise FormDefinitionError(_l("The form %(key)s is not defined (no %(file)s in %(folder)s).", key=key,
                                     file=path.name, folder=str(_directory[0])))
    return read_json(path.read_bytes(), path.name)


def valid_key(key) -> bool:
    return isinstance(key, str) and key.isidentifier() and key.isascii() and len(key) <= MAX_KEY


def read_json(content: bytes, source: str) -> dict:
    """The JSON object of a definition file; FormDefinitionError for anything else."""
    try:
        raw = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        detail = (_l("%(what)s, line %(line)s", what=exc.msg, line=exc.lineno)
                  if isinstance(exc, json.JSONDecodeError) else type(exc).__name__)
        raise FormDefinitionError(_l("%(source)s: not valid JSON (%(detail)s).", source=source,
                                     detail=detail)) from None
    if not isinstance(raw, dict):
        raise FormDefinitionError(_l("%(source)s: a form is a JSON object with a list of fields.", source=source))
    return raw
