"""The REST API over HTTP (Flask's test client): the organisation, the processes, and clients that send a
personal token made through the engine, as the profile page makes it."""

import pytest
from _pytest.nodes import coerce_node_id

import engine
from engine.db import db
from tests.conftest import PROCESSES, deploy_files, load_org, set_manual_clock
from tests.web.conftest import IsolatedClient


class Api:
    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.tokens = {}

    def token(self, login: str, days: int | None = None, name: str = "test") -> str:
        """A new token of `login` (the plaintext)."""
        _row, plaintext = engine.create_token(engine.user_by_login(login), name, days)
        return plaintext

    def call(self, method: str, path: str, login: str | None = None, *, token: str | None = None,
             headers: dict | None = None, **kwargs):
        """`method` `path` as `login` (a token made once per login) or with `token`."""
        if login is not None and token is None:
            token = self.tokens.get(login) or self.tokens.setdefault(login, self.token(login))
        sent = dict(headers or {})
        if token is not None:
            sent.setdefault("Authorization", f"Bearer {token}")
        return self.client.open(f"/api/v1{path}", method=method, headers=sent, **kwargs)

    def get(self, path, login=None, **kwargs):
        return self.call("GET", path, login, **kwargs)

    def post(self, path, login=None, **kwargs):
        return self.call("POST", path, login, **kwargs)


@pytest.fixture
def api(primary_app):
    primary_app.test_client_class = IsolatedClient
    load_org()
    deploy_files(*sorted(PROCESSES.glob("*.bpmn")))
    db.session.commit()
    return Api(primary_app)


@pytest.fixture
def set_clock(primary_app):
    """Set the manual clock: set_clock("2021-03-15T09:00:00+03:00")."""
    return set_manual_clock


def pytest_collection_modifyitems(items):
    """Schemathesis names each operation's test after it (`item.name`) but gives them all its function's node id;
    pytest-xdist schedules tests by node id and would run one operation of the thirteen. Each gets the id its
    name says."""
    for item in items:
        base, _sep, last = item.nodeid.rpartition("::")
        if type(item).__name__ == "SchemathesisFunction" and last != item.name:
            item._id = coerce_node_id(f"{base}::{item.name}")
