"""`flask gia message NAME --correlation KEY=VALUE`: what `instance show` lists as awaited can be delivered, and
reaches that instance alone; a message matching nothing names its values and those awaited (issue 12, point 2)."""


def test_message_with_correlation_values_from_the_command_line(gia):
    gia.deploy("correlated_orders.bpmn")
    first, second = gia.together(lambda: gia.start("order", {"order": 1, "item": "bolts"}),
                                 lambda: gia.start("order", {"order": 2, "item": "nuts"}))
    for task in gia.tasks():
        if task["bpmn_id"] == "Task_place":
            gia.complete(task)
    shown = gia.show(second)
    assert shown["waiting_for"] == [{"type": "message", "name": "order_paid", "due": None,
                                     "correlation": {"order_id": "2"}}]
    awaited = [f"{key}={value}" for key, value in shown["waiting_for"][0]["correlation"].items()]

    [error] = gia.fails("message", "order_paid", "--correlation", "order_id=3", data={"amount": 1})
    assert "order_id=3" in error and "order_id=1; order_id=2" in error
    assert "--correlation must be KEY=VALUE" in gia.fails("message", "order_paid", "--correlation", "order_id")[0]

    reached = gia("message", "order_paid", *[a for pair in awaited for a in ("--correlation", pair)],
                  data={"amount": 5})["delivered_to"]
    assert reached == [second]
    assert gia.show(second)["status"] == "completed" and gia.show(first)["status"] == "waiting"
