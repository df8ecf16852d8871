"""The knowledge test (аттестация) of PPE staff as the staff list reads it (issue 15 §4, plan 3.19 → 3.46).

Each person is tested in an instance of their own (processes/staff_certification.bpmn), which keeps the person's
e-mail (`staff_email`, lower case), `eligible` and `removed` among its top-level values; the instance rows keep
those (ProcessInstance.variables), so the staff list finds a person's result without reading thousands of
serialized workflows. The staff list asks by e-mail, the one thing every school gives for every nominee."""
from sqlalchemy import select

from .. import clock
from ..db import db
from ..models import ProcessInstance
from ..models.instance import InstanceStatus

# A person tested on the ИАО's own start, or sent to the test by the plan's round (3.19).
PROCESSES = ("staff_certification", "staff_certification_request")
_IN_FORCE = "gia_certification_results"  # clock.per_transaction: the results read in this transaction


def certification_of(email: str) -> dict | None:
    """{"status": "certified" | "removed" | "pending", "status_text"} of the person's latest test that was not
    cancelled (a person tested again after a cancelled start is judged by the new one), None when none. The results
    are read once per database transaction: a staff list asks for each of its nominees in one check."""
    return _results().get(str(email or "").lower())


def _results() -> dict:
    held = clock.per_transaction(_IN_FORCE)
    if "by_email" not in held:
        by_email = {}
        rows = db.session.execute(
            select(ProcessInstance.variables, ProcessInstance.status_text)
            .where(ProcessInstance.process_id.in_(PROCESSES), ProcessInstance.status != InstanceStatus.CANCELLED)
            .order_by(ProcessInstance.id.desc())).tuples()
        for variables, status_text in rows:
            variables = variables or {}
            email = str(variables.get("staff_email") or "").lower()
            if email and email not in by_email:  # the latest test of each person
                status = ("removed" if variables.get("removed") else "certified" if variables.get("eligible")
                          else "pending")
                by_email[email] = {"status": status, "status_text": status_text or variables.get("status_text")
                                   or ""}
        held["by_email"] = by_email
    return held["by_email"]
