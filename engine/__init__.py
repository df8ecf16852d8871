"""GIA Flow's workflow engine: a service layer over SpiffWorkflow, with no knowledge of web requests.

The named API below is what the web UI, the REST API, the CLI and Celery call. Each call is one database
transaction: lock the instance, restore it, act, run the engine, save it with its projections and audit events,
commit; or change nothing and raise one of `engine.errors`.
"""
from . import clock, db, mail  # mail: its subscriber writes each step's e-mail (engine.events)
from .attachments import upload_files
from .errors import (ConflictError, EngineError, IncompatibleState, InvalidData, InvalidDefinition, InvalidState,
                     NotFound, NothingWaiting, PermissionDenied, ProcessError, TaskNotReady)
from .plan import calendar_in_force
from .sandbox.helpers import use_calendar_source
from .store import transaction
# The workflow core (engine/service): the verbs, then what pages read.
from .service.deploying import DeployResult, deploy
from .service.instances import StartResult, cancel, detail, reschedule, resume, retry, start, startable_spec, suspend
from .service.routing import deliver
from .service.tasks import CompleteResult, claim, complete, get_task, list_tasks, sample_submission, unclaim
from .service.timers import TickResult, advance_timers
from .service.inbox import (SORTS as INBOX_SORTS, TABS as INBOX_TABS, InboxPage, InboxQuery, colleagues_for, comment,
                            comments, delete_filter, inbox, inbox_counts, reassign, save_filter, saved_filters, snooze,
                            visible_task)
from .service.inbox_aside import InboxAside, inbox_aside
from .service.drafts import Draft, draft_for, save_draft
from .service.submitted import submitted
from .service.views import activities, activity_page, instance_page, notifications, task_page
from .service.exports import instance_table_export
# Concern folders have their own faces; these few are re-exported because every interface uses them.
from .access import audit_trail, readable_instance, readable_task, record_denied, visible_instances
from .directory import (InvalidToken, absences, authenticate, check_token, colleagues, create_token, deactivate,
                        end_absence, end_my_absence, ensure_unit, ensure_user, revoke_token, set_absence,
                        set_my_absence, set_preferences, tokens_of, user_by_login, user_for_token)


def init_app(app) -> None:
    db.init_app(app)
    clock.install(app.config["GIA_TIMEZONE"])
    use_calendar_source(calendar_in_force)


__all__ = [
    "init_app", "transaction", "upload_files",
    "EngineError", "NotFound", "PermissionDenied", "TaskNotReady", "ConflictError", "InvalidState",
    "IncompatibleState", "NothingWaiting", "InvalidDefinition", "InvalidData", "ProcessError",
    # verbs
    "deploy", "start", "list_tasks", "get_task", "claim", "unclaim", "complete", "advance_timers", "cancel", "retry",
    "reschedule", "suspend", "resume", "deliver", "reassign", "snooze", "comment", "save_draft", "save_filter",
    "delete_filter",
    "DeployResult", "StartResult", "CompleteResult", "TickResult",
    # reading
    "detail", "startable_spec", "sample_submission", "inbox", "inbox_counts", "InboxQuery", "InboxPage",
    "INBOX_SORTS", "INBOX_TABS", "inbox_aside", "InboxAside", "colleagues_for", "comments", "visible_task",
    "saved_filters", "Draft", "draft_for",
    "submitted", "activities", "activity_page", "instance_page", "notifications", "task_page",
    "instance_table_export",
    # from the concern folders
    "audit_trail", "readable_instance", "readable_task", "record_denied", "visible_instances",
    "InvalidToken", "absences", "authenticate", "check_token", "colleagues", "create_token", "deactivate",
    "end_absence", "end_my_absence", "ensure_unit", "ensure_user", "revoke_token", "set_absence", "set_my_absence",
    "set_preferences", "tokens_of", "user_by_login", "user_for_token",
]
