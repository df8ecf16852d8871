"""The process designer's drafts (issue 14 §1, §7): a BPMN file modelled in the browser is saved on the server as
a draft of its process, one per process id, until it is deployed.

Two designers may open the same process: each save names the revision it started from, and a save from an older
revision is refused (ConflictError, saying who saved meanwhile and when) rather than silently overwriting the other
designer's work. The XML is checked as a deployment checks it (size, well-formed, no DOCTYPE or entities, a BPMN
root) but not parsed as a process: a draft may be unfinished.
"""
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, clock, store
from ..bpmn.parsing import _read_xml
from ..db import db
from ..directory.naming import people_names
from ..errors import ConflictError, InvalidData, NotFound
from ..models import DesignDraft
from .versions import definitions, version_files


@dataclass
class Design:
    """What the modeller opens: the draft when there is one, else the latest deployed file holding the process."""
    bpmn_id: str
    xml: str
    revision: int  # 0: no draft yet
    saved_by: str | None = None  # login
    saved_at: datetime | None = None
    deployment_id: int | None = None  # the version the XML comes from, when it is not a draft
    saved_by_name: str | None = None  # the name to show for saved_by
    name: str | None = None  # the process's name in its latest deployed version (a new one's: in its draft)
    deployed: bool = True  # False for a new process, only drafted so far


@dataclass
class DesignRow:
    """A deployed process on the designer's list, with its draft if any."""
    bpmn_id: str
    name: str | None
    kind: str
    deployment_id: int | None  # None: a new process, only drafted
    draft_saved_by: str | None  # a name to show
    draft_saved_at: datetime | None


def design_list() -> list[DesignRow]:
    """Every deployed process and collaboration (its latest version), with the draft of each."""
    drafts = {d.bpmn_id: d for d in db.session.scalars(select(DesignDraft))}
    names = people_names(d.saved_by for d in drafts.values())
    rows = []
    for process in definitions():  # each process's latest version
        draft = drafts.pop(process["bpmn_id"], None)
        rows.append(DesignRow(process["bpmn_id"], process["name"], process["kind"], process["latest_version"],
                              names.get(draft.saved_by) if draft else None, draft.saved_at if draft else None))
    for draft in drafts.values():  # new processes, not deployed yet
        rows.append(DesignRow(draft.bpmn_id, _process_name(draft.xml, draft.bpmn_id), "process", None,
                              names.get(draft.saved_by), draft.saved_at))
    return sorted(rows, key=lambda row: ((row.name or row.bpmn_id).casefold(), row.bpmn_id))


def open_design(bpmn_id: str) -> Design:
    """The draft of `bpmn_id`, else the XML of the latest deployed version's file that defines it (revision 0)."""
    draft = _draft(bpmn_id)
    try:
        deployed = version_files(bpmn_id)
    except NotFound:
        if draft is None:
            raise
        deployed = None
    name = deployed.process_name if deployed is not None else _process_name(draft.xml, bpmn_id)
    if draft is not None:
        return Design(bpmn_id, draft.xml, draft.revision, draft.saved_by, draft.saved_at,
                      saved_by_name=people_names([draft.saved_by]).get(draft.saved_by, draft.saved_by), name=name,
                      deployed=deployed is not None)
    return Design(bpmn_id, deployed.xml, 0, deployment_id=deployed.version, name=name)


def save_design(bpmn_id: str, xml: str, actor: str, revision: int) -> Design:
    """Keep `xml` as the draft of `bpmn_id` if the stored draft is still at `revision` (0: none yet); the new draft
    has the next revision. Refused, changing nothing, when someone saved meanwhile or the XML is not BPMN."""
    _check(bpmn_id, xml)
    open_design(bpmn_id)  # NotFound for an id that is neither deployed nor drafted
    try:
        with store.transaction():
            draft = _draft(bpmn_id, lock=True)
            stored = draft.revision if draft is not None else 0
            if stored != revision:
                _conflict(draft)
            now = clock.now()
            if draft is None:
                draft = DesignDraft(bpmn_id=bpmn_id, xml=xml, saved_by=actor, saved_at=now, revision=1)
                db.session.add(draft)
            else:
                draft.xml, draft.saved_by, draft.saved_at, draft.revision = xml, actor, now, stored + 1
            audit.record("design_draft", actor, summary={"bpmn_id": bpmn_id, "revision": draft.revision,
                                                          "bytes": len(xml.encode("utf-8"))})
            saved = Design(bpmn_id, xml, draft.revision, actor, now)
    except IntegrityError:  # two first saves at once: the other one created the row
        db.session.rollback()
        _conflict(_draft(bpmn_id))
    return saved


def _process_name(xml: str, bpmn_id: str) -> str | None:
    """The name the draft gives its process (a new process has no deployed name yet)."""
    root, _error = _read_xml(f"{bpmn_id}.bpmn", xml.encode("utf-8"), current_app.config["MAX_BPMN_BYTES"])
    return next((e.get("name") for e in root if e.get("id") == bpmn_id), None) if root is not None else None


def _draft(bpmn_id: str, lock: bool = False) -> DesignDraft | None:
    query = select(DesignDraft).where(DesignDraft.bpmn_id == bpmn_id)
    if lock:
        query = query.with_for_update()
    return db.session.scalars(query).first()


def saved_meanwhile(draft) -> dict:
    """Who saved `draft` (a diagram's or a form's), by name, and when, for the refusal of a save from before."""
    return {"who": people_names([draft.saved_by]).get(draft.saved_by, draft.saved_by),
            "when": draft.saved_at.astimezone(clock.local_zone()).strftime("%d.%m.%Y %H:%M")}


def _conflict(draft: DesignDraft | None):
    if draft is None:
        raise ConflictError(_l("The draft was deleted meanwhile. Reload the page."))
    raise ConflictError(_l("%(who)s saved this diagram meanwhile, at %(when)s. Your changes were not saved: "
                           "download them to keep them, then reload the page to see the newer draft."),
                        **saved_meanwhile(draft))


def _check(bpmn_id: str, xml: str) -> None:
    if not isinstance(xml, str) or not xml.strip():
        raise InvalidData({"xml": [str(_l("The diagram is empty."))]})
    root, error = _read_xml(f"{bpmn_id}.bpmn", xml.encode("utf-8"), current_app.config["MAX_BPMN_BYTES"])
    if error:
        raise InvalidData({"xml": [error]})
    if not any(element.get("id") == bpmn_id for element in root):
        raise InvalidData({"xml": [str(_l("The diagram no longer has a process or collaboration with the id "
                                          "%(id)s.", id=bpmn_id))]})
