"""/api/v1/processes: starting an instance, as the activity's launch page does. The same rule decides who may
start which process for which unit (engine.access.launch_form, launch_units), and the same start form checks the
data; a process the caller may not start answers 403, a unit that is not hers 403, data the form refuses 422."""
from flask import url_for
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

import engine
import forms
from engine.access import launch_form, launch_units, memberships, refuse
from engine.db import db
from engine.models import ProcessInstance, Unit
from engine.plan import item_to_join
from . import schemas
from .auth import api_user
from .instances import described

blp = Blueprint("api-processes", __name__, url_prefix="/api/v1/processes",
                description="Processes: start an instance with the data of its start form.")
_BPMN_ID = {"in": "path", "name": "bpmn_id", "required": True, "schema": {"type": "string"},
            "description": "The process's BPMN id (as GET /instances gives it in `process_id`)."}


@blp.route("/<bpmn_id>/instances", methods=["POST"], parameters=[_BPMN_ID])
@blp.arguments(schemas.StartArgs, example={"unit": "ppe-17", "data": {"check_due": "2021-03-19", "fix_days": 7,
                                                                      "recheck_days": 3}})
@blp.response(201, schemas.InstanceDetail, headers={"Location": {
    "description": "The new instance's address.", "schema": {"type": "string"}}})
@blp.alt_response(403, schema=schemas.Error, description="You may not start this process, or not for this unit.")
@blp.alt_response(404, schema=schemas.Error, description="No process has this id.")
@blp.alt_response(409, schema=schemas.Error, description="The plan item's instance for this unit was started "
                                                         "meanwhile.")
def start(args, bpmn_id):
    """Start an instance of the process with its start form's data

    The activity page's launch form, one unit at a time: the form's units field is given as `unit`, its other
    fields as `data`, checked by the same form definition (refused data changes nothing and each field gets its
    messages, 422). The holders of the start event's role may start it, department staff for any unit of the
    form's kind, a school's or PPE's staff for their own.
    """
    user = api_user()
    held = memberships(user)
    startable = engine.startable_spec(bpmn_id)  # 404 for an unknown process
    key = launch_form(user, startable.spec, held)
    if key is None:
        refuse(user, f"start {bpmn_id}", message=_("You may not start this process."))
    definition = startable.form(key)
    unit = args.get("unit")
    unit_field = next((f for f in definition.fields if f.type == "units"), None)
    _check_unit(user, bpmn_id, unit_field, unit, held)
    data = _valid(definition, args["data"], unit_field, unit)
    started = engine.start(bpmn_id, data, unit=unit, actor=user.login, plan_item_id=item_to_join(bpmn_id, unit))
    instance = db.session.get(ProcessInstance, started.instance_id)
    return described(instance), 201, {"Location": url_for("api-instances.get_instance", instance_id=instance.id)}


def _check_unit(user, bpmn_id, unit_field, unit, held) -> None:
    """A unit the form does not start for is invalid data (422); one of its kind that is not the caller's is
    refused (403), as the launch page offers only her own."""
    if unit is None:
        return  # a form with a units field says it is required
    kind = db.session.scalar(select(Unit.kind).where(Unit.code == unit))
    if unit_field is None or kind != unit_field.unit_kind:
        raise engine.InvalidData({"unit": [_("The process is not started for %(code)s.", code=unit)]})
    if unit not in {u.code for u in launch_units(user, unit_field.unit_kind, held)}:
        refuse(user, f"start {bpmn_id}")


def _valid(definition, data: dict, unit_field, unit) -> dict:
    """The data as the start form cleans it, without its units field (the instance's unit)."""
    if unit_field is not None:
        data = {**data, unit_field.name: [] if unit is None else [unit]}
    try:
        cleaned = forms.validate_json(definition, data)
    except forms.FormValidationError as exc:
        errors = dict(exc.field_errors)
        if unit_field is not None and unit_field.name in errors:
            errors["unit"] = errors.pop(unit_field.name)
        raise engine.InvalidData(errors) from None
    if unit_field is not None:
        cleaned.pop(unit_field.name, None)
    return cleaned
