"""Database models of the engine: definitions, instances, their projections, people and the audit trail."""
from .definition import Deployment, DeploymentFile, DeployedProcess
from .instance import ProcessInstance, InstanceWait
from .human_task import HumanTask
from .people import Unit, User, Membership
from .audit import AuditEvent
from .notification import Notification
from .attachment import Attachment
from .setting import EngineSetting
from .plan import Plan, PlanItem
from .inbox import Absence, ApiToken, EmailOutbox, LoginAttempt, LoginThrottle, SavedFilter, TaskComment, TaskSnooze
from .draft import TaskDraft
from .submission import TaskSubmission
from .message_outbox import MessageOutbox
from .batch import BatchItem, BatchJob
from .design import DesignDraft, DesignFormDraft
from .production_calendar import ProductionCalendarDay

__all__ = [
    "Deployment", "DeploymentFile", "DeployedProcess", "ProcessInstance", "InstanceWait", "HumanTask",
    "Unit", "User", "Membership", "AuditEvent", "Notification", "Attachment", "EngineSetting", "Absence",
    "ApiToken", "EmailOutbox", "LoginAttempt", "LoginThrottle", "SavedFilter", "TaskComment", "TaskSnooze", "Plan",
    "PlanItem",
    "TaskDraft", "TaskSubmission", "MessageOutbox", "BatchJob", "BatchItem", "DesignDraft", "DesignFormDraft",
    "ProductionCalendarDay",
]
