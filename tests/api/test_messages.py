"""POST /api/v1/messages: a message from outside with its correlation values (issue 12, point 2), sent by someone
who holds a role in the process it reaches."""
import pytest

import engine
from engine.db import db
from tests.api.conftest import Api
from tests.cli.conftest import DIAGRAMS
from tests.conftest import deploy_files
from tests.engine.plan_patterns import only
from tests.web.conftest import IsolatedClient


@pytest.fixture
def api(primary_app):
    primary_app.test_client_class = IsolatedClient
    for login, role in (("admin", "admin"), ("clerk", "clerk"), ("cashier", "cashier")):
        engine.ensure_user(login, role, None)
    deploy_files(DIAGRAMS / "correlated_orders.bpmn")
    orders = {}
    for number in (1, 2):
        orders[number] = engine.start("order", {"order": number, "item": "bolts"}, actor="clerk").instance_id
        engine.complete(only(orders[number], "Task_place").id, engine.user_by_login("clerk"), {})
    db.session.commit()
    client = Api(primary_app)
    client.orders = orders
    return client


def send(api, login, **body):
    return api.post("/messages", login, json=body, headers={"Accept-Language": "en"})


def test_the_message_reaches_the_order_whose_value_it_carries(api):
    answer = send(api, "clerk", name="order_paid", payload={"amount": 5}, correlations={"order_id": "2"})
    assert answer.status_code == 200, answer.json
    assert answer.json == {"delivered_to": [api.orders[2]]}
    assert engine.detail(api.orders[2])["data"]["payment"] == {"amount": 5}
    assert engine.detail(api.orders[1])["status"] == "waiting"


def test_a_message_that_reaches_nobody_names_the_values(api):
    answer = send(api, "clerk", name="order_paid", payload={}, correlations={"order_id": "9"})
    assert answer.status_code == 400
    assert answer.json["error"]["message"] == ("Nothing waits for the message order_paid with order_id=9; awaited "
                                               "for it: order_id=1; order_id=2.")


def test_only_a_role_of_the_process_may_send_it(api):
    answer = send(api, "cashier", name="order_paid", payload={}, correlations={"order_id": "1"})
    assert answer.status_code == 403
    assert "order" in answer.json["error"]["message"]
    assert engine.detail(api.orders[1])["status"] == "waiting"
    # Nor does the cashier learn which values are awaited there.
    answer = send(api, "cashier", name="order_paid", payload={}, correlations={"order_id": "9"})
    assert answer.status_code == 400 and "order_id=1" not in answer.json["error"]["message"]
    assert send(api, "admin", name="order_paid", correlations={"order_id": "1"}).status_code == 200


def test_the_body_is_checked(api):
    assert send(api, "clerk", payload={}).status_code == 422
    assert send(api, "clerk", name="order_paid", correlations={"order_id": 1}).status_code == 422
    assert send(api, "clerk", name="order_paid", payload={"note": "a\x00b"},
                correlations={"order_id": "1"}).status_code == 422
