"""GIA Flow's workflow engine: a service layer over SpiffWorkflow, with no knowledge of web requests.

The named API below is what the web UI, the REST API, the CLI and Celery call. Each call is one database
transaction: lock the instance, restore it, act, run the engine, save it with its projections and audit events,
commit; or change nothing and raise one of `engine.errors`.
"""
from .errors import (ConflictError, EngineError, IncompatibleState, InvalidData, InvalidDefinition, InvalidState,
                     NotFound, NothingWaiting, PermissionDenied, ProcessError, TaskNotReady)
from .service.deploying import DeployResult, deploy
from .service.instances import StartResult, cancel, detail, reschedule, resume, retry, start, suspend
from .service.inbox import (InboxPage, InboxQuery, colleagues_for, comment, comments, delete_filter, inbox, inbox_counts, reassign,
                            save_filter, saved_filters, snooze, visible_task)
from .directory import (absences, authenticate, deactivate, end_absence, ensure_unit, ensure_user,
                        set_absence, user_by_login)
from .service.routing import deliver
from .service.tasks import CompleteResult, claim, complete, get_task, list_tasks, unclaim
from .service.timers import TickResult, advance_timers
from .directory import InvalidToken, check_token, create_token, revoke_token, tokens_of, user_for_token
from .access import audit_trail, readable_instance, readable_task, record_denied, visible_instances
from .directory import colleagues, end_my_absence, set_my_absence, set_preferences
from .service.submitted import submitted
from .service.drafts import Draft, draft_for, save_draft
from . import mail  # noqa: F401 - its subscriber writes each step's e-mail (engine.events)


def init_app(app) -> None:
    from . import clock, db
    from .sandbox.helpers import use_calendar_source
    from .service.plan_dates import calendar_in_force
    db.init_app(app)
    clock.install(app.config["GIA_TIMEZONE"])
    use_calendar_source(calendar_in_force)


__all__ = [
    "deploy", "start", "list_tasks", "get_task", "claim", "unclaim", "complete", "advance_timers", "cancel", "retry",
    "reschedule",
    "suspend", "resume", "detail", "deliver", "ensure_user", "ensure_unit", "user_by_login", "authenticate",
    "inbox", "inbox_counts", "InboxQuery", "colleagues_for", "InboxPage", "reassign", "snooze", "comment", "comments", "visible_task", "save_filter",
    "saved_filters", "delete_filter", "deactivate", "set_absence", "absences", "end_absence",
    "init_app", "DeployResult", "StartResult", "CompleteResult", "TickResult", "EngineError", "NotFound",
    "PermissionDenied", "TaskNotReady", "ConflictError", "InvalidState", "IncompatibleState", "NothingWaiting",
    "InvalidDefinition", "InvalidData", "ProcessError",
]
__all__ += ["InvalidToken", "check_token", "create_token", "revoke_token", "tokens_of", "user_for_token",
            "audit_trail", "readable_instance", "readable_task", "record_denied", "visible_instances",
            "colleagues", "end_my_absence", "set_my_absence", "set_preferences"]
__all__ += ["Draft", "draft_for", "save_draft"]
__all__ += ["submitted"]
