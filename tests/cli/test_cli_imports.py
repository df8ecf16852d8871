"""`flask gia …` loads what its commands use and not the web side (issue 12 §7: the fixed CPU price of a command):
no REST API (flask-smorest, marshmallow, apispec), no CSRF, no Alembic, no Excel library and no Celery, unless
the command needs it; and of the engine and the CLI only what the command calls (`engine` resolves its names
when first used, `gia` imports a command's module when it is looked up). What is imported is asserted, never how
long it takes (bench/cli_start.py prints that).

`flask run`, `flask routes`, gunicorn and Celery still get the whole application."""
import json
import subprocess
import sys

from config import BASE_DIR
from tests.cli.conftest import FLASK

APP = FLASK[:3]  # flask --app wsgi
WEB_SIDE = ("flask_smorest", "marshmallow", "apispec", "webargs", "flask_wtf", "flask_migrate", "alembic",
            "openpyxl", "celery", "kombu", "webui.api", "webui.inbox", "webui.tasks", "webui.admin")
# What a command that lists tasks never calls: the pages' reading side of the engine, the plan, the BPMN parser
# (lxml's parsing of a deployment), the signed-in user of the web side, and the other commands' modules.
NOT_FOR_LISTING = ("engine.plan", "engine.directory", "engine.service.inbox", "engine.service.inbox_aside",
                   "engine.service.views", "engine.service.exports", "engine.service.submitted",
                   "engine.service.deploying", "engine.bpmn.parsing", "flask_login", "cli.demo", "cli.city",
                   "cli.simulation", "cli.simulate", "cli.plan", "cli.processes", "cli.events")
# Runs `flask` as its console script does and prints, at exit, every module the process imported (-X importtime
# would miss those imported through importlib, as `engine` and `gia` import them).
LISTING = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("\\nimported: " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["flask", *sys.argv[1:]]
from flask.cli import main
main()
"""


def run_importing(env, *args):
    """Run `flask --app wsgi ARGS`: (the finished process, the modules it imported)."""
    done = subprocess.run([sys.executable, "-c", LISTING, *APP[1:], *args], cwd=BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)
    modules, errors = set(), []
    for line in done.stderr.splitlines():
        if line.startswith("imported: "):
            modules = set(json.loads(line[len("imported: "):]))
        elif line:
            errors.append(line)
    done.stderr = "\n".join(errors)
    return done, modules


def web_side(modules, heavy=WEB_SIDE):
    return sorted(m for m in modules if m in heavy or m.split(".")[0] in heavy
                  or any(m.startswith(name + ".") for name in heavy))


def test_a_command_imports_nothing_of_the_web_side(gia):
    done, modules = run_importing(gia.env, "gia", "tasks", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
    assert "engine.service.tasks" in modules and "cli.tasks" in modules
    assert web_side(modules) == []
    assert web_side(modules, NOT_FOR_LISTING) == []


def test_a_command_imports_what_it_calls_when_it_calls_it(gia):
    # the same probe sees what the listing left out, once a command needs it
    done, modules = run_importing(gia.env, "gia", "deploy", str(BASE_DIR / "tests/cli/diagrams/expense_approval.bpmn"),
                                  "--json")
    assert done.returncode == 0, done.stderr
    assert {"engine.service.deploying", "engine.bpmn.parsing", "cli.processes"} <= modules
    assert "cli.tasks" not in modules and "engine.plan" not in modules


def test_every_command_of_gia_is_found_where_the_lazy_group_looks():
    probe = ("import importlib, json, cli; [importlib.import_module('cli.' + m) for m in set(cli.COMMANDS.values())];"
             "print(json.dumps({n: c.callback.__module__ if c.callback else None "
             "for n, c in cli.gia.commands.items()}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    import cli
    assert set(found) == set(cli.COMMANDS)
    # a group's own callback may be None or a function of its module: every command comes from the module named
    assert all(module in (None, "cli." + cli.COMMANDS[name]) for name, module in found.items()), found


def test_the_steps_listeners_are_subscribed_when_the_app_is_made(gia):
    # engine imports its parts lazily: the e-mail, routing and drafts subscribers of engine.events must be there
    # before a command's first step, even when nothing the command imported pulled them in
    probe = ("import json; from webui import create_app; create_app(web=False); from engine import events; "
             "print(json.dumps({'saved': [f.__module__ for f in events._saved._subscribers], "
             "'taken': [f.__module__ for f in events._taken._subscribers]}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=BASE_DIR, env=gia.env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    listeners = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"engine.mail.queue", "engine.service.drafts"} <= set(listeners["saved"])
    assert "engine.service.routing" in listeners["taken"]


def test_every_name_of_the_engine_resolves():
    import engine
    assert set(engine.__all__) - {"init_app"} == set(engine._PROVIDERS)
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name


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
