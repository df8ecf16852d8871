"""The code of a parsed bundle checked before anything runs: every script and expression compiled in the sandbox,
each problem placed on its element (a gateway's condition on its flow), with the line inside the code."""
import ast

from flask_babel import lazy_gettext as _l

from ..sandbox import compile_errors
from .expressions import code_of
from .library_texts import code_message, split_compile_errors
from .properties import task_properties
from .problems import BPMN_NS, Problem, at


# What each kind of code is, in a designer's words (engine.bpmn.expressions names them).
_CODE_KINDS = {
    "script": _l("script"), "prescript": _l("script before the task (preScript)"),
    "postscript": _l("script after the task (postScript)"), "condition": _l("condition"),
    "cardinality": _l("number of instances (loopCardinality)"), "maximum": _l("maximum number of loops"),
    "event expression": _l("event expression"), "correlation": _l("correlation expression"),
}


def check_code(bundle, trees, renamed, refused_scripts=frozenset()) -> list[Problem]:
    errors, seen = [], set()
    for startable in bundle.startables.values():
        for spec in [startable.spec, *startable.subprocess_specs.values()]:
            if spec is None:
                continue
            for code in code_of(spec):
                key = (code.bpmn_id, code.what, code.source)
                if key in seen or (code.what == "script" and code.bpmn_id in refused_scripts):
                    continue
                seen.add(key)
                for text in split_compile_errors(compile_errors(code.source, code.mode)):
                    errors.append(_code_problem(trees, code, text, renamed, spec.file))
    return errors


def _code_problem(trees, code, text, renamed, filename, code_line=None) -> Problem:
    """`text`: the compiler's (its line read from it), or our own words with `code_line`."""
    if code_line is None:
        code_line, detail = code_message(text)
    else:
        detail = text
    what = (_CODE_KINDS.get(code.what) or
            (_l("property %(name)s", name=code.what.split(" ", 1)[1]) if code.what.startswith("property ")
             else code.what))
    name, node = _element(trees, code.bpmn_id, renamed, filename)
    if node is not None and code.what == "condition":
        flow = _condition_flow(node, code.source)  # a gateway's condition sits on one of its flows
        if flow is not None:
            node, what = flow, _l("condition of the flow from «%(source)s»", source=code.bpmn_id)
    message = _l("%(what)s: %(detail)s", what=what, detail=detail)
    if node is None:
        return Problem(message, name, code.bpmn_id, code_line=code_line)
    return at(node, name, message, code_line)


def _element(trees, bpmn_id, renamed=None, filename=None):
    ids = [bpmn_id, *(new for new, old in (renamed or {}).items() if old == bpmn_id)]
    # Element ids are unique within a file only: look in the file that defines the process first.
    for name, root in sorted(trees.items(), key=lambda item: item[0] != filename):
        found = [node for i in ids for node in root.xpath("//*[@id=$id]", id=i)]
        if found:
            return name, found[0]
    return filename, None


def _condition_flow(node, source):
    """The sequence flow leaving `node` whose condition is `source`, if one is."""
    if node.getparent() is None:
        return None
    for flow in node.getparent().iter(f"{{{BPMN_NS}}}sequenceFlow"):
        if flow.get("sourceRef") != node.get("id"):
            continue
        for condition in flow.iter(f"{{{BPMN_NS}}}conditionExpression"):
            if (condition.text or "").strip() == source.strip():
                return flow
    return None


def removed_fields_read(bundle, trees, renamed, former_form) -> list[Problem]:
    """A form of the bundle that lost a field its former version had (`former_form(key, process ids)`: the form
    its processes used until now, None for a new one), while code of a process using the form still reads that
    field: a later condition, script or task would fail on the data of every instance, so deploy refuses it."""
    problems = []
    for key, definition in bundle.forms.items():
        former = former_form(key, list(bundle.startables))
        if former is None:
            continue
        removed = _field_names(former) - (_field_names(definition) if definition.variable == former.variable
                                          else set())
        for spec, code in _code_of_users(bundle, key):
            for field_name, line in _reads(code, removed, former.variable):
                message = _l("reads the field «%(field)s», which the form «%(form)s» no longer has: keep the field "
                             "or change what reads it", field=field_name, form=definition.title or key)
                problems.append(_code_problem(trees, code, message, renamed, spec.file, line))
    return problems


def _field_names(definition) -> set[str]:
    return {f.name for f in definition.fields}


def _code_of_users(bundle, key):
    """(spec, code) of every process and subprocess with a task using form `key`, each code once."""
    seen = set()
    for startable in bundle.startables.values():
        specs = [s for s in [startable.spec, *startable.subprocess_specs.values()] if s is not None]
        if not any(task_properties(t).get("form") == key for s in specs for t in s.task_specs.values()):
            continue
        for spec in specs:
            for code in code_of(spec):
                if (code.bpmn_id, code.what, code.source) not in seen:
                    seen.add((code.bpmn_id, code.what, code.source))
                    yield spec, code


def _reads(code, names: set[str], variable: str | None):
    """(field, line) for each of `names` the code reads: `variable.field`, `variable["field"]`,
    `variable.get("field")` when the form stores under a variable, else the bare name (not when the code itself
    assigns it)."""
    if not names:
        return []
    try:
        tree = ast.parse(code.source, mode=code.mode)
    except SyntaxError:
        return []  # the compile check has said what is wrong with it
    found, assigned = {}, set()
    for node in ast.walk(tree):
        name = None
        if variable is None and isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                name = node.id
            else:
                assigned.add(node.id)
        elif variable is not None:
            name = _member(node, variable)
        if name in names:
            found.setdefault(name, node.lineno)
    return sorted((n, line) for n, line in found.items() if n not in assigned)


def _member(node, variable: str) -> str | None:
    """The key `node` reads from `variable`: variable.key, variable["key"] or variable.get("key")."""
    if isinstance(node, ast.Attribute) and _is_name(node.value, variable) and isinstance(node.ctx, ast.Load):
        return node.attr
    if isinstance(node, ast.Subscript) and _is_name(node.value, variable) and isinstance(node.slice, ast.Constant):
        return node.slice.value if isinstance(node.slice.value, str) else None
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
            and _is_name(node.func.value, variable) and node.args and isinstance(node.args[0], ast.Constant)):
        return node.args[0].value if isinstance(node.args[0].value, str) else None
    return None


def _is_name(node, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
