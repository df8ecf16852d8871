"""Turning uploaded BPMN files into executable specs, refusing anything unsafe or broken with a precise reason.

Files of one deployment are parsed together so that call activities resolve across them. Every problem is
reported with the file, the element id and the line, and nothing is stored unless all files pass.
"""
import re
from dataclasses import dataclass, field

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from ..sandbox import compile_errors
from .expressions import code_of
from .messages import adopt

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# No entity expansion, no network, no DTD: XXE and entity bombs are refused before SpiffWorkflow sees the file.
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Startable:
    bpmn_id: str
    name: str
    kind: str  # "process" or "collaboration"
    spec: object
    subprocess_specs: dict


@dataclass
class ParsedBundle:
    startables: dict[str, Startable] = field(default_factory=dict)

    def get(self, bpmn_id: str) -> Startable | None:
        return self.startables.get(bpmn_id)


def parse_bundle(files: list[tuple[str, bytes]], max_bytes: int) -> tuple[ParsedBundle, list[str]]:
    """Parse and check `files` (name, content). Returns the bundle and the problems found (empty when valid)."""
    errors: list[str] = []
    trees = {}
    for name, content in files:
        tree, problem = _read_xml(name, content, max_bytes)
        if problem:
            errors.append(problem)
        else:
            trees[name] = tree
    if errors:
        return ParsedBundle(), errors

    renamed = _rename_reserved_ids(trees)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for name, tree in trees.items():
        try:
            parser.add_bpmn_xml(tree, filename=name)
        except ValidationException as exc:
            errors.append(_validation_message(exc, name))
        except RecursionError:
            errors.append(f"{name}: the diagram is nested or chained too deeply to be parsed")
    if errors:
        return ParsedBundle(), errors

    bundle = ParsedBundle()
    executable = [pid for pid in parser.get_process_ids() if parser.get_process_parser(pid).process_executable]
    if not executable:
        errors.append("no executable process found (set isExecutable=\"true\" on the process)")
    errors.extend(_unresolved_calls(parser, trees, executable))
    if errors:
        return ParsedBundle(), errors
    for pid in executable:
        process_parser = parser.get_process_parser(pid)
        spec_pair = _specs(lambda pid=pid: (parser.get_spec(pid), parser.get_subprocess_specs(pid)),
                           process_parser.filename, errors)
        if spec_pair:
            bundle.startables[pid] = Startable(pid, process_parser.get_name(), "process", *spec_pair)
    for cid in getattr(parser, "collaborations", {}):
        spec_pair = _specs(lambda cid=cid: parser.get_collaboration(cid), None, errors)
        if spec_pair:
            bundle.startables[cid] = Startable(cid, _collaboration_name(trees, cid), "collaboration", *spec_pair)
    if errors:
        return ParsedBundle(), errors
    _restore_reserved_ids(bundle, renamed)
    _quote_iso_timers(bundle)

    errors.extend(_check_code(bundle, trees, renamed))
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
        return None, f"{name}: the file is larger than {max_bytes // 1024} KB"
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None, f"{name}: not a UTF-8 text file (BPMN files are XML in UTF-8)"
    try:
        tree = etree.fromstring(content, parser=_XML_PARSER).getroottree()
    except etree.XMLSyntaxError as exc:
        return None, f"{name}: not well-formed XML: {exc}"
    except ValueError as exc:
        return None, f"{name}: not XML: {exc}"
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        return None, f"{name}: a DOCTYPE or entity declaration is not allowed in BPMN"
    root = tree.getroot()
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return None, f"{name}: not a BPMN 2.0 file (the root element is {root.tag!r}, expected bpmn:definitions)"
    return root, None


def _validation_message(exc: ValidationException, default_file: str) -> str:
    where = exc.file_name or default_file
    if isinstance(exc.__context__, RecursionError):  # the library wraps it as "RecursionError(...)"
        return f"{where}: {_TOO_DEEP}"
    parts = [where]
    if getattr(exc, "id", None):
        parts.append(f"element {exc.id!r}")
    if getattr(exc, "line_number", None):
        parts.append(f"line {exc.line_number}")
    message = str(getattr(exc, "error_msg", None) or exc).split("\n")[0]
    return f"{', '.join(parts)}: {message}"


def _specs(get, filename, errors):
    try:
        return get()
    except ValidationException as exc:
        errors.append(_validation_message(exc, filename or "bundle"))
    except RecursionError:
        errors.append(f"{filename or 'bundle'}: {_TOO_DEEP}")
    except KeyError as exc:
        errors.append(f"{filename or 'bundle'}: reference to an unknown element {exc}")
    return None


_TOO_DEEP = "the process is chained too deeply to be parsed (split long chains into subprocesses)"


def _unresolved_calls(parser, trees, executable) -> list[str]:
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
            where = f"{name}, element {call.get('id')!r}, line {call.sourceline}"
            if not target:
                errors.append(f"{where}: the call activity does not name the process to call (calledElement)")
            elif target not in known:
                errors.append(f"{where}: the called process {target!r} is not in the files deployed together "
                              f"(processes found: {', '.join(sorted(processes)) or 'none'})")
            else:
                todo.append(target)
    return errors


def _collaboration_name(trees, cid) -> str:
    for root in trees.values():
        for node in root.iter(f"{{{BPMN_NS}}}collaboration"):
            if node.get("id") == cid:
                return node.get("name") or cid
    return cid


def _check_code(bundle: ParsedBundle, trees, renamed) -> list[str]:
    errors, seen = [], set()
    for startable in bundle.startables.values():
        for spec in [startable.spec, *startable.subprocess_specs.values()]:
            if spec is None:
                continue
            for code in code_of(spec):
                key = (code.bpmn_id, code.what, code.source)
                if key in seen:
                    continue
                seen.add(key)
                for problem in compile_errors(code.source, code.mode):
                    errors.append(f"{_locate(trees, code.bpmn_id, renamed, spec.file)}: {code.what}: {problem}")
    return errors


def _locate(trees, bpmn_id, renamed=None, filename=None) -> str:
    ids = [bpmn_id, *(new for new, old in (renamed or {}).items() if old == bpmn_id)]
    # Element ids are unique within a file only: look in the file that defines the process first.
    for name, root in sorted(trees.items(), key=lambda item: item[0] != filename):
        found = [node for i in ids for node in root.xpath("//*[@id=$id]", id=i)]
        if found:
            return f"{name}, element {bpmn_id!r}, line {found[0].sourceline}"
    return f"element {bpmn_id!r}"
