"""A process's versions (issue 14 §4): each deployment's author, time and comment, and the instances of that
process on it, running and in all, counted in one grouped statement and checked against a count by hand; the
deploy's comment in the audit trail; validate answers what deploy would refuse and stores nothing."""
import json

import pytest
from sqlalchemy import func, select

import engine
from engine.db import db
from engine.models import AuditEvent, DeployedProcess, Deployment, DeploymentFile, ProcessInstance
from engine.models.instance import InstanceStatus
from tests.conftest import linear
from tests.engine.test_bad_bpmn import _doctype_file, stored
from tests.engine.test_lean_step import statements


def waiting(process_id: str, title: str = "Work") -> bytes:
    """A process that stops at a user task, so its instances keep running."""
    return linear(f'<bpmn:userTask id="n1" name="{title}"/>', process_id=process_id)


def brute_force(bpmn_id: str) -> dict[int, tuple[int, int]]:
    counts: dict[int, list[int]] = {}
    for row in db.session.scalars(select(ProcessInstance).where(ProcessInstance.process_id == bpmn_id)):
        entry = counts.setdefault(row.deployment_id, [0, 0])
        entry[1] += 1
        entry[0] += row.status not in InstanceStatus.FINAL
    return {version: tuple(pair) for version, pair in counts.items()}


@pytest.fixture
def three_versions(org):
    """p in three versions (the first deployed with q beside it): instances running, cancelled and completed."""
    first = engine.deploy([("p.bpmn", waiting("p")), ("q.bpmn", waiting("q"))], actor="designer",
                          comment="Первая версия")
    on_first = [engine.start("p", {}, actor="iao").instance_id for _ in range(3)]
    engine.start("q", {}, actor="iao")  # q's instance on the same version is not p's
    engine.cancel(on_first[0], actor="operator")
    second = engine.deploy([("p.bpmn", waiting("p", "Work again"))], actor="admin")
    engine.start("p", {}, actor="iao")
    engine.start("p", {}, actor="iao")
    third = engine.deploy([("p.bpmn", linear(process_id="p"))], actor=None, comment="  Без задач  ")
    engine.start("p", {}, actor="iao")  # completes at once
    db.session.commit()
    return first.version, second.version, third.version


def test_versions_newest_first_with_author_comment_and_files(three_versions):
    first, second, third = three_versions
    versions = engine.process_versions("p")
    assert [v["version"] for v in versions] == [third, second, first]
    by = {v["version"]: v for v in versions}
    assert by[first]["comment"] == "Первая версия" and by[first]["files"] == ["p.bpmn", "q.bpmn"]
    assert by[first]["deployed_by"]["login"] == "designer"
    assert by[second]["comment"] is None and by[second]["deployed_by"]["login"] == "admin"
    assert by[third]["comment"] == "Без задач"  # trimmed
    assert by[third]["deployed_by"] is None  # deployed by the system (no actor)
    assert all(v["deployed_at"] is not None for v in versions)


def test_instance_counts_per_version_match_a_count_by_hand(three_versions):
    first, second, third = three_versions
    expected = brute_force("p")
    assert expected == {first: (2, 3), second: (2, 2), third: (0, 1)}  # the fixture did what it says
    got = {v["version"]: (v["running"], v["instances"]) for v in engine.process_versions("p")}
    assert got == expected
    assert {v["version"]: v["instances"] for v in engine.process_versions("q")} == {first: 1}


def test_counts_take_one_grouped_statement_whatever_the_number_of_versions(three_versions):
    with statements() as seen:
        engine.process_versions("p")
    counting = [s for s in seen if "count(" in s.lower() and "process_instance" in s]
    assert len(counting) == 1 and "GROUP BY" in counting[0], counting
    selects = [s for s in seen if s.startswith("SELECT")]
    assert len(selects) == 4, selects  # versions, counts, file names, deployers: not one per version


def test_unknown_process_is_not_found(org):
    with pytest.raises(engine.NotFound):
        engine.process_versions("nothing")


def test_comment_is_in_the_audit_record_of_the_deploy(org):
    result = engine.deploy([("p.bpmn", waiting("p"))], actor="designer", comment="Исправлен срок")
    db.session.rollback()
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "deploy")
                               .order_by(AuditEvent.id.desc())).first()
    assert event.actor == "designer"
    assert event.summary["version"] == result.version and event.summary["comment"] == "Исправлен срок"
    assert db.session.get(Deployment, result.version).comment == "Исправлен срок"


def test_identical_files_reuse_the_version_and_keep_its_comment(org):
    first = engine.deploy([("p.bpmn", waiting("p"))], actor="designer", comment="Первая")
    again = engine.deploy([("p.bpmn", waiting("p"))], actor="designer", comment="Вторая")
    assert again.reused and again.version == first.version
    db.session.rollback()
    assert db.session.get(Deployment, first.version).comment == "Первая"


def test_too_long_comment_is_refused_and_nothing_stored(org):
    before = stored()
    with pytest.raises(engine.InvalidData) as info:
        engine.deploy([("p.bpmn", waiting("p"))], actor="designer", comment="x" * 2001)
    assert "comment" in info.value.field_errors
    assert stored() == before


def test_version_file_gives_the_xml_as_deployed(three_versions):
    first, second, _third = three_versions
    assert engine.version_file(second, "p.bpmn") == waiting("p", "Work again").decode()
    assert engine.version_file(first, "q.bpmn", bpmn_id="p") == waiting("q").decode()  # a file of p's version
    with pytest.raises(engine.NotFound):
        engine.version_file(second, "q.bpmn")
    with pytest.raises(engine.NotFound):
        engine.version_file(second, "p.bpmn", bpmn_id="q")  # q is not in version 2


def test_validate_answers_as_deploy_would_and_stores_nothing(org, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-4f1c9a")
    hostile = _doctype_file(f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>', name_attr=' name="&xxe;"')
    escape = linear('<bpmn:scriptTask id="n1"><bpmn:script>__import__(&apos;os&apos;).system(&apos;id&apos;)'
                    '</bpmn:script></bpmn:scriptTask>')
    before = stored()
    for files in ([("bad.bpmn", hostile)], [("bad.bpmn", escape)], [("p.bpmn", waiting("p")), ("bad.bpmn", escape)],
                  []):
        checked = engine.validate(files)
        with pytest.raises(engine.InvalidDefinition) as refused:
            engine.deploy(files, actor="designer")
        assert not checked.valid and checked.texts() == refused.value.problems()
        assert [p.as_dict() for p in checked.problems] == [p.as_dict() for p in refused.value.found]
        assert "TOP-SECRET" not in " ".join(checked.texts())
    good = engine.validate([("p.bpmn", waiting("p")), ("q.bpmn", waiting("q"))])
    assert good.valid and good.problems == [] and good.processes == ["p", "q"]
    assert stored() == before
    assert db.session.scalar(select(func.count()).select_from(DeployedProcess)) == 0
    assert db.session.scalar(select(func.count()).select_from(DeploymentFile)) == 0


def test_definitions_list_each_process_with_its_latest_version(three_versions):
    first, _second, third = three_versions
    rows = {r["bpmn_id"]: r for r in engine.definitions()}
    assert rows["p"]["latest_version"] == third and rows["p"]["versions"] == 3
    assert rows["q"]["latest_version"] == first and rows["q"]["versions"] == 1


def test_cli_deploy_takes_a_comment_and_keeps_its_output(org, app, tmp_path):
    path = tmp_path / "p.bpmn"
    path.write_bytes(waiting("p"))
    result = app.test_cli_runner().invoke(args=["gia", "deploy", str(path), "--user", "designer",
                                                "--comment", "Из командной строки", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out == {"process_ids": ["p"], "collaborations": [], "version": out["version"]}
    [version] = engine.process_versions("p")
    assert version["comment"] == "Из командной строки" and version["deployed_by"]["login"] == "designer"


def test_each_version_names_the_file_that_defines_the_process_among_its_others(three_versions):
    first, second, _third = three_versions
    by = {v["version"]: v for v in engine.process_versions("p")}
    assert (by[first]["file"], by[first]["other_files"]) == ("p.bpmn", ["q.bpmn"])
    assert (by[second]["file"], by[second]["other_files"]) == ("p.bpmn", [])
    assert {v["version"]: v["file"] for v in engine.process_versions("q")} == {first: "q.bpmn"}


def test_a_file_that_only_mentions_the_id_is_not_taken_for_the_one_defining_it(org):
    mentions = linear('<bpmn:callActivity id="n1" calledElement="p_x"/>', process_id="caller")
    version = engine.deploy([("caller.bpmn", mentions), ("p_x.bpmn", waiting("p_x"))], actor="designer").version
    [row] = engine.process_versions("p_x")
    assert (row["file"], row["other_files"]) == ("p_x.bpmn", ["caller.bpmn"])
    found = engine.version_files("p_x", version)
    assert found.files[found.defining][0] == "p_x.bpmn" and found.xml == waiting("p_x").decode()


def test_version_files_gives_the_latest_or_the_asked_version_and_refuses_one_without_the_process(three_versions):
    first, second, third = three_versions
    assert engine.version_files("p").version == third
    assert "Work again" in engine.version_files("p", second).xml
    assert [name for name, _xml in engine.version_files("p", first).files] == ["p.bpmn", "q.bpmn"]
    assert engine.version_numbers("p") == [third, second, first] and engine.version_numbers("nothing") == []
    with pytest.raises(engine.NotFound):
        engine.version_files("q", second)  # version 2 holds p only
    with pytest.raises(engine.NotFound):
        engine.version_files("nothing")


def test_cli_deploy_refusal_lists_each_problem_with_its_place(org, app, tmp_path):
    path = tmp_path / "bad.bpmn"
    path.write_bytes(linear('<bpmn:scriptTask id="n1"><bpmn:script>a = 1\nb = (</bpmn:script></bpmn:scriptTask>'))
    result = app.test_cli_runner().invoke(args=["gia", "deploy", str(path), "--json"])
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    message = "скрипт: синтаксическая ошибка в «b = (»: скобка ( не закрыта"
    text = f"bad.bpmn, задача-скрипт «n1», строка 5: {message} (строка 2 кода)"
    assert out["errors"] == [text]
    assert out["found"] == [{"text": text, "message": message, "file": "bad.bpmn",
                             "element": "n1", "element_type": "scriptTask", "line": 5, "code_line": 2}]
    plain = app.test_cli_runner().invoke(args=["gia", "deploy", str(path)])
    assert plain.exit_code == 1 and plain.stderr == f"error: {text}\n"
