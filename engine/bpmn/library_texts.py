"""The libraries' texts in a designer's words: what libxml2's schema check, SpiffWorkflow's parser and RestrictedPython
say about a diagram, turned into translated sentences that name the element and the line of code.

The libraries speak English, repeat themselves (SpiffWorkflow's exceptions end with ". ", so "type.. "), wrap one
error in another (`TypeError("...")`) and suggest things that are not so ("perhaps a form has the same ID?"). The
problems we can foresee are found before the library sees the file (checks.py); what is left is translated here,
and an unknown text is kept as the library's detail behind our own sentence, cleaned of its repetitions."""
import re

from flask_babel import lazy_gettext as _l

from .problems import BPMN_NS

_BPMN_TAG = re.compile(r"\{" + re.escape(BPMN_NS) + r"\}")
_ANY_NS = re.compile(r"\{[^}]*\}")


def short_tags(text: str) -> str:
    """`{http://www.omg.org/spec/BPMN/20100524/MODEL}userTask` → `bpmn:userTask`, other namespaces dropped."""
    return _ANY_NS.sub("", _BPMN_TAG.sub("bpmn:", text))


def cleaned(text, code: bool = False) -> str:
    """A library's text without its repetitions: "TypeError: TypeError: x" → "TypeError: x", "x.. " → "x.",
    `TypeError("x")` → "x", first line only. About `code`, the dots and braces are the code's own (`...`, a dict)."""
    text = str(text).strip().split("\n")[0].strip()
    wrapped = re.fullmatch(r"\w+(Error|Exception)\((['\"])(.*)\2\)", text)
    if wrapped:
        text = wrapped.group(3)
    while True:
        shorter = re.sub(r"^(\w+(?:Error|Exception)): \1: ", r"\1: ", text)
        if shorter == text:
            break
        text = shorter
    text = re.sub(r"^(unknown|None|bundle):\s*", "", text)
    if code:
        return text
    return short_tags(re.sub(r"\.(\s*\.)+", ".", text)).strip()


# --- libxml2's XML parser ---------------------------------------------------------------------------------------

_SYNTAX = [
    (re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)$"),
     lambda m: _l("the tag %(opened)s opened on line %(line)s is closed by %(closed)s", opened=m[1], line=m[2],
                  closed=m[3])),
    (re.compile(r"Premature end of data in tag (\S+) line (\d+)$"),
     lambda m: _l("the file ends inside the tag %(tag)s opened on line %(line)s", tag=m[1], line=m[2])),
]


def xml_syntax_detail(text: str):
    """lxml's text for a file that is not well-formed, in our words where we know it."""
    for pattern, message in _SYNTAX:
        found = pattern.match(text)
        if found:
            return message(found)
    return text


# --- libxml2's XSD validation ----------------------------------------------------------------------------------

_SCHEMA = [
    (re.compile(r"Element '([^']+)': This element is not expected\. Expected is (?:one of )?\( ?(.*?) ?\)\.?$"),
     lambda m: _l("the element %(element)s is not allowed here by the BPMN schema (expected: %(expected)s)",
                  element=m[1], expected=m[2])),
    (re.compile(r"Element '([^']+)': This element is not expected\.?$"),
     lambda m: _l("the element %(element)s is not allowed here by the BPMN schema", element=m[1])),
    (re.compile(r"Element '([^']+)': The attribute '([^']+)' is required but missing\.?$"),
     lambda m: _l("the element %(element)s lacks its required attribute %(attribute)s", element=m[1],
                  attribute=m[2])),
    (re.compile(r"Element '([^']+)', attribute '([^']+)': The attribute '[^']+' is not allowed\.?$"),
     lambda m: _l("the attribute %(attribute)s is not allowed on %(element)s", element=m[1], attribute=m[2])),
    (re.compile(r"Element '([^']+)', attribute 'id': '([^']*)' is not a valid value of the atomic type 'xs:ID'\.?$"),
     lambda m: _l("«%(value)s» cannot be an element id (an id starts with a letter or _ and has no spaces)",
                  value=m[2])),
    (re.compile(r"Element '([^']+)', attribute '([^']+)': '([^']*)' is not a valid value of the atomic type "
                r"'([^']+)'\.?$"),
     lambda m: _l("the value «%(value)s» of the attribute %(attribute)s of %(element)s is not valid (%(type)s)",
                  value=m[3], attribute=m[2], element=m[1], type=m[4])),
    (re.compile(r"Element '([^']+)': Character content other than whitespace is not allowed.*$"),
     lambda m: _l("the element %(element)s may not hold text", element=m[1])),
    (re.compile(r"Element '([^']+)': Missing child element\(s\)\. Expected is (?:one of )?\( ?(.*?) ?\)\.?$"),
     lambda m: _l("the element %(element)s lacks an element inside it (expected: %(expected)s)", element=m[1],
                  expected=m[2])),
]


def schema_message(text: str):
    """A translated sentence for one of libxml2's XSD errors."""
    text = cleaned(text)
    for pattern, message in _SCHEMA:
        found = pattern.match(text)
        if found:
            return message(found)
    return _l("the file does not follow the BPMN 2.0 schema: %(detail)s", detail=text)


# --- SpiffWorkflow's parser --------------------------------------------------------------------------------------

_PARSER = [
    ("There is no support implemented for this task type", lambda m: _UNSUPPORTED),
    ("No start event found", lambda m: _l("the process has no start event")),
    ("Duplicate process ID", lambda text: _l("another file deployed together defines a process «%(id)s» too",
                                             id=text.split(":", 1)[-1].strip())),
    ("Multiple outgoing flows are not supported for tasks of type",
     lambda m: _l("only one sequence flow may leave an element of this type: split the path with a gateway")),
    ("A loopMaximum or loopCondition must be specified for Loop Tasks",
     lambda m: _l("a loop needs a loop condition or a maximum number of loops")),
    ("A multiinstance task must specify a cardinality or a loop input data reference",
     lambda m: _l("a multi-instance task needs a number of instances (loopCardinality) or a collection to go "
                  "through")),
    ("A multiinstance task must specify exactly one of cardinality or loop input data reference",
     lambda m: _l("a multi-instance task takes either a number of instances or a collection, not both")),
    ("The loop input data reference is missing from the IO specification",
     lambda m: _l("the collection the multi-instance task goes through is not among its inputs")),
    ("The loop output data reference is missing from the IO specification",
     lambda m: _l("the collection the multi-instance task fills is not among its outputs")),
    ("Cancel Events may only be used with transactions",
     lambda m: _l("a cancel event may only be attached to a transaction")),
    ("Ad hoc subprocesses may not contain start or end events",
     lambda m: _l("an ad hoc subprocess may not contain start or end events")),
    ("Sequential ordering for ad hoc subprocesses not supported",
     lambda m: _l("an ad hoc subprocess cannot run its tasks in sequence")),
    ("A Service Task must have an operator", lambda m: _l("a service task must name its operator")),
]

_UNSUPPORTED = _l("the engine does not run elements of this type: replace it with one it runs")


def parser_message(text):
    """A translated sentence for a SpiffWorkflow ValidationException's text."""
    text = cleaned(text)
    for start, message in _PARSER:
        if text.startswith(start):
            return message(text)
    return _l("the element could not be read: %(detail)s", detail=text)


# --- RestrictedPython --------------------------------------------------------------------------------------------

_LINE = re.compile(r"^Line (\d+|None): ")
_PYTHON_SYNTAX = {
    "invalid syntax": _l("invalid syntax"),
    "unexpected EOF while parsing": _l("the code ends too early"),
    "expected ':'": _l("a colon is missing"),
    "expected an indented block": _l("an indented block is missing"),
    "unexpected indent": _l("unexpected indent"),
    "unindent does not match any outer indentation level": _l("the indentation does not match"),
    "invalid syntax. Perhaps you forgot a comma?": _l("invalid syntax: perhaps a comma is missing"),
}
_SANDBOX = [
    (re.compile(r'^"([^"]+)" is an invalid variable name because it starts with "_"\.?$'),
     lambda m: _l("the name «%(name)s» is not allowed: names starting with _ are closed in the sandbox",
                  name=m[1])),
    (re.compile(r'^"([^"]+)" is an invalid attribute name because it starts with "_"\.?$'),
     lambda m: _l("the attribute «%(name)s» is not allowed: names starting with _ are closed in the sandbox",
                  name=m[1])),
    (re.compile(r'^"([^"]+)" is an invalid (?:variable|attribute) name because it ends with "__roles__"\.?$'),
     lambda m: _l("the name «%(name)s» is not allowed in the sandbox", name=m[1])),
    (re.compile(r'^"([^"]+)" is a reserved name\.?$'),
     lambda m: _l("the name «%(name)s» is reserved", name=m[1])),
    (re.compile(r'^"([^"]+)" is a restricted name, that is forbidden to access in RestrictedPython\.?$'),
     lambda m: _l("the attribute «%(name)s» is closed in the sandbox", name=m[1])),
    (re.compile(r"^(Exec|Eval) calls are not allowed\.?$"),
     lambda m: _l("%(call)s() is not allowed in the sandbox", call=m[1].lower())),
    (re.compile(r"^import statements are not allowed"),
     lambda m: _l("import is not allowed: math, datetime, date and timedelta are there without importing them")),
    (re.compile(r"^Lazy import statements are not allowed|^\"\*\" imports are not allowed"),
     lambda m: _l("import is not allowed: math, datetime, date and timedelta are there without importing them")),
    (re.compile(r"^(\w+) statements are not allowed\.?$"),
     lambda m: _l("the Python statement %(statement)s is not allowed in the sandbox", statement=m[1])),
    (re.compile(r"^Augmented assignment of (?:attributes|object items and slices) is not allowed\.?$"),
     lambda m: _l("+= and the like are allowed on variables only, not on attributes or items")),
    (re.compile(r"^SyntaxError: (.*) at statement: (?:'(.*)'|\"(.*)\"|None)$"),
     lambda m: _syntax(m[1], m[2] if m[2] is not None else m[3])),
]


_PYTHON_PATTERNS = [
    (re.compile(r"^'(.)' was never closed$"), lambda m: _l("the bracket %(bracket)s is never closed", bracket=m[1])),
    (re.compile(r"^unmatched '(.)'$"), lambda m: _l("the bracket %(bracket)s closes nothing", bracket=m[1])),
    (re.compile(r"^closing parenthesis '(.)' does not match opening parenthesis '(.)'.*$"),
     lambda m: _l("the bracket %(closing)s does not match %(opening)s", closing=m[1], opening=m[2])),
    (re.compile(r"^unterminated (?:triple-quoted )?string literal.*$"), lambda m: _l("a string is never closed")),
]


def _syntax(detail: str, statement: str | None):
    found = next(((p.match(detail), message) for p, message in _PYTHON_PATTERNS if p.match(detail)), None)
    detail = found[1](found[0]) if found else _PYTHON_SYNTAX.get(detail, detail)
    if statement:
        return _l("syntax error in «%(statement)s»: %(detail)s", statement=statement, detail=detail)
    return _l("syntax error: %(detail)s", detail=detail)


def split_compile_errors(problems: list[str]) -> list[str]:
    """engine.sandbox.compile_errors joins RestrictedPython's errors with "; " and splits them again, which also
    splits an error whose statement holds "; ": join the pieces that do not start a new "Line N:"."""
    joined: list[str] = []
    for piece in problems:
        if joined and not _LINE.match(piece):
            joined[-1] += "; " + piece
        else:
            joined.append(piece)
    return joined


def code_message(text: str):
    """(code line or None, translated sentence) for one compile error of diagram code."""
    line = None
    found = _LINE.match(text)
    if found:
        line = int(found[1]) if found[1].isdigit() else None
        text = text[found.end():]
    text = cleaned(text, code=True)
    for pattern, message in _SANDBOX:
        match = pattern.match(text)
        if match:
            return line, message(match)
    if "null bytes" in text:
        return line, _l("the code holds a NUL character")
    return line, _l("the sandbox refuses this code: %(detail)s", detail=text)
