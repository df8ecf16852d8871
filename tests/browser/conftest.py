"""A live server in a thread on the primary database, and Debian's chromium for Playwright."""
import shutil

import pytest

from tests.conftest import PRIMARY, load_org, make_app, served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture
def live(backends, tmp_path):
    """(base_url, app): the app served on a free port, with the organisation loaded and processes deployed."""
    yield from _live(backends, tmp_path)


@pytest.fixture(scope="module")
def module_live(backends, tmp_path_factory):
    """`live` once for a module whose tests only read what its first fixture made."""
    yield from _live(backends, tmp_path_factory.mktemp("module-live"))


def _live(backends, tmp_path):
    url = backends(PRIMARY).fresh(tmp_path)
    app = make_app(url, tmp_path)
    with app.app_context():
        from engine import clock
        from engine.db import db
        from datetime import datetime
        clock.set_mode("manual", datetime.fromisoformat("2021-03-15T10:00:00+03:00"))
        db.session.commit()
        load_org()
        from tests.conftest import PROCESSES, deploy_files
        deploy_files(*sorted(PROCESSES.glob("*.bpmn")))
        db.session.remove()
    with served(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def lived_live(backends, tmp_path_factory):
    """(base_url, app): the 2020/21 plan lived by a small city up to 4 December 2020 (tests/web/lived.py), served
    for a module whose tests only read it (living it takes a minute)."""
    from engine.db import db
    from tests.web.conftest import populated
    from tests.web.lived import live_plan
    tmp = tmp_path_factory.mktemp("lived-live")
    app = make_app(backends(PRIMARY).fresh(tmp), tmp)
    with app.app_context():
        populated(app)
        live_plan()
        db.session.remove()
    with served(app) as url:
        yield url, app
