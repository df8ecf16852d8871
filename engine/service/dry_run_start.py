"""What a dry run (engine.service.dry_run) assumes and looks at: the data a process starts with, and the elements
of the diagram the report speaks of.

The start data is what the plan would give (engine.plan.running.start_data): an item of the stored plan that runs
this process, or else its entry in processes/plan/items.json with a window from today to two weeks on, or else
nothing but the unit. The unit is the first one of the item's scope in the directory (a school when the process
is not in the plan), or an invented one when the directory has none of that kind. `$schools` and `$ppe` become
the directory's first three schools / PPE.
"""
import json
import random
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from lxml import etree
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import select

import forms
from forms.sample import sample_data
from ..bpmn.properties import task_properties

from ..db import db
from ..models import PlanItem, Unit

WINDOW_DAYS = 14
SAMPLE_UNITS = 3
SCOPE_KINDS = {"department": "department", "schools": "school", "ppe": "ppe"}
DEFAULT_LEAD = {"department": "iao_specialist", "schools": "school_head", "ppe": "school_head"}

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess", "startEvent",
              "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway",
              "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def start_data(bpmn_id: str, today: date) -> tuple[dict, str, str]:
    """(the data the process starts with, its unit's code, where they come from: "plan", "items" or "none")."""
    item = db.session.scalars(select(PlanItem).where(PlanItem.process_id == bpmn_id)
                              .order_by(PlanItem.id.desc()).limit(1)).first()
    if item is not None:  # as engine.plan.running.start_data gives it (the services do not import the plan)
        plan_item = {"number": item.number, "title": item.title, "section": item.section}
        window = (item.starts or today, item.due or today + timedelta(days=WINDOW_DAYS))
        data = _plan_data(plan_item, item.scope, item.lead_role, item.params, window)
        return data, data["gia_unit"]["code"], "plan"
    entry = _items_entry(bpmn_id)
    if entry is None:
        unit = _unit_of("schools")
        return {"gia_unit": _as_data(unit)}, _code(unit), "none"
    scope = entry.get("scope", "department")
    lead = entry.get("lead") or DEFAULT_LEAD.get(scope, "iao_specialist")
    plan_item = {"number": "0.0", "title": "Пробный прогон", "section": 0}
    data = _plan_data(plan_item, scope, lead, entry.get("params"), (today, today + timedelta(days=WINDOW_DAYS)))
    return data, data["gia_unit"]["code"], "items"


def _plan_data(plan_item: dict, scope: str, lead: str, params: dict | None, window: tuple[date, date]) -> dict:
    starts, due = window[0].isoformat(), window[1].isoformat()
    params = {key: _param(value, starts, due) for key, value in (params or {}).items()}
    return {**{k: v for k, v in params.items() if not isinstance(v, list)},
            "plan_item": plan_item, "starts": starts, "due": due, "lead_role": lead,
            "escalate_to": _escalates_to().get(lead), "params": params, "gia_unit": _as_data(_unit_of(scope))}


def _escalates_to() -> dict[str, str]:
    """Who a late task escalates to first, by role (`escalates_to` in processes/roles.json)."""
    path = Path(current_app.config["PROCESSES_DIR"]) / "roles.json"
    return {role["code"]: role["escalates_to"] for role in json.loads(path.read_text(encoding="utf-8"))["roles"]
            if role.get("escalates_to")}


class EveryName(frozenset):
    """Every form name is one: the dry run parses a diagram whose form is missing and reports it at its task."""

    def __contains__(self, name) -> bool:
        return True


def start_form_sample(startable, data: dict, today, units) -> dict:
    """Data generated from the start event's form, if it has one (a process a person starts with a form)."""
    for spec in startable.spec.task_specs.values():
        key = task_properties(spec).get("form") if isinstance(spec, StartEvent) else None
        if not key:
            continue
        try:
            definition = startable.form(key)
        except forms.FormDefinitionError:
            return {}
        sample = sample_data(definition, random.Random(f"start:{key}"), today=today, context=data,
                             file_ref={"attachment_id": 0}, units=units)
        return {definition.variable: sample} if definition.variable else sample
    return {}


def sample_units() -> dict[str, list[str]]:
    """Unit codes by kind, for a form's unit fields."""
    found: dict[str, list[str]] = {}
    for kind, code in db.session.execute(select(Unit.kind, Unit.code).order_by(Unit.id)):
        found.setdefault(kind, []).append(code)
    return found


def _items_entry(bpmn_id: str) -> dict | None:
    path = Path(current_app.config["PROCESSES_DIR"]) / "plan" / "items.json"
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return next((entry for key, entry in items.items()
                 if not key.startswith("_") and isinstance(entry, dict) and entry.get("process") == bpmn_id), None)


def _param(value, starts: str, due: str):
    if value == "$schools":
        return [{"code": u.code, "name": u.name} for u in _units("school")] or [_invented("school")]
    if value == "$ppe":
        return [{"code": u.code, "name": u.name, "schools": [u.host.code] if u.host else [],
                 "rooms": (u.attrs or {}).get("auditoriums") or 0} for u in _units("ppe")] or [_invented("ppe")]
    return {"$starts": starts, "$due": due}.get(value, value) if isinstance(value, str) else value


def _units(kind: str) -> list[Unit]:
    return list(db.session.scalars(select(Unit).where(Unit.kind == kind).order_by(Unit.id).limit(SAMPLE_UNITS)))


def _unit_of(scope: str) -> Unit | dict:
    found = _units(SCOPE_KINDS.get(scope, "school"))
    return found[0] if found else _invented(SCOPE_KINDS.get(scope, "school"))


def _invented(kind: str) -> dict:
    return {"code": f"dry-run-{kind}", "name": "Пробная организация", "kind": kind}


def _as_data(unit) -> dict:
    return unit.as_data() if isinstance(unit, Unit) else dict(unit)


def _code(unit) -> str:
    return unit.code if isinstance(unit, Unit) else unit["code"]


def diagram_elements(xml: str) -> tuple[list[str], dict[str, tuple[str, str]], dict[str, str]]:
    """The flow nodes of the diagram's processes (ids, document order), its sequence flows {id: (source,
    target)} and each element's kind {id: BPMN tag}: what the report marks as reached or not."""
    root = etree.fromstring(xml.encode("utf-8"), _SAFE)
    nodes, flows, kinds = [], {}, {}
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for element in process.iter():
            if not isinstance(element.tag, str) or not element.tag.startswith(f"{{{BPMN_NS}}}"):
                continue
            tag, element_id = etree.QName(element).localname, element.get("id")
            if not element_id:
                continue
            if tag in FLOW_NODES:
                nodes.append(element_id)
                kinds[element_id] = tag
            elif tag == "sequenceFlow":
                flows[element_id] = (element.get("sourceRef"), element.get("targetRef"))
                kinds[element_id] = tag
    return nodes, flows, kinds


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def message_payloads(files: list[tuple[str, bytes]]) -> dict[str, str]:
    """{message name: the payload expression of a throw of it} in the bundle's files: what the sender (another
    process, another instance) would put in a message the dry run hands to a catch."""
    found = {}
    for _, content in files:
        try:
            root = etree.fromstring(content, _SAFE)
        except etree.XMLSyntaxError:
            continue
        names = {m.get("id"): m.get("name") for m in root.iter(f"{{{BPMN_NS}}}message")}
        for definition in root.iter(f"{{{BPMN_NS}}}messageEventDefinition", f"{{{BPMN_NS}}}sendTask"):
            payload = definition.find(f".//{{{SPIFF_NS}}}messagePayload")
            name = names.get(definition.get("messageRef"))
            if name and payload is not None and payload.text and name not in found:
                found[name] = payload.text.strip()
    return found


class SampleRecord(dict):
    """A value of a message the dry run cannot know (what another instance computed): any key read from it gives a
    sample by the key's name, a date for *_on/*_due/date, 0 for *_days/count, a text for code/name/title, and
    otherwise another such record."""

    def __init__(self, today: str, unit_code: str, *args):
        super().__init__(*args)
        self.today, self.unit_code = today, unit_code

    def __missing__(self, key):
        return sample_value(str(key), self.today, self.unit_code)

    def __deepcopy__(self, memo):
        import copy
        return SampleRecord(self.today, self.unit_code, {k: copy.deepcopy(v, memo) for k, v in self.items()})


def sample_value(key: str, today: str, unit_code: str):
    lowered = key.lower()
    if lowered.endswith(("_on", "_due", "date", "_at", "day", "starts", "ends")) or lowered == "due":
        return today
    if lowered.endswith(("days", "count", "number_of", "total", "done")):
        return 0
    if lowered in ("code", "key", "ref") or lowered.endswith(("_code", "_key", "_ref")):
        return unit_code
    if lowered in ("school", "unit", "ppe"):
        return SampleRecord(today, unit_code, {"code": unit_code, "name": "Пробная организация"})
    if lowered in ("name", "title", "text", "label", "comment", "number") or lowered.endswith(("_name", "_text")):
        return "Пробное значение"
    if lowered.endswith(("acknowledged", "approved", "ok", "done_flag")):
        return True
    return SampleRecord(today, unit_code)


def sample_payload(expression: str | None, known: dict, today: str, unit_code: str):
    """The payload a throw with `expression` would send, as far as the dry run can tell: a dict literal's keys
    with the values the catching side has under the same variable name (a correlation key such as order_ref),
    nested dict literals alike, and samples (SampleRecord) for the rest."""
    import ast
    try:
        tree = ast.parse(expression, mode="eval").body if expression else None
    except SyntaxError:
        tree = None

    def value(node, key: str):
        if isinstance(node, ast.Dict):
            record = SampleRecord(today, unit_code)
            for k, v in zip(node.keys, node.values):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    record[k.value] = value(v, k.value)
            return record
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in known:
            return known[node.id]
        return sample_value(key, today, unit_code)
    return value(tree, "") if isinstance(tree, ast.Dict) else SampleRecord(today, unit_code)
