"""Bad BPMN at deploy: every file that cannot run safely is refused with its file, element (type and id) and line,
in Russian (the app's default locale), and a refused deployment stores nothing (no version, no file, no process, no
audit event)."""
import re

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, DeployedProcess, Deployment, DeploymentFile, ProcessInstance
from tests.conftest import BPMN_HEADER, linear, process_xml
from tests.engine.problem_kit import at, located

BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def stored() -> dict:
    """What a deployment writes: the counts must not move when one is refused."""
    db.session.rollback()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Deployment, DeploymentFile, DeployedProcess, AuditEvent)}


def refused(content: bytes, name: str = "bad.bpmn") -> list[str]:
    return [str(p) for p in refusal(content, name)]


def refusal(content: bytes, name: str = "bad.bpmn") -> list:
    """The located problems (engine.bpmn.problems.Problem) deploy refuses `content` for."""
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([(name, content)], actor="designer")
    assert stored() == before, "a refused deployment stored something"
    problems = info.value.problems()
    assert problems and all(p.strip() for p in problems)
    assert all(p in info.value.message for p in problems)  # the one-line message carries every problem
    assert [str(p) for p in info.value.found] == problems
    for text in problems:  # no library text doubled or leaked
        for leak in ("TypeError", "unknown:", "..", "perhaps", "{http", "Element '", "ValidationException"):
            assert leak not in text, (leak, text)
    return info.value.found


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# --- files that are not BPMN at all ------------------------------------------------------------------------------

def test_not_well_formed_xml_is_refused_with_its_line(app):
    content = (BPMN_HEADER + '<bpmn:process id="p" isExecutable="true">\n<bpmn:startEvent id="start">\n'
               '<bpmn:endEvent id="end"/>\n</bpmn:process>\n</bpmn:definitions>\n').encode()
    [problem] = refusal(content)
    assert str(problem).startswith("bad.bpmn, строка 6: XML с ошибкой разметки: ")  # where </bpmn:process> is
    assert problem.line == 6 and problem.element is None
    assert problem.message == "XML с ошибкой разметки: тег startEvent, открытый в строке 4, закрыт тегом process"


def test_truncated_upload_is_refused(app):
    problem = only(refused(linear('<bpmn:task id="n1"/>')[:-40]))
    assert re.match(r"bad\.bpmn, строка \d+: XML с ошибкой разметки: ", problem)


@pytest.mark.parametrize("junk", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd",           # an image uploaded by mistake
    bytes(range(256)) * 8,                                         # random binary
    "<?xml version='1.0' encoding='cp1251'?><x>Проверка</x>".encode("cp1251"),  # not UTF-8
], ids=["png", "binary", "cp1251"])
def test_binary_junk_is_refused_as_not_utf8(app, junk):
    assert only(refused(junk, "junk.bpmn")) == "junk.bpmn: не текстовый файл в UTF-8 (файлы BPMN — это XML в UTF-8)"


@pytest.mark.parametrize("junk", [b"", b"\x00\x01\x02 garbage", b"just some text", b"{\"json\": true}"],
                         ids=["empty", "nul-bytes", "text", "json"])
def test_text_that_is_not_xml_is_refused(app, junk):
    problem = only(refused(junk, "junk.bpmn"))
    assert re.match(r"junk\.bpmn(, строка \d+)?: (XML с ошибкой разметки|не XML|не текстовый файл в UTF-8)", problem)


def test_xml_that_is_not_bpmn_is_refused(app):
    problem = only(refused(b'<?xml version="1.0"?>\n<html><body>hello</body></html>', "page.bpmn"))
    assert problem == "page.bpmn: не файл BPMN 2.0 (корневой элемент 'html', а должен быть bpmn:definitions)"


# --- hostile XML --------------------------------------------------------------------------------------------------

def _doctype_file(doctype: str, name_attr: str = "", script: str = "x = 1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<bpmn:definitions {BPMN_NS} id="d" '
            f'targetNamespace="t">\n<bpmn:process id="p" isExecutable="true"{name_attr}>\n'
            '<bpmn:startEvent id="start"/>\n'
            f'<bpmn:scriptTask id="n1"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>\n'
            '<bpmn:endEvent id="end"/>\n<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="n1"/>\n'
            '<bpmn:sequenceFlow id="f1" sourceRef="n1" targetRef="end"/>\n</bpmn:process>\n'
            '</bpmn:definitions>\n').encode()


@pytest.fixture
def secret(tmp_path):
    """A file an XXE would try to read; its content must never reach an error message or the database."""
    path = tmp_path / "secret.txt"
    token = "TOP-SECRET-4f1c9a"
    path.write_text(token)
    return path.as_uri(), token


@pytest.mark.parametrize("where", ["attribute", "script"])
def test_external_entity_xxe_is_refused_without_reading_the_file(app, secret, where):
    uri, token = secret
    doctype = f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>'
    content = (_doctype_file(doctype, name_attr=' name="&xxe;"') if where == "attribute"
               else _doctype_file(doctype, script='x = "&xxe;"'))
    problem = only(refused(content))
    assert re.match(r"bad\.bpmn(, строка \d+)?: (XML с ошибкой разметки|объявления DOCTYPE)", problem), problem
    assert "entity" in problem.lower() or "DOCTYPE" in problem
    assert token not in problem
    assert db.session.scalar(select(func.count()).select_from(DeploymentFile)) == 0


def test_parameter_entity_and_external_dtd_are_refused(app, secret):
    uri, token = secret
    for doctype in (f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{uri}"> %p;]>',
                    '<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">',
                    '<!DOCTYPE d [<!ENTITY harmless "only text">]>'):  # any DTD at all is refused
        problem = only(refused(_doctype_file(doctype)))
        assert re.match(r"bad\.bpmn(, строка \d+)?: (XML с ошибкой разметки|объявления DOCTYPE)", problem), problem
        assert token not in problem


def test_entity_bomb_is_refused(app):
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    for n in range(1, 10):
        levels.append(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">')
    content = _doctype_file(f'<!DOCTYPE d [{"".join(levels)}]>', name_attr=' name="&lol9;"')
    problem = only(refused(content))
    assert re.match(r"bad\.bpmn(, строка \d+)?: XML с ошибкой разметки: ", problem), problem
    assert len(problem) < 1000  # the expansion never made it into the message


def test_oversized_file_is_refused_before_parsing(app):
    app.config["MAX_BPMN_BYTES"] = 8 * 1024
    content = linear(*[f'<bpmn:task id="n{i + 1}" name="{"x" * 100}"/>' for i in range(80)])
    assert len(content) > 8 * 1024
    assert only(refused(content)) == "bad.bpmn: файл больше 8 КБ"


# --- BPMN that is structurally broken -----------------------------------------------------------------------------

def test_diagram_without_start_event_is_refused_naming_the_process(app):
    content = process_xml('<bpmn:userTask id="t1"/>\n<bpmn:endEvent id="end"/>\n'
                          '<bpmn:sequenceFlow id="f" sourceRef="t1" targetRef="end"/>', "no_start")
    [problem] = refusal(content)
    located(problem, content, "no_start", "process")
    assert problem.message == "в процессе нет начального события"


def test_non_executable_process_is_refused(app):
    content = linear('<bpmn:userTask id="n1"/>').replace(b'isExecutable="true"', b'isExecutable="false"')
    assert "isExecutable" in only(refused(content))


def test_call_activity_to_a_missing_process_is_refused_naming_the_call(app):
    content = linear('<bpmn:userTask id="n1"/>', '<bpmn:callActivity id="n2" calledElement="report"/>')
    [problem] = refusal(content)
    located(problem, content, "n2", "callActivity")
    assert problem.message == "вызываемого процесса «report» нет в развёртываемых вместе файлах (найдены процессы: p)"


def test_call_activity_inside_a_subprocess_to_a_missing_process_is_refused(app):
    content = linear('<bpmn:subProcess id="n1">\n<bpmn:startEvent id="s1"/>\n'
                     '<bpmn:callActivity id="inner_call" calledElement="gone"/>\n<bpmn:endEvent id="e1"/>\n'
                     '<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="inner_call"/>\n'
                     '<bpmn:sequenceFlow id="g2" sourceRef="inner_call" targetRef="e1"/>\n</bpmn:subProcess>')
    [problem] = refusal(content)
    located(problem, content, "inner_call", "callActivity")
    assert "«gone»" in problem.message


def test_call_activity_without_called_element_is_refused(app):
    content = linear('<bpmn:callActivity id="n1"/>')
    [problem] = refusal(content)
    located(problem, content, "n1", "callActivity")
    assert problem.message == "в вызове процесса не указано, какой процесс вызвать (calledElement)"


def test_call_activity_resolved_by_another_file_of_the_bundle_deploys(app):
    main = linear('<bpmn:callActivity id="n1" calledElement="sub"/>', process_id="main")
    sub = linear('<bpmn:userTask id="n1"/>', process_id="sub")
    result = engine.deploy([("main.bpmn", main), ("sub.bpmn", sub)], actor="designer")
    assert result.process_ids == ["main", "sub"]
    # The same main file alone is refused: the call is checked against what is deployed together.
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("main.bpmn", main)], actor="designer")
    assert "вызов процесса «n1», строка 5: " in only(info.value.problems())


def test_too_long_chain_is_a_clear_deploy_error(app):
    content = linear(*[f'<bpmn:scriptTask id="n{i + 1}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>'
                       for i in range(600)])
    problem = only(refused(content))
    assert problem == ("bad.bpmn: процесс слишком длинный, чтобы его разобрать (разбейте длинные цепочки на "
                       "подпроцессы)")


def test_a_chain_of_a_few_hundred_tasks_deploys_and_runs(app):
    content = linear(*[f'<bpmn:scriptTask id="n{i + 1}"><bpmn:script>n = {i + 1}</bpmn:script></bpmn:scriptTask>'
                       for i in range(250)], process_id="chain")
    engine.deploy([("chain.bpmn", content)], actor="designer")
    result = engine.start("chain", {}, actor="designer")
    assert result.status == "completed"
    assert engine.detail(result.instance_id)["data"] == {"n": 250}


def test_duplicate_process_ids_across_files_are_refused(app):
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("a.bpmn", linear('<bpmn:userTask id="n1"/>', process_id="twin")),
                       ("b.bpmn", linear('<bpmn:userTask id="n1"/>', process_id="twin"))], actor="designer")
    [problem] = info.value.found
    assert (problem.file, problem.element, problem.element_type) == ("b.bpmn", "twin", "process")
    assert problem.message == "процесс «twin» определён и в другом файле, развёртываемом вместе с этим"
    assert stored() == before


def test_empty_upload_is_refused(app):
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([], actor="designer")
    assert info.value.problems() == ["не передано ни одного файла"]


# --- code in the diagram: compiled at deploy, refused with element and line ------------------------------------------

MESSAGE = '<bpmn:message id="m" name="m"/>\n'

# site: (the file, the element the problem must name with its line, its type, how the message starts, the line of
# the code)
CODE_SITES = {
    "script": (linear('<bpmn:scriptTask id="n1"><bpmn:script>a = 1\nb = = 2</bpmn:script></bpmn:scriptTask>'),
               "n1", "scriptTask", "скрипт: синтаксическая ошибка в «b = = 2»: неверный синтаксис", 2),
    "prescript": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:preScript>ok = 1\n'
                         'total = (</spiffworkflow:preScript></bpmn:extensionElements></bpmn:userTask>'),
                  "n1", "userTask", "скрипт перед задачей (preScript): синтаксическая ошибка", 2),
    "postscript": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:postScript>if x\n'
                          '</spiffworkflow:postScript></bpmn:extensionElements></bpmn:userTask>'),
                   "n1", "userTask", "скрипт после задачи (postScript): синтаксическая ошибка в «if x»", 1),
    "gateway condition": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="f2"/>\n<bpmn:endEvent id="e1"/>\n'
        '<bpmn:endEvent id="e2"/>\n<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="e1">'
        '<bpmn:conditionExpression>amount &gt;&gt; </bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e2"/>'), "f1", "sequenceFlow",
        "условие потока из «gw»: синтаксическая ошибка в «amount >>»", 1),
    "timer date": (linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition>'
                          '<bpmn:timeDate>day_at(due, </bpmn:timeDate></bpmn:timerEventDefinition>'
                          '</bpmn:intermediateCatchEvent>'), "n1", "intermediateCatchEvent",
                   "выражение события: синтаксическая ошибка в «day_at(due,»", 1),
    "timer duration": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="work"/>\n<bpmn:boundaryEvent id="late" attachedToRef="work">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D" +</bpmn:timeDuration></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent>\n<bpmn:endEvent id="end"/>\n<bpmn:endEvent id="end_late"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="end_late"/>'), "late", "boundaryEvent",
        "выражение события: синтаксическая ошибка", 1),
    "MI cardinality": (linear('<bpmn:userTask id="n1"><bpmn:multiInstanceLoopCharacteristics isSequential="true">'
                              '<bpmn:loopCardinality>len(items</bpmn:loopCardinality>'
                              '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'), "n1", "userTask",
                       "число экземпляров (loopCardinality): синтаксическая ошибка в «len(items»", 1),
    "MI completion": (linear('<bpmn:userTask id="n1"><bpmn:multiInstanceLoopCharacteristics>'
                             '<bpmn:loopCardinality>3</bpmn:loopCardinality>'
                             '<bpmn:completionCondition>done ==</bpmn:completionCondition>'
                             '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'), "n1", "userTask",
                      "условие: синтаксическая ошибка в «done ==»", 1),
    "loop condition": (linear('<bpmn:userTask id="n1"><bpmn:standardLoopCharacteristics>'
                              '<bpmn:loopCondition>count &lt;</bpmn:loopCondition>'
                              '</bpmn:standardLoopCharacteristics></bpmn:userTask>'), "n1", "userTask",
                       "условие: синтаксическая ошибка в «count <»", 1),
    "message payload": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:intermediateThrowEvent id="send">'
        '<bpmn:messageEventDefinition messageRef="m"><bpmn:extensionElements>'
        '<spiffworkflow:messagePayload>{"order": }</spiffworkflow:messagePayload></bpmn:extensionElements>'
        '</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="send"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="send" targetRef="end"/>', extra=MESSAGE), "send",
        "intermediateThrowEvent", "выражение события: синтаксическая ошибка", 1),
    "correlation": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:intermediateCatchEvent id="wait">'
        '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end"/>',
        extra=MESSAGE + '<bpmn:correlationProperty id="cp" name="cp"><bpmn:correlationPropertyRetrievalExpression '
                        'messageRef="m"><bpmn:messagePath>order[</bpmn:messagePath>'
                        '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>\n'),
        "wait", "intermediateCatchEvent", "выражение корреляции: синтаксическая ошибка в «order[»", 1),
    "conditional event": (linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:conditionalEventDefinition>'
                                 '<bpmn:condition>ready ==</bpmn:condition></bpmn:conditionalEventDefinition>'
                                 '</bpmn:intermediateCatchEvent>'), "n1", "intermediateCatchEvent",
                          "выражение события: синтаксическая ошибка в «ready ==»", 1),
    "task property": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>'
                             '<spiffworkflow:property name="due" value="add_days(start_date,"/>'
                             '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'),
                      "n1", "userTask", "свойство due: синтаксическая ошибка в «add_days(start_date,»", 1),
    "embedded subprocess script": (linear(
        '<bpmn:subProcess id="n1">\n<bpmn:startEvent id="s1"/>\n'
        '<bpmn:scriptTask id="inner"><bpmn:script>x = 1 +</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="inner"/>\n'
        '<bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="e1"/>\n</bpmn:subProcess>'),
        "inner", "scriptTask", "скрипт: синтаксическая ошибка в «x = 1 +»: неверный синтаксис", 1),
}


@pytest.mark.parametrize("site", CODE_SITES)
def test_code_that_does_not_compile_is_refused_with_element_and_line(app, site):
    content, element, kind, message, code_line = CODE_SITES[site]
    [problem] = refusal(content)
    located(problem, content, element, kind, code_line)
    assert problem.message.startswith(message), problem.message


def test_every_error_of_a_file_is_listed(app):
    content = linear('<bpmn:scriptTask id="n1"><bpmn:script>a = = 1</bpmn:script></bpmn:scriptTask>',
                     '<bpmn:userTask id="n2"><bpmn:extensionElements><spiffworkflow:properties>'
                     '<spiffworkflow:property name="title" value="\'x\' +"/></spiffworkflow:properties>'
                     '</bpmn:extensionElements></bpmn:userTask>',
                     '<bpmn:scriptTask id="n3"><bpmn:script>ok = 1\nself.__dict__</bpmn:script></bpmn:scriptTask>')
    problems = refused(content)
    assert len(problems) == 3, problems
    for element, kind, detail in (("n1", "scriptTask", "скрипт: синтаксическая ошибка в «a = = 1»"),
                                  ("n2", "userTask", "свойство title: синтаксическая ошибка"),
                                  ("n3", "scriptTask", "скрипт: атрибут «__dict__» недоступен")):
        assert any(p.startswith(f"bad.bpmn, {at(content, element, kind)}: {detail}") for p in problems), problems


@pytest.mark.parametrize("condition", ["${amount > 100}", "#{approved}", "${execution.getVariable('x') == 1}"])
def test_camunda_expressions_are_refused_at_deploy(app, condition):
    content = process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="decide" default="f2"/>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:endEvent id="e2"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="decide"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="decide" targetRef="e1"><bpmn:conditionExpression>'
        f'{condition.replace(">", "&gt;")}</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="e2"/>')
    [problem] = refusal(content)
    located(problem, content, "f1", "sequenceFlow", 1)  # the flow that carries the condition
    assert problem.message.startswith(f"условие потока из «decide»: синтаксическая ошибка в «{condition}»")


def test_camunda_timer_and_javascript_script_are_refused(app):
    timer = linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition><bpmn:timeDate>${dueDate}'
                   '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    assert only(refused(timer)).startswith("bad.bpmn, промежуточное событие-ожидание «n1», строка 5: выражение "
                                           "события: синтаксическая ошибка в «${dueDate}»")
    js = linear('<bpmn:scriptTask id="n1" scriptFormat="javascript"><bpmn:script>var total = a + b;'
                '</bpmn:script></bpmn:scriptTask>')
    assert only(refused(js)) == ("bad.bpmn, задача-скрипт «n1», строка 5: скрипт написан на «javascript»: движок "
                                 "выполняет только скрипты на Python")


# --- a refused deployment changes nothing ---------------------------------------------------------------------------

def test_one_bad_file_refuses_the_whole_bundle(app):
    good = linear('<bpmn:userTask id="n1"/>', process_id="good")
    bad = linear('<bpmn:scriptTask id="n1"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>', process_id="bad")
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("good.bpmn", good), ("bad.bpmn", bad)], actor="designer")
    assert only(info.value.problems()).startswith("bad.bpmn, задача-скрипт «n1», строка 5: скрипт: синтаксическая")
    assert stored() == before
    with pytest.raises(engine.NotFound):
        engine.start("good", {}, actor="designer")
    assert engine.deploy([("good.bpmn", good)], actor="designer").version == 1


def test_refused_new_version_leaves_the_running_version_in_place(app):
    v1 = linear('<bpmn:userTask id="n1"/>', process_id="p")
    assert engine.deploy([("p.bpmn", v1)], actor="designer").version == 1
    running = engine.start("p", {"k": 1}, actor="designer").instance_id
    state = db.session.get(ProcessInstance, running).state

    v2 = linear('<bpmn:scriptTask id="n1"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>', process_id="p")
    problem = only(refused(v2, "p.bpmn"))
    assert problem == ("p.bpmn, задача-скрипт «n1», строка 5: скрипт: import запрещён: math, datetime, date и "
                       "timedelta доступны без импорта (строка 1 кода)")

    started = engine.start("p", {}, actor="designer")
    assert db.session.get(ProcessInstance, started.instance_id).deployment_id == 1
    assert db.session.get(ProcessInstance, running).state == state
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=running)] == ["n1"]
