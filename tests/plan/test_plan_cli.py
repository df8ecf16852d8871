"""`flask gia plan …` as an operator uses it: the catalogue, opening the plan once, starting due items, the
calendar; failures exit 1 with one `error:` line per problem."""
import json

from cli.demo import deploy_processes


def gia(app, *args):
    return app.test_cli_runner().invoke(args=["gia", *args])


def test_the_catalogue_lists_every_item_with_its_window_and_anomalies(app):
    result = gia(app, "plan", "catalogue", "--json")
    assert result.exit_code == 0, result.output
    items = {i["number"]: i for i in json.loads(result.stdout)["items"]}
    assert len(items) == 82
    assert items["4.10"]["window"] == "2021-01-22..2021-01-26"
    # a carried item runs no process of its own: the line names the task that does its work
    assert items["4.10"]["process"] == "выполняется задачей пункта 3.27 («Сверка списка»)"
    assert items["4.10"]["carried_by"] == {"item": "3.27", "tasks": ["ege_recheck_task"]}
    text = gia(app, "plan", "catalogue").stdout
    assert "выполняется задачей пункта 3.46 («Выдвинуть работников ППЭ»)" in text.split("\n  3.4 ")[1].split("\n")[0]
    assert [a["code"] for a in items["3.24"]["anomalies"]] == ["several_windows", "year_outside_school_year",
                                                                     "window_adjusted"]


def test_open_start_status_and_calendar_from_the_command_line(app, org, clock_at):
    clock_at("2020-09-01T09:30:00+03:00")
    deploy_processes()
    opened = gia(app, "plan", "open", "--user", "iao", "--json")
    assert opened.exit_code == 0 and json.loads(opened.stdout)["items"] == 82
    again = gia(app, "plan", "open", "--json")
    assert again.exit_code == 1 and "уже открыта" in json.loads(again.stdout)["errors"][0]

    started = json.loads(gia(app, "plan", "start-due", "--json").stdout)
    assert ["1.1", "guo"] in started["started"] and not started["failed"]
    status = {r["number"]: r for r in json.loads(gia(app, "plan", "status", "--json").stdout)["items"]}
    assert status["1.1"]["state"] == "running" and status["1.2"]["state"] == "not_started"

    moved = gia(app, "plan", "calendar", "thematic_checks", "--date", "2021-02-15", "--json")
    assert json.loads(moved.stdout) == {"moved": ["3.45"], "started": [], "instances": 0, "corrections": 0,
                                        "failed": []}
    window = gia(app, "plan", "window", "1.2", "--starts", "2020-10-05", "--due", "2020-12-20", "--json")
    assert json.loads(window.stdout) == {"instances": 0, "corrections": 0, "failed": []}
    unknown = gia(app, "plan", "window", "9.99", "--starts", "2020-10-05", "--due", "2020-12-20")
    assert unknown.exit_code == 1 and "9.99" in unknown.stderr
    past = gia(app, "plan", "calendar", "essay", "--date", "2020-08-01")
    assert past.exit_code == 1 and past.stderr.startswith("error: ") and "прошла" in past.stderr
