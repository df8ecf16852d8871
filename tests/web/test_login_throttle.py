"""Password guessing is slowed per login and client address, and per client address over all logins, so that
nobody can lock someone else out from elsewhere; the counting is atomic, so parallel guesses get no more password
checks than the limit (engine.directory.signin)."""
import threading
from datetime import timedelta

from engine import clock
from engine.db import db
from engine.models import AuditEvent, LoginAttempt
from engine.directory.signin import ADDRESS_LIMIT, FIRST_DELAY, PAIR_LIMIT
from tests.web.conftest import csrf

A, B, C = "203.0.113.10", "198.51.100.20", "192.0.2.30"


def client_at(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client, csrf(client.get("/login"))


def sign_in(app, login, password, address):
    client, token = client_at(app, address)
    return client.post("/login", data={"login": login, "password": password, "csrf_token": token})


def move_clock(delta):
    clock.set_mode("manual", clock.now() + delta)
    db.session.commit()


def checks_failed(login):
    db.session.expire_all()
    return db.session.query(LoginAttempt).filter_by(login=login).count()


def test_a_guesser_elsewhere_does_not_lock_the_owner_out(site, primary_app):
    for _ in range(PAIR_LIMIT):
        assert sign_in(primary_app, "head17", "guess", A).status_code == 200
    refused = sign_in(primary_app, "head17", "demo", A)
    assert refused.status_code == 429 and "Слишком много неудачных попыток" in refused.get_data(as_text=True)
    assert sign_in(primary_app, "head17", "demo", B).status_code == 302  # the owner, from her own address
    assert sign_in(primary_app, "head17", "demo", A).status_code == 429  # the guesser's address stays slowed
    assert db.session.query(AuditEvent).filter_by(action="login_locked", actor="head17").count() == 1


def test_many_logins_guessed_from_one_address_slow_that_address_down(site, primary_app):
    for n in range(ADDRESS_LIMIT):
        assert sign_in(primary_app, f"user{n}", "guess", C).status_code == 200
    refused = sign_in(primary_app, "head12", "demo", C)
    assert refused.status_code == 429 and "с этого адреса" in refused.get_data(as_text=True)
    assert checks_failed("head12") == 0  # refused without a password check
    assert sign_in(primary_app, "head12", "demo", B).status_code == 302


def test_parallel_guesses_get_no_more_password_checks_than_the_limit(site, primary_app):
    """Every guess first counts itself under a row lock, then checks the password: of 24 guesses sent at once,
    exactly PAIR_LIMIT reach the password check (one LoginAttempt row each) and the others are refused."""
    guesses = 24
    ready = threading.Barrier(guesses)
    answers, errors = [], []

    def guess():
        try:
            with primary_app.app_context():
                client, token = client_at(primary_app, A)
                ready.wait(timeout=60)
                answers.append(client.post("/login", data={"login": "head17", "password": "guess",
                                                           "csrf_token": token}).status_code)
        except Exception as exc:  # noqa: BLE001  (reported below, with the thread's own error)
            errors.append(repr(exc))

    threads = [threading.Thread(target=guess) for _ in range(guesses)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert checks_failed("head17") == PAIR_LIMIT
    assert sorted(answers) == [200] * PAIR_LIMIT + [429] * (guesses - PAIR_LIMIT)


def test_after_the_delay_the_owner_gets_in_and_further_guesses_wait_longer(site, primary_app):
    for _ in range(PAIR_LIMIT):
        sign_in(primary_app, "head17", "guess", A)
    assert sign_in(primary_app, "head17", "demo", A).status_code == 429
    move_clock(FIRST_DELAY + timedelta(seconds=1))
    assert sign_in(primary_app, "head17", "guess", A).status_code == 200  # one more guess after the delay...
    move_clock(FIRST_DELAY + timedelta(seconds=1))
    assert sign_in(primary_app, "head17", "demo", A).status_code == 429  # ...doubles it
    move_clock(FIRST_DELAY)
    assert sign_in(primary_app, "head17", "demo", A).status_code == 302
    assert checks_failed("head17") == PAIR_LIMIT + 1


def test_signing_in_forgets_the_failures_of_that_login_at_that_address(site, primary_app):
    for _ in range(PAIR_LIMIT - 1):
        sign_in(primary_app, "head17", "guess", A)
    assert sign_in(primary_app, "head17", "demo", A).status_code == 302
    for _ in range(PAIR_LIMIT - 1):
        assert sign_in(primary_app, "head17", "guess", A).status_code == 200
    assert sign_in(primary_app, "head17", "demo", A).status_code == 302


def test_a_forwarded_for_header_counts_only_behind_a_trusted_proxy(site, primary_app, tmp_path):
    """Anyone can send X-Forwarded-For: by default it is ignored (rotating it gains a guesser nothing); with
    TRUSTED_PROXIES=1 the proxy's header names the client."""
    def guess(app, forwarded):
        client, token = client_at(app, A)
        return client.post("/login", data={"login": "head17", "password": "guess", "csrf_token": token},
                           headers={"X-Forwarded-For": forwarded})

    for n in range(PAIR_LIMIT):
        assert guess(primary_app, f"10.0.0.{n}").status_code == 200
    assert guess(primary_app, "10.0.0.99").status_code == 429

    from tests.conftest import make_app
    proxied = make_app(primary_app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, TRUSTED_PROXIES=1)
    try:
        assert guess(proxied, "10.0.0.99").status_code == 200  # another client behind the proxy
        for _ in range(PAIR_LIMIT - 1):
            guess(proxied, "10.0.0.99")
        assert guess(proxied, "10.0.0.99").status_code == 429
        assert guess(proxied, "10.0.0.100").status_code == 200
    finally:
        with proxied.app_context():
            db.engine.dispose()
