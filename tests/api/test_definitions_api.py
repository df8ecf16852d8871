"""/api/v1/definitions and /api/v1/versions (issue 14 §4, §8): the deployed processes, their versions and files,
checking and deploying uploaded BPMN. Deploying is a designer's or an administrator's, never a deputy's; hostile
files are refused with exactly the problems `flask gia deploy` (engine.deploy) gives, and nothing is stored."""
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

import engine
from engine import clock
from engine.db import db
from engine.models import AuditEvent, Deployment, DeploymentFile
from tests.conftest import linear
from tests.engine.test_bad_bpmn import _doctype_file, secret  # noqa: F401  (secret: the fixture)

SECRET = "TOP-SECRET-4f1c9a"


def waiting(process_id: str = "api_p", title: str = "Work") -> bytes:
    return linear(f'<bpmn:userTask id="n1" name="{title}"/>', process_id=process_id)


def upload(api, path, login, files, comment=None):
    data = {"file": [(io.BytesIO(content), name) for name, content in files]}
    if comment is not None:
        data["comment"] = comment
    return api.post(path, login, data=data, content_type="multipart/form-data")


def deployments() -> tuple[int, int]:
    db.session.rollback()
    return (db.session.scalar(select(func.count()).select_from(Deployment)),
            db.session.scalar(select(func.count()).select_from(DeploymentFile)))


def denials(actor: str) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "denied", AuditEvent.actor == actor))


def test_a_designer_deploys_with_a_comment_and_reads_the_version_back(api):
    response = upload(api, "/definitions", "designer", [("api_p.bpmn", waiting())], comment="Новая схема")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["processes"] == ["api_p"] and not created["reused"]
    versions = api.get("/definitions/api_p/versions", "designer").get_json()
    assert [v["version"] for v in versions] == [created["version"]]
    assert versions[0]["comment"] == "Новая схема" and versions[0]["files"] == ["api_p.bpmn"]
    assert versions[0]["deployed_by"] == {"login": "designer", "full_name": engine.user_by_login("designer").full_name}
    assert (versions[0]["running"], versions[0]["instances"]) == (0, 0)
    xml = api.get(f"/versions/{created['version']}/files/api_p.bpmn", "iao")
    assert xml.status_code == 200 and xml.mimetype == "application/xml" and xml.data == waiting()
    again = upload(api, "/definitions", "designer", [("api_p.bpmn", waiting())], comment="ещё раз")
    assert again.status_code == 200 and again.get_json()["reused"] and again.get_json()["version"] == created["version"]
    listed = {d["bpmn_id"]: d for d in api.get("/definitions", "iao").get_json()}
    assert listed["api_p"]["latest_version"] == created["version"] and listed["api_p"]["versions"] == 1
    assert "ppe_tech_check" in listed


def test_the_counts_follow_the_instances(api):
    version = upload(api, "/definitions", "admin", [("api_p.bpmn", waiting())]).get_json()["version"]
    first = engine.start("api_p", {}, actor="iao").instance_id
    engine.start("api_p", {}, actor="iao")
    engine.cancel(first, actor="operator")
    db.session.commit()
    [row] = api.get("/definitions/api_p/versions", "guo_head").get_json()
    assert (row["version"], row["running"], row["instances"]) == (version, 1, 2)


@pytest.mark.parametrize("login", ["iao", "operator", "head17", "tech17"])
def test_only_designers_and_administrators_deploy(api, login):
    before, refusals = deployments(), denials(login)
    for path in ("/definitions", "/definitions/validate"):
        response = upload(api, path, login, [("api_p.bpmn", waiting())])
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"]["code"] == "forbidden"
    assert deployments() == before
    assert denials(login) == refusals + 2  # each refusal is in the audit trail


def test_a_deputy_of_a_designer_does_not_deploy(api):
    today = clock.now().astimezone(clock.local_zone()).date()
    engine.set_absence(engine.user_by_login("designer"), "iao", today - timedelta(days=1), today + timedelta(days=1))
    db.session.commit()
    assert upload(api, "/definitions", "iao", [("api_p.bpmn", waiting())]).status_code == 403


def test_a_school_reads_no_definitions(api):
    version = db.session.scalar(select(func.max(Deployment.id)))
    filename = db.session.scalars(select(DeploymentFile.filename).where(DeploymentFile.deployment_id == version)).first()
    for path in ("/definitions", "/definitions/ppe_tech_check/versions", f"/versions/{version}/files/{filename}"):
        response = api.get(path, "head17")
        assert response.status_code == 403, path
        assert "<?xml" not in response.get_data(as_text=True)
    assert api.get("/definitions/nothing/versions", "iao").status_code == 404
    assert api.get(f"/versions/{version}/files/nothing.bpmn", "iao").status_code == 404


def test_validate_stores_nothing_and_names_the_processes(api):
    before = deployments()
    response = upload(api, "/definitions/validate", "designer", [("api_p.bpmn", waiting()),
                                                                  ("api_q.bpmn", waiting("api_q"))])
    assert response.status_code == 200
    assert response.get_json() == {"valid": True, "problems": [], "found": [], "processes": ["api_p", "api_q"],
                                   "collaborations": []}
    assert deployments() == before
    assert upload(api, "/definitions/validate", "designer", []).get_json() == {
        "valid": False, "problems": ["не передано ни одного файла"], "processes": [], "collaborations": [],
        "found": [{"text": "не передано ни одного файла", "message": "не передано ни одного файла", "file": None,
                   "element": None, "element_type": None, "line": None, "code_line": None}]}


# --- the hostile corpus of tests/engine/test_bad_bpmn.py, through the API --------------------------------------

def _bomb() -> bytes:
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">']
    levels += [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)]
    return _doctype_file(f'<!DOCTYPE d [{"".join(levels)}]>', name_attr=' name="&lol9;"')


HOSTILE = {
    "xxe": lambda uri: _doctype_file(f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>', name_attr=' name="&xxe;"'),
    "xxe-in-script": lambda uri: _doctype_file(f'<!DOCTYPE d [<!ENTITY xxe SYSTEM "{uri}">]>',
                                               script='x = "&xxe;"'),
    "parameter-entity": lambda uri: _doctype_file(f'<!DOCTYPE d [<!ENTITY % p SYSTEM "{uri}"> %p;]>'),
    "external-dtd": lambda uri: _doctype_file('<!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">'),
    "entity-bomb": lambda uri: _bomb(),
    "oversized": lambda uri: waiting()[:-20] + b"<!--" + b"x" * (5 * 1024 * 1024) + b"-->" + waiting()[-20:],
    "binary-junk": lambda uri: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\xfd" + bytes(range(256)) * 8,
    "chain-600": lambda uri: linear(*[f'<bpmn:scriptTask id="n{i + 1}"><bpmn:script>x = {i}</bpmn:script>'
                                      '</bpmn:scriptTask>' for i in range(600)]),
    "sandbox-escape": lambda uri: linear('<bpmn:scriptTask id="n1"><bpmn:script>__import__(&apos;os&apos;)'
                                         '.system(&apos;id&apos;)</bpmn:script></bpmn:scriptTask>'),
}


@pytest.mark.parametrize("kind", HOSTILE)
def test_hostile_files_are_refused_as_the_cli_refuses_them(api, secret, kind):  # noqa: F811
    uri, token = secret
    content = HOSTILE[kind](uri)
    with pytest.raises(engine.InvalidDefinition) as cli:
        engine.deploy([("bad.bpmn", content)], actor="designer")  # what `flask gia deploy` calls
    expected = cli.value.problems()
    before = deployments()

    checked = upload(api, "/definitions/validate", "designer", [("bad.bpmn", content)])
    assert checked.status_code == 200
    assert checked.get_json() == {"valid": False, "problems": expected, "processes": [], "collaborations": [],
                                  "found": [p.as_dict() for p in cli.value.found]}
    assert [p["text"] for p in checked.get_json()["found"]] == expected
    assert all(p["file"] == "bad.bpmn" for p in checked.get_json()["found"])

    refused = upload(api, "/definitions", "designer", [("bad.bpmn", content)], comment="попытка")
    assert refused.status_code == 422, refused.get_data(as_text=True)[:500]
    error = refused.get_json()["error"]
    assert error["code"] == "invalid_definition" and error["fields"] == {"file": expected}
    assert error["message"].startswith("BPMN не принят: ")  # in Russian, as the API answers
    for response in (checked, refused):
        assert token not in response.get_data(as_text=True) and len(response.data) < 20_000
    assert deployments() == before


def test_a_request_over_the_app_s_limit_is_413_in_russian(api, primary_app):
    primary_app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    before = deployments()
    response = upload(api, "/definitions", "designer", [("api_p.bpmn", waiting() + b" " * (70 * 1024))])
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "Запрос слишком большой."
    assert deployments() == before


def test_file_names_are_reduced_to_their_last_part_and_must_differ(api):
    response = upload(api, "/definitions", "designer", [("../../etc/api_p.bpmn", waiting())])
    assert response.status_code == 201
    assert api.get("/definitions/api_p/versions", "designer").get_json()[0]["files"] == ["api_p.bpmn"]
    before = deployments()
    twice = upload(api, "/definitions", "designer", [("a.bpmn", waiting("api_q")), ("a.bpmn", waiting("api_r"))])
    assert twice.status_code == 422 and twice.get_json()["error"]["fields"] == {"file": ["Два файла называются a.bpmn."]}
    assert deployments() == before


def test_a_part_with_an_unreadable_name_is_not_a_server_error(api):
    """Found by schemathesis: a multipart part named by a bare line break reached webui.guards as the key None."""
    body = b'--b\r\nContent-Disposition: form-data; name="\n"\r\n\r\nnull\r\n--b--\r\n'
    token = api.token("designer")
    response = api.client.post("/api/v1/definitions/validate", data=body,
                               headers={"Authorization": f"Bearer {token}",
                                        "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 200 and response.get_json()["problems"] == ["не передано ни одного файла"]


def test_a_form_uploaded_with_the_diagram_is_deployed_with_it_and_read_back(api):
    """A .json part is the form of that key, deployed with the version (as `flask gia deploy` takes it); a part
    that is not a form is refused with the reason and nothing is stored."""
    diagram = linear('<bpmn:userTask id="n1" name="Work"><bpmn:extensionElements><spiffworkflow:properties>'
                     '<spiffworkflow:property name="form" value="api_form"/></spiffworkflow:properties>'
                     '</bpmn:extensionElements></bpmn:userTask>', process_id="api_f")
    form = ('{"key": "api_form", "title": "Анкета", "fields": [{"name": "answer", "type": "integer", '
            '"label": "Ответ", "required": true}]}').encode()
    before = deployments()
    refused = upload(api, "/definitions", "designer",
                     [("api_f.bpmn", diagram), ("api_form.json", b'{"fields": 3}')])
    assert refused.status_code == 422 and deployments() == before
    assert refused.get_json()["error"]["fields"] == {
        "file": ["forms/api_form.json: у формы должен быть список полей (fields)"]}
    created = upload(api, "/definitions", "designer", [("api_f.bpmn", diagram), ("api_form.json", form)])
    assert created.status_code == 201, created.get_json()
    version = created.get_json()["version"]
    [row] = api.get("/definitions/api_f/versions", "designer").get_json()
    assert row["files"] == ["api_f.bpmn", "forms/api_form.json"]
    read = api.get(f"/versions/{version}/files/forms/api_form.json", "iao")
    assert read.status_code == 200 and read.mimetype == "application/json" and read.data == form
    instance = engine.start("api_f", {}, actor="iao").instance_id
    [task] = engine.list_tasks(instance_id=instance)
    assert [f.name for f in engine.task_form(task).fields] == ["answer"]
