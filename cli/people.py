"""user commands."""
import click
from sqlalchemy import select

import engine
from engine import roles
from engine.db import db
from engine.models import Unit
from . import gia
from .output import emit, guarded, json_option


def ensure_unit_named(code: str | None) -> None:
    """The command line names units freely (`--unit Sales`): one not known yet is created, named by its code.
    (The department's own units come with their names and hierarchy from `flask gia demo`.)"""
    if code and db.session.scalar(select(Unit.id).where(Unit.code == code)) is None:
        with engine.transaction():
            engine.ensure_unit(code, code, "unit")


@gia.group("user")
def user_group():
    """Users and their roles."""


@user_group.command("create")
@click.argument("login")
@click.option("--role", required=True, help="A role code or title (`admin` may complete any task).")
@click.option("--unit", help="The unit (school, PPE, department) the role is held in.")
@click.option("--password", help="Password for the web UI.")
@click.option("--name", "full_name")
@click.option("--email")
@json_option
@guarded
def create_command(login, role, unit, password, full_name, email, as_json):
    """Create LOGIN with ROLE in UNIT; running it again adds nothing twice."""
    ensure_unit_named(unit)
    user = engine.ensure_user(login, role, unit, password=password, full_name=full_name, email=email)
    emit({"login": user.login, "id": user.id, "role": roles.canonical(role), "unit": unit}, as_json,
         f"{user.login}: {roles.title(roles.canonical(role))}{' @ ' + unit if unit else ''}")
