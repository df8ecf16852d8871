"""The words of the modeller's own modules (issue 14 §1): the properties panel's groups (frontend/spiff-properties.js,
correlation-properties.js), a timer's next firing (timer-words.js) and the modelling rules' messages
(lint-messages.js). The page gets them in its data as `words` and the modules read them through frontend/words.js,
so that every text a designer reads goes through Flask-Babel like the rest of the site; "{name}" is filled in by
the page. bpmn-js's own words (palette, context pad) stay in frontend/translations-ru.js, for its translate hook.
"""
from babel import Locale
from babel.dates import get_month_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import ngettext

# The timer's units as timer-words.js names them (ISO 8601 duration parts), each with its plural forms.
UNITS = ("Y", "M", "W", "D", "H", "MIN", "S")


def modeller_words() -> dict:
    return {"properties": _properties(), "correlation": _correlation(), "timer": _timer(), "lint": _lint(),
            "lint_fallback": _("A modelling rule is broken.")}


def _properties() -> dict:
    expression = {
        "role_expression": (_("Role as an expression"),
                            _("The code of the role, computed from the process data (instead of a chosen role).")),
        "unit": (_("Organisation (school, exam point) as an expression"),
                 _("The code of the organisation whose staff with this role see the task.")),
        "due": (_("Due date as an expression"),
                _("The date by which the task is to be done (for example, due or plan_item['due']).")),
        "title": (_("Title in the inbox as an expression"), _("For example: 'Report: ' + plan_item['number'].")),
        "columns": (_("Inbox columns as an expression"), _("A dictionary: {'School': gia_unit['name']}.")),
        "checks": (_("Checks on submitting as an expression"),
                   _("A list of (field, condition, message): the task is not accepted while the condition is "
                     "false.")),
        "sample": (_("Sample data for the dry run as an expression"),
                   _("A dictionary of the data the dry run fills the form with.")),
    }
    return {
        "expressions": {name: {"label": label, "help": help} for name, (label, help) in expression.items()},
        "groups": {"task": _("Assignee's task"), "script_task": _("Script"), "condition": _("Condition"),
                   "message": _("Data of the message"), "scripts": _("Scripts before and after")},
        "not_set": _("— not set —"), "unknown_choice": _("{value} (no such one)"),
        "form": _("Form"), "no_form": _("Without a form the task is only confirmed."),
        "unknown_form": _("There is no such form in forms/: deploying will be refused."),
        "open_form": _("Open the form"), "edit_form": _("Edit the form"),
        "new_form_key": _("Key of the new form"), "create_form": _("Create the form"),
        "bad_form_key": _("A key is Latin letters, digits and _, starting with a letter (for example, plan_report)."),
        "new_form_help": _("The form editor opens; the form is chosen for the task at once."),
        "role": _("Role of the assignee"),
        "no_role": _("Not set: the role comes from the lane or from the expression below."),
        "instructions": _("Instructions for the assignee"),
        "instructions_help": _("Text above the form; the process's {{ variables }} may be used."),
        "pre_script": _("Script before the task"),
        "pre_script_help": _("Python in the sandbox; runs when the process reaches the task."),
        "post_script": _("Script after the task"), "post_script_help": _("Runs when the task is done."),
        "script": _("Script (Python)"), "script_help": _("Runs in the sandbox: no imports, files or network."),
        "condition": _("Condition of the flow (Python)"),
        "condition_help": _("The flow is taken when the condition is true; without a condition it is the "
                            "default flow."),
        "payload": _("Message payload as an expression"),
        "payload_help": _("Without it all the process data is sent."),
        "message_variable": _("Variable for the message payload"),
        "message_variable_help": _("Without it the message payload is added to the process data."),
        "timer_unset": _("The timer's type and value are not set."),
    }


def _correlation() -> dict:
    return {
        "group": _("Correlation"),
        "help": _("By the value of this expression in a message the process finds its instance: for example, the "
                  "exam point. An instance that sent or received a message with a value accepts from then on only "
                  "messages with the same value. The expression (Python) is computed on the message's data; the "
                  "diagram on the other side must know a property with the same code."),
        "no_message": _("Choose the message first (the Message group): correlation is set for it."),
        "expression": _("Expression for \"{name}\""), "code_of": _("Property code: {code}"),
        "expression_required": _("An expression is needed; to take the message out of the property, press the "
                                 "button below."),
        "name_of": _("Name of the property \"{code}\""),
        "name_help": _("Common to every message of this property."),
        "remove": _("Take the message out of \"{name}\""),
        "remove_last": _("The property has no other messages: it will be deleted from the diagram."),
        "choose": _("— choose a property —"), "add": _("Add to a correlation property"),
        "add_help": _("The expression is taken from the property's other messages; it can be changed."),
        "bad_code": _("A code is Latin letters, digits and _, not starting with a digit (for example, ppe)."),
        "code_taken": _("The code {code} is taken in this diagram already."),
        "new": _("New correlation property"), "code": _("Property code"),
        "code_help": _("The same code in the diagram on the other side; it also gives the value on the command "
                       "line."),
        "new_name": _("Name of the new property"), "new_expression": _("Expression of the new property"),
        "new_expression_help": _("Without an expression: the message's data field named as the code."),
        "create": _("Create the property"),
    }


def _timer() -> dict:
    units = {
        "Y": lambda n: ngettext("{count} year", "{count} years", n),
        "M": lambda n: ngettext("{count} month", "{count} months", n),
        "W": lambda n: ngettext("{count} week", "{count} weeks", n),
        "D": lambda n: ngettext("{count} day", "{count} days", n),
        "H": lambda n: ngettext("{count} hour", "{count} hours", n),
        "MIN": lambda n: ngettext("{count} minute", "{count} minutes", n),
        "S": lambda n: ngettext("{count} second", "{count} seconds", n),
    }
    months = get_month_names("wide", "format", locale=get_locale())  # genitive where the language has it
    return {
        "locale": str(get_locale()).replace("_", "-"),
        "units": {unit: _plural_forms(units[unit]) for unit in UNITS},
        "times": _plural_forms(lambda n: ngettext("{count} time", "{count} times", n)),
        "months": [months[number] for number in range(1, 13)],
        "moment": _("{day} {month} {year} at {time} (Moscow time)"),
        "empty": _("No value: the timer will not fire."),
        "expression": _("An expression: the time is computed when the process reaches the timer."),
        "bad_date": _("This does not look like an ISO 8601 date (for example, '2021-02-01T09:00:00+03:00')."),
        "fires_at": _("Fires on {moment}."), "fires_at_past": _("Fires on {moment}: that moment has passed."),
        "bad_duration": _("This does not look like an ISO 8601 duration (for example, 'P3D': three days)."),
        "fires_after": _("Fires {duration} after the process reaches the timer; if it did now, on {moment}."),
        "bad_cycle": _("This does not look like an ISO 8601 cycle (for example, 'R3/P1D': three times, once a "
                       "day)."),
        "cycle": _("Fires {times} every {duration}; the first time on {moment}."),
        "cycle_now": _("Fires {times} every {duration}; the first time on {moment} if the process reaches the "
                       "timer now."),
        "unlimited": _("with no limit on the number of times"),
    }


def _plural_forms(form) -> dict:
    """{CLDR plural category: the form for it}, as Intl.PluralRules names the category of a count on the page: the
    .po file's own plural rule picks the form, with a count of that category (none for Russian's "other", which
    only fractions have)."""
    rule = Locale.parse(str(get_locale())).plural_form
    forms = {}
    for category in rule.tags | {"other"}:
        sample = next((n for n in range(1000) if rule(n) == category), None)
        if sample is not None:
            forms[category] = form(sample)
    return forms


def _lint() -> dict:
    """{bpmnlint rule: {its message as its code words it (bpmnlint 11.15): ours}}, and "*" for a message a later
    version words otherwise, so that bpmnlint's English never reaches the page."""
    return {
        "no-implicit-split": {
            "Flow splits implicitly": _("The flow splits without a gateway: the element has several outgoing flows "
                                        "without conditions. Add a gateway or set conditions."),
            "*": _("The flow splits without a gateway.")},
        "no-disconnected": {
            "Element is not connected": _("The element is not connected to anything: it has no incoming or "
                                          "outgoing flows."),
            "*": _("The element is not connected to anything.")},
        "no-implicit-start": {
            "Element is an implicit start": _("No flow comes into the element: it will never run. Connect it to "
                                              "what must come before it."),
            "*": _("No flow comes into the element.")},
        "no-implicit-end": {
            "Element is an implicit end": _("No flow leaves the element: the branch breaks off. Lead it to an end "
                                            "event."),
            "*": _("No flow leaves the element.")},
        "label-required": {
            "Element is missing label/name": _("No name: assignees and the log show it."),
            "*": _("No name.")},
        "start-event-required": {
            "Process is missing start event": _("The process has no start event."),
            "Sub process is missing start event": _("The sub-process has no start event."),
            "*": _("There is no start event.")},
        "end-event-required": {
            "Process is missing end event": _("The process has no end event."),
            "Sub process is missing end event": _("The sub-process has no end event."),
            "*": _("There is no end event.")},
        "fake-join": {
            "Incoming flows do not join": _("Several incoming flows without a gateway: they do not wait for each "
                                            "other, the element runs once for each. Join them with a gateway."),
            "*": _("The incoming flows are not joined by a gateway.")},
        "no-complex-gateway": {
            "Element type <bpmn:ComplexGateway> is discouraged": _("The engine does not run a complex gateway: "
                                                                   "replace it with an exclusive, parallel or "
                                                                   "inclusive one."),
            "*": _("The engine does not run a complex gateway.")},
        "no-duplicate-sequence-flows": {
            "SequenceFlow is a duplicate": _("This flow repeats another: the same source, target and condition."),
            "Duplicate outgoing sequence flows": _("Two identical outgoing flows."),
            "Duplicate incoming sequence flows": _("Two identical incoming flows."),
            "*": _("Repeated flows.")},
        "single-blank-start-event": {
            "Process has multiple blank start events": _("The process has several blank start events: the engine "
                                                         "does not know which one to start with."),
            "Sub process has multiple blank start events": _("The sub-process has several blank start events."),
            "*": _("Several blank start events.")},
        "conditional-flows": {
            "Sequence flow is missing condition": _("The flow has no condition while the other flows from the same "
                                                    "element have one: set a condition or make it the default "
                                                    "flow."),
            "*": _("The flow has no condition.")},
        "superfluous-gateway": {
            "Gateway is superfluous. It only has one source and target.": _("A superfluous gateway: it has one "
                                                                            "incoming and one outgoing flow."),
            "*": _("A superfluous gateway.")},
        "no-gateway-join-fork": {
            "Gateway forks and joins": _("The gateway both joins and splits flows: make it two gateways."),
            "*": _("The gateway both joins and splits flows.")},
        "event-based-gateway": {
            "An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>":
                _("An event-based gateway must have at least two outgoing flows."),
            "A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional":
                _("A flow out of an event-based gateway cannot have a condition."),
            "*": _("The event-based gateway is built wrongly.")},
        "single-event-definition": {
            "Event has multiple event definitions": _("The event has several definitions (timer, message…): keep "
                                                      "one."),
            "*": _("The event has several definitions.")},
        "sub-process-blank-start-event": {
            "Start event must be blank": _("The start event of a sub-process must be blank: no timer and no "
                                           "message."),
            "*": _("The start event of a sub-process must be blank.")},
        "ad-hoc-sub-process": {
            "A <Start Event> is not allowed in <Ad Hoc Sub Process>": _("An ad hoc sub-process cannot have a start "
                                                                        "event."),
            "An <End Event> is not allowed in <Ad Hoc Sub Process>": _("An ad hoc sub-process cannot have an end "
                                                                       "event."),
            "*": _("The ad hoc sub-process is built wrongly.")},
    }
