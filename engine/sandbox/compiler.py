"""Compiling diagram code with RestrictedPython, cached, with readable errors."""
import ast
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

    # Every handler starts by checking the time limit, so that a script cannot swallow its timeout (see limits.py).
    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _check_deadline(node))
        return node

    def visit_Try(self, node):
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _check_deadline(node.finalbody[0]))
        return node


CHECK_DEADLINE = "_check_deadline_"  # a guard name: diagram code cannot name or shadow it (leading underscore)


def _check_deadline(where):
    call = ast.Expr(ast.Call(ast.Name(CHECK_DEADLINE, ast.Load()), [], []))
    for node in ast.walk(call):
        ast.copy_location(node, where)
    return call


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
