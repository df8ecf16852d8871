"""Third-party diagrams (tests/cli/diagrams: saved as bpmn.io / Camunda Modeler save them, mostly without
SpiffWorkflow extensions, with camunda:* attributes that must be ignored) run through the real `flask gia` CLI.

Each test deploys its diagrams, drives them with start/tasks/complete/message/signal/timers and checks what
`instance show` and `tasks` report. Commands on different instances run side by side (`gia.together`)."""
from tests.cli.conftest import DIAGRAMS, by_bpmn_id


def ids(tasks):
    return [t["bpmn_id"] for t in tasks]


def test_exclusive_gateway_with_conditions_and_default_flow_in_lanes(gia):
    """expense_approval: lanes Employee / Manager / Clerk become roles; `amount > 1000` goes to the manager, the
    default flow straight to the clerk; camunda:assignee, candidateGroups and formData are ignored."""
    gia.users(("emma", "Employee"), ("mike", "Manager"), ("carl", "Clerk"))
    assert gia.deploy("expense_approval.bpmn")["process_ids"] == ["expense_approval"]
    big, small = gia.together(lambda: gia.start("expense_approval"),
                              lambda: gia.start("expense_approval", {"employee": "emma"}))
    submit = {t["instance_id"]: t for t in gia.tasks()}
    assert submit[big]["bpmn_id"] == submit[small]["bpmn_id"] == "Task_submit"
    assert submit[big]["id"] != submit[small]["id"]

    refused, book_small = gia.together(
        lambda: gia.fails("complete", submit[big]["id"], "--user", "carl"),  # a Clerk, not an Employee
        lambda: gia.complete(submit[small], "emma", {"amount": 40, "purpose": "taxi"})["next_tasks"])
    assert len(refused) == 1
    approve = gia.complete(submit[big], "emma", {"amount": 2500, "purpose": "laptop"})["next_tasks"]
    assert [(t["bpmn_id"], t["state"], t["role"]) for t in approve] == [("Task_approve", "READY", "manager")]
    assert ids(book_small) == ["Task_book"]  # the default flow

    assert ids(gia.tasks(user="mike")) == ["Task_approve"]  # not the clerk's Task_book
    book_big = gia.complete(approve[0], "mike", {"approved": True})["next_tasks"]
    assert gia.complete(book_big[0], "carl")["status"] == "completed"

    shown = gia.show(big)
    assert shown["status"] == "completed" and shown["error"] is None
    assert shown["data"] == {"amount": 2500, "purpose": "laptop", "approved": True}
    done = [(h["bpmn_id"], h["completed_by"]) for h in shown["history"] if h["completed_by"]]
    assert done == [("Task_submit", "emma"), ("Task_approve", "mike"), ("Task_book", "carl")]
    assert shown["history"][-1]["bpmn_id"] == "Event_booked"


def test_parallel_and_inclusive_gateways_manual_and_plain_tasks(gia):
    """contract_review: AND fork/join, then a manualTask and a plain bpmn:task (both wait for a person).
    onboarding_checks: an inclusive gateway takes every true branch (not the default) and joins them."""
    gia.deploy("parallel_review.bpmn", "inclusive_checks.bpmn")
    contract, onboarding = gia.together(
        lambda: gia.start("contract_review"),
        lambda: gia.start("onboarding_checks", {"needs_laptop": True, "clearance": 3}))
    ready = gia.tasks()
    assert sorted((t["instance_id"], t["bpmn_id"]) for t in ready) == sorted([
        (contract, "Task_legal"), (contract, "Task_finance"), (onboarding, "Task_it"), (onboarding, "Task_security")])
    assert ids(t for t in ready if t["instance_id"] == contract) == ["Task_legal", "Task_finance"]  # engine order
    tasks = by_bpmn_id(ready)

    left, security = gia.together(lambda: gia.complete(tasks["Task_finance"], data={"budget_ok": True}),
                                  lambda: gia.complete(tasks["Task_it"], data={"laptop": "X1"}))
    assert ids(left["next_tasks"]) == ["Task_legal"]  # each join waits for the other branch
    assert ids(security["next_tasks"]) == ["Task_security"]
    sign, welcome = gia.together(lambda: gia.complete(tasks["Task_legal"], data={"clauses_ok": True}),
                                 lambda: gia.complete(tasks["Task_security"], data={"cleared": True}))
    assert ids(sign["next_tasks"]) == ["Task_sign"]
    assert ids(welcome["next_tasks"]) == ["Task_welcome"]
    archive = gia.complete(sign["next_tasks"][0])["next_tasks"]
    assert [(t["bpmn_id"], t["name"]) for t in archive] == [("Task_archive", "Put in the archive")]
    assert gia.complete(archive[0])["status"] == "completed"

    shown = gia.show(contract)
    assert shown["data"] == {"budget_ok": True, "clauses_ok": True}
    assert [h["bpmn_id"] for h in shown["history"] if h["completed_by"]] == [
        "Task_finance", "Task_legal", "Task_sign", "Task_archive"]
    assert [h["type"] for h in shown["history"] if h["completed_by"]][-2:] == ["ManualTask", "NoneTask"]


def test_embedded_subprocess_and_call_activity_across_two_files(gia):
    """trip_planning runs an embedded subprocess; order_fulfilment (order_main.bpmn) calls ship_parcel from
    order_shipping.bpmn, deployed together. Both diagrams use the ids "Start" and "End", which the library itself
    uses for its own task specs. Deployed alone, order_main.bpmn is refused: the called process is missing."""
    errors = gia.fails("deploy", DIAGRAMS / "order_main.bpmn")
    assert any("ship_parcel" in e for e in errors)

    deployed = gia.deploy("embedded_subprocess.bpmn", "order_main.bpmn", "order_shipping.bpmn")
    assert deployed["process_ids"] == ["order_fulfilment", "ship_parcel", "trip_planning"]
    trip, order = gia.together(
        lambda: gia.start("trip_planning", {"traveller": "Ann"}),
        lambda: gia.start("order_fulfilment", {"order": {"id": 7, "lines": ["bolts", "nuts"]}}))
    first = by_bpmn_id(gia.tasks())
    assert (first["Task_flight"]["instance_id"], first["Task_pick"]["instance_id"]) == (trip, order)

    hotel, pack = gia.together(lambda: gia.complete(first["Task_flight"], data={"flight": "SK123"}),
                               lambda: gia.complete(first["Task_pick"], data={"picked": 2}))
    assert ids(hotel["next_tasks"]) == ["Task_hotel"]
    assert [(t["bpmn_id"], t["role"]) for t in pack["next_tasks"]] == [("Task_pack", "warehouse")]  # its lane
    confirm, invoice = gia.together(lambda: gia.complete(hotel["next_tasks"][0], data={"hotel": "Grand"}),
                                    lambda: gia.complete(pack["next_tasks"][0], data={"tracking": "TR-1"}))
    assert ids(confirm["next_tasks"]) == ["Task_confirm"]
    assert ids(invoice["next_tasks"]) == ["Task_invoice"]
    assert gia.together(lambda: gia.complete(confirm["next_tasks"][0], data={"confirmed": True})["status"],
                        lambda: gia.complete(invoice["next_tasks"][0], data={"invoiced": True})["status"]) == [
        "completed", "completed"]

    trip_shown, order_shown = gia.together(lambda: gia.show(trip), lambda: gia.show(order))
    assert trip_shown["data"] == {"traveller": "Ann", "flight": "SK123", "hotel": "Grand", "confirmed": True}
    assert [h["bpmn_id"] for h in trip_shown["history"]] == [
        "Start", "Sub_start", "Task_flight", "Task_hotel", "Sub_end", "Sub_booking", "Task_confirm", "End"]
    assert order_shown["status"] == "completed"
    assert order_shown["data"] == {"order": {"id": 7, "lines": ["bolts", "nuts"]}, "picked": 2,
                                   "tracking": "TR-1", "invoiced": True}
    assert "Call_shipping" in [h["bpmn_id"] for h in order_shown["history"]]


def test_parallel_and_sequential_multi_instance_over_collections_and_cardinality(gia):
    """paper_review: parallel over `reviewers` gathering `scores` (in input order, whatever the completion
    order), sequential with a cardinality expression, sequential over the collection, parallel with cardinality
    2; camunda:collection / elementVariable are ignored."""
    gia.deploy("multi_instance.bpmn")
    paper = gia.start("paper_review", {"reviewers": ["ann", "ben"], "chapters": 2})
    reviews = gia.tasks(instance=paper)
    assert ids(reviews) == ["Task_review", "Task_review"]
    assert len({t["id"] for t in reviews}) == 2

    assert gia.complete(reviews[1], data={"score": 7})["next_tasks"] == [reviews[0]]  # ben's first
    proofread = gia.complete(reviews[0], data={"score": 9})["next_tasks"]
    for _ in range(2):  # one chapter at a time
        assert ids(proofread) == ["Task_proofread"]
        proofread = gia.complete(proofread[0], data={"proofread": True})["next_tasks"]
    thank = proofread
    for letter in ("Dear Ann", "Dear Ben"):
        assert ids(thank) == ["Task_thank"]
        thank = gia.complete(thank[0], data={"letter": letter})["next_tasks"]
    prints = thank
    assert ids(prints) == ["Task_print", "Task_print"]
    assert gia.complete(prints[0])["next_tasks"] == [prints[1]]
    assert gia.complete(prints[1])["status"] == "completed"

    shown = gia.show(paper)
    assert shown["data"]["scores"] == [9, 7]  # ann's, ben's
    assert shown["data"]["letters"] == ["Dear Ann", "Dear Ben"]
    assert shown["data"]["reviewers"] == ["ann", "ben"] and shown["data"]["chapters"] == 2
    assert sum(1 for h in shown["history"] if h["completed_by"] == "admin") == 8


def test_timers_boundary_intermediate_start_and_event_based_gateway(gia):
    """support_ticket: a non-interrupting PT1H reminder and an interrupting P2D deadline on a user task, then a
    P3D intermediate timer; monthly_report: a timeDate start event; await_payment: an event-based gateway racing
    a message against P7D. Timers are plain ISO-8601 text, as bpmn.io writes them (no quotes)."""
    gia.deploy("support_ticket_timers.bpmn", "timer_start.bpmn", "payment_event_gateway.bpmn")
    assert gia("clock", "manual", "--now", "2030-01-07T09:00:00+00:00")["now"] == "2030-01-07T09:00:00+00:00"
    answered, ignored, report, paid, unpaid = gia.together(
        lambda: gia.start("support_ticket"), lambda: gia.start("support_ticket"), lambda: gia.start("monthly_report"),
        lambda: gia.start("await_payment", {"order": 1}), lambda: gia.start("await_payment", {"order": 2}))

    shown = gia.show(answered)
    assert shown["status"] == "running"
    assert sorted((w["type"], w["name"], w["due"]) for w in shown["waiting_for"]) == [
        ("timer", "2 days", "2030-01-09T09:00:00+00:00"), ("timer", "Every hour", "2030-01-07T10:00:00+00:00")]

    tick = gia.tick("2030-01-07T10:00:00+00:00")  # exactly when the reminders are due
    assert sorted(f["instance_id"] for f in tick["fired"]) == sorted([answered, ignored])
    assert all(f["timers"] == ["Every hour"] for f in tick["fired"])
    assert tick["next_due"] == "2030-01-09T09:00:00+00:00"

    assert gia.message("payment_received", {"amount": 99.5}, instance=paid) == [paid]
    ready = gia.tasks()
    assert sorted((t["instance_id"], t["bpmn_id"]) for t in ready) == sorted([
        (answered, "Task_answer"), (ignored, "Task_answer"), (paid, "Task_ship")])
    answer = next(t for t in ready if t["instance_id"] == answered)
    assert answer["due"] == "2030-01-09T09:00:00+00:00"  # the interrupting deadline
    assert gia.complete(answer, data={"answer": "reboot"}) == {
        "instance_id": answered, "status": "waiting", "next_tasks": []}

    tick = gia.tick("2030-01-09T09:00:00+00:00")
    assert tick["fired"] == [{"instance_id": ignored, "timers": ["2 days"]}]
    states = [(t["instance_id"], t["bpmn_id"], t["state"]) for t in gia.tasks(all=True)
              if t["instance_id"] in (answered, ignored)]
    assert sorted(states) == sorted([
        (answered, "Task_answer", "COMPLETED"), (answered, "Task_survey", "WAITING"),  # after the P3D timer
        (ignored, "Task_answer", "CANCELLED"), (ignored, "Task_escalate", "READY")])

    tick = gia.tick("2030-03-01T09:00:00+00:00")
    assert sorted(f["instance_id"] for f in tick["fired"]) == sorted([answered, report, unpaid])
    assert tick["next_due"] is None
    ready, shown = gia.together(gia.tasks, lambda: gia.show(paid))
    assert sorted((t["instance_id"], t["bpmn_id"], t["role"]) for t in ready) == sorted([
        (answered, "Task_survey", "support agent"), (ignored, "Task_escalate", "team lead"),
        (report, "Task_report", None), (paid, "Task_ship", None), (unpaid, "Task_remind", None)])
    assert shown["data"] == {"order": 1, "amount": 99.5} and shown["waiting_for"] == []
    assert [h["bpmn_id"] for h in shown["history"]] == ["StartEvent_1", "Gateway_wait", "Event_paid"]


def test_message_boundary_terminate_cycle_timer_and_nested_lanes(gia):
    """export_order: nested lanes (the innermost lane is the role); a non-interrupting R3/PT1H cycle adds a "Call
    the customer" task each hour; an interrupting message boundary ends the order with a terminate end event,
    cancelling everything; the other order waits for a message inside a subprocess that has a P1D boundary
    timer."""
    gia.deploy("order_cancellation.bpmn")
    gia.clock("2030-06-03T09:00:00+00:00")
    cancelled, shipped = gia.together(lambda: gia.start("export_order", {"order": 1}),
                                      lambda: gia.start("export_order", {"order": 2}))
    confirm = {t["instance_id"]: t for t in gia.tasks()}
    assert confirm[shipped]["role"] == "sales"
    assert gia.complete(confirm[shipped], data={"confirmed": True})["status"] == "waiting"

    tick = gia.tick("2030-06-03T12:00:00+00:00")
    assert tick["fired"] == [{"instance_id": cancelled, "timers": ["Hourly, 3 times"]}]
    assert tick["next_due"] == "2030-06-04T09:00:00+00:00"  # the customs timer of the shipped order
    assert ids(gia.tasks(instance=cancelled)) == ["Task_confirm", "Task_call", "Task_call", "Task_call"]

    assert gia.together(lambda: gia.message("cancel_order", {"reason": "duplicate"}, instance=cancelled),
                        lambda: gia.message("customs_docs", {"docs": ["invoice", "EX1"]})) == [[cancelled], [shipped]]
    cancelled_shown, shipped_shown = gia.together(lambda: gia.show(cancelled), lambda: gia.show(shipped))
    assert (cancelled_shown["status"], cancelled_shown["data"]) == ("completed", {"order": 1, "reason": "duplicate"})
    assert cancelled_shown["history"][-1]["bpmn_id"] == "Event_terminated"
    assert (shipped_shown["status"], shipped_shown["waiting_for"]) == ("completed", [])
    assert shipped_shown["data"] == {"order": 2, "confirmed": True, "docs": ["invoice", "EX1"]}


def test_plain_bpmn_messages_carry_the_senders_data(gia):
    """quote_plain.bpmn, no extensions: the buyer's throw starts a seller (message start event) with the buyer's
    data; the seller's message end event answers the waiting buyer with the seller's data. `message NAME --data`
    starts a seller too, and fails when nothing waits."""
    gia.deploy("quote_plain.bpmn")
    buyer = gia.start("quote_buyer", {"buyer": "ACME"})
    [describe] = gia.tasks()
    assert gia.complete(describe, data={"item": "bolts", "qty": 500}) == {
        "instance_id": buyer, "status": "waiting", "next_tasks": []}
    [price] = gia.tasks()
    seller = price["instance_id"]
    assert seller != buyer and price["bpmn_id"] == "Task_price"
    [started], seller_shown, buyer_shown = gia.together(
        lambda: gia.message("quote_requested", {"buyer": "Globex", "item": "nuts", "qty": 7}),
        lambda: gia.show(seller), lambda: gia.show(buyer))
    assert seller_shown["data"] == {"buyer": "ACME", "item": "bolts", "qty": 500}
    assert buyer_shown["status"] == "waiting"
    assert buyer_shown["waiting_for"] == [{"type": "message", "name": "quote_sent", "due": None}]
    assert started not in (buyer, seller)

    priced, started_shown = gia.together(
        lambda: gia.complete(price, data={"unit_price": 0.25, "valid_days": 30}), lambda: gia.show(started))
    assert priced["status"] == "completed"
    assert started_shown["data"] == {"buyer": "Globex", "item": "nuts", "qty": 7}
    shown = gia.show(buyer)
    assert shown["status"] == "running" and shown["waiting_for"] == []
    assert shown["data"] == {"buyer": "ACME", "item": "bolts", "qty": 500, "unit_price": 0.25, "valid_days": 30}
    assert gia.fails("message", "quote_sent", data={"unit_price": 1})  # the buyer has its answer already


def test_spiff_message_payload_and_variable(gia):
    """spiff_messages.bpmn (SpiffArena style): a sendTask's spiffworkflow:messagePayload lands in the receiver's
    spiffworkflow:messageVariable, and the answer in the sender's receiveTask variable; `message NAME --data`
    lands in the variable too."""
    gia.deploy("spiff_messages.bpmn")
    applicant, office, walk_in = gia.together(lambda: gia.start("loan_applicant", {"applicant": "Bob"}),
                                              lambda: gia.start("loan_office", {"branch": "North"}),
                                              lambda: gia.start("loan_office", {"branch": "South"}))
    delivered, [fill] = gia.together(
        lambda: gia.message("loan_application", {"applicant": "Eve", "amount": 90}, instance=walk_in),
        lambda: gia.tasks(instance=applicant))
    assert delivered == [walk_in]
    assert gia.complete(fill, data={"amount": 5000, "note": "not sent"})["status"] == "waiting"
    [assess], shown, walk_in_shown = gia.together(lambda: gia.tasks(instance=office), lambda: gia.show(office),
                                                  lambda: gia.show(walk_in))
    assert shown["data"] == {"branch": "North", "application": {"applicant": "Bob", "amount": 5000}}
    assert walk_in_shown["data"] == {"branch": "South", "application": {"applicant": "Eve", "amount": 90}}
    assert gia.complete(assess, data={"approved": True, "rate": 3.5})["status"] == "completed"
    shown = gia.show(applicant)
    assert shown["status"] == "completed"
    assert shown["data"]["decision"] == {"approved": True, "rate": 3.5}
    assert "approved" not in shown["data"]


def test_collaboration_of_two_pools_started_by_its_id(gia):
    """pizza_order: a collaboration whose customer pool messages the shop pool (started by that message, with
    the customer's data) and waits for the delivery message. One instance runs both pools."""
    deployed = gia.deploy("pizza_collaboration.bpmn")
    assert deployed["collaborations"] == ["pizza_order"]
    order = gia.start("pizza_order", {"customer": "Ann"})
    [choose] = gia.tasks()
    bake = gia.complete(choose, data={"pizza": "Margherita"})["next_tasks"]
    assert [(t["instance_id"], t["bpmn_id"], t["role"]) for t in bake] == [(order, "Task_bake", "chef")]
    eat = gia.complete(bake[0], data={"baked": True})["next_tasks"]
    assert ids(eat) == ["Task_eat"]
    assert gia.complete(eat[0])["status"] == "completed"
    shown = gia.show(order)
    assert shown["status"] == "completed"
    assert shown["data"] == {"customer": "Ann", "pizza": "Margherita", "baked": True}
    assert [h["bpmn_id"] for h in shown["history"]][:4] == [
        "StartEvent_hungry", "Task_choose", "Event_order_sent", "Event_order_received"]


def test_signals_broadcast_to_every_waiting_instance_and_start_processes(gia):
    """fire_drill_signals: two classrooms wait for fire_alarm; one signal reaches both (its payload merged into
    their data); drill_announced starts a drill_report; a signal nobody waits for fails."""
    gia.deploy("fire_drill_signals.bpmn")
    rooms = sorted(gia.together(lambda: gia.start("classroom", {"room": 101}),
                                lambda: gia.start("classroom", {"room": 102})))
    assert sorted(gia.signal("fire_alarm", {"level": 2})) == rooms
    [report] = gia.signal("drill_announced", {"date": "2030-04-01"})
    ready, room_shown, report_shown = gia.together(gia.tasks, lambda: gia.show(rooms[1]), lambda: gia.show(report))
    assert [(t["instance_id"], t["bpmn_id"]) for t in ready] == [
        (rooms[0], "Task_evacuate"), (rooms[1], "Task_evacuate"), (report, "Task_report")]
    assert room_shown["data"]["level"] == 2
    assert report_shown["data"] == {"date": "2030-04-01"}
    assert gia.fails_json("signal", "fire_alarm")


def test_error_end_event_and_non_interrupting_escalation_on_a_subprocess(gia):
    """insurance_claim: an error end event inside the subprocess is caught by an interrupting error boundary
    (the subprocess and its normal path are cancelled); an escalation thrown inside is caught by a
    non-interrupting boundary, so the manager co-signs while the clerk goes on."""
    gia.users(("carl", "Clerk"), ("mike", "Manager"))
    gia.deploy("claim_errors.bpmn")
    large, fraud = gia.together(lambda: gia.start("insurance_claim", {"amount": 50000}),
                                lambda: gia.start("insurance_claim", {"amount": 700}))
    check = {t["instance_id"]: t for t in gia.tasks(user="carl")}

    both, [investigate] = gia.together(
        lambda: gia.complete(check[large], "carl", {"verdict": "ok"})["next_tasks"],
        lambda: gia.complete(check[fraud], "carl", {"verdict": "fraud"})["next_tasks"])
    assert sorted((t["bpmn_id"], t["role"]) for t in both) == [("Task_approve", "clerk"), ("Task_cosign", "manager")]
    assert (investigate["bpmn_id"], investigate["role"]) == ("Task_investigate", "manager")

    for_mike, fraud_tasks = gia.together(lambda: gia.tasks(user="mike"), lambda: gia.tasks(instance=fraud, all=True))
    assert sorted(ids(for_mike)) == ["Task_cosign", "Task_investigate"]
    # Task_pay was listed as WAITING (ahead on the normal path) until the error took the other path.
    assert {t["bpmn_id"]: t["state"] for t in fraud_tasks} == {
        "Task_check": "COMPLETED", "Task_pay": "CANCELLED", "Task_investigate": "READY"}


def test_a_diagram_deployed_with_its_own_form_checks_completions_by_it_and_a_form_losing_a_read_field_is_refused(gia):
    """leave_request names the form leave_form, which no catalogue has: deployed with it (a .json beside the
    .bpmn), the task checks what is sent by it and the gateway reads the stored value; a new version whose form
    drops the field the gateway reads is refused, naming the flow."""
    assert gia.deploy("leave_request.bpmn", "leave_form.json")["process_ids"] == ["leave_request"]
    instance = gia.start("leave_request")
    [request] = gia.tasks(instance=instance)
    assert request["form"] == "leave_form"
    refused = gia.fails("complete", request["id"], "--user", "admin", data={"days": 0})
    assert any("days" in line for line in refused)
    [approve] = gia.complete(request, data={"days": 14, "reason": "отпуск"})["next_tasks"]
    assert approve["bpmn_id"] == "Task_approve"
    assert gia.show(instance)["data"]["leave"] == {"days": 14, "reason": "отпуск"}

    errors = gia.fails("deploy", DIAGRAMS / "leave_request.bpmn", DIAGRAMS / "v2" / "leave_form.json")
    assert len(errors) == 1 and "Flow_long" in errors[0] and "«days»" in errors[0], errors
