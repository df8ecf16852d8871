"""Test fixtures: real databases (SQLite always, PostgreSQL when DATABASE_URL names one), a fresh schema per
test, the department's demo organisation, and small BPMN builders.

Engine tests run on every available backend (`app` is parametrised); browser, CLI and worker tests run on the
primary backend, which is PostgreSQL in CI.
"""
import functools
import os
import shutil
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import BASE_DIR

PG_URL = os.environ.get("DATABASE_URL", "")
HAS_PG = PG_URL.startswith(("postgresql", "postgres"))
BACKENDS = ["sqlite"] + (["postgresql"] if HAS_PG else [])
PRIMARY = "postgresql" if HAS_PG else "sqlite"


def _pg_base_url():
    from config import _database_url
    return _database_url(PG_URL)


class Backend:
    """A migrated database per test session and backend; `fresh()` hands out an empty one per test."""

    def __init__(self, kind, workdir: Path):
        self.kind, self.workdir = kind, workdir
        self.schema = f"gia_test_{os.getpid()}_{uuid.uuid4().hex[:6]}" if kind == "postgresql" else None
        if kind == "sqlite":
            self.template = workdir / "template.sqlite3"
            self._migrate(f"sqlite:///{self.template}")
        else:
            engine = sa.create_engine(_pg_base_url())
            with engine.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{self.schema}"')
            engine.dispose()
            self.url = self._pg_url()
            self._migrate(self.url)
            engine = sa.create_engine(self.url)
            with engine.connect() as conn:
                self.tables = [r[0] for r in conn.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                    "AND tablename <> 'alembic_version'")]
            engine.dispose()

    def _pg_url(self):
        base = _pg_base_url()
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options=-csearch_path%3D{self.schema}"

    def _migrate(self, url):
        from flask_migrate import upgrade
        from webui import create_app
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": self.workdir / "uploads"})
        with app.app_context():
            upgrade()
            from engine.db import db
            db.engine.dispose()

    def fresh(self, tmp_path: Path) -> str:
        if self.kind == "sqlite":
            target = tmp_path / "gia.sqlite3"
            shutil.copy(self.template, target)
            return f"sqlite:///{target}"
        engine = sa.create_engine(self.url)
        with engine.begin() as conn:
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in self.tables)
                                 + " RESTART IDENTITY CASCADE")
        engine.dispose()
        return self.url

    def drop(self):
        if self.schema:
            engine = sa.create_engine(_pg_base_url())
            with engine.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            engine.dispose()


@pytest.fixture(scope="session")
def backends(tmp_path_factory):
    made = {}

    def get(kind):
        if kind not in made:
            made[kind] = Backend(kind, tmp_path_factory.mktemp(f"db-{kind}"))
        return made[kind]
    yield get
    for backend in made.values():
        backend.drop()


def make_app(url, tmp_path, **overrides):
    from webui import create_app
    config = {"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "UPLOAD_DIR": tmp_path / "uploads",
              "SECRET_KEY": "test", "GIA_CLOCK": "manual", "TIMER_SWEEP_SECONDS": 1.0}
    config.update(overrides)
    return create_app(config)


@contextmanager
def own_database(kind: str, tmp_path: Path, revision: str = "head"):
    """An application on a database of its own (a file, or a schema dropped after), migrated up to `revision`,
    inside an app context: for the tests of a migration, which go down and up where no other test reads."""
    from flask_migrate import upgrade
    from engine.db import db
    schema = None
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    else:
        base, schema = _pg_base_url(), f"gia_own_{uuid.uuid4().hex[:8]}"
        _on_postgresql(f'CREATE SCHEMA "{schema}"')
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    application = make_app(url, tmp_path)
    application.config["BACKEND"] = kind
    try:
        with application.app_context():
            upgrade(revision=revision)
            yield application
            db.session.remove()
            db.engine.dispose()
    finally:
        if schema:
            _on_postgresql(f'DROP SCHEMA "{schema}" CASCADE')


def _on_postgresql(statement: str) -> None:
    server = sa.create_engine(_pg_base_url())
    with server.begin() as conn:
        conn.exec_driver_sql(statement)
    server.dispose()


@pytest.fixture(params=BACKENDS)
def app(request, backends, tmp_path):
    """An application on an empty database, once per available backend, inside an app context."""
    url = backends(request.param).fresh(tmp_path)
    application = make_app(url, tmp_path)
    application.config["BACKEND"] = request.param
    with application.app_context():
        yield application
        from engine.db import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def primary_app(backends, tmp_path):
    """Like `app`, on the primary backend only (PostgreSQL in CI), for slower tests."""
    url = backends(PRIMARY).fresh(tmp_path)
    application = make_app(url, tmp_path)
    application.config["BACKEND"] = PRIMARY
    with application.app_context():
        yield application
        from engine.db import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def org(app):
    """The department's organisation as the demo loads it (units and one user per A1 role), without processes."""
    return load_org()


def load_org():
    import engine
    from cli.demo import PPE_HOSTS, USERS, ensure_city
    from engine.db import db
    from engine.models import User
    ensure_city(sorted({12, 17, 33, *PPE_HOSTS[:4]}), (12, 17), auditoriums=lambda n: 2)
    for login, role, unit, name in USERS:
        engine.ensure_user(login, role, unit, full_name=name)
    # One real (scrypt) hash of "demo" for every demo user: hashing it per user cost 0.12 s each, a second or more
    # in the set-up of each of the hundreds of tests that load the organisation.
    db.session.execute(sa.update(User).where(User.login.in_([u[0] for u in USERS]))
                       .values(password_hash=_demo_password_hash()))
    db.session.commit()
    return {login: engine.user_by_login(login) for login, *_ in USERS}


@functools.cache
def _demo_password_hash() -> str:
    from werkzeug.security import generate_password_hash
    return generate_password_hash("demo")


def set_manual_clock(text: str) -> None:
    """Set the engine's manual clock in the current app: set_manual_clock("2021-03-15T09:00:00+03:00")."""
    from datetime import datetime
    from engine import clock
    from engine.db import db
    clock.set_mode("manual", datetime.fromisoformat(text))
    db.session.commit()


@pytest.fixture
def clock_at(app):
    """Set the manual clock: clock_at("2021-03-15T09:00:00+03:00")."""
    return set_manual_clock


PROCESSES = BASE_DIR / "processes"


def deploy_files(*paths):
    import engine
    return engine.deploy([(Path(p).name, Path(p).read_bytes()) for p in paths], actor="admin")


BPMN_HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
               'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
               'id="defs" targetNamespace="http://test">\n')


def process_xml(body: str, process_id: str = "p", extra: str = "") -> bytes:
    """A one-process BPMN document around `body` (flow nodes and flows)."""
    return (BPMN_HEADER + extra + f'<bpmn:process id="{process_id}" isExecutable="true">\n{body}\n'
            '</bpmn:process>\n</bpmn:definitions>\n').encode()


def linear(*nodes: str, process_id="p") -> bytes:
    """start → nodes... → end, each node given as its XML with id n1, n2, ... in order."""
    ids = ["start"] + [f"n{i + 1}" for i in range(len(nodes))] + ["end"]
    flows = "\n".join(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                      for i, (a, b) in enumerate(zip(ids, ids[1:])))
    return process_xml('<bpmn:startEvent id="start"/>\n' + "\n".join(nodes) + '\n<bpmn:endEvent id="end"/>\n'
                       + flows, process_id)


@pytest.fixture
def deploy_xml(app):
    import engine

    def deploy(content: bytes, name="test.bpmn"):
        return engine.deploy([(name, content)], actor="admin")
    return deploy


@contextmanager
def served(app):
    """The app on a free port of 127.0.0.1, served by werkzeug's threaded server in this process: its base URL."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        with app.app_context():
            from engine.db import db
            db.engine.dispose()


def stored_pdf(name: str, actor: str) -> dict:
    """A small PDF kept as an attachment of no task yet: the file reference a form's file field holds."""
    from io import BytesIO
    from engine import attachments, store
    with store.transaction() as session:
        row = attachments.store(BytesIO(b"%PDF-1.4 test"), name, "document", instance_id=None, task_id=None,
                                actor=actor)
        session.flush()
        return {"attachment_id": row.id}
