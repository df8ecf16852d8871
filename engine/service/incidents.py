"""Incidents (issue 13 §5): the instances an operator must look at, in error or stalled (nothing ready, nothing
awaited, not finished), grouped by process, version, kind, the element they stopped at and the message, newest
group first. Read by one GROUP BY over the instance rows (each group's ids and units aggregated as strings), no
workflow restored, over the instances the reader may see."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, cast, func, select

from ..access.rules import instance_filter, visible_units
from ..db import db
from ..directory.naming import natural_key, unit_names
from ..models import ProcessInstance, User
from ..models.instance import InstanceStatus
from .diagrams import element_names

KINDS = {InstanceStatus.ERROR: "error", InstanceStatus.STALLED: "stalled"}
STALLED_MESSAGE = _l("The process stopped: nothing is awaited and it has not finished.")


@dataclass
class IncidentGroup:
    process_id: str
    process_name: str
    version: int  # the deployment the instances run
    kind: str  # "error" or "stalled"
    element: str | None  # the bpmn id it stopped at, where known
    element_name: str | None
    message: str  # the error as recorded (in Russian where it is ours); a stalled group's explanation
    count: int
    newest: datetime  # the latest of the instances' last changes
    instance_ids: list[int] = field(default_factory=list)  # all of them, the latest started first
    unit_names: list[str] = field(default_factory=list)  # their units' names, in natural order


def _visible(user: User):
    """The conditions on ProcessInstance for what `user` may see (engine.access.visible_units)."""
    units = visible_units(user)
    return () if units is None else (instance_filter(units),)


def incidents(user: User) -> list[IncidentGroup]:
    """The groups of errored and stalled instances `user` may see, newest first."""
    pi = ProcessInstance
    key = (pi.process_id, pi.deployment_id, pi.status, pi.error_element, pi.error)
    newest = func.max(pi.updated_at)
    rows = db.session.execute(
        select(*key, func.count().label("count"), newest.label("newest"), func.max(pi.process_name).label("name"),
               func.aggregate_strings(cast(pi.id, String), ",").label("ids"),
               func.aggregate_strings(pi.unit_code, ",").label("units"))
        .where(pi.status.in_(tuple(KINDS)), *_visible(user))
        .group_by(*key).order_by(newest.desc(), *key)).all()
    db.session.rollback()  # a read: no snapshot kept open while the page renders
    names: dict[tuple, dict] = {}
    for row in rows:
        spec_key = (row.deployment_id, row.process_id)
        if row.error_element and spec_key not in names:
            names[spec_key] = element_names(*spec_key)
    named = unit_names({code for row in rows for code in (row.units or "").split(",") if code})
    return [IncidentGroup(
        process_id=row.process_id, process_name=row.name or row.process_id, version=row.deployment_id,
        kind=KINDS[row.status], element=row.error_element,
        element_name=names.get((row.deployment_id, row.process_id), {}).get(row.error_element),
        message=row.error or (STALLED_MESSAGE if row.status == InstanceStatus.STALLED else ""),
        count=row.count, newest=row.newest,
        instance_ids=sorted((int(i) for i in row.ids.split(",")), reverse=True),
        unit_names=sorted({named.get(code, code) for code in (row.units or "").split(",") if code}, key=natural_key))
        for row in rows]


def incident_count(user: User) -> int:
    """How many instances `user` may see are in error or stalled (the navigation bar's badge)."""
    pi = ProcessInstance
    count = db.session.scalar(select(func.count()).select_from(pi).where(pi.status.in_(tuple(KINDS)),
                                                                         *_visible(user)))
    return count or 0
