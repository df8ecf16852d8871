"""`flask gia start` of a diagram whose script runs away: the CLI process holds the same time and memory limits as a
web request or a worker (SCRIPT_TIME_LIMIT_SECONDS, SCRIPT_MEMORY_LIMIT_MB), stops well before the minutes or
gigabytes the script asks for, and leaves the instance in `error` with a Russian message and its start data.

The peak memory of the CLI process is its maximum resident set as the kernel reports it when the process is
reaped. A small launcher starts it and reads the figure: Linux counts in a process's peak the memory of the process it
was forked (or vforked) from, so measured as a direct child of a pytest worker that has grown to 700 MB, the CLI would
"peak" at 700 MB whatever it did."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from xml.sax.saxutils import escape

import pytest

from config import BASE_DIR
from tests.cli.conftest import FLASK
from tests.conftest import linear

LIMITS = {"SCRIPT_TIME_LIMIT_SECONDS": "1", "SCRIPT_MEMORY_LIMIT_MB": "128"}
RUNAWAYS = {
    "memory in one operation": ("x = 'x' * 10**9", "ScriptMemoryExceeded", "128 МБ"),
    # which limit ends this one first depends on how busy the machine is
    "memory line by line": ("x = []\nwhile True:\n    x.append('y' * 10**6)", "Script", "скрипт"),
    "hours in one operation": ("x = sum([[0]] * 10**6, [])", "ScriptTimeout", "1 с"),
}


LAUNCHER = """import resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as peak:
    peak.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)"""


def run_measured(argv, env, tmp_path, kill_after=180):
    """Run a command to its end (killed after `kill_after` s): (exit code, its stderr, its peak memory in MB, its
    wall time in s)."""
    err, peak = tmp_path / "stderr.txt", tmp_path / "peak-kb.txt"
    began = time.monotonic()
    with open(err, "w") as stderr:
        process = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(peak), *argv], cwd=BASE_DIR, env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True)
        killer = threading.Timer(kill_after, os.killpg, (process.pid, signal.SIGKILL))
        killer.start()
        process.wait()
        killer.cancel()
    return process.returncode, err.read_text(), int(peak.read_text()) / 1024, time.monotonic() - began  # kB on Linux


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", RUNAWAYS)
def test_a_runaway_script_started_from_the_cli_is_stopped_within_the_limits(gia, tmp_path, name):
    script, stopped_by, limit_text = RUNAWAYS[name]
    diagram = tmp_path / "runaway.bpmn"
    diagram.write_bytes(linear(f'<bpmn:scriptTask id="n1"><bpmn:script>{escape(script)}</bpmn:script>'
                               '</bpmn:scriptTask>', '<bpmn:userTask id="n2"/>', process_id="runaway"))
    gia("deploy", diagram)

    argv = [*FLASK, "start", "runaway", "--data", json.dumps({"school": "СОШ №12", "seed": 1})]
    code, stderr, peak_mb, wall = run_measured(argv, {**gia.env, **LIMITS}, tmp_path)

    assert code == 1, stderr
    [line] = stderr.strip().splitlines()
    assert line.startswith("error: instance ") and stopped_by in line and limit_text in line, line
    assert "Traceback" not in stderr
    assert peak_mb < 600, f"the CLI process peaked at {peak_mb:.0f} MB"  # about 150 MB for the CLI, + 128 MB
    assert wall < 60  # stopped: without the limits this runs for minutes (or hours)

    instance_id = int(line.split()[2].rstrip(":"))
    shown = gia.show(instance_id)
    assert shown["status"] == "error" and stopped_by in shown["error"] and "скрипт" in shown["error"]
    assert shown["data"] == {"school": "СОШ №12", "seed": 1} and shown["history"] == []  # nothing lost
