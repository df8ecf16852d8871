import re

import pytest
from flask import g
from flask.testing import FlaskClient

from tests.conftest import PROCESSES, deploy_files, load_org


class IsolatedClient(FlaskClient):
    """The test holds an application context open for its own engine calls, and Flask reuses it for the
    client's requests, so what extensions cache in `g` (the signed-in user, the CSRF token) would leak from
    one client to the next. Each request starts with an empty `g`, as it would in a server."""

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def site(primary_app):
    """The app with the organisation and processes, and a way to sign in test clients (CSRF on)."""
    return populated(primary_app)


def populated(app):
    """Load the organisation and deploy the processes into `app` (inside its context); returns a function that
    signs a test client in as a login."""
    app.test_client_class = IsolatedClient
    load_org()
    deploy_files(*sorted(PROCESSES.glob("*.bpmn")))
    from engine.db import db
    db.session.commit()

    def client_for(login):
        client = app.test_client()
        token = csrf(client.get("/login"))
        response = client.post("/login", data={"login": login, "password": "demo", "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return client_for


def csrf(response) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True)).group(1)


def posted(data, prefix=""):
    """Form data as a browser posts it: nested groups and rows flattened to "jammer-comment", "printing-0-room"."""
    out = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(posted(value, f"{name}-"))
        elif isinstance(value, list):
            for i, row in enumerate(value):
                out.update(posted(row, f"{name}-{i}-"))
        elif value is not None:
            out[name] = value
    return out
