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

    # Every handler starts by checking the limits, so that a script cannot swallow its stop (see limits.py).
    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        node.body.insert(0, _statement(_call(CHECK_LIMITS, [], node)))
        return node

    def visit_Try(self, node):
        node = super().visit_Try(node)
        if node.finalbody:
            node.finalbody.insert(0, _statement(_call(CHECK_LIMITS, [], node.finalbody[0])))
        return node

    # What one bytecode could run for long or allocate without bound goes through a guard (guards.py) that
    # refuses it before it starts.
    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        symbol = GUARDED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        return _call(BINOP, [ast.Constant(symbol), node.left, node.right], node)

    def visit_FormattedValue(self, node):
        """f"{value!r:{spec}}" formats through the guard; the f-string only joins the strings it returns."""
        node = super().visit_FormattedValue(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = _call(FORMAT, [node.value, ast.Constant(node.conversion), spec], node)
        return ast.copy_location(ast.FormattedValue(value=call, conversion=-1, format_spec=None), node)

    def visit_Starred(self, node):
        """`[*items]`, `f(*items)`: the items are gathered with checks between chunks."""
        node = super().visit_Starred(node)
        if isinstance(node.ctx, ast.Load):
            node.value = _call(UNPACK, [node.value], node.value)
        return node

    def visit_Compare(self, node):
        """`x in items` searches a lazy iterator (`map`, `zip`...) through a checked one."""
        node = super().visit_Compare(node)
        node.comparators = [_call(SEARCHED, [right], right) if isinstance(op, (ast.In, ast.NotIn)) else right
                            for op, right in zip(node.ops, node.comparators)]
        return node


# Guard names: diagram code cannot name or shadow them (leading underscore).
CHECK_LIMITS = "_check_limits_"
BINOP = "_binop_"
FORMAT = "_format_"
UNPACK = "_unpack_"
SEARCHED = "_searched_"
GUARDED_OPERATORS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%", ast.Div: "/",
                     ast.FloorDiv: "//"}


def _statement(call: ast.Call) -> ast.Expr:
    return ast.copy_location(ast.Expr(call), call)


def _call(name: str, args: list, where) -> ast.Call:
    call = ast.Call(ast.Name(name, ast.Load()), args, [])
    for node in ast.walk(call):
        if not hasattr(node, "lineno"):
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
