"""The time and memory limits of diagram code hold for what runs in C, out of reach of a line-by-line check: one
operation that would allocate a gigabyte or compute for minutes is refused before it starts, a loop that piles up
memory is stopped at the memory limit, and the data a script leaves must be small enough to be written out. Each
ends with the instance in `error`, its last good state kept, and the process's peak memory (VmHWM) near where it
was. The same code runs in a web request, the CLI and a worker: tests/web, tests/cli and tests/worker check those.
"""
import time
from xml.sax.saxutils import escape

import pytest

import engine
from tests.engine.test_sandbox import boss, deploy, fails_on_completion, script_after_task  # noqa: F401
from tests.memory import peak_growth_mb

LIMIT_MB = 128
TIME_LIMIT = 1.0
EITHER = ("ScriptMemoryExceeded", "ScriptTimeout")

RUNAWAYS = {
    # one operation that would allocate without bound
    "repeat-str": ("x = 'x' * 10**9", "ScriptMemoryExceeded"),
    "repeat-list": ("x = [0] * 10**9", "ScriptMemoryExceeded"),
    "percent-width": ("x = '%0999999999d' % 1", "ScriptMemoryExceeded"),
    "fstring-width": ("x = f'{1:0999999999}'", "ScriptMemoryExceeded"),
    "ljust": ("x = 'a'.ljust(10**9)", "ScriptMemoryExceeded"),
    "join": ("x = ''.join(['x' * 10**6] * 1000)", "ScriptMemoryExceeded"),
    "replace": ("x = 'ab' * 10**6\ny = x.replace('a', 'a' * 1000)", "ScriptMemoryExceeded"),
    "str-of-shared": ("s = 'y' * 10**6\nx = str([s] * 10**6)", "ScriptMemoryExceeded"),
    "fstring-of-shared": ("s = 'y' * 10**6\nx = f'{[s] * 10**6}'", "ScriptMemoryExceeded"),
    "to-bytes": ("x = (1).to_bytes(10**9, 'big')", "ScriptMemoryExceeded"),
    # built a chunk at a time, or line by line, until one of the limits is reached (which comes first depends on
    # how busy the machine is)
    "list-of-lazy": ("s = 'y' * 10**7\nx = list(enumerate(s))", EITHER),
    "starred-lazy": ("s = 'y' * 10**7\nx = [*zip(s, s)]", EITHER),
    "append-loop": ("x = []\nwhile True:\n    x.append('y' * 10**6)", EITHER),
    "doubling-loop": ("x = [1]\nwhile True:\n    x = x + x", EITHER),
    # data too big to be written out after the script, though small in memory
    "shared-data": ("s = 'y' * 10**6\nx = [s] * 1000", "ScriptMemoryExceeded"),
    "exponential-data": ("x = [0]\nfor i in range(60):\n    x = [x, x]", "ScriptMemoryExceeded"),
    # one operation that would compute for seconds to hours
    "big-power": ("x = 10**10**7", "integers in process scripts are limited"),
    "big-multiply": ("x = (1 << 10**8) - 1\ny = x * x", "integers in process scripts are limited"),
    "factorial": ("x = math.factorial(10**6)", "integers in process scripts are limited"),
    "modular-power": ("x = pow(3, 2**50000, 2**50000 + 1)", "pow() with a modulus is limited"),
    "sum-of-lists": ("x = sum([[0]] * 10**6, [])", "ScriptTimeout"),
    "search-lazy": ("s = 'y' * 6 * 10**7\nfound = 'z' in map(str, s)", "ScriptTimeout"),
}


@pytest.mark.timeout(120)  # without the limits some of these run for hours
@pytest.mark.parametrize("name", RUNAWAYS)
def test_a_runaway_operation_is_stopped_within_the_limits(app, boss, name):  # noqa: F811
    script, expected = RUNAWAYS[name]
    app.config.update(SCRIPT_TIME_LIMIT_SECONDS=TIME_LIMIT, SCRIPT_MEMORY_LIMIT_MB=LIMIT_MB)
    began = time.monotonic()
    with peak_growth_mb() as growth:
        instance_id, message, _ = fails_on_completion(escape(script), boss)
    stopped_by = next((tag for tag in (expected if isinstance(expected, tuple) else (expected,)) if tag in message),
                      None)
    assert stopped_by, message
    if stopped_by == "ScriptMemoryExceeded":
        assert f"{LIMIT_MB} МБ" in message, message  # the limit, in Russian like the rest of the message
    if stopped_by == "ScriptTimeout":
        assert f"{TIME_LIMIT:g} с" in message, message
    assert growth.mb < 3 * LIMIT_MB, f"the process grew by {growth.mb:.0f} MB"
    assert time.monotonic() - began < 30  # stopped, not run to its end (minutes or hours without the limits)


def test_ordinary_scripts_are_untouched_by_the_guards(app, boss):  # noqa: F811
    """What diagrams do with text, numbers and collections gives the same results through the guards."""
    deploy(script_after_task(escape(
        "names = ['Иванов', 'Петров', 'Сидоров']\n"
        "title = ', '.join(sorted(names, key=str.lower))\n"
        "line = '%-10s|%05.1f|%d' % ('итог', 2.5, 3) + f' {len(names):>3} {2.5:06.2f} {names[0]!r}'\n"
        "counts = dict(zip(names, map(len, names)))\n"
        "total = sum(counts.values()) * 2 ** 10 // 3 % 1000 + pow(2, 10, 1000) + divmod(17, 5)[0]\n"
        "big = 10 ** 40 * 3 << 2\n"
        "parts = list(enumerate('аб')) + [*range(2)]\n"
        "first, *rest = map(str.upper, names)\n"
        "kinds = [isinstance(title, str), isinstance(parts, (list, tuple)), isinstance(counts, dict)]\n"
        "shown = str(counts) + repr(parts[0]) + str(set('aa')) + str(tuple(range(2))) + str(frozenset())\n"
        "extremes = [min(names), max(map(len, names)), min([], default=0), any(x > 2 for x in range(4))]\n"
        "found = 'ПЕТРОВ' in map(str.upper, names)\n"
        "padded = 'x'.ljust(3, '.') + 'a\\tb'.expandtabs(4) + 'aXa'.replace('X', '--') + str(math.factorial(20))\n"
        "rows = []\nrows += (n for n in range(3))\nrows *= 2\nprint(rows)\nprinted_text = printed\n")))
    instance_id = engine.start("p", {}, actor="boss").instance_id
    [task] = engine.list_tasks(instance_id=instance_id)
    assert engine.complete(task.id, boss, {}).status == "running", engine.detail(instance_id)
    data = engine.detail(instance_id)["data"]
    assert data["title"] == "Иванов, Петров, Сидоров"
    assert data["line"] == "итог      |002.5|3   3 002.50 'Иванов'"
    assert data["counts"] == {"Иванов": 6, "Петров": 6, "Сидоров": 7}
    assert data["total"] == (19 * 2 ** 10 // 3 % 1000) + 24 + 3
    assert data["big"] == 10 ** 40 * 3 << 2
    assert data["parts"] == [[0, "а"], [1, "б"], 0, 1]
    assert (data["first"], data["rest"]) == ("ИВАНОВ", ["ПЕТРОВ", "СИДОРОВ"])
    assert data["kinds"] == [True, True, True]
    assert data["shown"] == "{'Иванов': 6, 'Петров': 6, 'Сидоров': 7}(0, 'а'){'a'}(0, 1)frozenset()"
    assert data["extremes"] == ["Иванов", 7, 0, True] and data["found"] is True
    assert data["padded"] == "x..a   ba--a" + str(2432902008176640000)
    assert data["rows"] == [0, 1, 2, 0, 1, 2] and data["printed_text"] == "[0, 1, 2, 0, 1, 2]\n"

