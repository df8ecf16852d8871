"""message, signal, timers and clock commands."""
import click

import engine
from engine import clock
from engine.db import db
from . import gia
from .output import emit, guarded, json_option, parse_json, parse_moment


def _deliver(kind, name, instance_id, data, login, as_json, correlations=None):
    delivered = engine.deliver(kind, name, parse_json(data, want_object=False), correlations=correlations,
                               instance_id=instance_id, actor=login)
    emit({"delivered_to": delivered}, as_json, f"{kind} {name} delivered to {', '.join(map(str, delivered))}")


def _correlations(pairs) -> dict:
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"--correlation must be KEY=VALUE, not {pair!r}")
        values[key.strip()] = value
    return values


@gia.command("message")
@click.argument("name")
@click.option("--instance", "instance_id", type=int, help="Deliver only to this instance.")
@click.option("--data", help="The message payload (JSON).")
@click.option("--correlation", "correlation_pairs", multiple=True, metavar="KEY=VALUE",
              help="A correlation value the message carries (a correlation property of the message and its value; "
                   "repeat for several). It reaches the instances awaiting these values, as `instance show` lists "
                   "them, and those awaiting none.")
@click.option("--user", "login")
@json_option
@guarded
def message_command(name, instance_id, data, correlation_pairs, login, as_json):
    """Deliver message NAME to the instances waiting for it, or start a process whose start event awaits it."""
    _deliver("message", name, instance_id, data, login, as_json, _correlations(correlation_pairs))


@gia.command("signal")
@click.argument("name")
@click.option("--data", help="The signal payload (JSON).")
@click.option("--user", "login")
@json_option
@guarded
def signal_command(name, data, login, as_json):
    """Broadcast signal NAME to every waiting instance and to processes started by it."""
    _deliver("signal", name, None, data, login, as_json)


@gia.group("timers")
def timers_group():
    """Timers."""


@timers_group.command("tick")
@click.option("--now", "now_text", help="Fire what is due at this moment (ISO-8601). With the manual clock, the "
                                        "clock moves to it.")
@json_option
@guarded
def tick_command(now_text, as_json):
    """Fire every timer due now (or at --now) and report what fired and what is due next. Deliver first the messages
    between instances that a process killed after its commit left in the outbox (as the gia.drain_outbox sweep
    does)."""
    at = parse_moment(now_text)
    if at is not None and clock.is_manual():
        clock.advance_to(at)
        db.session.commit()
    engine.drain_outbox()
    result = engine.advance_timers(at)
    emit({"now": result.now.isoformat(), "fired": result.fired, "failed": result.failed,
          "next_due": result.next_due.isoformat() if result.next_due else None}, as_json,
         f"{result.now.isoformat()}: fired {len(result.fired)}, failed {len(result.failed)}, next due "
         f"{result.next_due.isoformat() if result.next_due else '—'}")


@gia.command("clock")
@click.argument("mode", type=click.Choice(["show", "manual", "real"]), default="show")
@click.option("--now", "now_text", help="With `manual`: the time to start from (default: the current time).")
@json_option
@guarded
def clock_command(mode, now_text, as_json):
    """Show the engine's clock, or switch it between the wall clock and a manual one that only `timers tick`
    moves (for tests, simulations and outside checks)."""
    if mode != "show":
        clock.set_mode(mode, parse_moment(now_text))
        db.session.commit()
    emit({"mode": "manual" if clock.is_manual() else "real", "now": clock.now().isoformat()}, as_json)
