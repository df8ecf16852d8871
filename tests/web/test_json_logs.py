"""Structured logs (issue 16 §6): with LOG_FORMAT=json every line is a JSON object; a request's lines carry its id
(returned as X-Request-Id) and user, an engine step's its instance and task; and the logs of a simulated autumn
at DEBUG hold no pupil's name, СНИЛС or passport number, though the schools handed in plenty of them."""
import io
import json
import logging
import random
import re
from datetime import date

import pytest
from sqlalchemy import select

import engine
from cli import simulation
from engine import logs
from engine.db import db
from engine.models import TaskSubmission
from engine.plan import catalogue
from tests.conftest import PRIMARY, make_app

SURNAMES = ["Магомедов", "Алиев", "Гасанов", "Омаров", "Курбанов", "Исаев"]
NAMES = ["Артур", "Руслан", "Шамиль", "Ислам", "Марат", "Тимур"]
PATRONYMICS = ["Русланович", "Магомедович", "Ахмедович", "Исаевич"]
PERSONAL = {"full_name", "pupil", "snils", "document_series", "document_number"}


def _pupil_data(value, rng):
    """What schools hand in about pupils, in place of the simulation's placeholder texts."""
    if isinstance(value, list):
        return [_pupil_data(v, rng) for v in value]
    if not isinstance(value, dict):
        return value
    made = {key: _pupil_data(v, rng) for key, v in value.items()}
    for key in PERSONAL & made.keys():
        made[key] = {"full_name": lambda: f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}",
                     "pupil": lambda: f"{rng.choice(SURNAMES)} {rng.choice(NAMES)} {rng.choice(PATRONYMICS)}",
                     "snils": lambda: (f"{rng.randint(100, 999)}-{rng.randint(100, 999)}-{rng.randint(100, 999)} "
                                       f"{rng.randint(10, 99)}"),
                     "document_series": lambda: f"{rng.randint(10, 99)}{rng.randint(10, 99)}",
                     "document_number": lambda: str(rng.randint(100000, 999999))}[key]()
    return made


@pytest.fixture
def json_logs():
    """Every log line of the test, as the app writes them with LOG_FORMAT=json at DEBUG."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *logs.QUIET, "werkzeug")}
    stream = io.StringIO()
    yield stream
    for handler in [h for h in root.handlers if isinstance(h, logs._Handler)]:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def test_a_simulated_autumn_logs_json_lines_with_ids_and_no_pupil_data(backends, tmp_path, json_logs, monkeypatch):
    app = make_app(backends(PRIMARY).fresh(tmp_path), tmp_path, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    logs.configure("json", "DEBUG", json_logs)  # as create_app did, into this test's stream instead of stderr
    sample = simulation.sample_data
    monkeypatch.setattr(simulation, "sample_data", lambda definition, rng, **kw: _pupil_data(
        sample(definition, rng, **kw), random.Random(rng.random())))
    with app.app_context():
        simulation.YearSimulation(2, 1, late_share=0.2, seed=5).run(catalogue.load_default(), until=date(2020, 12, 1))
        # A late application (scenario A2) registered through the API: a passport number too.
        clerk = engine.ensure_user("iao_logs", "iao_specialist", "iao", full_name="Специалист ИАО")
        _row, token = engine.create_token(clerk, "логи")
        started = engine.start("ege_late_application", {}, unit="guo", actor="iao_logs").instance_id
        [register] = [t.id for t in engine.list_tasks(instance_id=started)]
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}", "X-Request-Id": "proxy-7f3a9c2e"}
        answer = client.post(f"/api/v1/tasks/{register}/complete", headers=headers, json={
            "full_name": "Сулейманов Амир Гаджиевич", "category": "current", "document_type": "passport",
            "document_series": "8215", "document_number": "735194", "snils": "184-302-775 46",
            "subjects": ["ege_russian"], "received_on": "2020-12-01"})
        assert answer.status_code == 200, answer.get_json()
        assert answer.headers["X-Request-Id"] == "proxy-7f3a9c2e"
        odd = client.get("/api/v1/tasks", headers={**headers, "X-Request-Id": "<script>"})
        assert re.fullmatch(r"[0-9a-f]{32}", odd.headers["X-Request-Id"])  # not taken: one of ours instead
        personal = _handed_in()
        db.session.remove()

    lines = json_logs.getvalue().splitlines()
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    assert len(personal["name"]) > 3 and len(personal["snils"]) > 3 and personal["passport"]
    text = "\n".join(lines)
    leaked = [value for values in personal.values() for value in values
              if re.search(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])", text)]
    assert leaked == []

    steps = [e for e in entries if e["logger"] == "engine.service.execution"]
    assert len(steps) > 100 and all(isinstance(e.get("instance_id"), int) for e in steps)
    completed = [e for e in steps if e.get("request_id") == "proxy-7f3a9c2e" and e["level"] == "INFO"]
    assert [(e["instance_id"], e["task_id"], e["user"]) for e in completed] == [(started, register, "iao_logs")]
    requests = [e for e in entries if e["logger"] == "gia.request"]
    assert len(requests) == 2 and all(e["request_id"] and e["user"] == "iao_logs" for e in requests)
    assert requests[0]["message"].startswith(f"POST /api/v1/tasks/{register}/complete 200")


def _handed_in() -> dict[str, set[str]]:
    """The pupils' names, СНИЛС and passport numbers the database holds as handed in."""
    found = {"name": set(), "snils": set(), "passport": set()}

    def walk(value):
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("full_name", "pupil") and isinstance(item, str):
                    found["name"].add(item)
                elif key == "snils" and item:
                    found["snils"].add(item)
                elif key == "document_number" and item:
                    found["passport"].add(item)
                    if value.get("document_series"):
                        found["passport"].add(f"{value['document_series']} {item}")
                else:
                    walk(item)
    for data in db.session.scalars(select(TaskSubmission.data)):
        walk(data)
    return found


def test_a_line_that_would_carry_a_snils_or_a_passport_number_has_them_hidden(json_logs):
    logs.configure("json", "INFO", json_logs)
    log = logging.getLogger("gia.test")
    with logs.context(instance_id=7, task_id="t-1"):
        try:
            raise ValueError("СНИЛС 184-302-775 46 не найден; паспорт 82 15 735194")
        except ValueError:
            log.exception("could not read %s", "18430277546")
    [line] = [json.loads(text) for text in json_logs.getvalue().splitlines()]
    assert line["message"] == "could not read [скрыто]" and (line["instance_id"], line["task_id"]) == (7, "t-1")
    assert "СНИЛС [скрыто] не найден; паспорт [скрыто]" in line["exception"]
    assert "184-302-775" not in json_logs.getvalue() and "735194" not in json_logs.getvalue()

    words = io.StringIO()
    logs.configure("text", "INFO", words)  # the same in words, for people reading a terminal
    with logs.context(request_id="r-1", user="iao"):
        log.warning("СНИЛС %s", "184 302 775 46")
    assert words.getvalue().endswith("WARNING gia.test: СНИЛС [скрыто] [request_id=r-1 user=iao]\n")


def test_a_celery_job_s_lines_carry_its_name_and_id_and_its_steps_the_instance(org, clock_at, json_logs):
    from engine.jobs import sweep_timers
    from tests.engine.a1 import start_check
    clock_at("2021-03-15T10:00:00+03:00")
    check = start_check()  # its checklist is due on 19 March: the reminder and escalation timers fire later
    clock_at("2021-03-25T10:00:00+03:00")
    logs.configure("json", "INFO", json_logs)
    run = sweep_timers.apply()  # in this process, through Celery's task protocol and its signals
    lines = [json.loads(text) for text in json_logs.getvalue().splitlines()]
    [sweep] = [line for line in lines if line["message"].startswith("timer sweep")]
    assert (sweep["job"], sweep["request_id"]) == ("gia.sweep_timers", run.id)
    steps = [line for line in lines if line["logger"] == "engine.service.execution"]
    assert steps and all((s["instance_id"], s["job"], s["request_id"]) == (check, "gia.sweep_timers", run.id)
                         for s in steps)
    assert logs.current() == {}  # nothing left behind for the next job in this worker
