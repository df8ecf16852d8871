"""Corrections to SpiffWorkflow 3.2.0 behaviour, applied once on import (engine.runtime imports this module).

1. A timer is due *at* its time, not only after it. The library fires a timer when its due time is strictly
   before now. `timers tick --now T` must fire what is due at T (the engine picks instances with
   `next_timer_at <= T`): with the library's test a timer due exactly at T was picked, not fired, reported as
   fired, and picked again until the sweep gave up. The three checks below are the library's own, with `<=`.
2. A parallel multi-instance activity gathers its output list in input order. The library appends each instance's
   output item when that instance completes, so `scores[i]` belonged to whoever finished i-th, not to
   `reviewers[i]`.
"""
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions import timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (CycleTimerEventDefinition,
                                                              DurationTimerEventDefinition,
                                                              TimeDateEventDefinition, TimerEventDefinition)
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask


def _now():
    return timer.datetime.now(timezone.utc)  # engine.clock points the module's datetime at the engine's clock


def _time_date_has_fired(self, my_task):
    event_value = my_task._get_internal_data('event_value')
    if event_value is None:
        event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        my_task._set_internal_data(event_value=event_value)
    if TimerEventDefinition.parse_time_or_duration(event_value) <= _now():
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data('event_fired', False)


def _duration_has_fired(self, my_task):
    event_value = my_task._get_internal_data("event_value")
    if event_value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        parsed_duration = TimerEventDefinition.parse_iso_duration(expression)
        event_value = (_now() + TimerEventDefinition.get_timedelta_from_start(parsed_duration)).isoformat()
        my_task._set_internal_data(event_value=event_value)
    if TimerEventDefinition.get_datetime(event_value) <= _now():
        my_task._set_internal_data(event_fired=True)
    return my_task._get_internal_data('event_fired', False)


def _cycle_complete(self, my_task):
    event_value = my_task._get_internal_data('event_value')
    if event_value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        cycles, start, duration = TimerEventDefinition.parse_iso_recurring_interval(expression)
        event_value = {'cycles': cycles, 'next': start.isoformat(), 'duration': duration.total_seconds()}
    ready = False
    if event_value['cycles'] != 0:
        next_event = datetime.fromisoformat(event_value['next'])
        if next_event <= _now():
            event_value['next'] = (next_event + timedelta(seconds=event_value['duration'])).isoformat()
            event_value['cycles'] -= 1
            ready = True
    else:
        my_task.internal_data.pop('event_value', None)
        my_task.internal_data['event_fired'] = True
    my_task._set_internal_data(event_value=event_value)
    return ready


TimeDateEventDefinition.has_fired = _time_date_has_fired
DurationTimerEventDefinition.has_fired = _duration_has_fired
CycleTimerEventDefinition.cycle_complete = _cycle_complete


_library_merge_child = MultiInstanceTask.merge_child


def _merge_child_in_input_order(self, workflow, child):
    my_task = child.parent
    output = None
    if self.data_output is not None and self.output_item is not None and self.data_output.exists(my_task):
        output = self.data_output.get(my_task)
    before = len(output) if isinstance(output, list) else None
    _library_merge_child(self, workflow, child)
    index = child.internal_data.get('key_or_index')
    if before is None or not isinstance(index, int) or len(output) != before + 1:
        return  # not an append to a list (a dict output, an update in place, a cardinality loop)
    indexes = {str(c.id): c.internal_data.get('key_or_index') for c in my_task.children}
    earlier = [indexes.get(i) for i in my_task.internal_data['merged'][:-1]]
    position = sum(1 for i in earlier if isinstance(i, int) and i < index)
    output.insert(position, output.pop())


MultiInstanceTask.merge_child = _merge_child_in_input_order
