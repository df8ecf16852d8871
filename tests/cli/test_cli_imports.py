"""`flask gia …` loads what its commands use and not the web side (issue 12 §7: the fixed CPU price of a command):
no REST API (flask-smorest, marshmallow, apispec), no CSRF, no Alembic, no Excel library and no Celery, unless
the command needs it. What is imported is asserted, never how long it takes (bench/cli_start.py prints that).

`flask run`, `flask routes`, gunicorn and Celery still get the whole application."""
import json
import subprocess
import sys

from config import BASE_DIR
from tests.cli.conftest import FLASK

APP = FLASK[:3]  # flask --app wsgi
WEB_SIDE = ("flask_smorest", "marshmallow", "apispec", "webargs", "flask_wtf", "flask_migrate", "alembic",
            "openpyxl", "celery", "kombu", "webui.api", "webui.inbox", "webui.tasks", "webui.admin")


def run_importing(env, *args):
    """Run `flask --app wsgi ARGS` under `python -X importtime`: (the finished process, the modules it imported)."""
    done = subprocess.run([sys.executable, "-X", "importtime", *APP, *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    modules, errors = set(), []
    for line in done.stderr.splitlines():
        if line.startswith("import time:"):
            modules.add(line.rsplit("|", 1)[1].strip())
        else:
            errors.append(line)
    done.stderr = "\n".join(errors)
    return done, modules


def web_side(modules):
    return sorted(m for m in modules if m in WEB_SIDE or m.split(".")[0] in WEB_SIDE
                  or any(m.startswith(heavy + ".") for heavy in WEB_SIDE))


def test_a_command_imports_nothing_of_the_web_side(gia):
    done, modules = run_importing(gia.env, "gia", "tasks", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "engine" in modules and "cli.tasks" in modules
    assert web_side(modules) == []


def test_a_command_that_may_send_mail_has_celery_to_wake_the_senders(gia):
    # engine.mail.outbox.wake_senders asks a worker through Celery after each step when SMTP is set
    done, modules = run_importing({**gia.env, "SMTP_HOST": "127.0.0.1"}, "gia", "tasks", "--json")
    assert done.returncode == 0, done.stderr
    assert "celery" in modules
    assert "flask_smorest" not in modules


def test_the_migration_commands_are_there_when_asked_for(gia):
    done = subprocess.run([*APP, "db", "current"], cwd=BASE_DIR, env=gia.env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "(head)" in done.stdout
    listed = subprocess.run([*APP, "--help"], cwd=BASE_DIR, env=gia.env, capture_output=True, text=True,
                            timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert {"db", "gia", "run", "routes"} <= {line.split()[0] for line in listed.stdout.splitlines()
                                            if line.startswith("  ") and line.split()}


def test_serving_and_showing_the_web_side_still_get_the_whole_app(gia):
    routes = subprocess.run([*APP, "routes"], cwd=BASE_DIR, env=gia.env, capture_output=True, text=True,
                            timeout=120)
    assert routes.returncode == 0, routes.stderr
    assert "/login" in routes.stdout and "/api/v1/tasks" in routes.stdout
    # gunicorn (wsgi:app) and Celery (wsgi.celery) import the module outside `flask`
    probe = ("import wsgi; print(json.dumps({'blueprints': sorted(wsgi.app.blueprints), "
             "'celery': wsgi.celery is wsgi.app.extensions['celery'], 'migrate': 'migrate' in wsgi.app.extensions}))")
    done = subprocess.run([sys.executable, "-c", "import json; " + probe], cwd=BASE_DIR, env=gia.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"auth", "inbox", "tasks", "admin", "api-tasks", "api-docs"} <= set(loaded["blueprints"])
    assert loaded["celery"] and loaded["migrate"]
