"""Running a workflow object safely: creating or restoring it with the sandbox in place, advancing it within
limits, and noticing the library's silent failures.

Nothing here touches the database; `engine.store` loads and saves, `engine.service` decides.
"""
import time
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskIterator, TaskState

from . import clock
from .bpmn import fixes, pruning, serializer  # noqa: F401  (fixes: corrections to the library, see there)
from .errors import EngineError, IncompatibleState, ProcessError
from .sandbox import ScriptLimitExceeded, ScriptMemoryExceeded, ScriptTimeout, build_script_engine
from .sandbox.helpers import HELPERS, collecting_notifications, stop_collecting

# SpiffWorkflow's task iterators stop at depth 1000: past it a loop's tasks become invisible, the engine stops
# running them and reports the workflow completed (notes §8.5, §9.1). We allow deep trees and bound growth with
# MAX_TASKS_PER_INSTANCE instead.
_DEPTH = 1_000_000
for _iterator in (TaskIterator, BpmnTaskIterator):
    _defaults = list(_iterator.__init__.__defaults__)
    _defaults[1] = _DEPTH  # (end_at_spec, max_depth, ...)
    _iterator.__init__.__defaults__ = tuple(_defaults)


@lru_cache(maxsize=8)
def _script_engine(time_limit: float, memory_limit_mb: float):
    return build_script_engine(HELPERS, time_limit, int(memory_limit_mb * 1024 * 1024))


def script_engine():
    """The sandbox with this application's limits: the same in a web request, the CLI and a Celery worker."""
    config = current_app.config
    return _script_engine(config["SCRIPT_TIME_LIMIT_SECONDS"], config["SCRIPT_MEMORY_LIMIT_MB"])


def create(spec, subprocess_specs, data: dict) -> BpmnWorkflow:
    try:
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine())
    except SpiffWorkflowException as exc:  # a diagram the parser accepted but the library cannot start
        raise ProcessError(_l("The process cannot start: %(detail)s"), detail=describe(exc)) from exc
    start = workflow.get_tasks(state=TaskState.READY)
    if start:
        start[0].data.update(data)
    return workflow


def restore(state: str, version: str, spec, subprocess_specs) -> BpmnWorkflow:
    if serializer.newer_than_library(version):
        raise IncompatibleState(
            _l("The instance was saved by a newer SpiffWorkflow (format %(found)s, this one reads up to %(ours)s); "
               "refusing to load it rather than lose its data."), found=version, ours=serializer.FORMAT_VERSION)
    workflow = serializer.loads(state, spec, subprocess_specs, version)
    # Not serialized: a restored workflow would silently get the unrestricted default engine.
    workflow.script_engine = script_engine()
    return workflow


def dump(workflow) -> str:
    return serializer.dumps(workflow)


@dataclass
class StepOutcome:
    notifications: list = field(default_factory=list)
    events: list = field(default_factory=list)   # thrown and not caught inside the instance


def all_tasks(workflow):
    """Every task of the instance and its subprocesses, from the flat maps (no depth limit, no tree walk)."""
    yield from workflow.tasks.values()
    for sub in workflow.subprocesses.values():
        yield from sub.tasks.values()


def element(workflow, bpmn_id: str):
    """The task spec of the element `bpmn_id` in the instance's process or its subprocesses; None if none has it
    (what a finished task cut from the tree was)."""
    for spec in (workflow.spec, *workflow.subprocess_specs.values()):
        found = spec.task_specs.get(bpmn_id)
        if found is not None:
            return found
    return None


def advance(workflow, act=None, refresh_timers=False) -> StepOutcome:
    """Apply `act(workflow)` (complete a task, deliver an event...), then run the engine until only people,
    timers or messages can move it. Script failures, time limits and runaway loops raise ProcessError."""
    config = current_app.config
    max_steps, max_tasks = config["MAX_ENGINE_STEPS"], config["MAX_TASKS_PER_INSTANCE"]
    seconds = config.get("ENGINE_CALL_TIME_LIMIT_SECONDS", 60)
    deadline = time.monotonic() + seconds
    steps = 0

    def did_complete_task(task):
        nonlocal steps
        steps += 1
        stamp(task)
        # Say which limit stopped it. Finished history is cut as the engine runs, so an endless loop of flows
        # reaches the step limit; one whose steps are slow, the time limit; one that leaves tokens behind, the
        # task limit.
        if steps > max_steps:
            raise _Runaway(_l("The process made more than %(steps)s steps without waiting for anyone "
                              "(an endless loop?) and was stopped."), steps=max_steps)
        if len(workflow.tasks) > max_tasks:
            raise _Runaway(_l("The process grew to more than %(tasks)s tasks without waiting for anyone "
                              "(an endless loop?) and was stopped."), tasks=max_tasks)
        if time.monotonic() > deadline:
            raise _Runaway(_l("The process ran for more than %(seconds)s s (%(steps)s steps) without waiting for "
                              "anyone (an endless loop?) and was stopped."), seconds=f"{seconds:g}", steps=steps)

    history = _History(workflow)
    box, token = collecting_notifications()
    try:
        if act is not None:
            act(workflow)
        rounds = 0
        while True:
            if refresh_timers:
                workflow.refresh_timers()
            _do_engine_steps(workflow, did_complete_task, history.between_passes)
            rounds += 1
            # A due timer is made READY at the end of one call and run by the next; a cycle timer moves one tick
            # per refresh. Keep going while anything is ready to run.
            if not _engine_work_left(workflow) or rounds > max_steps:
                break
            refresh_timers = True
        _check_completion(workflow)
        history.prune()
        return StepOutcome(notifications=list(box), events=workflow.get_events())
    except _Runaway as stop:
        raise ProcessError(stop.message, **stop.params) from None
    except ScriptLimitExceeded as exc:
        raise ProcessError(_l("The process failed: %(detail)s"), detail=limit_text(exc)) from exc
    except SpiffWorkflowException as exc:
        raise ProcessError(_l("The process failed: %(detail)s"), detail=describe(exc),
                           element=failed_element(exc)) from exc
    except RecursionError as exc:
        raise ProcessError(_l("The process is nested too deeply to run.")) from exc
    except EngineError:
        raise
    except Exception as exc:  # the library fails with plain Python errors on some malformed data
        raise ProcessError(_l("The process failed: %(detail)s"), detail=f"{type(exc).__name__}: {exc}") from exc
    finally:
        stop_collecting(token)


def _do_engine_steps(workflow, did_complete_task, between_passes) -> None:
    """`BpmnWorkflow.do_engine_steps` of SpiffWorkflow 3.2.0, calling `between_passes(wf)` after each pass over the
    READY tasks of a workflow (the instance's or a subprocess's). Between passes no task the library has listed
    waits to be run, so finished history can be cut there: a loop that runs thousands of steps in one call then
    walks a small tree at every step instead of its whole past."""
    def update_workflow(wf):
        count = 0
        for task in wf.get_tasks(state=TaskState.READY):
            if not task.task_spec.manual:
                task.run()
                count += 1
                did_complete_task(task)
        return count

    def one_pass():
        active = workflow.get_active_subprocesses()
        for subprocess in sorted(active, key=lambda v: v.depth, reverse=True):
            count = None
            while count is None or count > 0:
                count = update_workflow(subprocess)
                between_passes(subprocess)
            if subprocess.parent_task_id is not None:
                task = workflow.get_task_from_id(subprocess.parent_task_id)
                task.task_spec._update(task)
        count = update_workflow(workflow)
        return count > 0 or len(workflow.get_active_subprocesses()) > len(active)

    while one_pass():
        between_passes(workflow)
    workflow.refresh_timers()


class _History:
    """Cuts a workflow's finished history during and after an engine call (engine.bpmn.pruning). During the call a
    tree is cut once it has grown well past what its last cut left, so that the cutting costs little per step
    whatever the loop."""
    SLACK = 20

    def __init__(self, workflow):
        self.workflow = workflow
        self.limits = {}

    def between_passes(self, wf) -> None:
        size = len(wf.tasks)
        limit = self.limits.get(id(wf))
        if limit is None:
            self.limits[id(wf)] = size + self.SLACK
            return
        if size <= limit:
            return
        if wf is self.workflow:
            pruning.prune(wf)
        else:
            pruning.cut(wf)
        # When little could be cut (a token held at a join, a reminder's end waiting for the process end), wait for
        # the tree to double before trying again.
        self.limits[id(wf)] = 2 * len(wf.tasks) + self.SLACK

    def prune(self) -> None:
        pruning.prune(self.workflow)


TRAIL = "gia_trail"  # the root task's internal data: the elements completed lately, oldest first
TRAIL_LENGTH = 100


def stamp(task) -> None:
    """Record the engine's time of completion on the task (the library records only wall-clock time), and add
    the element to the instance's trail: [bpmn id, kind, when, task id of a manual task]. The trail is what
    `flask gia instance show` tells of the path taken, since finished tasks are cut from the tree
    (engine.bpmn.pruning); it keeps the last TRAIL_LENGTH elements, so that it does not grow with a loop."""
    at = clock.now().isoformat()
    task.internal_data["completed_at"] = at
    spec = task.task_spec
    if getattr(spec, "bpmn_id", None):
        trail = task.workflow.top_workflow.task_tree.internal_data.setdefault(TRAIL, [])
        trail.append([spec.bpmn_id, type(spec).__name__, at, str(task.id) if spec.manual else None])
        del trail[:-TRAIL_LENGTH]


def trail(workflow) -> list | None:
    """The instance's trail (see `stamp`); None for one saved before the trail was kept."""
    return workflow.task_tree.internal_data.get(TRAIL)


class _Runaway(Exception):
    def __init__(self, message, **params):
        super().__init__(message)
        self.message, self.params = message, params


def _engine_work_left(workflow) -> bool:
    return any(t.state == TaskState.READY and not t.task_spec.manual for t in all_tasks(workflow))


def _check_completion(workflow) -> None:
    if workflow.is_completed():
        unfinished = [t for t in all_tasks(workflow) if t.state & TaskState.NOT_FINISHED_MASK
                      and t.state not in (TaskState.MAYBE, TaskState.LIKELY, TaskState.FUTURE)]
        if unfinished:
            names = ", ".join(sorted({t.task_spec.bpmn_id or t.task_spec.name for t in unfinished})[:5])
            raise ProcessError(_l("The engine reported the process completed while %(tasks)s still waited; "
                                  "stopped instead of losing them."), tasks=names)


def failed_element(exc: Exception) -> str | None:
    """The bpmn id of the element a SpiffWorkflow failure names, if it names one."""
    task = getattr(exc, "task", None)
    spec = getattr(exc, "task_spec", None) or (task.task_spec if task is not None else None)
    if isinstance(spec, str):
        return spec[:255]
    return getattr(spec, "bpmn_id", None) if spec is not None else None


def describe(exc: Exception) -> str:
    """A one-line account of a SpiffWorkflow failure: the element, the script line (in the reader's language: the
    incidents page and the dry run show it), the cause (the library's or Python's own words)."""
    parts = []
    task = getattr(exc, "task", None)
    spec = getattr(exc, "task_spec", None) or (task.task_spec if task is not None else None)
    if isinstance(spec, str):  # some library errors name the spec instead of passing it
        parts.append(str(_l("element «%(id)s»", id=spec)))
    elif spec is not None:
        parts.append(str(_l("element «%(id)s»", id=getattr(spec, "bpmn_id", None) or spec.name)))
    line = getattr(exc, "line_number", None)
    if line:
        parts.append(str(_l("line %(number)s", number=line)))
    cause = getattr(exc, "error_type", None) or ""
    message = str(getattr(exc, "message", None) or exc).strip().split("\n")[0]
    inner = exc.__cause__ or getattr(exc, "exception", None) or exc.__context__
    if isinstance(inner, ScriptLimitExceeded):
        message = limit_text(inner)
    where = (", ".join(parts) + ": ") if parts else ""
    return f"{where}{cause + ': ' if cause else ''}{message}"


def limit_text(exc: ScriptLimitExceeded) -> str:
    """What stopped a script, in the reader's language."""
    if isinstance(exc, ScriptTimeout):
        return str(_l("the script ran longer than %(seconds)s s and was stopped", seconds=f"{exc.seconds:g}"))
    if isinstance(exc, ScriptMemoryExceeded):
        return str(_l("the script needed more than %(megabytes)s MB of memory and was stopped (%(detail)s)",
                      megabytes=f"{exc.megabytes:g}", detail=exc.detail))
    return str(exc)
