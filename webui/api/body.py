"""How deep a JSON body may be. Python's parser gives up past about a thousand levels with a RecursionError (a
500), and data a little less deep would still exhaust the stack of the code that walks it (the checks, the
engine's copies of task data). A form's data is a few levels deep (groups, rows); anything deeper than MAX_DEPTH
is refused with 400 before it is parsed for the view."""
import json

from flask import request
from flask_babel import gettext as _

from .errors import ApiError

MAX_DEPTH = 32


def refuse_deep_json() -> None:
    """before_request of the API blueprints. Malformed JSON is left to the arguments parser, which answers it."""
    if not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return
    try:
        too_deep = depth(json.loads(raw)) > MAX_DEPTH
    except RecursionError:
        too_deep = True
    except ValueError:
        return
    if too_deep:
        raise ApiError(400, "too_deep", _("The JSON body is nested too deeply: at most %(n)s levels are accepted.",
                                          n=MAX_DEPTH))


def depth(value) -> int:
    """How many arrays and objects deep `value` goes (without recursion; stops counting past MAX_DEPTH)."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_DEPTH:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            pending.extend((inner, level + 1) for inner in (item.values() if isinstance(item, dict) else item))
    return deepest
