"""`flask gia simulate --workers N`: the simulated year lived by N processes at once on PostgreSQL, as a region is
served by several web and Celery workers against one database.

The coordinator moves the clock and starts the plan's items, as in a single-process run; then each day has two
phases, each done by every worker side by side and awaited by the coordinator before the next: the timer sweep
(the sweeps split the due instances between them by SKIP LOCKED claims, as Celery workers do) and the inbox's work,
each worker taking the tasks of the instance families (an instance and those its messages started) whose root
id falls in its share. Messages cross the shares (a school's report reaches its department's instance) and are
serialised by the instance's row lock, as in production.
"""
import multiprocessing

from flask_babel import lazy_gettext as _l

import engine
from engine import clock
from engine.db import db, is_postgres
from engine.errors import EngineError
from engine.plan import start_due_items

from .simulation import YearReport, YearSimulation, _morning


class ParallelYear(YearSimulation):
    def __init__(self, *args, workers: int, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_postgres():
            raise EngineError(_l("Several simulation workers need PostgreSQL: SQLite takes one writer at a time."))
        self.workers = workers
        self.pipes: list = []
        self.processes: list = []

    def run(self, catalogue, progress=None, until=None, resume=False) -> YearReport:
        try:
            return super().run(catalogue, progress, until, resume)
        finally:
            self.stop()

    def live(self, day, report: YearReport) -> None:
        with engine.transaction():
            clock.advance_to(_morning(day))
        with clock.pinned(_morning(day)):
            tick = start_due_items(limit=100_000, actor="simulation")
        report.failed_starts += [f"{n} {u}: {m}" for n, u, m in tick.failed]
        if not self.processes:
            self.spawn()
        self.each("timers", day, report)
        self.each("work", day, report)

    def spawn(self) -> None:
        """Fork the workers once the city, the processes and the evidence file exist: each inherits them and opens
        connections of its own."""
        db.session.remove()  # no connection checked out across the fork
        context = multiprocessing.get_context("fork")
        for share in range(self.workers):
            ours, theirs = context.Pipe()
            process = context.Process(target=self.serve, args=(theirs, share), daemon=True)
            process.start()
            theirs.close()
            self.pipes.append(ours)
            self.processes.append(process)

    def serve(self, pipe, share: int) -> None:
        db.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
        self.partition = (share, self.workers)
        while (order := pipe.recv()) is not None:
            phase, day = order
            delta = YearReport("", 0, 0)
            try:
                with clock.pinned(_morning(day)):
                    if phase == "timers":
                        engine.advance_timers()
                    else:
                        self.work(day, delta)
            except Exception as exc:  # noqa: BLE001 (the coordinator reports it and stops the run)
                db.session.rollback()
                pipe.send(("failed", f"{exc.__class__.__name__}: {exc}"))
                continue
            pipe.send(("done", delta))

    def each(self, phase: str, day, report: YearReport) -> None:
        for pipe in self.pipes:
            pipe.send((phase, day))
        failures = []
        for pipe in self.pipes:
            status, answer = pipe.recv()
            if status == "failed":
                failures.append(answer)
            else:
                merge(report, answer)
        if failures:
            raise EngineError(_l("A simulation worker failed on %(day)s: %(error)s"), day=f"{day:%d.%m.%Y}",
                              error="; ".join(failures))

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(None)
        for process in self.processes:
            process.join(timeout=30)


def merge(report: YearReport, delta: YearReport) -> None:
    report.tasks += delta.tasks
    report.completions += delta.completions
    report.refused += delta.refused
    for section, stats in delta.sections.items():
        into = report.sections[section]
        for name, value in vars(stats).items():
            setattr(into, name, getattr(into, name) + value)
