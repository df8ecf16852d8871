"""Who may see and act, in one place: whom a task is offered to, who may act on it, what a user may see (`rules`);
who may start a process by hand, with which start form and for which units (`launch`); reading a task or an
instance on someone's behalf, reporting what she may not see as not found (`guards`); refusing or concealing an
attempt and recording it in the audit trail (`denials`).

The inbox, the task page, the REST API, the CLI and mail all ask here, so visibility is decided once.
"""
from .denials import conceal, refuse
from .guards import (MAX_ID, audit_trail, instance_tasks, readable_instance, readable_task, readable_task_in,
                     record_denied, visible_instances)
from .launch import launch_form, launch_units, may_start
from .rules import (can_view_instance, can_view_task, is_admin, is_city_staff, may_act, may_design, may_repair,
                    memberships, offer_shape, offered_filter, offered_ids, offered_to, offered_users, visible_units)

__all__ = [
    "can_view_instance", "can_view_task", "is_admin", "is_city_staff", "may_act", "may_design", "may_repair",
    "may_start", "memberships",
    "offer_shape", "offered_filter", "offered_ids", "offered_to", "offered_users", "visible_units",
    "launch_form", "launch_units",
    "MAX_ID", "audit_trail", "instance_tasks", "readable_instance", "readable_task", "readable_task_in",
    "record_denied", "visible_instances",
    "conceal", "refuse",
]
