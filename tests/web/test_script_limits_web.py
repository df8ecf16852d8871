"""A runaway script run by a web request (a task form posted to a live, threaded server: the request is served in a
thread, where neither SIGALRM nor a process-wide memory cap can stop it) is held to the same time and memory
limits as in the CLI or a worker: the page says the process stopped, the instance is in `error` with the limit's
message and its last good state, and the server's peak memory (VmHWM) stays near where it was."""
import re
import time
from xml.sax.saxutils import escape

import pytest
import requests

from tests.conftest import PRIMARY, linear, make_app, served
from tests.memory import peak_growth_mb

LIMIT_MB = 128
RUNAWAYS = {
    "memory in one operation": ("x = 'x' * 10**9", "ScriptMemoryExceeded"),
    "memory line by line": ("x = []\nwhile True:\n    x.append('y' * 10**6)", "Script"),
    "hours in one operation": ("x = sum([[0]] * 10**6, [])", "ScriptTimeout"),
}


@pytest.fixture
def server(backends, tmp_path):
    """(base URL, app): served on a free port by werkzeug's threaded server in this process."""
    app = make_app(backends(PRIMARY).fresh(tmp_path), tmp_path, SCRIPT_TIME_LIMIT_SECONDS=1.0,
                   SCRIPT_MEMORY_LIMIT_MB=LIMIT_MB)
    with served(app) as url:
        yield url, app


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", RUNAWAYS)
def test_a_runaway_script_run_by_a_web_request_is_stopped_within_the_limits(server, name):
    base, app = server
    script, stopped_by = RUNAWAYS[name]
    import engine
    from engine.db import db
    from engine.models import ProcessInstance
    with app.app_context():
        engine.ensure_user("boss", "admin", None, password="demo")
        engine.deploy([("runaway.bpmn", linear(
            '<bpmn:userTask id="n1"/>', f'<bpmn:scriptTask id="n2"><bpmn:script>{escape(script)}</bpmn:script>'
            '</bpmn:scriptTask>', '<bpmn:userTask id="n3"/>'))], actor="boss")
        instance_id = engine.start("p", {"seed": 1}, actor="boss").instance_id
        [task_id] = [t.id for t in engine.list_tasks(instance_id=instance_id)]
        db.session.commit()
        db.session.remove()

    browser = requests.Session()
    signed_in = browser.post(f"{base}/login", data={"login": "boss", "password": "demo",
                                                    "csrf_token": csrf(browser.get(f"{base}/login").text)})
    assert signed_in.ok and "/login" not in signed_in.url
    token = csrf(browser.get(f"{base}/tasks/{task_id}").text)
    began = time.monotonic()
    with peak_growth_mb() as growth:
        page = browser.post(f"{base}/tasks/{task_id}", data={"csrf_token": token})
    assert time.monotonic() - began < 60  # stopped: without the limits this runs for minutes (or hours)
    assert page.status_code == 200 and stopped_by in page.text, page.text[-2000:]
    assert growth.mb < 3 * LIMIT_MB, f"the server grew by {growth.mb:.0f} MB"

    with app.app_context():
        failed = db.session.get(ProcessInstance, instance_id)
        assert failed.status == "error" and stopped_by in failed.error and "скрипт" in failed.error
        assert engine.detail(instance_id)["data"] == {"seed": 1}
        assert [t.id for t in engine.list_tasks(instance_id=instance_id)] == [task_id]  # n1 still to do
        db.session.remove()
