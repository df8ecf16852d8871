"""Bad BPMN at deploy: every file that cannot run safely is refused with its file, element and line, and a
refused deployment stores nothing (no version, no file, no process, no audit event)."""
import re

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, DeployedProcess, Deployment, DeploymentFile, ProcessInstance
from tests.conftest import BPMN_HEADER, linear, process_xml

BPMN_NS = 'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def stored() -> dict:
    """What a deployment writes: the counts must not move when one is refused."""
    db.session.rollback()
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Deployment, DeploymentFile, DeployedProcess, AuditEvent)}


def refused(content: bytes, name: str = "bad.bpmn") -> list[str]:
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([(name, content)], actor="designer")
    assert stored() == before, "a refused deployment stored something"
    problems = info.value.problems()
    assert problems and all(p.strip() for p in problems)
    assert all(p in info.value.message for p in problems)  # the one-line message carries every problem
    return problems


def line_of(content: bytes, element: str) -> int:
    return content[:content.index(f'id="{element}"'.encode())].count(b"\n") + 1


def at(content: bytes, element: str) -> str:
    """How a problem names an element: "element 'x', line 7"."""
    return f"element '{element}', line {line_of(content, element)}"


def only(problems: list[str]) -> str:
    assert len(problems) == 1, problems
    return problems[0]


# --- files that are not BPMN at all ------------------------------------------------------------------------------

def test_not_well_formed_xml_is_refused_with_its_line(app):
    content = (BPMN_HEADER + '<bpmn:process id="p" isExecutable="true">\n<bpmn:startEvent id="start">\n'
               '<bpmn:endEvent id="end"/>\n</bpmn:process>\n</bpmn:definitions>\n').encode()
    problem = only(refused(content))
    assert problem.startswith("bad.bpmn: not well-formed XML")
    assert "mismatch" in problem and re.search(r"line \d+", problem)


def test_truncated_upload_is_refused(app):
    problem = only(refused(linear('<bpmn:task id="n1"/>')[:-40]))
    assert problem.startswith("bad.bpmn: not well-formed XML")


@pytest.mark.parametrize("junk", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd",           # an image uploaded by mistake
    bytes(range(256)) * 8,                                         # random binary
    "<?xml version='1.0' encoding='cp1251'?><x>Проверка</x>".encode("cp1251"),  # not UTF-8
], ids=["png", "binary", "cp1251"])
def test_binary_junk_is_refused_as_not_utf8(app, junk):
    assert only(refused(junk, "junk.bpmn")) == "junk.bpmn: not a UTF-8 text file (BPMN files are XML in UTF-8)"


@pytest.mark.parametrize("junk", [b"", b"\x00\x01\x02 garbage", b"just some text", b"{\"json\": true}"],
                         ids=["empty", "nul-bytes", "text", "json"])
def test_text_that_is_not_xml_is_refused(app, junk):
    assert only(refused(junk, "junk.bpmn")).startswith("junk.bpmn: not")


def test_xml_that_is_not_bpmn_is_refused(app):
    problem = only(refused(b'<?xml version="1.0"?>\n<html><body>hello</body></html>', "page.bpmn"))
    assert problem.startswith("page.bpmn: not a BPMN 2.0 file") and "'html'" in problem


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
    assert problem.startswith("bad.bpmn: ")
    assert "entity" in problem.lower() or "DOCTYPE" in problem
    assert token not in problem
    assert db.session.scalar(select(func.count()).select_from(DeploymentFile)) == 0


def test_parameter_entity_and_external_dtd_are_refused(app, secret):
    uri, token = secret
    for doctype in (f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{uri}"> %p;]>',
                    '<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">',
                    '<!DOCTYPE d [<!ENTITY harmless "only text">]>'):  # any DTD at all is refused
        problem = only(refused(_doctype_file(doctype)))
        assert problem.startswith("bad.bpmn: ") and token not in problem


def test_entity_bomb_is_refused(app):
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    for n in range(1, 10):
        levels.append(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">')
    content = _doctype_file(f'<!DOCTYPE d [{"".join(levels)}]>', name_attr=' name="&lol9;"')
    problem = only(refused(content))
    assert problem.startswith("bad.bpmn: ")
    assert len(problem) < 1000  # the expansion never made it into the message


def test_oversized_file_is_refused_before_parsing(app):
    app.config["MAX_BPMN_BYTES"] = 8 * 1024
    content = linear(*[f'<bpmn:task id="n{i + 1}" name="{"x" * 100}"/>' for i in range(80)])
    assert len(content) > 8 * 1024
    assert only(refused(content)) == "bad.bpmn: the file is larger than 8 KB"


# --- BPMN that is structurally broken -----------------------------------------------------------------------------

def test_diagram_without_start_event_is_refused_naming_the_process(app):
    content = process_xml('<bpmn:userTask id="t1"/>\n<bpmn:endEvent id="end"/>\n'
                          '<bpmn:sequenceFlow id="f" sourceRef="t1" targetRef="end"/>', "no_start")
    problem = only(refused(content))
    assert problem.startswith("bad.bpmn, element 'no_start'") and "start event" in problem.lower()


def test_non_executable_process_is_refused(app):
    content = linear('<bpmn:userTask id="n1"/>').replace(b'isExecutable="true"', b'isExecutable="false"')
    assert "isExecutable" in only(refused(content))


def test_call_activity_to_a_missing_process_is_refused_naming_the_call(app):
    content = linear('<bpmn:userTask id="n1"/>', '<bpmn:callActivity id="n2" calledElement="report"/>')
    problem = only(refused(content))
    assert problem.startswith(f"bad.bpmn, {at(content, 'n2')}: ")
    assert "'report'" in problem


def test_call_activity_inside_a_subprocess_to_a_missing_process_is_refused(app):
    content = linear('<bpmn:subProcess id="n1">\n<bpmn:startEvent id="s1"/>\n'
                     '<bpmn:callActivity id="inner_call" calledElement="gone"/>\n<bpmn:endEvent id="e1"/>\n'
                     '<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="inner_call"/>\n'
                     '<bpmn:sequenceFlow id="g2" sourceRef="inner_call" targetRef="e1"/>\n</bpmn:subProcess>')
    problem = only(refused(content))
    assert f"{at(content, 'inner_call')}" in problem and "'gone'" in problem


def test_call_activity_without_called_element_is_refused(app):
    problem = only(refused(linear('<bpmn:callActivity id="n1"/>')))
    assert "element 'n1'" in problem and "calledElement" in problem


def test_call_activity_resolved_by_another_file_of_the_bundle_deploys(app):
    main = linear('<bpmn:callActivity id="n1" calledElement="sub"/>', process_id="main")
    sub = linear('<bpmn:userTask id="n1"/>', process_id="sub")
    result = engine.deploy([("main.bpmn", main), ("sub.bpmn", sub)], actor="designer")
    assert result.process_ids == ["main", "sub"]
    # The same main file alone is refused: the call is checked against what is deployed together.
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("main.bpmn", main)], actor="designer")
    assert "element 'n1'" in only(info.value.problems())


def test_too_long_chain_is_a_clear_deploy_error(app):
    content = linear(*[f'<bpmn:scriptTask id="n{i + 1}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>'
                       for i in range(600)])
    problem = only(refused(content))
    assert problem.startswith("bad.bpmn")
    assert "too deeply" in problem and "subprocess" in problem
    assert "RecursionError" not in problem


def test_a_chain_of_a_few_hundred_tasks_deploys_and_runs(app):
    content = linear(*[f'<bpmn:scriptTask id="n{i + 1}"><bpmn:script>n = {i + 1}</bpmn:script></bpmn:scriptTask>'
                       for i in range(250)], process_id="chain")
    engine.deploy([("chain.bpmn", content)], actor="designer")
    result = engine.start("chain", {}, actor="designer")
    assert result.status == "completed"
    assert engine.detail(result.instance_id)["data"] == {"n": 250}


def test_dangling_flow_and_unsupported_elements_are_refused(app):
    dangling = process_xml('<bpmn:startEvent id="start"/>\n<bpmn:endEvent id="end"/>\n'
                           '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="nowhere"/>')
    assert "nowhere" in only(refused(dangling))
    complex_gw = linear('<bpmn:complexGateway id="n1"/>')
    assert "element 'n1'" in only(refused(complex_gw))
    unknown = linear('<bpmn:userTask id="n1"/>').replace(b'<bpmn:userTask id="n1"/>',
                                                        b'<bpmn:userTask id="n1"/><bpmn:bogus id="zz"/>')
    assert "line 5" in only(refused(unknown)) and "bogus" in only(refused(unknown))


def test_duplicate_process_ids_across_files_are_refused(app):
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("a.bpmn", linear('<bpmn:userTask id="n1"/>', process_id="twin")),
                       ("b.bpmn", linear('<bpmn:userTask id="n1"/>', process_id="twin"))], actor="designer")
    assert "twin" in only(info.value.problems())
    assert stored() == before


def test_empty_upload_is_refused(app):
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([], actor="designer")
    assert info.value.problems() == ["no files given"]


# --- code in the diagram: compiled at deploy, refused with element and line ------------------------------------------

MESSAGE = '<bpmn:message id="m" name="m"/>\n'

# site: (the file, the element the problem must name with its line, what the problem must say)
CODE_SITES = {
    "script": (linear('<bpmn:scriptTask id="n1"><bpmn:script>a = 1\nb = = 2</bpmn:script></bpmn:scriptTask>'),
               "n1", "script: Line 2"),
    "prescript": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:preScript>ok = 1\n'
                         'total = (</spiffworkflow:preScript></bpmn:extensionElements></bpmn:userTask>'),
                  "n1", "prescript: Line 2"),
    "postscript": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:postScript>if x\n'
                          '</spiffworkflow:postScript></bpmn:extensionElements></bpmn:userTask>'),
                   "n1", "postscript: Line 1"),
    "gateway condition": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="gw" default="f2"/>\n<bpmn:endEvent id="e1"/>\n'
        '<bpmn:endEvent id="e2"/>\n<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="e1">'
        '<bpmn:conditionExpression>amount &gt;&gt; </bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="e2"/>'), "gw", "condition: Line 1"),
    "timer date": (linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition>'
                          '<bpmn:timeDate>day_at(due, </bpmn:timeDate></bpmn:timerEventDefinition>'
                          '</bpmn:intermediateCatchEvent>'), "n1", "event expression: Line 1"),
    "timer duration": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:userTask id="work"/>\n<bpmn:boundaryEvent id="late" attachedToRef="work">'
        '<bpmn:timerEventDefinition><bpmn:timeDuration>"P1D" +</bpmn:timeDuration></bpmn:timerEventDefinition>'
        '</bpmn:boundaryEvent>\n<bpmn:endEvent id="end"/>\n<bpmn:endEvent id="end_late"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="work"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="work" targetRef="end"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="late" targetRef="end_late"/>'), "late", "event expression"),
    "MI cardinality": (linear('<bpmn:userTask id="n1"><bpmn:multiInstanceLoopCharacteristics isSequential="true">'
                              '<bpmn:loopCardinality>len(items</bpmn:loopCardinality>'
                              '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'), "n1", "cardinality: Line 1"),
    "MI completion": (linear('<bpmn:userTask id="n1"><bpmn:multiInstanceLoopCharacteristics>'
                             '<bpmn:loopCardinality>3</bpmn:loopCardinality>'
                             '<bpmn:completionCondition>done ==</bpmn:completionCondition>'
                             '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>'), "n1", "condition: Line 1"),
    "loop condition": (linear('<bpmn:userTask id="n1"><bpmn:standardLoopCharacteristics>'
                              '<bpmn:loopCondition>count &lt;</bpmn:loopCondition>'
                              '</bpmn:standardLoopCharacteristics></bpmn:userTask>'), "n1", "condition: Line 1"),
    "message payload": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:intermediateThrowEvent id="send">'
        '<bpmn:messageEventDefinition messageRef="m"><bpmn:extensionElements>'
        '<spiffworkflow:messagePayload>{"order": }</spiffworkflow:messagePayload></bpmn:extensionElements>'
        '</bpmn:messageEventDefinition></bpmn:intermediateThrowEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="send"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="send" targetRef="end"/>', extra=MESSAGE), "send", "event expression"),
    "correlation": (process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:intermediateCatchEvent id="wait">'
        '<bpmn:messageEventDefinition messageRef="m"/></bpmn:intermediateCatchEvent>\n<bpmn:endEvent id="end"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="wait"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="wait" targetRef="end"/>',
        extra=MESSAGE + '<bpmn:correlationProperty id="cp" name="cp"><bpmn:correlationPropertyRetrievalExpression '
                        'messageRef="m"><bpmn:messagePath>order[</bpmn:messagePath>'
                        '</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>\n'),
        "wait", "correlation: Line 1"),
    "conditional event": (linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:conditionalEventDefinition>'
                                 '<bpmn:condition>ready ==</bpmn:condition></bpmn:conditionalEventDefinition>'
                                 '</bpmn:intermediateCatchEvent>'), "n1", "event expression"),
    "task property": (linear('<bpmn:userTask id="n1"><bpmn:extensionElements><spiffworkflow:properties>'
                             '<spiffworkflow:property name="due" value="add_days(start_date,"/>'
                             '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'),
                      "n1", "property due: Line 1"),
    "embedded subprocess script": (linear(
        '<bpmn:subProcess id="n1">\n<bpmn:startEvent id="s1"/>\n'
        '<bpmn:scriptTask id="inner"><bpmn:script>x = 1 +</bpmn:script></bpmn:scriptTask>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:sequenceFlow id="g1" sourceRef="s1" targetRef="inner"/>\n'
        '<bpmn:sequenceFlow id="g2" sourceRef="inner" targetRef="e1"/>\n</bpmn:subProcess>'),
        "inner", "script: Line 1"),
}


@pytest.mark.parametrize("site", CODE_SITES)
def test_code_that_does_not_compile_is_refused_with_element_and_line(app, site):
    content, element, what = CODE_SITES[site]
    problem = only(refused(content))
    assert problem.startswith(f"bad.bpmn, {at(content, element)}: "), problem
    assert what in problem


def test_every_error_of_a_file_is_listed(app):
    content = linear('<bpmn:scriptTask id="n1"><bpmn:script>a = = 1</bpmn:script></bpmn:scriptTask>',
                     '<bpmn:userTask id="n2"><bpmn:extensionElements><spiffworkflow:properties>'
                     '<spiffworkflow:property name="title" value="\'x\' +"/></spiffworkflow:properties>'
                     '</bpmn:extensionElements></bpmn:userTask>',
                     '<bpmn:scriptTask id="n3"><bpmn:script>ok = 1\nself.__dict__</bpmn:script></bpmn:scriptTask>')
    problems = refused(content)
    assert len(problems) == 3, problems
    for element, detail in (("n1", "script: Line 1"), ("n2", "property title"), ("n3", "script: Line 2")):
        assert any(p.startswith(f"bad.bpmn, {at(content, element)}: ") and detail in p for p in problems)


@pytest.mark.parametrize("condition", ["${amount > 100}", "#{approved}", "${execution.getVariable('x') == 1}"])
def test_camunda_expressions_are_refused_at_deploy(app, condition):
    content = process_xml(
        '<bpmn:startEvent id="start"/>\n<bpmn:exclusiveGateway id="decide" default="f2"/>\n'
        '<bpmn:endEvent id="e1"/>\n<bpmn:endEvent id="e2"/>\n'
        '<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="decide"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="decide" targetRef="e1"><bpmn:conditionExpression>'
        f'{condition.replace(">", "&gt;")}</bpmn:conditionExpression></bpmn:sequenceFlow>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="e2"/>')
    problem = only(refused(content))
    assert problem.startswith(f"bad.bpmn, {at(content, 'decide')}: condition")


def test_camunda_timer_and_javascript_script_are_refused(app):
    timer = linear('<bpmn:intermediateCatchEvent id="n1"><bpmn:timerEventDefinition><bpmn:timeDate>${dueDate}'
                   '</bpmn:timeDate></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>')
    assert only(refused(timer)).startswith("bad.bpmn, element 'n1', line 5: event expression")
    js = linear('<bpmn:scriptTask id="n1" scriptFormat="javascript"><bpmn:script>var total = a + b;'
                '</bpmn:script></bpmn:scriptTask>')
    assert only(refused(js)).startswith("bad.bpmn, element 'n1', line 5: script")


# --- a refused deployment changes nothing ---------------------------------------------------------------------------

def test_one_bad_file_refuses_the_whole_bundle(app):
    good = linear('<bpmn:userTask id="n1"/>', process_id="good")
    bad = linear('<bpmn:scriptTask id="n1"><bpmn:script>x = (</bpmn:script></bpmn:scriptTask>', process_id="bad")
    before = stored()
    with pytest.raises(engine.InvalidDefinition) as info:
        engine.deploy([("good.bpmn", good), ("bad.bpmn", bad)], actor="designer")
    assert only(info.value.problems()).startswith("bad.bpmn, element 'n1', line 5: script")
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
    assert problem.startswith("p.bpmn, element 'n1', line 5: script: Line 1")

    started = engine.start("p", {}, actor="designer")
    assert db.session.get(ProcessInstance, started.instance_id).deployment_id == 1
    assert db.session.get(ProcessInstance, running).state == state
    assert [t.bpmn_id for t in engine.list_tasks(instance_id=running)] == ["n1"]
