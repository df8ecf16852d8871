"""`store.after_commit`: what must wait for the commit (waking the mail senders) runs once, after the OUTERMOST
transaction has committed and can see its rows from another connection, and never after a rollback."""
import pytest
from sqlalchemy import select

from engine import store
from engine.db import db
from engine.models import EngineSetting


def committed_value(key):
    """The value as another connection sees it: only what has been committed."""
    with db.engine.connect() as other:
        return other.execute(select(EngineSetting.value).where(EngineSetting.key == key)).scalar()


def test_a_callback_runs_once_after_the_outermost_commit_and_sees_the_rows(app):
    seen = []

    def wake():
        seen.append(committed_value("probe"))

    with store.transaction():
        db.session.add(EngineSetting(key="probe", value="outer"))
        db.session.flush()
        store.after_commit(wake)
        with store.transaction():
            store.after_commit(wake)  # twice in one transaction: once
        assert seen == []  # the inner block ended: the outer one has not
    assert seen == ["outer"]


def test_a_rolled_back_transaction_drops_its_callbacks(app):
    seen = []
    with pytest.raises(RuntimeError):
        with store.transaction():
            db.session.add(EngineSetting(key="probe", value="lost"))
            store.after_commit(lambda: seen.append("woken"))
            raise RuntimeError("the step failed")
    with store.transaction():
        pass
    assert seen == [] and committed_value("probe") is None
