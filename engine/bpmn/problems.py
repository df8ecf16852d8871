"""A problem deploy refuses a BPMN bundle for, located where a designer can act on it: the file, the element (its id
and BPMN type), the line of the file and, inside a script or expression, the line of the code. The modeller puts
it as a marker on the element; the CLI, the API and InvalidDefinition give its text."""
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

# The element types as the modeller's Russian names them (webui/frontend/translations-ru.js), in lower case: they
# stand inside a sentence ("bad.bpmn, задача-скрипт «n1», строка 5: ...").
TYPE_NAMES = {
    "process": _l("process"), "collaboration": _l("collaboration"), "participant": _l("participant"),
    "lane": _l("lane"), "startEvent": _l("start event"), "endEvent": _l("end event"),
    "intermediateCatchEvent": _l("intermediate catch event"), "intermediateThrowEvent": _l("intermediate throw event"),
    "boundaryEvent": _l("boundary event"), "task": _l("task"), "userTask": _l("user task"),
    "manualTask": _l("manual task"), "scriptTask": _l("script task"), "serviceTask": _l("service task"),
    "sendTask": _l("send task"), "receiveTask": _l("receive task"), "businessRuleTask": _l("business rule task"),
    "subProcess": _l("subprocess"), "transaction": _l("transaction"), "adHocSubProcess": _l("ad hoc subprocess"),
    "callActivity": _l("call activity"), "exclusiveGateway": _l("exclusive gateway"),
    "inclusiveGateway": _l("inclusive gateway"), "parallelGateway": _l("parallel gateway"),
    "eventBasedGateway": _l("event-based gateway"), "complexGateway": _l("complex gateway"),
    "sequenceFlow": _l("sequence flow"), "messageFlow": _l("message flow"), "message": _l("message"),
    "signal": _l("signal"), "error": _l("error"), "escalation": _l("escalation"),
    "definitions": _l("definitions"), "dataObjectReference": _l("data object"),
    "dataStoreReference": _l("data store"), "textAnnotation": _l("text annotation"),
    "association": _l("association"), "timerEventDefinition": _l("timer"), "messageEventDefinition": _l("message"),
    "signalEventDefinition": _l("signal"), "errorEventDefinition": _l("error"),
    "terminateEventDefinition": _l("termination"), "escalationEventDefinition": _l("escalation"),
    "conditionalEventDefinition": _l("condition"), "correlationProperty": _l("correlation property"),
    "correlationKey": _l("correlation key"),
}


def capitalized(words) -> str:
    text = str(words)
    return text[:1].upper() + text[1:]


def type_name(element_type: str | None):
    """The Russian name of a BPMN type ("scriptTask" → «задача-скрипт»); an unknown one as the file spells it."""
    if not element_type:
        return None
    return TYPE_NAMES.get(element_type, element_type)


@dataclass(frozen=True)
class Problem:
    message: str  # the sentence a designer reads (translated), without the location
    file: str | None = None
    element: str | None = None  # the element's id, as in the file
    element_type: str | None = None  # its BPMN type as the file names it, e.g. "scriptTask"
    line: int | None = None  # of the file
    code_line: int | None = None  # inside the element's script or expression

    def location(self) -> str:
        parts = [self.file] if self.file else []
        if self.element:
            named = type_name(self.element_type)
            parts.append(f"{named} «{self.element}»" if named else f"«{self.element}»")
        elif self.element_type:
            parts.append(str(type_name(self.element_type)))
        if self.line:
            parts.append(str(_l("line %(number)s", number=self.line)))
        return ", ".join(parts)

    def __str__(self) -> str:
        """"file, element, line: message (line N of the code)": the modeller's list reads the same, from the
        fields (webui/frontend/problem-markers.js)."""
        where = self.location()
        text = f"{where}: {self.message}" if where else str(self.message)
        if self.code_line:
            text += " " + str(_l("(line %(line)s of the code)", line=self.code_line))
        return text

    def as_dict(self) -> dict:
        return {"text": str(self), "message": str(self.message), "file": self.file, "element": self.element,
                "element_type": self.element_type, "line": self.line, "code_line": self.code_line}


def localname(node) -> str:
    tag = node.tag if isinstance(node.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def at(node, file: str | None, message, code_line: int | None = None) -> Problem:
    """A problem located at an lxml element of `file`: its id, type and line."""
    return Problem(message, file, node.get("id") or None, localname(node) or None, node.sourceline or None,
                   code_line)
