"""BPMN correlation (issue 12, point 2): a message reaches exactly the instances whose correlation values it
carries, found through the index of waiting instances; from outside the values are given, between instances the
sender's retrieval expressions compute them; a message that reaches nobody names its values and those awaited.

correlated_orders.bpmn: an `order` instance sends order_placed {order, item}, which starts a `payment` instance,
and waits for the order_paid carrying its own correlation value order_id (= the payload's `order`)."""
import pytest
from sqlalchemy import select

import engine
from engine.db import db
from engine.models import InstanceWait
from tests.cli.conftest import DIAGRAMS
from tests.conftest import deploy_files
from tests.engine.plan_patterns import only


@pytest.fixture
def orders(app):
    for login, role in (("admin", "admin"), ("clerk", "clerk"), ("cashier", "cashier")):
        engine.ensure_user(login, role, None)
    deploy_files(DIAGRAMS / "correlated_orders.bpmn")
    admin = engine.user_by_login("admin")
    placed = {}
    for number, item in ((1, "bolts"), (2, "nuts")):
        order = engine.start("order", {"order": number, "item": item}, actor="admin").instance_id
        engine.complete(only(order, "Task_place").id, admin, {})
        placed[number] = order
    return placed


def payment_of(number):
    return next(t for t in engine.list_tasks() if t.bpmn_id == "Task_pay"
                and engine.detail(t.instance_id)["data"]["placed"]["order"] == number)


def test_each_order_awaits_its_own_value_and_the_index_holds_it(orders):
    for number, order in orders.items():
        assert engine.detail(order)["waiting_for"] == [
            {"type": "message", "name": "order_paid", "due": None, "correlation": {"order_id": str(number)}}]
    rows = db.session.execute(select(InstanceWait.instance_id, InstanceWait.correlation)
                              .where(InstanceWait.name == "order_paid").order_by(InstanceWait.instance_id)).all()
    assert rows == [(orders[1], '{"order_id": "1"}'), (orders[2], '{"order_id": "2"}')]


def test_a_message_from_outside_reaches_the_one_instance_awaiting_its_value(orders):
    assert engine.deliver("message", "order_paid", {"amount": 5}, correlations={"order_id": "2"}) == [orders[2]]
    assert engine.detail(orders[2])["status"] == "completed"
    assert engine.detail(orders[2])["data"]["payment"] == {"amount": 5}
    assert engine.detail(orders[1])["status"] == "waiting"
    # The value as `instance show` lists it can be given back; a number compares with the same digits.
    assert engine.deliver("message", "order_paid", {"amount": 6}, correlations={"order_id": 1}) == [orders[1]]


def test_a_message_thrown_by_a_send_task_reaches_its_own_order_only(orders):
    admin = engine.user_by_login("admin")
    assert engine.complete(payment_of(1).id, admin, {"amount": 7}).status == "completed"
    assert engine.detail(orders[1])["data"]["payment"] == {"order": 1, "amount": 7}
    assert engine.detail(orders[2])["status"] == "waiting"
    engine.complete(payment_of(2).id, admin, {"amount": 8})
    assert engine.detail(orders[2])["data"]["payment"] == {"order": 2, "amount": 8}


def test_the_lookup_restores_only_the_instance_that_matches(orders, monkeypatch):
    from engine import store
    restored = []
    real = store.workflow_of
    monkeypatch.setattr(store, "workflow_of", lambda instance: restored.append(instance.id) or real(instance))
    engine.deliver("message", "order_paid", {"amount": 5}, correlations={"order_id": "1"})
    assert restored == [orders[1]]


def test_a_message_that_matches_nothing_names_its_values_and_those_awaited(orders):
    with pytest.raises(engine.NothingWaiting) as error:
        engine.deliver("message", "order_paid", {"amount": 5}, correlations={"order_id": "3"})
    assert str(error.value) == ("Никто не ожидает message «order_paid» со значениями корреляции order_id=3; "
                                "ожидаются значения: order_id=1; order_id=2.")
    with pytest.raises(engine.NothingWaiting) as error:
        engine.deliver("message", "order_paid", {"amount": 5})
    assert str(error.value).endswith("без значений корреляции; ожидаются значения: order_id=1; order_id=2.")
    with pytest.raises(engine.NothingWaiting) as error:
        engine.deliver("message", "order_paid", {}, correlations={"order_id": "2"}, instance_id=orders[1])
    assert str(error.value).endswith("order_id=2; ожидаются значения: order_id=1.")
    assert [engine.detail(o)["status"] for o in orders.values()] == ["waiting", "waiting"]
