"""Diagram code refused at deploy (the sandbox's first line; test_sandbox.py has what compiles and misbehaves when
it runs): imports, escapes through dunder names, and the same in conditions, timers and task properties, each named
with its element, line and line of the code, and nothing stored. Code that reached the engine another way is
refused again when it would run."""
import pytest

import engine
from engine import runtime
from engine.models import Deployment
from engine.sandbox import ScriptCompileError
from tests.conftest import linear, process_xml
from tests.engine.test_sandbox import count, deploy, marker  # noqa: F401  (marker: a fixture)


@pytest.mark.parametrize("script, line", [
    ("import os\nos.system('touch {m}')", 1),
    ("x = 1\nfrom os import system\nsystem('touch {m}')", 2),
    ("import subprocess as sp\nsp.run(['touch', '{m}'])", 1),
    ("total = 0\nimport math", 2),  # even a harmless module: nothing can be imported in the sandbox
], ids=["import-os", "from-os", "subprocess", "math"])
def test_a_script_that_imports_is_refused_at_deploy(app, marker, script, line):
    content = linear('<bpmn:scriptTask id="n1"><bpmn:script>' + script.format(m=marker) + '</bpmn:script>'
                     '</bpmn:scriptTask>')
    with pytest.raises(engine.InvalidDefinition) as info:
        deploy(content)
    [problem] = info.value.found
    assert str(problem) == ("test.bpmn, задача-скрипт «n1», строка 5: скрипт: import запрещён: math, datetime, date "
                            f"и timedelta доступны без импорта (строка {line} кода)")
    assert (problem.element, problem.element_type, problem.line, problem.code_line) == ("n1", "scriptTask", 5, line)
    assert count(Deployment) == 0
    with pytest.raises(ScriptCompileError):
        runtime.script_engine().environment.execute(script.format(m=marker), {})


ESCAPES = {
    # The classic subclass walk to os._wrap_close and its globals' `system`.
    "subclasses": "for c in ().__class__.__base__.__subclasses__():\n"
                  "    if c.__name__ == '_wrap_close':\n"
                  "        c.__init__.__globals__['system']('touch {m}')",
    "dunder import": "__import__('os').system('touch {m}')",
    "builtins dict": "__builtins__['__import__']('os').system('touch {m}')",
    "frame walk": "g = (x for x in [1])\nf = g.gi_frame.f_back\nf.f_globals['open']('{m}', 'w')",
    "mro walk": "x = 1\ny = (1).__class__.__mro__[-1].__subclasses__()",
}


@pytest.mark.parametrize("name", ESCAPES)
def test_escapes_through_dunder_names_are_refused_at_deploy(app, marker, name):
    script = ESCAPES[name].format(m=marker)
    content = linear('<bpmn:scriptTask id="n1"><bpmn:script>' + script.replace("'", "&apos;") + '</bpmn:script>'
                     '</bpmn:scriptTask>')
    with pytest.raises(engine.InvalidDefinition) as info:
        deploy(content)
    problems = info.value.problems()
    assert all(p.startswith("test.bpmn, задача-скрипт «n1», строка 5: скрипт") for p in problems), problems
    assert all(p.code_line for p in info.value.found)
    assert any("начинающиеся с _, в песочнице закрыты" in p or "в песочнице закрыт" in p for p in problems)
    assert count(Deployment) == 0
    # Code that reached the engine some other way (a deployment stored by an older version) is refused again
    # when it would run.
    with pytest.raises(ScriptCompileError):
        runtime.script_engine().environment.execute(script, {})


def test_escape_attempts_in_conditions_timers_and_properties_are_refused_at_deploy(app, marker):
    content = process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="f2"/>\n'
        '<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDate>'
        f'__import__("os").system("touch {marker}")</bpmn:timeDate></bpmn:timerEventDefinition>'
        '</bpmn:intermediateCatchEvent>\n'
        '<bpmn:userTask id="work"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="title" value="name.__class__.__name__"/></spiffworkflow:properties>'
        '</bpmn:extensionElements></bpmn:userTask>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="wait"><bpmn:conditionExpression>'
        '().__class__.__base__.__subclasses__()</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f3" sourceRef="wait" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="end"/>')
    with pytest.raises(engine.InvalidDefinition) as info:
        deploy(content)
    problems = info.value.problems()
    for prefix in ("test.bpmn, поток управления «f1», строка 10: условие потока из «gw»: атрибут «__class__»",
                   "test.bpmn, промежуточное событие-ожидание «wait», строка 6: выражение события: имя «__import__»",
                   "test.bpmn, пользовательская задача «work», строка 7: свойство title: атрибут «__class__»"):
        assert any(p.startswith(prefix) for p in problems), (prefix, problems)
    assert count(Deployment) == 0
