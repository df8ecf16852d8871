"""The RestrictedPython environment SpiffWorkflow evaluates every expression and script in."""
from types import ModuleType, SimpleNamespace
import datetime as _dt

from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, safe_builtins
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import guards, operators, sizes
from .compiler import BINOP, CHECK_LIMITS, FORMAT, SEARCHED, UNPACK, compile_code
from .limits import (DEFAULT_MEMORY_BYTES, ScriptLimitExceeded, ScriptMemoryExceeded, ScriptTimeout, bounded_range,
                     check_limits, script_limits, traced)


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


BUILTINS = {
    **safe_builtins,
    "range": bounded_range, "reversed": reversed, "enumerate": enumerate, "zip": zip, "map": map, "filter": filter,
    **guards.BUILTINS,  # str, list, dict, sorted, sum, pow... checked before they build something too big
}
# SystemExit, KeyboardInterrupt, GeneratorExit and BaseException itself are not Exceptions: raised by a diagram they
# would pass every `except Exception` of the library and the engine and stop the worker or the web server.
for _name in [k for k, v in BUILTINS.items()
              if isinstance(v, type) and issubclass(v, BaseException) and not issubclass(v, Exception)]:
    del BUILTINS[_name]
# Never the `datetime` module itself: it carries `datetime.sys`, a way out to every loaded module.
SAFE_NAMES = {
    "math": guards.MATH,
    "datetime": SimpleNamespace(date=_dt.date, datetime=_dt.datetime, timedelta=_dt.timedelta,
                                timezone=_dt.timezone),
    "date": _dt.date, "timedelta": _dt.timedelta,
}
GUARDS = {
    "__builtins__": BUILTINS,
    "_getattr_": guards.guarded_getattr,  # a missing attribute is an error, not None
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": sizes.iter_unpack_sequence,
    "_unpack_sequence_": sizes.unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": operators.inplacevar,
    "_print_": operators.GuardedPrintCollector,
    "_apply_": _apply,
    CHECK_LIMITS: check_limits,
    BINOP: operators.binop,
    FORMAT: operators.format_value,
    UNPACK: sizes.unpack,
    SEARCHED: sizes.searched,
}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Task data are the globals; helper functions sit under them (data may shadow a helper); the guards sit
    above them, so a form field named `_getattr_` cannot switch a guard off.

    Every expression and script runs within the time and memory limits (limits.py, guards.py), and so does
    measuring what it leaves: the engine writes task data out as JSON after the script, so a value too big to write
    (`x = [s] * 10**6`) is stopped here rather than there."""

    def __init__(self, helpers: dict, time_limit_seconds: float, memory_limit_bytes: int = DEFAULT_MEMORY_BYTES):
        super().__init__({**SAFE_NAMES, **helpers})
        self.time_limit_seconds = time_limit_seconds
        self.memory_limit_bytes = memory_limit_bytes

    def _limits(self):
        return script_limits(self.time_limit_seconds, self.memory_limit_bytes)

    def _globals(self, context, external_context):
        data = {k: v for k, v in context.items() if not k.startswith("_")}
        return {**self.globals, **(external_context or {}), **data, **GUARDS}

    def evaluate(self, expression, context, external_context=None):
        code = compile_code(expression, "eval")
        with self._limits() as budget:
            with traced(budget):
                value = eval(code, self._globals(context, external_context))
            sizes.check_text(value, "the expression's value")
            return value

    def execute(self, script, context, external_context=None):
        code = compile_code(script, "exec")
        hidden = {k: context.pop(k) for k in list(context) if k.startswith("_")}
        injected = {**self.globals, **(external_context or {})}
        for name, value in injected.items():
            context.setdefault(name, value)
        context.update(GUARDS)
        try:
            with self._limits() as budget:
                with traced(budget):
                    exec(code, context)
                self._leave_only_data(context, injected)
                sizes.check_values(context.values(), "the data the script leaves")
        finally:
            self._leave_only_data(context, injected)
            context.update(hidden)
        return True

    @staticmethod
    def _leave_only_data(context, injected):
        for key in list(context):
            value = context[key]
            if (key.startswith("_") or (key in injected and value is injected[key])
                    or callable(value) or isinstance(value, (ModuleType, SimpleNamespace))):
                del context[key]


def build_script_engine(helpers: dict, time_limit_seconds: float,
                        memory_limit_bytes: int = DEFAULT_MEMORY_BYTES) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment(helpers, time_limit_seconds, memory_limit_bytes))


__all__ = ["RestrictedEnvironment", "ScriptLimitExceeded", "ScriptMemoryExceeded", "ScriptTimeout",
           "build_script_engine"]
