"""The RestrictedPython environment SpiffWorkflow evaluates every expression and script in."""
import math
import operator
from types import ModuleType, SimpleNamespace
import datetime as _dt

from RestrictedPython import PrintCollector
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence, guarded_unpack_sequence,
                                     safe_builtins, safer_getattr_raise)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .compiler import CHECK_DEADLINE, compile_code
from .limits import ScriptTimeout, bounded_range, check_deadline, time_limit

_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
}


def _inplacevar(op, x, y):
    return _INPLACE[op](x, y)


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


BUILTINS = {
    **safe_builtins,
    "range": bounded_range,
    "sum": sum, "min": min, "max": max, "any": any, "all": all, "sorted": sorted, "reversed": reversed,
    "enumerate": enumerate, "zip": zip, "map": map, "filter": filter,
    "dict": dict, "list": list, "tuple": tuple, "set": set, "frozenset": frozenset,
}
# SystemExit, KeyboardInterrupt, GeneratorExit and BaseException itself are not Exceptions: raised by a diagram they
# would pass every `except Exception` of the library and the engine and stop the worker or the web server.
for _name in [k for k, v in BUILTINS.items()
              if isinstance(v, type) and issubclass(v, BaseException) and not issubclass(v, Exception)]:
    del BUILTINS[_name]
# Never the `datetime` module itself: it carries `datetime.sys`, a way out to every loaded module.
SAFE_NAMES = {
    "math": math,
    "datetime": SimpleNamespace(date=_dt.date, datetime=_dt.datetime, timedelta=_dt.timedelta,
                                timezone=_dt.timezone),
    "date": _dt.date, "timedelta": _dt.timedelta,
}
GUARDS = {
    "__builtins__": BUILTINS,
    "_getattr_": safer_getattr_raise,  # a missing attribute is an error, not None
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_print_": PrintCollector,
    "_apply_": _apply,
    CHECK_DEADLINE: check_deadline,
}


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Task data are the globals; helper functions sit under them (data may shadow a helper); the guards sit
    above them, so a form field named `_getattr_` cannot switch a guard off."""

    def __init__(self, helpers: dict, time_limit_seconds: float):
        super().__init__({**SAFE_NAMES, **helpers})
        self.time_limit_seconds = time_limit_seconds

    def _globals(self, context, external_context):
        data = {k: v for k, v in context.items() if not k.startswith("_")}
        return {**self.globals, **(external_context or {}), **data, **GUARDS}

    def evaluate(self, expression, context, external_context=None):
        code = compile_code(expression, "eval")
        with time_limit(self.time_limit_seconds):
            return eval(code, self._globals(context, external_context))

    def execute(self, script, context, external_context=None):
        code = compile_code(script, "exec")
        hidden = {k: context.pop(k) for k in list(context) if k.startswith("_")}
        injected = {**self.globals, **(external_context or {})}
        for name, value in injected.items():
            context.setdefault(name, value)
        context.update(GUARDS)
        try:
            with time_limit(self.time_limit_seconds):
                exec(code, context)
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


def build_script_engine(helpers: dict, time_limit_seconds: float) -> PythonScriptEngine:
    return PythonScriptEngine(environment=RestrictedEnvironment(helpers, time_limit_seconds))


__all__ = ["RestrictedEnvironment", "ScriptTimeout", "build_script_engine"]
