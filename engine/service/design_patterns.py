"""A new process started from one of the plan's patterns (issue 14 §9), so that a designer does not draw from
nothing: the pattern's file (processes/) with the new process's id and name becomes the first draft of the new
process; it is deployed like any other, from the modeller."""
import re
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from lxml import etree
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, store
from ..bpmn.parsing import BPMN_NS, _read_xml
from ..db import db
from ..errors import ConflictError, InvalidData
from ..models import DeployedProcess, DesignDraft
from .design_drafts import Design

# The plan's patterns (engine/plan/catalogue.py runs the 82 items on them), in the order a designer meets them.
PATTERNS = (
    ("plan_school_report", _l("Report of the schools"),
     _l("Each school reports on a plan item by its deadline, with a reminder, escalations and the department's "
        "acceptance.")),
    ("plan_dept_task", _l("Task of a department"),
     _l("A department of the education authority does the item by its deadline and reports what was done.")),
    ("plan_order", _l("Order with approval"),
     _l("A draft order is reviewed, signed and registered; the schools acknowledge it.")),
    ("plan_year_activity", _l("Work over the year"),
     _l("Work that runs all year, with a report for each period.")),
)
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{2,63}$")
MAX_NAME = 200


def design_patterns() -> list[dict]:
    return [{"key": key, "title": str(title), "description": str(description)}
            for key, title, description in PATTERNS]


def new_design(bpmn_id: str, name: str, pattern: str, actor: str) -> Design:
    """The first draft of a new process `bpmn_id` named `name`, a copy of `pattern` (revision 1). InvalidData
    (by field) for an id that is malformed or taken (by a deployed process or a draft), an empty name or an
    unknown pattern; nothing is stored then."""
    bpmn_id, name = (bpmn_id or "").strip(), (name or "").strip()
    problems = _problems(bpmn_id, name, pattern)
    if problems:
        raise InvalidData(problems)
    xml = _copy(pattern, bpmn_id, name)
    try:
        with store.transaction():
            now = clock.now()
            db.session.add(DesignDraft(bpmn_id=bpmn_id, xml=xml, saved_by=actor, saved_at=now, revision=1))
            audit.record("design_new", actor, summary={"bpmn_id": bpmn_id, "pattern": pattern})
    except IntegrityError:  # another designer took the id at the same moment
        db.session.rollback()
        raise ConflictError(_l("Another designer has just created a process with the id %(id)s."), id=bpmn_id)
    return Design(bpmn_id, xml, 1, actor, now, name=name)


def _problems(bpmn_id: str, name: str, pattern: str) -> dict[str, list[str]]:
    problems = {}
    if not _ID.match(bpmn_id):
        problems["bpmn_id"] = [str(_l("The id is 3 to 64 Latin letters, digits and underscores, not starting with "
                                      "a digit: e.g. plan_school_survey."))]
    elif (db.session.scalar(select(DeployedProcess.id).where(DeployedProcess.bpmn_id == bpmn_id).limit(1))
          or db.session.scalar(select(DesignDraft.id).where(DesignDraft.bpmn_id == bpmn_id))):
        problems["bpmn_id"] = [str(_l("A process with the id %(id)s exists already: choose another id.",
                                      id=bpmn_id))]
    if not name:
        problems["name"] = [str(_l("Give the process a name."))]
    elif len(name) > MAX_NAME:
        problems["name"] = [str(_l("The name is longer than %(count)s characters.", count=MAX_NAME))]
    if pattern not in {key for key, _title, _description in PATTERNS}:
        problems["pattern"] = [str(_l("Choose one of the patterns."))]
    return problems


def _copy(pattern: str, bpmn_id: str, name: str) -> str:
    """The pattern's file with the process (and its diagram's plane) renamed; every other element keeps its id,
    which is unique within the file, not across processes."""
    path = Path(current_app.config["PROCESSES_DIR"]) / f"{pattern}.bpmn"
    root, error = _read_xml(path.name, path.read_bytes(), current_app.config["MAX_BPMN_BYTES"])
    if error:
        raise InvalidData({"pattern": [error]})
    if any(element.get("id") == bpmn_id for element in root.iter()):
        raise InvalidData({"bpmn_id": [str(_l("The pattern has an element with the id %(id)s: choose another id.",
                                              id=bpmn_id))]})
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        if process.get("id") == pattern:
            process.set("id", bpmn_id)
            process.set("name", name)
    for plane in root.iter("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNPlane"):
        if plane.get("bpmnElement") == pattern:
            plane.set("bpmnElement", bpmn_id)
    root.set("id", f"{bpmn_id}_definitions")
    return etree.tostring(root, encoding="unicode")
