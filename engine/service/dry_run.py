"""The dry run before deploy (issue 14 §3): the diagram as the modeller has it, parsed as deploy parses it, run
several times in memory with our script engine on a virtual clock; nothing is stored (no instance, no task row,
no audit record, no e-mail).

Each run starts with the data the plan would give (engine.service.dry_run_start). At its first visit in a run a
gateway (exclusive or inclusive) takes the outgoing flow taken least so far, whatever its conditions say, so that
the runs walk every branch; later visits in the same run evaluate the conditions, so that a loop ends as the data
makes it end. User tasks are completed with data generated from their form (forms.sample, as the year's
simulation does; every other run answers unusually now and then). Runs change temper every second run: an eager
one completes every task at once; a patient one first lets each waiting timer fire (the virtual clock moves to
its due time) and each awaited message or signal arrive, so that boundary events are taken too. A message's data
is what its sender's payload expression names, with samples where the dry run cannot know it (dry_run_start). A
run stops at a step limit or at the dry run's time limit, and says so.
"""
import copy
import random
import time
from types import SimpleNamespace
from uuid import UUID

from flask import current_app
from flask_babel import lazy_gettext as _l
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.util.task import TaskState

import forms
from forms.sample import sample_data
from .. import actions, clock, projection, roles, runtime
from ..access import offered_users
from ..bpmn.checks import Known
from ..bpmn.parsing import parse_bundle
from ..bpmn.properties import role_of, task_properties
from ..errors import EngineError, NotFound, ProcessError
from .design_deploy import design_bundle
from .dry_run_report import (DryRunReport, Issue, RunSummary, missing_forms, silent_timers,
                             unreached_issue)
from .dry_run_start import (EveryName, diagram_elements, message_payloads, sample_payload, sample_units,
                            start_data, start_form_sample)

MAX_RUNS = 12
MAX_ACTIONS = 200        # completions, timer firings and messages in one run
MAX_STEPS = 5_000        # engine steps in one run: an endless loop of scripts stops here
MAX_TIMER_FIRINGS = 25   # per run in the patient temper: a cycle timer would fire for ever
TIME_LIMIT_SECONDS = 30.0
UNUSUAL = 0.3            # forms.sample: the share of choice fields answered otherwise than usual, in odd runs
ACTOR = "dry-run"


class _Stopped(ProcessError):
    """A run stopped by the dry run's own limits (steps, time): it does not end, rather than failing."""


def dry_run(bpmn_id: str, xml: str, runs: int | None = None, time_limit: float | None = None) -> DryRunReport:
    """Run the diagram `xml` of process `bpmn_id` (with the other files of its latest version) `runs` times, or as
    many as its gateways need (at most MAX_RUNS); nothing is stored. A diagram deploy refuses is not run: the
    report carries its problems."""
    started = time.monotonic()
    report = DryRunReport(bpmn_id)
    try:
        files = design_bundle(bpmn_id, xml)
    except NotFound:  # never deployed: the diagram alone
        files = [(f"{bpmn_id}.bpmn", xml.encode("utf-8"))]
    # Parsed and checked as deploy does, except that forms and roles are not refused: the report names a missing
    # form and a role nobody holds at their tasks, and the rest of the diagram still runs.
    bundle, problems = parse_bundle(files, current_app.config["MAX_BPMN_BYTES"],
                                    Known(EveryName(), lambda role: True))
    startable = bundle.get(bpmn_id) if bundle is not None and not problems else None
    if startable is None:
        report.problems = ([str(p) for p in problems]
                           or [str(_l("No executable process has the id %(id)s.", id=bpmn_id))])
        return report
    nodes, flows, kinds = diagram_elements(xml)
    report.elements = len(nodes)
    limit = time_limit or current_app.config.get("DRY_RUN_TIME_LIMIT_SECONDS", TIME_LIMIT_SECONDS)
    runner = _Runner(startable, flows, deadline=started + limit, limit=limit, payloads=message_payloads(files))
    today = clock.now().astimezone(clock.local_zone()).date()
    report.start_data, unit, report.start_source = start_data(bpmn_id, today)
    runner.unit = unit
    report.start_data.update(start_form_sample(startable, report.start_data, today, runner.units))
    count = runs or min(MAX_RUNS, max(4, 2 * runner.widest_choice()))
    for number in range(count):
        summary, reached = runner.run(number, report.start_data, unit)
        report.runs.append(summary)
        for element in reached:
            report.reached[element] = report.reached.get(element, 0) + 1
        if summary.message is not None and "time" in runner.stop_reasons:
            break  # the time limit: later runs would stop at once
        if runs is None and number >= 1 and _all_reached(nodes, flows, report.reached):
            break
    report.reached = {e: report.reached[e] for e in [*nodes, *flows] if e in report.reached}
    report.unreached = [e for e in nodes if e not in report.reached]
    _check_fixed_roles(runner)
    report.issues = (runner.issues + missing_forms(runner.specs(), startable)
                     + [unreached_issue(e, kinds.get(e)) for e in report.unreached]
                     + silent_timers(runner.specs(), report.reached))
    report.seconds = time.monotonic() - started
    return report


def _all_reached(nodes, flows, reached) -> bool:
    return all(n in reached for n in nodes) and all(f in reached for f in flows)


class _Runner:
    """The runs of one dry run over one parsed diagram, whose specs (its own, parsed for it) it instruments:
    every completed element is counted, and gateways obey the forcing of the first visit."""

    def __init__(self, startable, flows, deadline: float, limit: float, payloads: dict):
        self.startable, self.deadline, self.limit, self.payloads = startable, deadline, limit, payloads
        self.unit = None
        self.flow_of = {(source, target): flow for flow, (source, target) in flows.items()}
        self.taken: dict[tuple[str, str], int] = {}   # (gateway, target) → runs that took it
        self.issues: list[Issue] = []
        self.seen_issues: set[tuple] = set()
        self.stop_reasons: set[str] = set()
        self.units = sample_units()
        self.holders: dict[str, bool] = {}
        self.run_state = None
        for spec in self.specs():
            self._instrument(spec)

    def specs(self):
        seen = set()
        for top in (self.startable.spec, *self.startable.subprocess_specs.values()):
            for spec in (top.task_specs.values() if top is not None else ()):
                if id(spec) not in seen:
                    seen.add(id(spec))
                    yield spec

    def widest_choice(self) -> int:
        return max([len(_outputs(s)) for s in self.specs() if isinstance(s, (ExclusiveGateway, InclusiveGateway))]
                   or [1])

    def _instrument(self, spec) -> None:
        completed = spec._on_complete_hook

        def on_complete(task, completed=completed, spec=spec):
            state = self.run_state
            if state is not None:
                state.steps += 1
                if getattr(spec, "bpmn_id", None):
                    state.reached.add(spec.bpmn_id)
                if state.steps > MAX_STEPS:
                    self.stop_reasons.add("steps")
                    raise _Stopped(_l("The run made more than %(steps)s steps (an endless loop?) and was stopped."),
                                   steps=MAX_STEPS, element=getattr(spec, "bpmn_id", None))
                if time.monotonic() > self.deadline:
                    self.stop_reasons.add("time")
                    raise _Stopped(_l("The dry run took longer than %(seconds)s s and was stopped."),
                                   seconds=f"{self.limit:g}", element=getattr(spec, "bpmn_id", None))
            return completed(task)
        spec._on_complete_hook = on_complete
        if isinstance(spec, InclusiveGateway):
            matching = spec._get_matching_outputs

            def forced_outputs(task, matching=matching, spec=spec):
                chosen = self._choose(spec)
                if chosen is None:
                    return matching(task)
                return [task.workflow.spec.get_task_spec_from_name(chosen)], []
            spec._get_matching_outputs = forced_outputs
        if isinstance(spec, (ExclusiveGateway, InclusiveGateway)):
            run_hook = spec._run_hook

            def run_gateway(task, run_hook=run_hook, spec=spec):
                chosen = self._choose(spec) if isinstance(spec, ExclusiveGateway) else None
                if chosen is None:
                    result = run_hook(task)
                else:  # ExclusiveChoice._run_hook with the output given
                    task._sync_children([task.workflow.spec.get_task_spec_from_name(chosen)], TaskState.FUTURE)
                    for child in task.children:
                        child.task_spec._predict(child, mask=TaskState.FUTURE | TaskState.PREDICTED_MASK)
                    result = True
                if self.run_state is not None:
                    self.run_state.choices.update((spec.bpmn_id, _element_of(c.task_spec)) for c in task.children)
                return result
            spec._run_hook = run_gateway

    def _choose(self, spec) -> str | None:
        """The output the gateway takes at its first visit in this run: the one taken least so far."""
        state = self.run_state
        if state is None or spec.name in state.visited:
            return None
        state.visited.add(spec.name)
        outputs = _outputs(spec)
        if len(outputs) < 2:
            return None
        chosen = min(outputs, key=lambda name: (self.taken.get((spec.bpmn_id, name), 0), outputs.index(name)))
        self.taken[(spec.bpmn_id, chosen)] = self.taken.get((spec.bpmn_id, chosen), 0) + 1
        return chosen

    def run(self, number: int, data: dict, unit: str) -> tuple[RunSummary, set]:
        # E E P P E E …: not in step with the gateways' alternation, so each branch is walked in both tempers
        summary = _State(number, patient=(number // 2) % 2 == 1)
        self.run_state = summary
        at = clock.now()
        try:
            with clock.pinned(at):
                workflow = runtime.create(self.startable.spec, self.startable.subprocess_specs,
                                          copy.deepcopy(data))
                runtime.advance(workflow)
            self._walk(workflow, summary, at, unit)
        except ProcessError as exc:
            stop = _stopped_in(exc)  # the library may wrap what the instrumented spec raised
            summary.message = (stop or exc).message
            self.note("not_ending" if stop else "script_error", (stop or exc).element or exc.element,
                      summary.message)
        except EngineError as exc:  # a message nothing waits for after all
            summary.message = exc.message
            self.note("not_ending", None, exc.message)
        finally:
            self.run_state = None
        return summary.public(), summary.reached | summary.flows(self.flow_of)

    def _walk(self, workflow, state: "_State", at, unit: str) -> None:
        firings = 0
        while state.actions < MAX_ACTIONS:
            if workflow.is_completed():
                state.ended = True
                return
            if time.monotonic() > self.deadline:
                self.stop_reasons.add("time")
                raise _Stopped(_l("The dry run took longer than %(seconds)s s and was stopped."),
                               seconds=f"{self.limit:g}")
            with clock.pinned(at):
                views = [v for v in projection.human_tasks(workflow, unit) if v.state == "READY"]
            state.reached.update(v.bpmn_id for v in views)
            waits = projection.waits(workflow)
            timers = sorted((w for w in waits if w["type"] == "timer" and w["due"]), key=lambda w: w["due"])
            events = [w for w in waits if w["type"] in ("message", "signal")]
            state.actions += 1
            if state.patient and timers and firings < MAX_TIMER_FIRINGS:
                at, firings = self._fire(workflow, timers[0], at), firings + 1
            elif state.patient and events and not state.delivered_once(events[0]):
                self._deliver(workflow, events[0], at)
            elif views:  # the patient temper does the latest first: an escalation before the late report
                self._complete(workflow, views[-1] if state.patient else views[0], state, at)
            elif events and not state.delivered_too_often(events[0]):
                self._deliver(workflow, events[0], at)
            elif timers:
                at = self._fire(workflow, timers[0], at)
            else:
                waiting = sorted({t.task_spec.bpmn_id for t in runtime.all_tasks(workflow)
                                  if t.state == TaskState.WAITING and t.task_spec.bpmn_id})
                message = _l("The run stopped before its end: nothing can move it on (waiting at %(where)s).",
                             where=", ".join(waiting) or "—")
                state.message = message
                self.note("not_ending", waiting[0] if waiting else None, message)
                return
        message = _l("The run did not end after %(count)s tasks, timers and messages (an endless loop?).",
                     count=MAX_ACTIONS)
        state.message = message
        self.note("not_ending", None, message)

    def _fire(self, workflow, timer: dict, at):
        due = max(at, clock.aware(projection.parse_moment(timer["due"])))
        with clock.pinned(due):
            actions.FireTimers().apply(workflow)
        return due

    def _deliver(self, workflow, wait: dict, at) -> None:
        known = {}  # what the waiting side holds: a payload's correlation keys come from there
        for task in runtime.all_tasks(workflow):
            if task.state == TaskState.WAITING:
                known.update(task.data)
        payload = sample_payload(self.payloads.get(wait["name"]), known, at.astimezone(clock.local_zone())
                                 .date().isoformat(), self.unit)
        action = (actions.Signal(wait["name"], payload) if wait["type"] == "signal"
                  else actions.Message(wait["name"], payload, correlations=wait.get("correlation")))
        self.run_state.deliveries[(wait["type"], wait["name"])] = \
            self.run_state.deliveries.get((wait["type"], wait["name"]), 0) + 1
        with clock.pinned(at):
            action.apply(workflow)

    def _complete(self, workflow, view, state: "_State", at) -> None:
        self.check_role(view)
        data, variable = {}, None
        task = workflow.get_task_from_id(UUID(view.id))
        if view.form_key:
            try:
                definition = self.startable.form(view.form_key)
            except forms.FormDefinitionError:
                definition = None  # reported by _static_issues; completed without data
            if definition is not None:
                rng = random.Random(f"{state.number}:{view.bpmn_id}:{state.actions}")
                # odd runs answer unusually now and then (a faulty item, a refusal): data a branch may need
                data = sample_data(definition, rng, today=at.astimezone(clock.local_zone()).date(),
                                   context=dict(task.data), file_ref={"attachment_id": 0}, units=self.units,
                                   unusual=UNUSUAL if state.number % 2 else 0.0)
                variable = definition.variable
        sample = task_properties(task.task_spec).get("sample")
        if sample:  # what a typical submission looks like where random data would not meet the task's checks
            try:
                value = runtime.script_engine().environment.evaluate(sample, dict(task.data))
            except Exception as exc:
                raise ProcessError(_l("Task %(task)s: property %(what)s (%(expr)s) failed: %(detail)s"),
                                   task=view.bpmn_id, what="sample", expr=sample, detail=exc,
                                   element=view.bpmn_id) from exc
            data.update(value if isinstance(value, dict) else {})
        with clock.pinned(at):
            actions.Complete(view.id, data, ACTOR, variable).apply(workflow)

    def check_role(self, view) -> None:
        """Note a role nobody active holds in the directory (anywhere: the dry run's unit is a sample one)."""
        role = view.role
        if role and role not in self.holders:
            self.holders[role] = bool(offered_users(role, None))
        if role and not self.holders[role]:
            self.note("role_unheld", view.bpmn_id, _l("Task %(task)s is offered to the role «%(role)s», which no "
                                                       "active user holds.", task=view.bpmn_id,
                                                       role=roles.title(role) or role))

    def note(self, kind: str, element: str | None, message) -> None:
        key = (kind, element, str(message))
        if key not in self.seen_issues:
            self.seen_issues.add(key)
            self.issues.append(Issue(kind, element, str(message)))


class _State:
    """One run as it goes: what it reached, which flows its gateways took, what it delivered."""

    def __init__(self, number: int, patient: bool):
        self.number, self.patient = number, patient
        self.ended, self.actions, self.steps, self.message = False, 0, 0, None
        self.reached: set[str] = set()
        self.visited: set[str] = set()
        self.choices: set[tuple[str, str]] = set()
        self.deliveries: dict[tuple, int] = {}

    def delivered_once(self, wait) -> bool:
        return self.deliveries.get((wait["type"], wait["name"]), 0) >= 1

    def delivered_too_often(self, wait) -> bool:
        return self.deliveries.get((wait["type"], wait["name"]), 0) >= MAX_ACTIONS // 4

    def flows(self, flow_of: dict) -> set[str]:
        """The flows the run took: a gateway's as it chose; another element's when both its ends were reached."""
        gateways = {g for g, _ in self.choices}
        return {flow for (source, target), flow in flow_of.items()
                if ((source, target) in self.choices if source in gateways
                    else source in self.reached and target in self.reached)}

    def public(self) -> RunSummary:
        return RunSummary(self.number + 1, self.patient, self.ended, self.actions, self.steps, self.message)


def _element_of(spec) -> str:
    """The element a spec stands for; a task with boundary events is reached through a spec the library adds
    (named after the task)."""
    return getattr(spec, "bpmn_id", None) or spec.name.split(".")[0]


def _stopped_in(exc: BaseException) -> "_Stopped | None":
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, _Stopped):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or getattr(exc, "exception", None) or exc.__context__
    return None


def _outputs(spec) -> list[str]:
    names = []
    for _, name in spec.cond_task_specs:
        if name not in names:
            names.append(name)
    return names


def _check_fixed_roles(runner: _Runner) -> None:
    """Roles written into the diagram (a task's role or lane) that nobody holds, whether a run reaches the task or
    not; a role_expression is checked when a run reaches its task."""
    for spec in runner.specs():
        if getattr(spec, "manual", False) and getattr(spec, "bpmn_id", None):
            role = None if task_properties(spec).get("role_expression") else role_of(spec)
            if role:
                runner.check_role(SimpleNamespace(bpmn_id=spec.bpmn_id, role=role))


__all__ = ["DryRunReport", "Issue", "RunSummary", "dry_run"]
