"""/api/v1/tasks/{id}/draft: the caller's own draft of a task's form, the same drafts the task page keeps (an app
can save what is typed on a phone and the person finds it on the web page, and back).

A draft is private: every caller reads and writes only her own, and it is never part of the task's data.
"""
import engine
from . import schemas
from .auth import api_user
from .tasks import _TASK_ID, blp


@blp.route("/<task_id>/draft", methods=["GET"], parameters=[_TASK_ID])
@blp.response(200, schemas.Draft)
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
def get_draft(task_id):
    """My draft of the task

    What I saved and have not submitted; `data` is null when I have no draft or the task is closed.
    """
    user = api_user()
    task = engine.readable_task(task_id, user)
    return engine.draft_for(task.id, user) or {"data": None, "updated_at": None}


@blp.route("/<task_id>/draft", methods=["PUT"], parameters=[_TASK_ID])
@blp.arguments(schemas.FormData, description="The form's data as typed so far, shaped as for complete; values "
                                             "need not be valid yet. Fields the form does not have and files "
                                             "are not kept.",
               example={"action": "Подавитель заменён"})
@blp.response(200, schemas.Draft)
@blp.alt_response(403, schema=schemas.Error, description="You may not act on this task.")
@blp.alt_response(404, schema=schemas.Error, description="No such task, or not yours to see.")
@blp.alt_response(409, schema=schemas.Error, description="The task is closed.")
def put_draft(data, task_id):
    """Save my draft of the task

    Replaces my earlier draft. At most 256 KB; it is deleted when the task is completed or closed otherwise.
    """
    user = api_user()
    task = engine.readable_task(task_id, user)
    return engine.save_draft(task.id, user, data)
