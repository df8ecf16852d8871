"""Turning uploaded BPMN files into executable specs, refusing anything unsafe or broken with a precise reason.

Files of one deployment are parsed together so that call activities resolve across them. Every problem is a
`Problem` with the file, the element (id and type), the line and, for code, the line inside it; nothing is
stored unless all files pass. What SpiffWorkflow cannot parse is found before it sees the files (checks.py), what
it still says is put in our words (library_texts.py).
"""
import re
from dataclasses import dataclass, field, replace

from flask_babel import lazy_gettext as _l
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from . import checks
from .bundle_forms import form_file_parts, form_in, read_forms
from .code_checks import check_code, removed_fields_read
from .library_texts import parser_message, schema_message, xml_syntax_detail
from .messages import adopt
from .problems import BPMN_NS, Problem, at

# No entity expansion, no network, no DTD: XXE and entity bombs are refused before SpiffWorkflow sees the file.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Startable:
    bpmn_id: str
    name: str
    kind: str  # "process" or "collaboration"
    spec: object
    subprocess_specs: dict
    forms: dict = field(default_factory=dict)  # the forms deployed with it (bundle_forms), by key

    def form(self, key: str):
        """The form `key` as this version has it (bundle_forms.form_in)."""
        return form_in(self.forms, key)


@dataclass
class ParsedBundle:
    startables: dict[str, Startable] = field(default_factory=dict)
    forms: dict = field(default_factory=dict)  # {key: FormDefinition} of the forms deployed with the processes

    def get(self, bpmn_id: str) -> Startable | None:
        return self.startables.get(bpmn_id)


def parse_bundle(files: list[tuple[str, bytes]], max_bytes: int,
                 known: checks.Known | None = None) -> tuple[ParsedBundle, list[Problem]]:
    """Parse and check `files` (name, content). Returns the bundle and the problems found (empty when valid).
    With `known` (a new deployment) the deploy rules and the references to forms and roles are checked too;
    without, a deployed version is read again as it was accepted."""
    bundle_forms, errors = read_forms(files, max_bytes)
    trees = {}
    for name, content in files:
        if form_file_parts(name) is not None:
            continue
        tree, problem = _read_xml(name, content, max_bytes)
        if problem:
            errors.append(problem)
        else:
            trees[name] = tree
    if errors:
        return ParsedBundle(), errors

    parser = SpiffBpmnParser(validator=VALIDATOR)
    errors.extend(checks.structure(trees, lambda tag: parser._get_parser_class(tag)[0] is not None))
    if errors:  # the library would stumble on these and say something else
        return ParsedBundle(), errors
    # A deploy rule broken does not keep the library from parsing: both are reported together.
    if known is not None:
        known = replace(known, bundle_forms=frozenset(bundle_forms))
    rules = checks.for_deploy(trees, known) if known is not None else []
    renamed = _rename_reserved_ids(trees)
    for name, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            errors.append(_validation_problem(exc, name, trees, renamed))
        except RecursionError:
            errors.append(Problem(_l("the diagram is nested or chained too deeply to be parsed"), name))
    if errors:
        return ParsedBundle(), rules + errors

    bundle = ParsedBundle(forms=bundle_forms)
    executable = [pid for pid in parser.get_process_ids() if parser.get_process_parser(pid).process_executable]
    if not executable:
        errors.append(Problem(_l("no executable process found (set isExecutable=\"true\" on the process)")))
    errors.extend(_unresolved_calls(parser, trees, executable))
    if errors:
        return ParsedBundle(), rules + errors
    for pid in executable:
        process_parser = parser.get_process_parser(pid)
        spec_pair = _specs(lambda pid=pid: (parser.get_spec(pid), parser.get_subprocess_specs(pid)),
                           process_parser.filename, errors, trees, renamed)
        if spec_pair:
            bundle.startables[pid] = Startable(pid, process_parser.get_name(), "process", *spec_pair, bundle_forms)
    for cid in getattr(parser, "collaborations", {}):
        spec_pair = _specs(lambda cid=cid: parser.get_collaboration(cid), None, errors, trees, renamed)
        if spec_pair:
            bundle.startables[cid] = Startable(cid, _collaboration_name(trees, cid), "collaboration", *spec_pair,
                                               bundle_forms)
    if errors:
        return ParsedBundle(), rules + errors
    _restore_reserved_ids(bundle, renamed)
    _quote_iso_timers(bundle)

    # a script refused for its language (or for being elsewhere) is not compiled as Python as well
    refused_scripts = {p.element for p in rules if p.element_type == "scriptTask"}
    errors = rules + check_code(bundle, trees, renamed, refused_scripts)
    if known is not None and known.former_form is not None:
        errors += removed_fields_read(bundle, trees, renamed, known.former_form)
    for startable in bundle.startables.values():
        for spec in [startable.spec, *startable.subprocess_specs.values()]:
            if spec is not None:
                _prepare(spec)
    return (ParsedBundle() if errors else bundle), errors


# SpiffWorkflow keys a process's task specs by element id and adds its own "Start" and "End" specs to every
# process: an element with one of those ids (a hand-written `<startEvent id="Start"/>`) silently replaces them and
# the process cannot start. Such elements get another id for the parser and their own back as `bpmn_id`.
_RESERVED_IDS = ("Start", "End")
_REF_TEXT = ("incoming", "outgoing")


def _rename_reserved_ids(trees) -> dict[str, str]:
    """Rename reserved ids and every reference to them in each document; returns {new id: original id}."""
    taken = {value for root in trees.values() for value in root.xpath("//@id")}
    renamed = {}
    for root in trees.values():
        mapping = {}
        for old in _RESERVED_IDS:
            if root.xpath("//*[@id=$id]", id=old):
                new = f"{old}_gia"
                while new in taken:
                    new += "_"
                taken.add(new)
                mapping[old], renamed[new] = new, old
        if not mapping:
            continue
        for node in root.iter():
            if not isinstance(node.tag, str):
                continue
            for attr, value in node.attrib.items():
                if attr != "name" and value in mapping:
                    node.set(attr, mapping[value])
            local = etree.QName(node).localname
            if (local.endswith("Ref") or local in _REF_TEXT) and node.text and node.text.strip() in mapping:
                node.text = mapping[node.text.strip()]
    return renamed


def _restore_reserved_ids(bundle, renamed) -> None:
    if not renamed:
        return
    for startable in bundle.startables.values():
        for spec in [startable.spec, *startable.subprocess_specs.values()]:
            for task_spec in (spec.task_specs.values() if spec is not None else ()):
                if getattr(task_spec, "bpmn_id", None) in renamed:
                    task_spec.bpmn_id = renamed[task_spec.bpmn_id]


# SpiffWorkflow evaluates a timer's text as an expression, so SpiffArena diagrams write "PT1H" with quotes;
# BPMN 2.0 (bpmn.io, Camunda) writes the ISO-8601 value itself: PT1H, 2030-03-01T09:00:00Z, R3/PT10M.
_ISO_TIMER = re.compile(r"(R\d*/\S+|P(\d|T\d)[\dYMWDTHS.,]*|\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-]\d{2}(:?\d{2})?)?)")


def _quote_iso_timers(bundle) -> None:
    """Read a timer written as a bare ISO-8601 value as that value (a string), not as Python."""
    for startable in bundle.startables.values():
        for spec in [startable.spec, *startable.subprocess_specs.values()]:
            for task_spec in (spec.task_specs.values() if spec is not None else ()):
                definition = getattr(task_spec, "event_definition", None)
                for inner in [definition, *(getattr(definition, "event_definitions", None) or [])]:
                    expression = getattr(inner, "expression", None)
                    if isinstance(inner, TimerEventDefinition) and isinstance(expression, str) \
                            and _ISO_TIMER.fullmatch(expression.strip()):
                        inner.expression = repr(expression.strip())


def _prepare(spec) -> None:
    """Make a freshly parsed spec behave like one SpiffWorkflow restores from JSON.

    A loop or multi-instance task learns that a child finished through an event handler that the library
    connects when it creates the first child, or when it rebuilds a spec from JSON, but not when it parses
    BPMN. An instance restored in a new process onto a parsed spec would wait forever for its children."""
    # A collaboration's participant that a message starts is connected to the start only when triggered: that
    # changes the shared spec at run time and is not saved with the instance, so after a restore onto a freshly
    # parsed spec the running participant had no input ("No input task connected"). Connect it once, from the
    # participant's side only, so that the start does not run it and triggering finds nothing to change.
    start = getattr(spec, "start", None)
    for name in getattr(start, "trigger_specs", None) or []:
        participant = spec.task_specs.get(name)
        if participant is not None and start not in participant.inputs:
            participant._connect_notify(start)
            participant.connect(spec.end)
    for task_spec in spec.task_specs.values():
        adopt(getattr(task_spec, "event_definition", None))
        if isinstance(task_spec, LoopTask):
            child = spec.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


def _read_xml(name, content, max_bytes):
    if len(content) > max_bytes:
        return None, Problem(_l("the file is larger than %(size)s KB", size=max_bytes // 1024), name)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None, Problem(_l("not a UTF-8 text file (BPMN files are XML in UTF-8)"), name)
    try:
        tree = etree.fromstring(content, parser=_XML_PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or None
        # lxml ends its text with ", line 5, column 16 (<string>, line 5)": the line is the Problem's own
        detail = re.sub(r",?\s*line \d+, column \d+\s*(\(<string>, line \d+\))?$", "",
                        " ".join(str(exc).split())).strip()
        return None, Problem(_l("not well-formed XML: %(detail)s", detail=xml_syntax_detail(detail)), name,
                             line=line)
    except ValueError as exc:
        return None, Problem(_l("not XML: %(detail)s", detail=str(exc)), name)
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, Problem(_l("a DOCTYPE or entity declaration is not allowed in BPMN"), name)
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return None, Problem(_l("not a BPMN 2.0 file (the root element is %(tag)s, expected bpmn:definitions)",
                                tag=repr(root.tag)), name)
    return root, None


def _validation_problem(exc: ValidationException, default_file: str, trees, renamed=None) -> Problem:
    """A ValidationException of SpiffWorkflow (or of the XSD check it runs) as a Problem at its element, named by
    the id the designer gave it (not the one _rename_reserved_ids gave it for the parser)."""
    problem = _library_problem(exc, default_file, trees)
    if problem.element in (renamed or {}):
        return replace(problem, element=renamed[problem.element])
    return problem


def _library_problem(exc: ValidationException, default_file: str, trees) -> Problem:
    where = exc.file_name or default_file
    if isinstance(exc.__context__, RecursionError):  # the library wraps it as "RecursionError(...)"
        return Problem(_TOO_DEEP, where)
    text = str(exc.args[0]) if exc.args else str(exc)
    line = getattr(exc, "line_number", None) or None
    element = getattr(exc, "id", None) or None
    node = _node(trees.get(where), element, line)
    # libxml2's schema errors start with the element they are about; SpiffWorkflow's are sentences
    from_schema = not element and text.startswith(("Element '", "No matching global"))
    message = schema_message(text) if from_schema else parser_message(text)
    if node is not None:
        return at(node, where, message)
    tag = (getattr(exc, "tag", "") or "").split(":")[-1] or None
    return Problem(message, where, element, tag, line if isinstance(line, int) else None)


def _node(root, element, line):
    """The element a library error is about: by its id, else the first element that starts on `line`."""
    if root is None:
        return None
    if element:
        found = root.xpath("//*[@id=$id]", id=element)
        return found[0] if found else None
    if isinstance(line, int):
        return next((n for n in root.iter() if isinstance(n.tag, str) and n.sourceline == line), None)
    return None


def _specs(get, filename, errors, trees, renamed):
    try:
        return get()
    except ValidationException as exc:
        errors.append(_validation_problem(exc, filename, trees, renamed))
    except RecursionError:
        errors.append(Problem(_TOO_DEEP, filename))
    except KeyError as exc:
        errors.append(Problem(_l("reference to an unknown element «%(ref)s»", ref=str(exc.args[0]) if exc.args
                                 else ""), filename))
    return None


_TOO_DEEP = _l("the process is chained too deeply to be parsed (split long chains into subprocesses)")


def _unresolved_calls(parser, trees, executable) -> list[Problem]:
    """Call activities of the executable processes (and of the processes they call) whose calledElement is not a
    process of this deployment. The library reports these without the call activity; we name it and its line."""
    known = set(parser.process_parsers)
    processes = {node.get("id"): (name, node) for name, root in trees.items()
                 for node in root.iter(f"{{{BPMN_NS}}}process")}
    errors, todo, done = [], list(executable), set()
    while todo:
        pid = todo.pop()
        if pid in done or pid not in processes:
            continue
        done.add(pid)
        name, node = processes[pid]
        for call in node.iter(f"{{{BPMN_NS}}}callActivity"):
            target = call.get("calledElement")
            if not target:
                errors.append(at(call, name, _l("the call activity does not name the process to call "
                                                "(calledElement)")))
            elif target not in known:
                errors.append(at(call, name, _l("the called process «%(target)s» is not in the files deployed "
                                                "together (processes found: %(found)s)", target=target,
                                                found=", ".join(sorted(processes)) or "—")))
            else:
                todo.append(target)
    return errors


def _collaboration_name(trees, cid) -> str:
    for root in trees.values():
        for node in root.iter(f"{{{BPMN_NS}}}collaboration"):
            if node.get("id") == cid:
                return node.get("name") or cid
    return cid
