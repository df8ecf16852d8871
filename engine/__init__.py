"""GIA Flow's workflow engine: a service layer over SpiffWorkflow, with no knowledge of web requests.

The named API below is what the web UI, the REST API, the CLI and Celery call. Each call is one database
transaction: lock the instance, restore it, act, run the engine, save it with its projections and audit events,
commit; or change nothing and raise one of `engine.errors`.

Each name is imported from its module when it is first used (PEP 562), so that a `flask gia …` command pays for
the part of the engine it calls and not for the inbox, the plan or the exports (issue 12 §7). `init_app` imports
the modules that listen to every step, before any step can run.
"""
from importlib import import_module


def _names(module: str, names: str) -> dict:
    return {name.partition(":")[0]: (module, name.partition(":")[2] or name) for name in names.split()}


# name -> (module, its name there); "A:B" where the engine calls A what the module calls B.
_PROVIDERS = {
    **_names("attachments", "upload_files"),
    **_names("errors", "ConflictError EngineError IncompatibleState InvalidData InvalidDefinition InvalidState "
                       "NotFound NothingWaiting PermissionDenied ProcessError TaskNotReady"),
    **_names("store", "transaction"),
    # The workflow core (engine/service): the verbs, then what pages read.
    **_names("service.deploying", "DeployResult MAX_DEPLOY_COMMENT:MAX_COMMENT deploy"),
    **_names("bpmn.bundle_forms", "deployed_name"),
    **_names("service.versions", "Validation VersionFiles definitions process_versions validate version_file "
                                 "version_files version_numbers"),
    **_names("service.instances", "StartResult cancel detail reschedule resume retry start startable_spec suspend"),
    **_names("service.routing", "deliver drain_outbox:drain_stale outbox_backlog"),
    **_names("service.tasks", "CompleteResult claim complete get_task list_tasks sample_submission unclaim"),
    **_names("service.timers", "TickResult advance_timers"),
    **_names("service.inbox", "INBOX_SORTS:SORTS INBOX_TABS:TABS InboxPage InboxQuery inbox inbox_counts"),
    **_names("service.task_actions", "colleagues_for comment comments reassign snooze visible_task"),
    **_names("service.inbox_aside", "InboxAside inbox_aside delete_filter save_filter saved_filters"),
    **_names("service.instance_list", "INSTANCE_FILTERS:STATUS_FILTERS InstanceListPage InstanceQuery instance_facets "
                                      "instance_list matching_ids matching_rows"),
    **_names("service.drafts", "Draft draft_for save_draft"),
    **_names("service.design_drafts", "Design DesignRow design_list open_design save_design"),
    **_names("service.design_deploy", "check_design deploy_design"),
    **_names("service.dry_run", "DryRunReport dry_run"),
    **_names("service.design_catalogue", "design_catalogue"),
    **_names("service.form_changes", "FormChange drafted_forms form_changes version_forms"),
    **_names("service.form_design", "FormDesign discard_form_design open_form_design preview_form save_form_design"),
    **_names("service.design_patterns", "design_patterns new_design"),
    **_names("service.repair", "MissingReason edit_data go_back move_task_due reason_of skip_task"),
    **_names("service.submitted", "submitted"),
    **_names("service.task_forms", "task_form"),
    **_names("service.views", "activities activity_page instance_page notifications task_page"),
    **_names("service.diagrams", "DiagramQuery process_diagram"),
    **_names("service.instance_diagram", "instance_diagram"),
    **_names("service.incidents", "IncidentGroup incident_count incidents"),
    **_names("service.exports", "instance_table_export"),
    **_names("service.batch", "BATCH_ACTIONS BatchPreview BatchReport batch_action_title:action_title batch_report "
                              "batch_rows create_batch preview_batch recent_batches run_batch"),
    **_names("service.migration", "MigrationRefused migrate migration_check"),
    # Concern folders have their own faces; these few are re-exported because every interface uses them.
    **_names("access", "audit_trail readable_instance readable_task record_denied visible_instances"),
    **_names("directory", "InvalidToken absences authenticate check_token colleagues create_token deactivate "
                          "end_absence end_my_absence ensure_unit ensure_user revoke_token set_absence "
                          "set_my_absence set_preferences tokens_of user_by_login user_for_token"),
}

# They subscribe to engine.events when imported: e-mail of a step (mail), messages and signals passed on to other
# instances (service.routing), drafts of closed tasks deleted (service.drafts). A step run before they are imported
# would silently skip them.
_STEP_SUBSCRIBERS = ("mail", "service.routing", "service.drafts")

# The verbs that change instances or definitions, wrapped once here rather than at each definition.
_TIMED = frozenset("deploy start claim unclaim complete advance_timers cancel retry suspend resume deliver "
                   "drain_outbox migrate skip_task go_back edit_data".split())


def __getattr__(name: str):
    if name in _PROVIDERS:
        module, attribute = _PROVIDERS[name]
        value = getattr(import_module(f".{module}", __name__), attribute)
        if name in _TIMED:  # counted and timed per verb for /metrics (engine.ops.calls)
            from .ops.calls import timed
            value = timed(name)(value)
    else:  # a submodule not imported yet (`engine.clock`)
        try:
            value = import_module(f".{name}", __name__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_PROVIDERS})


def init_app(app) -> None:
    from . import clock, db
    from .sandbox.helpers import (use_calendar_source, use_certification_source, use_reports_source,
                                  use_working_calendar)
    for module in _STEP_SUBSCRIBERS:
        import_module(f".{module}", __name__)
    db.init_app(app)
    clock.install(app.config["GIA_TIMEZONE"])
    use_calendar_source(_calendar_in_force)
    use_working_calendar(_special_days_in_force)
    use_reports_source(_school_reports)
    use_certification_source(_certification_of)


def _calendar_in_force() -> dict:
    # The plan (engine.plan) is imported by the first script that reads the exam calendar, not by every command.
    from .plan import calendar_in_force
    return calendar_in_force()


def _school_reports(number: str, details: bool) -> dict:
    from .plan.analysis import school_reports
    return school_reports(number, details)


def _certification_of(email: str) -> dict | None:
    from .service.certification import certification_of
    return certification_of(email)


def _special_days_in_force() -> dict:
    from .plan.working_days import special_days
    return special_days()


__all__ = [
    "init_app", "transaction", "upload_files",
    "EngineError", "NotFound", "PermissionDenied", "TaskNotReady", "ConflictError", "InvalidState",
    "IncompatibleState", "NothingWaiting", "InvalidDefinition", "InvalidData", "ProcessError",
    # verbs
    "deploy", "start", "list_tasks", "get_task", "claim", "unclaim", "complete", "advance_timers", "cancel", "retry",
    "reschedule", "suspend", "resume", "deliver", "reassign", "snooze", "comment", "save_draft", "save_filter",
    "delete_filter", "drain_outbox",
    "edit_data", "skip_task", "go_back", "move_task_due", "reason_of", "MissingReason",
    "DeployResult", "MAX_DEPLOY_COMMENT", "deployed_name", "Validation", "StartResult", "CompleteResult", "TickResult",
    # reading
    "detail", "startable_spec", "sample_submission", "inbox", "inbox_counts", "InboxQuery", "InboxPage",
    "INBOX_SORTS", "INBOX_TABS", "inbox_aside", "InboxAside", "colleagues_for", "comments", "visible_task",
    "saved_filters", "Draft", "draft_for", "outbox_backlog",
    "Design", "DesignRow", "design_list", "open_design", "save_design", "check_design", "deploy_design",
    "DryRunReport", "dry_run",
    "design_catalogue", "design_patterns", "new_design",
    "FormChange", "drafted_forms", "form_changes", "version_forms",
    "FormDesign", "discard_form_design", "open_form_design", "preview_form", "save_form_design",
    "definitions", "process_versions", "version_file", "validate", "VersionFiles", "version_files", "version_numbers",
    "submitted", "task_form", "activities", "activity_page", "instance_page", "notifications", "task_page",
    "DiagramQuery", "process_diagram", "instance_diagram", "IncidentGroup", "incident_count", "incidents",
    "InstanceQuery", "InstanceListPage", "instance_list", "instance_facets", "matching_ids", "matching_rows",
    "INSTANCE_FILTERS",
    "instance_table_export",
    "BATCH_ACTIONS", "BatchPreview", "BatchReport", "batch_action_title", "batch_report", "batch_rows",
    "create_batch", "preview_batch", "recent_batches", "run_batch",
    "MigrationRefused", "migrate", "migration_check",
    # from the concern folders
    "audit_trail", "readable_instance", "readable_task", "record_denied", "visible_instances",
    "InvalidToken", "absences", "authenticate", "check_token", "colleagues", "create_token", "deactivate",
    "end_absence", "end_my_absence", "ensure_unit", "ensure_user", "revoke_token", "set_absence", "set_my_absence",
    "set_preferences", "tokens_of", "user_by_login", "user_for_token",
]
