"""A live server in a thread on the primary database, and Debian's chromium for Playwright."""
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import PRIMARY, load_org, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture
def live(backends, tmp_path):
    """(base_url, app): the app served on a free port, with the organisation loaded and processes deployed."""
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
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=10)
    with app.app_context():
        from engine.db import db
        db.engine.dispose()
