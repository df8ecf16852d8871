"""`flask gia simulate`: the school year lived on a fresh database (cli.simulation), by one process or by several
(cli.simulation_parallel), and what happened printed per section of the plan."""
from datetime import date

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from engine.db import db
from engine.errors import EngineError
from engine.models import Plan, PlanItem, ProcessInstance
from engine.plan import catalogue as plan_catalogue
from . import gia
from .output import emit, guarded, json_option
from .simulation import YearReport, YearSimulation
from .simulation_parallel import ParallelYear


def count_section_instances(report: YearReport) -> None:
    for section, count in db.session.execute(
            select(PlanItem.section, db.func.count()).join(ProcessInstance, ProcessInstance.plan_item_id == PlanItem.id)
            .group_by(PlanItem.section)).all():
        report.sections[section].instances = count


def simulate_year(year: str, schools: int, ppe: int, late_share: float, seed: int, progress=None,
                  workers: int = 1, until: date | None = None, resume: bool = False) -> YearReport:
    catalogue = plan_catalogue.load_default()
    if catalogue.year != year:
        raise EngineError(_l("The catalogue holds the plan for %(have)s, not %(want)s."), have=catalogue.year,
                          want=year)
    if not resume and db.session.scalar(select(Plan.id).where(Plan.year == year)) is not None:
        raise EngineError(_l("A plan for %(year)s is open in this database already: simulate on a fresh database "
                             "(e.g. DATABASE_URL=sqlite:////tmp/year.db)."), year=year)
    if resume and db.session.scalar(select(Plan.id).where(Plan.year == year)) is None:
        raise EngineError(_l("No plan for %(year)s in this database to go on with."), year=year)
    db.session.rollback()
    if workers > 1:
        simulation = ParallelYear(schools, ppe, late_share, seed, workers=workers)
    else:
        simulation = YearSimulation(schools, ppe, late_share, seed)
    report = simulation.run(catalogue, progress, until=until, resume=resume)
    count_section_instances(report)
    return report


@gia.command("simulate")
@click.option("--year", default="2020/21", show_default=True)
@click.option("--schools", type=click.IntRange(1, 1000), default=60, show_default=True)
@click.option("--ppe", type=click.IntRange(0, 500), default=20, show_default=True)
@click.option("--late-share", type=click.FloatRange(0, 1), default=0.1, show_default=True,
              help="Share of tasks done after their deadline.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--workers", type=click.IntRange(1, 16), default=1, show_default=True,
              help="Processes living each day side by side (PostgreSQL only).")
@click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Stop after this day (e.g. 2020-12-04); the manual clock stays there.")
@click.option("--resume", is_flag=True, help="Go on with the year a run stopped with --until left (the same options; "
              "e.g. on a database restored from a backup).")
@json_option
@guarded
def simulate_command(year, schools, ppe, late_share, seed, workers, until, resume, as_json):
    """Run the school year's plan on a fresh database, day by day, and print what happened per section."""
    report = simulate_year(year, schools, ppe, late_share, seed, workers=workers,
                           until=until.date() if until else None, resume=resume)
    emit(report.as_dict(), as_json, render(report))


def render(report: YearReport) -> str:
    lines = [f"year {report.year}: {report.schools} schools, {report.ppe} PPE, {report.days} days in "
             f"{report.seconds:.1f} s; {report.instances} instances, {report.tasks} tasks, "
             f"{report.completions} completions",
             f"{'section':>8} {'instances':>10} {'done':>8} {'late':>6} {'escalations':>12} {'errors':>7}"]
    for section, s in sorted(report.sections.items()):
        lines.append(f"{section:>8} {s.instances:>10} {s.completed:>8} {s.late:>6} {s.escalations:>12} {s.errors:>7}")
    lines += [f"refused: {r}" for r in report.refused[:10]] + [f"start failed: {f}" for f in report.failed_starts[:10]]
    return "\n".join(lines)
