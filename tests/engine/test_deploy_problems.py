"""What deploy says of a diagram a designer can fix (issue 14 §2): each problem names the element's type and id, its
line and, in code, the line of the code, in Russian; what SpiffWorkflow would say misleadingly (an unsupported
complex gateway, a flow into nowhere, an id used twice, a messageRef to nothing) is found before it parses; what it
would take and then ignore or fail on (a flow from nowhere, a script task with no inline Python script, a boundary
event attached to nothing) is refused; a task's form and role must exist. No library text leaks (see `refusal`)."""
import pytest

import engine
from engine.bpmn.library_texts import cleaned, code_message
from engine.bpmn.problems import Problem
from tests.conftest import linear, process_xml
from tests.engine.problem_kit import line_of, located
from tests.engine.test_bad_bpmn import refusal


def test_a_flow_into_nowhere_is_refused_naming_the_flow_and_its_target(app):
    dangling = process_xml('<bpmn:startEvent id="start"/>\n<bpmn:endEvent id="end"/>\n'
                           '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="nowhere"/>')
    [problem] = refusal(dangling)
    located(problem, dangling, "f0", "sequenceFlow")
    assert problem.message == "поток управления ведёт к «nowhere», но такого элемента в этом процессе нет"


def test_a_flow_from_nowhere_is_refused(app):
    content = process_xml('<bpmn:startEvent id="start"/>\n<bpmn:endEvent id="end"/>\n'
                          '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end"/>\n'
                          '<bpmn:sequenceFlow id="f1" sourceRef="ghost" targetRef="end"/>')
    [problem] = refusal(content)  # SpiffWorkflow takes it silently: the flow would just never be followed
    located(problem, content, "f1", "sequenceFlow")
    assert problem.message == "поток управления начинается у «ghost», но такого элемента в этом процессе нет"


@pytest.mark.parametrize("missing", ["sourceRef", "targetRef"])
def test_a_flow_without_source_or_target_is_refused_as_such(app, missing):
    flow = '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="end"/>'.replace(
        f' {missing}="{"start" if missing == "sourceRef" else "end"}"', "")
    content = process_xml('<bpmn:startEvent id="start"/>\n<bpmn:endEvent id="end"/>\n'
                          '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="end"/>\n' + flow)
    [problem] = refusal(content)
    located(problem, content, "f1", "sequenceFlow")
    end = "источника (sourceRef): присоедините его начало" if missing == "sourceRef" else \
        "цели (targetRef): присоедините его конец"
    assert problem.message == f"у потока управления нет {end} к элементу"


def test_a_complex_gateway_is_named_as_one(app):
    content = linear('<bpmn:complexGateway id="n1"/>')
    [problem] = refusal(content)
    located(problem, content, "n1", "complexGateway")
    assert str(problem).startswith("bad.bpmn, сложный шлюз «n1», строка 5: ")
    assert problem.message == ("движок не выполняет сложные шлюзы: используйте исключающий, включающий или "
                               "параллельный шлюз")


def test_an_element_the_schema_does_not_know_is_refused_at_its_line(app):
    unknown = linear('<bpmn:userTask id="n1"/>').replace(b'<bpmn:userTask id="n1"/>',
                                                        b'<bpmn:userTask id="n1"/><bpmn:bogus id="zz"/>')
    [problem] = refusal(unknown)
    assert problem.line == 5 and problem.message.startswith("элемент bpmn:bogus здесь недопустим по схеме BPMN")


def test_an_id_used_twice_is_refused_at_the_second_use(app):
    content = linear('<bpmn:userTask id="n1"/>', '<bpmn:userTask id="n2"/>').replace(b'id="n2"', b'id="n1"', 1)
    problems = refusal(content)
    twice = [p for p in problems if "дважды" in p.message]
    assert len(twice) == 1 and twice[0].element == "n1" and twice[0].element_type == "userTask"
    assert twice[0].line == line_of(content, "n1") + 1
    assert twice[0].message == ("идентификатор «n1» встречается в файле дважды (он же у элемента «пользовательская "
                                f"задача» в строке {line_of(content, 'n1')}): дайте каждому элементу свой")


@pytest.mark.parametrize("task, message", [
    ('<bpmn:scriptTask id="n1"/>', "в задаче-скрипте нет скрипта: запишите в задаче код на Python"),
    ('<bpmn:scriptTask id="n1"><bpmn:script>  </bpmn:script></bpmn:scriptTask>',
     "в задаче-скрипте нет скрипта: запишите в задаче код на Python"),
    ('<bpmn:scriptTask id="n1" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>',
     "скрипт написан на «groovy»: движок выполняет только скрипты на Python"),
    ('<bpmn:scriptTask id="n1" scriptFormat="python" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
     'camunda:resource="deployment://report.py"/>',
     "скрипт — внешний ресурс («deployment://report.py»): движок выполняет только скрипт, записанный в самой задаче"),
], ids=["no-script", "blank-script", "groovy", "external-resource"])
def test_a_script_task_without_an_inline_python_script_is_refused_as_such(app, task, message):
    content = linear(task)
    [problem] = refusal(content)
    located(problem, content, "n1", "scriptTask")
    assert problem.message == message


def test_a_python_script_format_is_accepted(app):
    content = linear('<bpmn:scriptTask id="n1" scriptFormat="python"><bpmn:script>x = 1</bpmn:script>'
                     '</bpmn:scriptTask>', process_id="py")
    assert engine.deploy([("py.bpmn", content)], actor="designer").process_ids == ["py"]


WAIT = ('<bpmn:startEvent id="start"/>\n<bpmn:intermediateCatchEvent id="wait">{definition}'
        '</bpmn:intermediateCatchEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end"/>')


def test_a_message_event_must_name_a_message_of_its_file(app):
    unknown = process_xml(WAIT.format(definition='<bpmn:messageEventDefinition messageRef="nomsg"/>'))
    [problem] = refusal(unknown)  # SpiffWorkflow itself fails with a TypeError of its own here
    located(problem, unknown, "wait", "intermediateCatchEvent")
    assert problem.message == ("сообщение «nomsg» (messageRef) не определено в этом файле: добавьте его в "
                               "сообщения схемы")
    unnamed = process_xml(WAIT.format(definition='<bpmn:messageEventDefinition/>'))
    [problem] = refusal(unnamed)
    located(problem, unnamed, "wait", "intermediateCatchEvent")
    assert problem.message.startswith("у события сообщения не указано сообщение (messageRef)")
    named = process_xml(WAIT.format(definition='<bpmn:messageEventDefinition messageRef="m"/>'), "named",
                        extra='<bpmn:message id="m" name="m"/>\n')
    assert engine.deploy([("named.bpmn", named)], actor="designer").process_ids == ["named"]


def test_a_boundary_event_attached_to_nothing_and_a_default_flow_of_another_element_are_refused(app):
    content = process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="f0"/>\n<bpmn:userTask id="work"/>\n'
        '<bpmn:boundaryEvent id="late" attachedToRef="gone"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H'
        '</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>')
    gateway, boundary = refusal(content)
    located(gateway, content, "gw", "exclusiveGateway")
    assert gateway.message == "его поток по умолчанию «f0» не выходит из него"
    located(boundary, content, "late", "boundaryEvent")
    assert boundary.message == ("граничное событие не прикреплено к задаче или подпроцессу этого процесса "
                                "(attachedToRef «gone»)")


def _task_with(**properties) -> str:
    props = "".join(f'<spiffworkflow:property name="{k}" value="{v}"/>' for k, v in properties.items())
    return (f'<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>{props}'
            '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>')


def test_a_task_s_form_and_role_must_exist(app):
    content = linear(_task_with(form="plan_reprot", role="iao_specalist"))
    form, role = refusal(content)
    located(form, content, "n1", "userTask")
    assert form.message == "формы «plan_reprot» нет среди форм (forms/definitions): выберите существующую"
    located(role, content, "n1", "userTask")
    assert role.message == ("роли «iao_specalist» нет в каталоге ролей (processes/roles.json), и ни у кого её "
                            "нет")
    good = linear(_task_with(form="plan_report", role="iao_specialist"), process_id="good")
    assert engine.deploy([("good.bpmn", good)], actor="designer").process_ids == ["good"]
    # a role_expression is code, checked by the sandbox, not a name; a role is also named by its title
    titled = linear(_task_with(role="Руководитель ОУ", role_expression="lead_role"), process_id="titled")
    assert engine.deploy([("titled.bpmn", titled)], actor="designer").process_ids == ["titled"]


def test_a_role_beyond_the_catalogue_that_someone_holds_is_accepted(app):
    """The directory keeps roles beyond the catalogue (`user create --role Manager` for a third-party lane)."""
    content = linear(_task_with(role="manager"), process_id="managed")
    [problem] = refusal(content)
    assert "«manager»" in problem.message
    engine.ensure_user("mgr", "manager", None)
    assert engine.deploy([("managed.bpmn", content)], actor="designer").process_ids == ["managed"]


def test_a_deployed_version_whose_form_is_gone_still_loads(app, tmp_path):
    """The references are a deploy rule: a version accepted then is read again without them."""
    from engine.bpmn.parsing import parse_bundle
    content = linear(_task_with(form="no_such_form"))
    bundle, problems = parse_bundle([("p.bpmn", content)], app.config["MAX_BPMN_BYTES"])
    assert problems == [] and bundle.get("p") is not None


def test_library_texts_are_cleaned_of_their_repetitions():
    assert cleaned("TypeError: TypeError: the value is wrong") == "TypeError: the value is wrong"
    assert cleaned("There is no support implemented for this task type.. ") == \
        "There is no support implemented for this task type."
    assert cleaned("unknown: something went wrong") == "something went wrong"
    assert cleaned('TypeError("f() got an unexpected keyword argument \'node\'")') == \
        "f() got an unexpected keyword argument 'node'"
    assert cleaned("Element '{http://www.omg.org/spec/BPMN/20100524/MODEL}bogus': x") == "Element 'bpmn:bogus': x"
    # in code, dots and braces are the code's own
    assert code_message("Line 3: SyntaxError: invalid syntax at statement: 'x = {1: ..}'")[0] == 3
    assert "«x = {1: ..}»" in str(code_message("Line 3: SyntaxError: invalid syntax at statement: 'x = {1: ..}'")[1])


def test_a_problem_reads_with_its_place_in_russian_and_gives_it_as_fields(app):
    problem = Problem("сообщение", "a.bpmn", "n1", "scriptTask", 5, 2)
    assert str(problem) == "a.bpmn, задача-скрипт «n1», строка 5: сообщение (строка 2 кода)"
    assert problem.as_dict() == {"text": str(problem), "message": "сообщение",
                                 "file": "a.bpmn", "element": "n1", "element_type": "scriptTask", "line": 5,
                                 "code_line": 2}
    assert str(Problem("x", "a.bpmn", "z", "fancyThing")) == "a.bpmn, fancyThing «z»: x"
    assert str(Problem("x")) == "x"
