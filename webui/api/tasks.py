"""/api/v1/tasks: my tasks with the inbox filters, one task with its form, claim, unclaim, complete.

Every call goes through the engine as the token's owner, so the rules are the web UI's: a task the caller may
not see answers 404 (and the attempt is recorded), an action they may not take on a task they can see 403.
"""
from flask_babel import gettext as _
from flask_smorest import Blueprint

import engine
import forms
from engine.access import readable_task_in
from engine.errors import PermissionDenied, TaskNotReady
from engine.models.human_task import TaskStatus
from engine import task_page
from .. import instructions
from . import schemas
from .auth import api_user
from .errors import ApiError
from .formjson import definition_json, initial_json

blp = Blueprint("api-tasks", __name__, url_prefix="/api/v1/tasks",
                description="Human tasks: the inbox, a task with its form, claim, unclaim, complete.")
_TASK_ID = {"in": "path", "name": "task_id", "required": True, "schema": {"type": "string"},
            "description": "The task's id (a UUID)."}


@blp.route("")
@blp.arguments(schemas.TaskQueryArgs, location="query")
@blp.response(200, schemas.TaskPage)
def list_tasks(args):
    """My tasks, with the inbox's tabs and filters

    The same list as the inbox page: only tasks offered to me or claimed by me, of active instances.
    """
    query = engine.InboxQuery(**{k: v for k, v in args.items() if v is not None})
    page = engine.inbox(api_user(), query)
    return {"items": page.items, "page": query.page, "per_page": query.per_page, "total": page.total,
            "total_capped": page.total_capped, "pages": page.pages, "has_next": page.has_next}


@blp.route("/<task_id>", parameters=[_TASK_ID])
@blp.response(200, schemas.TaskDetail)
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
def get_task(task_id):
    """A task with its form definition and the data to fill it"""
    user = api_user()
    page = task_page(task_id, user)  # 404 for a task the caller may not see (engine.readable_task)
    task = page.task
    definition = engine.task_form(task)
    return {"task": task, "instance": page.instance, "may_act": page.may_act,
            "form": definition_json(definition, page.data) if definition else None,
            "initial": initial_json(definition, page.data) if definition else {},
            "data": page.data, "files": page.files,
            "instructions": str(instructions.render(page.instructions, page.data) or "") or None}


@blp.route("/<task_id>/claim", methods=["POST"], parameters=[_TASK_ID])
@blp.response(200, schemas.TaskSummary)
@blp.alt_response(403, schema=schemas.Error, description="The task is not offered to you.")
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
@blp.alt_response(409, schema=schemas.Error, description="The task is closed or someone else claimed it.")
def claim(task_id):
    """Claim the task: it becomes mine alone"""
    user = api_user()
    task = engine.readable_task(task_id, user)
    return engine.claim(task.id, user)


@blp.route("/<task_id>/unclaim", methods=["POST"], parameters=[_TASK_ID])
@blp.response(200, schemas.TaskSummary)
@blp.alt_response(403, schema=schemas.Error, description="Someone else claimed the task.")
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
@blp.alt_response(409, schema=schemas.Error, description="The task is closed.")
def unclaim(task_id):
    """Give the task back to everyone it is offered to"""
    user = api_user()
    task = engine.readable_task(task_id, user)
    if task.state != TaskStatus.READY:
        raise TaskNotReady(_("The task is no longer open."))
    try:
        return engine.unclaim(task.id, user)
    except PermissionDenied:
        engine.record_denied(user, "unclaim", instance_id=task.instance_id, task=task)
        raise


@blp.route("/<task_id>/complete", methods=["POST"], parameters=[_TASK_ID])
@blp.arguments(schemas.FormData, description="The form's data, shaped as the task's form definition says.",
               example={"action": "Подавитель заменён", "fixed_on": "2021-03-24"})
@blp.response(200, schemas.CompleteAnswer)
@blp.alt_response(403, schema=schemas.Error, description="You may not complete this task.")
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
@blp.alt_response(409, schema=schemas.Error, description="The task was completed or cancelled already.")
def complete(data, task_id):
    """Complete the task with the form's data

    The data is checked by the same form definition as the task page; refused data changes nothing and each
    field gets its messages (422).
    """
    user = api_user()
    task, _instance = readable_task_in(task_id, user, with_state=True)  # the step reads neither again
    _refuse_unstorable(data)
    result = engine.complete(task.id, user, data)
    return {"instance_id": result.instance_id, "status": result.status, "next_tasks": result.seen_next_tasks}


def _refuse_unstorable(value, path=()):
    """Text the database cannot keep is refused before the engine sees it, by the rule the task page's form
    applies to its fields (forms.fields.storable), here to every key and value, for tasks without a form too."""
    if isinstance(value, dict):
        for key, inner in value.items():
            _refuse_unstorable(key, path + (str(key),))
            _refuse_unstorable(inner, path + (str(key),))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            _refuse_unstorable(inner, path + (str(i),))
    elif isinstance(value, str) and not forms.fields.storable(value):
        name = "-".join(path) or "_schema"
        raise ApiError(422, "invalid", _("The data is not valid; see the messages of the fields."),
                       {name: [str(forms.fields.UNSTORABLE)]})
