"""Write tests/upgrades/fixtures/<revision>.json: the data each released schema (each migration) held.

    .venv/bin/python -m tests.upgrades.make_fixtures          # after adding a migration: writes the new one

The data is made once by the running engine on a database at head (the organisation, the PPE check of scenario A1
with a fault, its photo and the head's fix waiting, a second check waiting for its checklist with a draft and a
comment, a plan with two items, a version's comment, a designer's draft, a saved filter, a token, a snooze, an
absence, a failed sign-in, an e-mail waiting to be sent) and then put into an empty
database at each revision, column by column as that schema has them; what is read back from there is the fixture.
A fixture once written is the record of its release: existing files are kept unless --force is given, so that a
later change of the engine cannot quietly rewrite what an old release held.
"""
import argparse
import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from tests.upgrades import rows

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
MIGRATIONS = HERE.parents[1] / "migrations" / "versions"


def revisions() -> list[str]:
    return sorted(p.name[:4] for p in MIGRATIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


def head_data(workdir: Path) -> dict:
    from flask_migrate import upgrade
    from engine.db import db
    from tests.conftest import make_app
    app = make_app(f"sqlite:///{workdir / 'head.sqlite3'}", workdir)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            seeded = rows.keyed(rows.dump(connection))
        _fill()
        db.session.remove()
        with db.engine.connect() as connection:
            data = rows.dump(connection)
        db.engine.dispose()
    # What migrations seed (0018's calendar and its mark) each revision's own migrations write, or not.
    for name, table in data.items():
        seeds = set(seeded.get(name, ()))
        at = [table["columns"].index(c) for c in table["key"]]
        table["rows"] = [r for r in table["rows"] if json.dumps([r[i] for i in at]) not in seeds]
    return data


def _fill() -> None:
    import engine
    from engine.db import db
    from engine.models import PlanItem, User
    from engine.plan import catalogue, running
    from engine.service.inbox import InboxQuery
    from tests.conftest import PROCESSES, linear, load_org, set_manual_clock, stored_pdf
    from tests.engine.a1 import checklist, only, start_check

    set_manual_clock("2021-03-15T10:00:00+03:00")
    org = load_org()
    db.session.execute(sa.update(User).where(User.login == "head17").values(email="head17@gia.example"))
    db.session.commit()  # the fix task's e-mail waits in the outbox (no SMTP_HOST)
    plan = running.open_plan(catalogue.load_default(), actor="iao")
    keep = db.session.scalars(sa.select(PlanItem.id).where(PlanItem.plan_id == plan.id).order_by(PlanItem.seq)
                              .limit(2)).all()
    db.session.execute(sa.delete(PlanItem).where(PlanItem.id.not_in(keep)))  # two items are enough to carry
    db.session.commit()
    bpmn = (PROCESSES / "ppe_tech_check.bpmn").read_bytes()
    engine.deploy([("ppe_tech_check.bpmn", bpmn)], actor="designer", comment="Срок исправления 7 дней")
    engine.save_design("ppe_tech_check", linear('<bpmn:userTask id="n1" name="Проверка"/>',
                                                process_id="ppe_tech_check").decode(), "designer", 0)
    engine.authenticate("head12", "не тот пароль", "10.0.0.5")
    engine.set_absence(org["head12"], "head17", date(2021, 3, 20), date(2021, 3, 25), actor="admin")
    photo = stored_pdf("глушилка.pdf", "tech17")["attachment_id"]
    faulty = start_check("ppe-17")
    engine.complete(only(faulty, "checklist").id, org["tech17"], checklist(faulty=["jammer"], photo=photo))
    waiting = start_check("ppe-12", fix_days=5)
    task = only(waiting, "checklist").id
    engine.save_draft(task, org["tech12"], {"checked_on": "2021-03-16"})
    engine.comment(task, org["tech12"], "Проверим во вторник")
    engine.snooze(task, org["tech12"], date(2021, 3, 16))
    engine.save_filter(org["iao"], "ППЭ №12", "private", InboxQuery(tab="available", text="ППЭ"))
    engine.create_token(org["iao"], "отчёты", days=30)
    db.session.commit()


def project(head: dict, revision: str, workdir: Path) -> dict:
    """The head's rows as the schema at `revision` holds them: its tables, its columns; read back from there."""
    from flask_migrate import upgrade
    from engine.db import db
    from tests.conftest import make_app
    app = make_app(f"sqlite:///{workdir / f'{revision}.sqlite3'}", workdir)
    with app.app_context():
        upgrade(revision=revision)
        db.session.remove()
        with db.engine.begin() as connection:
            rows.load(connection, head)
        with db.engine.connect() as connection:
            data = rows.dump(connection)
        db.engine.dispose()
    return data


def text_of(data: dict) -> str:
    """Compact JSON with a line per row, so that a fixture's diff shows the rows that changed. Keys keep their
    order: a serialized workflow lists its tasks parents first, and its task data is restored in that order."""
    def line(value):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    tables = []
    for name, table in sorted(data["tables"].items()):
        body = ",\n".join(line(row) for row in table["rows"])
        tables.append(f'{line(name)}:{{"columns":{line(table["columns"])},"key":{line(table["key"])},'
                      f'"rows":[\n{body}]}}')
    return f'{{"revision":{line(data["revision"])},"tables":{{\n' + ",\n".join(tables) + "}}\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rewrite fixtures that exist")
    args = parser.parse_args(argv)
    FIXTURES.mkdir(exist_ok=True)
    wanted = [r for r in revisions() if args.force or not (FIXTURES / f"{r}.json").exists()]
    if not wanted:
        print("every revision has its fixture")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        head = head_data(workdir)
        for revision in wanted:
            data = {"revision": revision, "tables": project(head, revision, workdir)}
            path = FIXTURES / f"{revision}.json"
            path.write_text(text_of(data))
            print(path.relative_to(HERE.parents[1]), path.stat().st_size, "bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
