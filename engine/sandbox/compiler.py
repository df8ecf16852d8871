"""Compiling diagram code with RestrictedPython, cached, with readable errors."""
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted_eval, compile_restricted_exec

# SpiffWorkflow looks for this file name in tracebacks to report the failing line of a script.
FILENAME = "<string>"


class ScriptCompileError(Exception):
    """Refused at compile time. A plain Exception on purpose: RestrictedPython's SyntaxError carries no line
    number and SpiffWorkflow's error formatter fails on it."""


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules, and no `import`: the sandbox has no `__import__`, so an import could only fail
    when the script runs. Refusing it at compile time makes deploy reject the diagram with the line instead."""

    def visit_Import(self, node):
        self.error(node, "import statements are not allowed (math, datetime, date and timedelta are available "
                         "without importing them)")
        return node

    visit_ImportFrom = visit_Import


@lru_cache(maxsize=4096)
def compile_code(source: str, mode: str):
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, filename=FILENAME, policy=_Policy)
    if result.errors:
        raise ScriptCompileError("; ".join(result.errors))
    return result.code


def compile_errors(source: str, mode: str) -> list[str]:
    """The problems RestrictedPython finds in `source` (empty when it compiles)."""
    try:
        compile_code(source, mode)
    except ScriptCompileError as exc:
        return str(exc).split("; ")
    except (SyntaxError, ValueError, TypeError) as exc:  # e.g. null bytes, or a value that is not text
        return [str(exc)]
    return []
