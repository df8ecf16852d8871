"""Schemathesis against the live app through WSGI: requests generated from /api/v1/openapi.json (valid and
invalid query strings, bodies and ids), sent with a valid token, must never make the server fail (5xx), and the
answers must match the document (status codes, content types, JSON shapes).

Every other request of an operation with an id in its path names a real task or instance of scenario A1, so that
the generated bodies and parameters reach the engine, not only the 404 branch.
"""
import itertools
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

import engine
from engine import store
from engine.db import db
from tests.api.conftest import Api
from tests.engine.a1 import checklist, only, start_check
from tests.web.conftest import IsolatedClient

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def _light_org():
    """The units and people A1 needs, without passwords (hashing them is most of the demo organisation's cost,
    and this fixture runs once per operation)."""
    with store.transaction():
        engine.ensure_unit("guo", "ГУО", "department")
        for n in (12, 17):
            engine.ensure_unit(f"school-{n}", f"МБОУ «СОШ №{n}»", "school", "guo")
            engine.ensure_unit(f"ppe-{n}", f"ППЭ №{n}", "ppe", "guo", host=f"school-{n}",
                               attrs={"number": n, "auditoriums": 2})
    engine.ensure_user("tech17", "ppe_tech", "ppe-17", full_name="Гасанов Р.А.")
    engine.ensure_user("head17", "school_head", "school-17", full_name="Омарова З.К.")


@pytest.fixture
def api(primary_app):
    primary_app.test_client_class = IsolatedClient
    _light_org()
    return Api(primary_app)


@pytest.fixture
def world(api):
    """Two A1 checks, one moved on to the fix, and a token of tech17 (who works both)."""
    first, second = start_check("ppe-17"), start_check("ppe-17", due="2021-03-26")
    api.post(f"/tasks/{only(first, 'checklist').id}/complete", "tech17", json=checklist(faulty=["jammer"]))
    db.session.commit()
    return {"token": api.token("tech17"), "tasks": [only(second, "checklist").id, only(first, "fix_task").id],
            "instances": [first, second]}


def _document_app():
    """An app only to read the OpenAPI document from (serving it touches no database). The requests go to the
    test's own app (`api.app`) on a fresh database. (Schemathesis's lazy `pytest.from_fixture` loader does not
    run under pytest 9, so the schema is loaded when the module is.)"""
    from webui import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True,
                       "UPLOAD_DIR": Path(tempfile.mkdtemp(prefix="gia-openapi-"))})


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _document_app())


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_no_server_errors_on_generated_requests(case, api, world):
    real = world.setdefault("_turn", itertools.count())
    if next(real) % 2 == 0:
        if "task_id" in (case.path_parameters or {}):
            case.path_parameters["task_id"] = world["tasks"][next(real) % 2]
        if "instance_id" in (case.path_parameters or {}):
            case.path_parameters["instance_id"] = world["instances"][next(real) % 2]
    case.call_and_validate(headers={"Authorization": f"Bearer {world['token']}"}, checks=CHECKS, app=api.app)
