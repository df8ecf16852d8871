"""A small process that fails in two script tasks (one of them with two different messages) or stalls at a
parallel join after an exclusive split (a modelling error), for the incident page, the diagram's error counts and
one instance's path. Each case: the school it runs for and what is handed in at its first task."""
import engine
from engine.db import db
from tests.conftest import BPMN_HEADER

PROCESS = "incident_check"
NAMES = {"fill": "Заполнить сведения", "calc": "Рассчитать долю", "tally": "Подсчитать итог",
         "join": "Сведения собраны", "after": "Проверить итог"}

BPMN = (BPMN_HEADER.replace("<bpmn:definitions ", '<bpmn:definitions '
                            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ')
        + f'''<bpmn:process id="{PROCESS}" name="Сверка сведений" isExecutable="true">
<bpmn:startEvent id="start"/>
<bpmn:userTask id="fill" name="{NAMES['fill']}"/>
<bpmn:exclusiveGateway id="split" default="f_calc"/>
<bpmn:scriptTask id="calc" name="{NAMES['calc']}"><bpmn:script>share = done / total</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="tally" name="{NAMES['tally']}"><bpmn:script>sum_all = count_all + 1</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="hold" name="Отметить"><bpmn:script>held = True</bpmn:script></bpmn:scriptTask>
<bpmn:scriptTask id="never" name="Никогда"><bpmn:script>never = True</bpmn:script></bpmn:scriptTask>
<bpmn:parallelGateway id="join" name="{NAMES['join']}"/>
<bpmn:userTask id="after" name="{NAMES['after']}"/>
<bpmn:endEvent id="end"/>
<bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="fill"/>
<bpmn:sequenceFlow id="f1" sourceRef="fill" targetRef="split"/>
<bpmn:sequenceFlow id="f_calc" sourceRef="split" targetRef="calc"/>
<bpmn:sequenceFlow id="f_tally" sourceRef="split" targetRef="tally">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">branch == "tally"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_hold" sourceRef="split" targetRef="hold">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">branch == "stall"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f_never" sourceRef="split" targetRef="never">
  <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">branch == "never"</bpmn:conditionExpression>
</bpmn:sequenceFlow>
<bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="after"/>
<bpmn:sequenceFlow id="f3" sourceRef="tally" targetRef="after"/>
<bpmn:sequenceFlow id="f4" sourceRef="hold" targetRef="join"/>
<bpmn:sequenceFlow id="f5" sourceRef="never" targetRef="join"/>
<bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="after"/>
<bpmn:sequenceFlow id="f7" sourceRef="after" targetRef="end"/>
</bpmn:process>
</bpmn:definitions>
''').encode()

# (unit, data handed in at `fill`) → what becomes of the instance
DIVIDES_BY_ZERO = {"branch": "calc", "done": 1, "total": 0}      # error at calc: ZeroDivisionError
NO_TOTAL = {"branch": "calc", "done": 1}                          # error at calc: NameError total
NO_COUNT = {"branch": "tally"}                                    # error at tally: NameError count_all
STALLS = {"branch": "stall"}                                      # stalled at join
RUNS = {"branch": "calc", "done": 1, "total": 4}                  # waits at after
CASES = [("school-12", DIVIDES_BY_ZERO), ("school-17", DIVIDES_BY_ZERO), ("school-17", DIVIDES_BY_ZERO),
         ("school-12", NO_TOTAL), ("school-17", NO_COUNT), ("school-12", NO_COUNT), ("school-17", STALLS),
         ("school-12", STALLS), ("school-17", RUNS), ("school-12", RUNS)]


def deploy() -> None:
    engine.deploy([("incident_check.bpmn", BPMN)], actor="admin")


def run(unit: str, data: dict) -> int:
    """Start an instance for `unit` and hand in `data` at its first task (by the administrator); a failure is
    left as it is, in error."""
    instance_id = engine.start(PROCESS, {}, unit=unit, actor="admin").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    try:
        engine.complete(task.id, engine.user_by_login("admin"), dict(data))
    except engine.ProcessError:
        pass
    db.session.commit()
    return instance_id


def make_incidents(cases=CASES) -> list[int]:
    """Deploy the process and run each case; the instance ids in the order of `cases`."""
    deploy()
    return [run(unit, data) for unit, data in cases]
