"""A process version's diagram with what its instances do on each element (issue 13 §3): how many people's tasks
wait there now, how many have been done there, how many instances stopped there in error (or stalled), and the
median time one took from being offered to being done (the heatmap). Counted from the task and instance rows, no
workflow restored, over the instances the reader may see, narrowed by unit, plan item and a date range."""
import re
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from flask import current_app
from lxml import etree
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import clock
from ..access.rules import instance_filter, visible_units
from ..db import db
from ..errors import NotFound
from ..bpmn.spec_cache import bundle_for
from ..models import DeployedProcess, Deployment, HumanTask, ProcessInstance, User
from ..models.instance import InstanceStatus
from .versions import version_files


@dataclass(frozen=True)
class DiagramQuery:
    version: int | None = None
    unit: str | None = None
    plan_item_id: int | None = None
    since: date | None = None  # passes that ended on or after this day
    until: date | None = None  # ... and on or before this one


def process_diagram(bpmn_id: str, user: User, query: DiagramQuery = DiagramQuery()) -> dict:
    """{process, version, versions, xml, elements: {bpmn id: {name, waiting, done, errors, median_hours}},
    instances, errors (in error or stalled), errors_unplaced (those of them at no known element)}."""
    versions = list(db.session.scalars(select(DeployedProcess).where(DeployedProcess.bpmn_id == bpmn_id,
                                                                     DeployedProcess.kind == "process")
                                       .order_by(DeployedProcess.deployment_id.desc())))
    chosen = next((v for v in versions if query.version in (None, v.deployment_id)), None)
    if chosen is None:
        raise NotFound(_l("No deployed process has the id %(id)s."), id=bpmn_id)
    mine = _instances(bpmn_id, chosen.deployment_id, user, query)
    elements: dict[str, dict] = {}

    def element(bpmn):
        return elements.setdefault(bpmn, {"waiting": 0, "done": 0, "errors": 0, "median_hours": None})

    ht = HumanTask
    for bpmn, count in db.session.execute(
            select(ht.bpmn_id, func.count()).where(ht.instance_id.in_(mine.where(
                ProcessInstance.status.in_(InstanceStatus.ACTIVE))), ht.state == "READY").group_by(ht.bpmn_id)):
        element(bpmn)["waiting"] += count
    conditions = [ht.instance_id.in_(mine), ht.state == "COMPLETED", ht.completed_at.is_not(None)]
    if query.since:
        conditions.append(ht.completed_at >= clock.day_start(query.since))
    if query.until:
        conditions.append(ht.completed_at < clock.day_start(query.until + timedelta(days=1)))
    for bpmn, done, hours in _done_and_medians(conditions):
        element(bpmn)["done"] += done
        element(bpmn)["median_hours"] = round(hours, 1) if hours is not None else None
    unplaced = 0
    for bpmn, count in db.session.execute(_errors_at(mine, query)):
        if bpmn is None:
            unplaced += count
        else:
            element(bpmn)["errors"] += count
    counts = db.session.execute(mine.with_only_columns(ProcessInstance.status, func.count())
                                .group_by(ProcessInstance.status)).all()
    by_status = dict(counts)
    db.session.rollback()
    names = _names(chosen)
    for bpmn, counts in elements.items():
        counts["name"] = names.get(bpmn) or bpmn
    return {"process": chosen, "version": chosen.deployment_id, "versions": [v.deployment_id for v in versions],
            "xml": diagram_xml(chosen), "elements": elements, "instances": sum(by_status.values()),
            "errors": by_status.get(InstanceStatus.ERROR, 0) + by_status.get(InstanceStatus.STALLED, 0),
            "errors_unplaced": unplaced}


def _done_and_medians(conditions) -> list[tuple[str, int, float | None]]:
    """(element, tasks done, median hours from offered to done) of the completed tasks meeting `conditions`.
    PostgreSQL computes the medians (percentile_cont, which takes the mean of the two middle values as
    statistics.median does); SQLite has no such aggregate, so its durations are read and the medians taken here.
    A process with 10,000 instances has some 50,000 done tasks: reading them all cost most of the page."""
    ht = HumanTask
    if db.session.get_bind().dialect.name == "postgresql":
        hours = func.extract("epoch", ht.completed_at - ht.created_at) / 3600
        return [(bpmn, done, float(middle) if middle is not None else None) for bpmn, done, middle in
                db.session.execute(select(ht.bpmn_id, func.count(), func.percentile_cont(0.5).within_group(hours))
                                   .where(*conditions).group_by(ht.bpmn_id))]
    durations: dict[str, list[float]] = {}
    for bpmn, created, completed in db.session.execute(select(ht.bpmn_id, ht.created_at, ht.completed_at)
                                                       .where(*conditions)):
        durations.setdefault(bpmn, []).append((completed - created).total_seconds() / 3600)
    return [(bpmn, len(hours), median(hours)) for bpmn, hours in durations.items()]


def _errors_at(mine, query: DiagramQuery):
    """(element, count) of the instances in error or stalled at each element (process_instance.error_element;
    None where the engine could not say), those that stopped within the dates asked."""
    pi = ProcessInstance
    errors = mine.with_only_columns(pi.error_element, func.count()).where(
        pi.status.in_((InstanceStatus.ERROR, InstanceStatus.STALLED)))
    if query.since:
        errors = errors.where(pi.updated_at >= clock.day_start(query.since))
    if query.until:
        errors = errors.where(pi.updated_at < clock.day_start(query.until + timedelta(days=1)))
    return errors.group_by(pi.error_element)


def _instances(bpmn_id: str, version: int, user: User, query: DiagramQuery):
    pi = ProcessInstance
    ids = select(pi.id).where(pi.process_id == bpmn_id, pi.deployment_id == version)
    units = visible_units(user)
    if units is not None:
        ids = ids.where(instance_filter(units))
    if query.unit:
        ids = ids.where(pi.unit_code == query.unit)
    if query.plan_item_id:
        ids = ids.where(pi.plan_item_id == query.plan_item_id)
    return ids


def _names(process: DeployedProcess) -> dict[str, str]:
    return element_names(process.deployment_id, process.bpmn_id)


def element_names(deployment_id: int, bpmn_id: str) -> dict[str, str]:
    """The elements' names of a deployed process as the diagram labels them (the parsed version, from the spec
    cache), its sub-processes' included."""
    deployment = db.session.get(Deployment, deployment_id)
    startable = bundle_for(deployment, current_app.config["MAX_BPMN_BYTES"]).get(bpmn_id) if deployment else None
    if startable is None:
        return {}
    specs = [startable.spec, *startable.subprocess_specs.values()]
    return {task.bpmn_id: task.bpmn_name for spec in specs if spec is not None
            for task in spec.task_specs.values() if getattr(task, "bpmn_id", None) and task.bpmn_name}


def diagram_xml(process: DeployedProcess) -> str:
    """The file of the deployment that defines the process (a deployment holds several)."""
    found = version_files(process.bpmn_id, process.deployment_id)
    if found.defining is None:
        raise NotFound(_l("The diagram of %(id)s is not among its deployment's files."), id=process.bpmn_id)
    return drawable(found.files[found.defining][1])


BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def drawable(xml: str) -> str:
    """The XML as bpmn-js and its auto-layout read it: a diagram without its drawing (no BPMNDiagram) gets each
    flow node's <incoming>/<outgoing> references, which the layout follows and hand-written BPMN often leaves
    out (SpiffWorkflow reads the flows' sourceRef/targetRef instead)."""
    if "BPMNDiagram" in xml:
        return xml
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(xml.encode("utf-8"), parser)
    nodes = {node.get("id"): node for node in root.iter() if node.get("id")}
    for flow in root.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        for ref, tag in (("sourceRef", "outgoing"), ("targetRef", "incoming")):
            node = nodes.get(flow.get(ref))
            if node is None or any(child.text == flow.get("id") for child in node.iter(f"{{{BPMN_NS}}}{tag}")):
                continue
            reference = etree.Element(f"{{{BPMN_NS}}}{tag}")
            reference.text = flow.get("id")
            node.insert(_after_documentation(node), reference)
    return etree.tostring(root, encoding="unicode")


def _after_documentation(node) -> int:
    """Where the schema puts incoming/outgoing: after documentation and extensionElements."""
    skip = {f"{{{BPMN_NS}}}documentation", f"{{{BPMN_NS}}}extensionElements", f"{{{BPMN_NS}}}incoming"}
    position = 0
    for position, child in enumerate(node):
        if child.tag not in skip:
            return position
    return len(node)
