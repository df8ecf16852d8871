"""The city that the demo, the simulation, tests and benchmarks share: the department with its divisions, the
schools, the PPE, and the deployed processes. Its own module so that cli.demo and cli.simulation both build on it
without importing each other."""
from pathlib import Path

from flask import current_app

import engine

DEPARTMENTS = [("guo", "МКУ «Управление образования» г. Махачкалы", "department", None),
               ("iao", "Информационно-аналитический отдел (ИАО) ГУО", "subdepartment", "guo"),
               ("mo", "Методический отдел (МО) ГУО", "subdepartment", "guo"),
               ("ooo", "Отдел общего образования (ООО) ГУО", "subdepartment", "guo"),
               ("odovr", "Отдел дополнительного образования и воспитательной работы (ОДОВР) ГУО", "subdepartment",
                "guo")]


def ensure_city(schools, ppe_hosts, auditoriums=lambda n: 2 + n % 4) -> None:
    """The department with its divisions, schools №`schools` and a PPE at each school of `ppe_hosts` with
    `auditoriums(n)` auditoriums (idempotent, one transaction)."""
    with engine.transaction():
        for code, name, kind, parent in DEPARTMENTS:
            engine.ensure_unit(code, name, kind, parent)
        for n in schools:
            engine.ensure_unit(f"school-{n}", f"МБОУ «СОШ №{n}»", "school", "guo")
        for n in ppe_hosts:
            engine.ensure_unit(f"ppe-{n}", f"ППЭ №{n} (на базе СОШ №{n})", "ppe", "guo", host=f"school-{n}",
                               attrs={"number": n, "auditoriums": auditoriums(n)})


def deploy_processes():
    """Deploy every diagram in processes/ as one version (the same files again reuse it)."""
    processes = sorted(Path(current_app.config["PROCESSES_DIR"]).glob("*.bpmn"))
    return engine.deploy([(p.name, p.read_bytes()) for p in processes], actor="admin")
