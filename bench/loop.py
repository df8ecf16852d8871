"""What a long loop costs per round, and how fast an endless one is stopped (issue 12 §3).

A diagram loops `ask` (a user task) → `count` (a script) → back, 700 times by default; each round is one
`engine.complete` through the service layer on a fresh SQLite file, as a person would do it. The script prints the
time of each 100 rounds and the size of the saved state after them: with the finished rounds cut from the state
(engine.bpmn.pruning), the last 100 rounds should cost no more than 1.3 times the first 100. Then it starts a loop
of flows that never ends and prints how long the engine took to stop it and why (the step limit, 20,000 steps by
default, rather than the 60 s time limit of a call).

    .venv/bin/python bench/loop.py                      # 700 rounds, then the endless loop (~1 min idle)
    .venv/bin/python bench/loop.py --rounds 300
    .venv/bin/python bench/loop.py --without-cuts --rounds 200   # the state as SpiffWorkflow keeps it, to compare
"""
import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEADER = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/'
          '20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs" '
          'targetNamespace="http://bench">\n')
ROUNDS = HEADER + """<bpmn:process id="bench_rounds" name="Круги" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:scriptTask id="init"><bpmn:script>n = 0</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="merge"/>
  <bpmn:userTask id="ask" name="Ответить"><bpmn:extensionElements><spiffworkflow:properties>
    <spiffworkflow:property name="role" value="iao_specialist"/>
  </spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>
  <bpmn:scriptTask id="count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="again" default="f_end"/>
  <bpmn:endEvent id="end"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="init"/>
  <bpmn:sequenceFlow id="f2" sourceRef="init" targetRef="merge"/>
  <bpmn:sequenceFlow id="f3" sourceRef="merge" targetRef="ask"/>
  <bpmn:sequenceFlow id="f4" sourceRef="ask" targetRef="count"/>
  <bpmn:sequenceFlow id="f5" sourceRef="count" targetRef="again"/>
  <bpmn:sequenceFlow id="f6" sourceRef="again" targetRef="merge">
    <bpmn:conditionExpression>n &lt; limit</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f_end" sourceRef="again" targetRef="end"/>
</bpmn:process>
<bpmn:process id="bench_endless" isExecutable="true">
  <bpmn:startEvent id="e_start"/>
  <bpmn:scriptTask id="e_init"><bpmn:script>n = 0</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="e_merge"/>
  <bpmn:scriptTask id="e_count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="e_again"/>
  <bpmn:sequenceFlow id="e1" sourceRef="e_start" targetRef="e_init"/>
  <bpmn:sequenceFlow id="e2" sourceRef="e_init" targetRef="e_merge"/>
  <bpmn:sequenceFlow id="e3" sourceRef="e_merge" targetRef="e_count"/>
  <bpmn:sequenceFlow id="e4" sourceRef="e_count" targetRef="e_again"/>
  <bpmn:sequenceFlow id="e5" sourceRef="e_again" targetRef="e_merge"/>
</bpmn:process>
</bpmn:definitions>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=700)
    parser.add_argument("--without-cuts", action="store_true", help="keep every finished task, as the library does")
    args = parser.parse_args()

    os.environ.setdefault("GIA_CLOCK", "manual")
    import logging
    logging.disable(logging.WARNING)
    from flask_migrate import upgrade

    from webui import create_app
    workdir = Path(tempfile.mkdtemp(prefix="gia-bench-loop-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'gia.sqlite3'}", "TESTING": True,
                      "UPLOAD_DIR": workdir / "uploads", "SECRET_KEY": "bench", "GIA_CLOCK": "manual"})
    with app.app_context():
        upgrade()
        import engine
        from engine.bpmn import pruning
        from engine.db import db
        from engine.models import ProcessInstance
        if args.without_cuts:
            pruning.prune = lambda workflow: 0
            pruning.cut = lambda wf: []
        print(f"load average at start: {os.getloadavg()[0]:.2f}; cuts: {'off' if args.without_cuts else 'on'}")
        engine.deploy([("loop.bpmn", ROUNDS.encode())], actor="bench")
        user = engine.ensure_user("bench", "iao_specialist", None)
        instance_id = engine.start("bench_rounds", {"limit": args.rounds}, actor="bench").instance_id

        print(f"{'rounds':>11} {'seconds':>8} {'ms/round':>9} {'state bytes':>12} {'tasks in state':>15}")
        times = []
        began, done = time.perf_counter(), 0
        while done < args.rounds:
            [task] = engine.list_tasks(instance_id=instance_id)
            engine.complete(task.id, user, {"answer": done})
            done += 1
            if done % 100 == 0 or done == args.rounds:
                seconds = time.perf_counter() - began
                size = len(db.session.get(ProcessInstance, instance_id).state)
                tasks = db.session.get(ProcessInstance, instance_id).state.count('"task_spec"')
                first = done - (done - 1) % 100
                times.append(seconds / (done - first + 1))
                print(f"{first:>5}-{done:<5} {seconds:8.2f} {1000 * times[-1]:9.1f} {size:12,} {tasks:15}")
                began = time.perf_counter()
                db.session.rollback()
        print(f"last 100 rounds / first 100: {times[-1] / times[0]:.2f}x (target ≤ 1.3x)")

        began = time.perf_counter()
        try:
            engine.start("bench_endless", {}, actor="bench")
            stopped = "not stopped"
        except engine.ProcessError as exc:
            stopped = exc.message
        print(f"endless loop of flows: stopped after {time.perf_counter() - began:.2f} s (target < 5 s): {stopped}")
        print(f"load average at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
