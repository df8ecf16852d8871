"""Checks of the BPMN files before SpiffWorkflow parses them: what the library would refuse with a misleading text
(an unsupported complex gateway, a flow into nowhere, an id used twice, a messageRef to nothing), what it would
accept and then fail on or ignore at run time (a flow from nowhere, a script task with no Python script, a
boundary event attached to nothing), and the references of our own extensions (a task's form and role).

`structure` finds what the library cannot parse: it runs on every parse, so that its texts never reach a designer.
`for_deploy` refuses what a new version must not carry; a deployed version is parsed again without it, so that a
form or role removed since does not keep its running instances from loading."""
from dataclasses import dataclass
from typing import Callable

from flask_babel import lazy_gettext as _l

from .problems import BPMN_NS, Problem, at, localname, type_name

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
_CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
FLOW_NODES = frozenset((
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask", "businessRuleTask",
    "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "implicitThrowEvent", "exclusiveGateway",
    "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"))
_ACTIVITIES = FLOW_NODES - {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                            "boundaryEvent", "implicitThrowEvent", "exclusiveGateway", "inclusiveGateway",
                            "parallelGateway", "eventBasedGateway", "complexGateway"}
# The script formats the engine runs: Python in the sandbox. No format at all means the engine's own language.
PYTHON_FORMATS = frozenset(("", "python", "python3", "text/python", "text/x-python", "application/x-python"))


@dataclass(frozen=True)
class Known:
    """What a new version's extensions may refer to: the forms of forms/definitions and of the version itself, a
    test for a role, and the form each of the version's forms replaces (code_checks.removed_fields_read)."""
    forms: frozenset
    is_role: Callable[[str], bool]
    former_form: Callable | None = None
    bundle_forms: frozenset = frozenset()

    def has_form(self, key: str) -> bool:
        return key in self.forms or key in self.bundle_forms


def _bpmn(root, local):
    return root.iter(f"{{{BPMN_NS}}}{local}")


def _children(container):
    return [node for node in container if isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_NS}}}")]


def _containers(root):
    for local in _CONTAINERS:
        yield from _bpmn(root, local)


def structure(trees: dict, supported: Callable[[str], bool]) -> list[Problem]:
    """What SpiffWorkflow cannot parse, in our words. `supported(tag)` tells whether it has a parser for a tag."""
    problems = []
    for name, root in trees.items():
        problems += _duplicate_ids(name, root)
        for node in root.iter():
            local = localname(node)
            if local in FLOW_NODES and node.tag == f"{{{BPMN_NS}}}{local}" and not supported(node.tag):
                problems.append(at(node, name, _unsupported(local)))
        messages = {m.get("id") for m in _bpmn(root, "message")}
        for node in root.iter():
            ref = node.get("messageRef")
            if ref and localname(node) != "messageFlow" and ref not in messages:
                owner = _owner(node)
                problems.append(at(owner, name, _l("the message «%(ref)s» it names (messageRef) is not defined in "
                                                   "this file: add it as a message of the diagram", ref=ref)))
        for container in _containers(root):
            nodes = {n.get("id") for n in _children(container) if localname(n) in FLOW_NODES}
            for flow in (n for n in _children(container) if localname(n) == "sequenceFlow"):
                target = flow.get("targetRef")
                if not flow.get("sourceRef"):
                    problems.append(at(flow, name, _l("the sequence flow has no source (sourceRef): connect its "
                                                      "start to an element")))
                if not target:
                    problems.append(at(flow, name, _l("the sequence flow has no target (targetRef): connect its end "
                                                      "to an element")))
                elif target not in nodes:
                    problems.append(at(flow, name, _l("the sequence flow leads to «%(ref)s», which is not an "
                                                      "element of this process", ref=target)))
    return problems


def _unsupported(local):
    if local == "complexGateway":
        return _l("the engine does not run complex gateways: use an exclusive, inclusive or parallel gateway")
    return _l("the engine does not run elements of the type «%(type)s»: replace it with one it runs",
              type=type_name(local))


def _owner(node):
    """The flow node or message element a definition belongs to (a messageEventDefinition → its event)."""
    while node is not None and localname(node).endswith("EventDefinition"):
        node = node.getparent()
    return node


def _duplicate_ids(name, root) -> list[Problem]:
    first, problems = {}, []
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        earlier = first.setdefault(node.get("id"), node)
        if earlier is not node:
            problems.append(at(node, name, _l("the id «%(id)s» is used twice in this file (also by the %(type)s on "
                                              "line %(line)s): give each element its own id",
                                              id=node.get("id"), type=type_name(localname(earlier)),
                                              line=earlier.sourceline)))
    return problems


def for_deploy(trees: dict, known: Known) -> list[Problem]:
    """What a new version must not carry though the library would take it."""
    problems = []
    for name, root in trees.items():
        for container in _containers(root):
            children = _children(container)
            nodes = {n.get("id"): n for n in children if localname(n) in FLOW_NODES}
            flows = [n for n in children if localname(n) == "sequenceFlow"]
            for flow in flows:
                source = flow.get("sourceRef")
                if source and source not in nodes:
                    problems.append(at(flow, name, _l("the sequence flow starts at «%(ref)s», which is not an "
                                                      "element of this process", ref=source)))
            for node in nodes.values():
                problems += _node_problems(name, node, nodes, flows)
        for node in root.iter():
            if localname(node) == "messageEventDefinition" and not node.get("messageRef"):
                problems.append(at(_owner(node), name, _l("the message event names no message (messageRef): "
                                                          "choose the message it sends or waits for")))
        problems += _references(name, root, known)
    return problems


def _node_problems(name, node, nodes, flows) -> list[Problem]:
    local, problems = localname(node), []
    if local == "boundaryEvent":
        attached = node.get("attachedToRef")
        if not attached or localname(nodes.get(attached, node)) not in _ACTIVITIES:
            problems.append(at(node, name, _l("the boundary event is not attached to a task or subprocess of this "
                                              "process (attachedToRef «%(ref)s»)", ref=attached or "")))
    default = node.get("default")
    if default and not any(f.get("id") == default and f.get("sourceRef") == node.get("id") for f in flows):
        problems.append(at(node, name, _l("its default flow «%(ref)s» is not a sequence flow leaving it",
                                          ref=default)))
    if local == "scriptTask":
        problems += _script_problems(name, node)
    return problems


def _script_problems(name, node) -> list[Problem]:
    script_format = (node.get("scriptFormat") or "").strip()
    resource = next((value for attr, value in node.attrib.items() if localname_of(attr) == "resource"), None)
    scripts = [s for s in _children(node) if localname(s) == "script"]
    if resource:
        return [at(node, name, _l("the script is an external resource («%(resource)s»): the engine runs only a "
                                  "script written inside the task", resource=resource))]
    if script_format.casefold() not in PYTHON_FORMATS:
        return [at(node, name, _l("the script is written in «%(format)s»: the engine runs Python scripts only",
                                  format=script_format))]
    if not scripts or not (scripts[0].text or "").strip():
        return [at(node, name, _l("the script task has no script: write its Python code inside the task"))]
    return []


def localname_of(attr: str) -> str:
    return attr.rsplit("}", 1)[-1]


def _references(name, root, known: Known) -> list[Problem]:
    problems = []
    for prop in root.iter(f"{{{SPIFF_NS}}}property"):
        key, value = prop.get("name"), (prop.get("value") or "").strip()
        owner = _property_owner(prop)
        if key == "form" and not known.has_form(value):
            problems.append(at(owner, name, _l("the form «%(form)s» is not among the forms (forms/definitions): "
                                               "choose one that exists", form=value)))
        elif key == "role" and not known.is_role(value):
            problems.append(at(owner, name, _l("the role «%(role)s» is not in the role catalogue "
                                               "(processes/roles.json) and nobody holds it", role=value)))
    return problems


def _property_owner(prop):
    node = prop
    while node.getparent() is not None and localname(node) in ("property", "properties", "extensionElements"):
        node = node.getparent()
    return node
