"""/api/v1/instances and /api/v1/files: the process instances I may see, one with its data and history, its audit
trail, and the files attached to it. What I may not see answers 404, and the attempt is recorded."""
from flask import send_file
from flask_babel import lazy_gettext as _l
from flask_smorest import Blueprint

import engine
from engine import attachments
from engine.db import db
from engine.models import Attachment
from engine.access import MAX_ID, instance_tasks
from engine.directory import unit_names
from . import schemas
from .auth import api_user

blp = Blueprint("api-instances", __name__, url_prefix="/api/v1",
                description="Process instances: list, detail with data and history, audit trail, files.")
_ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}  # larger ids match no route (webui.guards)
_INSTANCE_ID = {"in": "path", "name": "instance_id", "required": True, "schema": _ID_SCHEMA,
                "description": "The instance's id."}


def _paged(result) -> dict:
    return {"items": result.items, "page": result.page, "per_page": result.per_page, "total": result.total,
            "pages": result.pages, "has_next": result.has_next}


@blp.route("/instances")
@blp.arguments(schemas.InstanceQueryArgs, location="query")
@blp.response(200, schemas.InstancePage)
def list_instances(args):
    """The instances I may see, newest first

    Department staff see the whole city; a school's or PPE's staff see their unit's instances and those with a
    task for their unit.
    """
    return _paged(engine.visible_instances(api_user(), **args))


@blp.route("/instances/<int:instance_id>", parameters=[_INSTANCE_ID])
@blp.response(200, schemas.InstanceDetail)
@blp.alt_response(404, schema=schemas.Error, description="No such instance, or not yours to see.")
def get_instance(instance_id):
    """One instance: status, data, what it waits for, its history and its tasks"""
    return described(engine.readable_instance(instance_id, api_user()))


def described(instance) -> dict:
    """An instance as schemas.InstanceDetail shows it (here, and the answer to a start)."""
    found = engine.detail(instance.id)
    return {**found, "process_name": instance.process_name, "deployment_id": instance.deployment_id,
            "unit_code": instance.unit_code, "unit_name": unit_names([instance.unit_code]).get(instance.unit_code),
            "started_by": instance.started_by, "created_at": instance.created_at,
            "updated_at": instance.updated_at, "completed_at": instance.completed_at,
            "tasks": instance_tasks(instance.id)}


@blp.route("/instances/<int:instance_id>/audit", parameters=[_INSTANCE_ID])
@blp.arguments(schemas.PageArgs, location="query")
@blp.response(200, schemas.AuditPage)
@blp.alt_response(404, schema=schemas.Error, description="No such instance, or not yours to see.")
def audit(args, instance_id):
    """The instance's audit trail, oldest first"""
    return _paged(engine.audit_trail(instance_id, api_user(), **args))


@blp.route("/files/<int:attachment_id>", parameters=[{"in": "path", "name": "attachment_id", "required": True,
                                                       "schema": _ID_SCHEMA}])
@blp.response(200, description="The file's bytes, with its content type.",
              content_type="application/octet-stream")
@blp.alt_response(404, schema=schemas.Error, description="No such file, or not yours to see.")
def download(attachment_id):
    """A file attached to an instance I may see"""
    user = api_user()
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.instance_id is None:
        raise engine.NotFound(_l("File %(id)s not found."), id=attachment_id)
    if not attachments.visible_to(attachment, user):
        engine.record_denied(user, f"download file {attachment.id}", instance_id=attachment.instance_id)
        raise engine.NotFound(_l("File %(id)s not found."), id=attachment_id)
    path = attachments.path_of(attachment)
    if not path.is_file():  # the bytes were lost (a restore without the upload folder): say so, do not fail
        raise engine.NotFound(_l("File %(id)s not found."), id=attachment_id)
    return send_file(path, mimetype=attachments.served_type(attachment),  # typed by its bytes, not its name
                     download_name=attachment.filename, as_attachment=True)

