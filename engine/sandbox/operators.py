"""The operators, %-formatting, f-string values and print() of diagram code, each refused before it starts when
its result would not fit the budget (the compiler routes them here; engine/sandbox/guards.py says why).
"""
import operator
import re
from datetime import date, time

from RestrictedPython import PrintCollector

from .limits import reserve
from .sizes import (_char_bytes, _check_bits, _is_int, _item_bytes, check_text, text_size, unpack)


# --- operators ----------------------------------------------------------------------------------------------------

def _check_multiply(left, right) -> None:
    if _is_int(left) and _is_int(right):
        _check_bits(left.bit_length() + right.bit_length(), "*")
    elif isinstance(left, (str, bytes, list, tuple)) and _is_int(right):
        reserve(len(left) * max(right, 0) * _item_bytes(left), f"{type(left).__name__} * int")
    elif isinstance(right, (str, bytes, list, tuple)) and _is_int(left):
        reserve(len(right) * max(left, 0) * _item_bytes(right), f"int * {type(right).__name__}")


def _check_power(base, exponent) -> None:
    if _is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1:
        _check_bits(base.bit_length() * exponent, "**")


def _check_shift(value, count) -> None:
    if _is_int(value) and _is_int(count) and value and count > 0:
        _check_bits(value.bit_length() + count, "<<")


def _check_division(left, right) -> None:
    if _is_int(left) and _is_int(right):
        _check_bits(max(left.bit_length(), right.bit_length()), "division")


# A %-conversion: optional (key), flags, width, .precision, length modifier, type.
_CONVERSION = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.S)


def _check_percent(template, args) -> None:
    text = template if isinstance(template, str) else template.decode("latin-1")
    size, star = len(text), False
    for match in _CONVERSION.finditer(text):
        for number in match.group(1, 2):
            if number == "*":
                star = True
            elif number:
                size += int(number)
    if star and isinstance(args, tuple):
        size += sum(abs(a) for a in args if _is_int(a))
    values = args if isinstance(args, tuple) else (args,)
    size += sum(text_size(v) for v in values)
    reserve(size * _char_bytes(template, *values), f"{type(template).__name__} % ...")


def _check_modulo(left, right) -> None:
    if isinstance(left, (str, bytes)):
        _check_percent(left, right)
    else:
        _check_division(left, right)


_OPERATORS = {"*": (operator.mul, _check_multiply), "**": (operator.pow, _check_power),
              "<<": (operator.lshift, _check_shift), "%": (operator.mod, _check_modulo),
              "/": (operator.truediv, _check_division), "//": (operator.floordiv, _check_division)}
_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
}


def binop(symbol: str, left, right):
    compute, check = _OPERATORS[symbol]
    check(left, right)
    return compute(left, right)


def inplacevar(op: str, target, value):
    symbol = op[:-1]
    if symbol in _OPERATORS:
        _OPERATORS[symbol][1](target, value)
    elif op == "+=" and isinstance(target, list):
        value = unpack(value)
    return _INPLACE[op](target, value)


# --- text ---------------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+")


def guarded_repr(value) -> str:
    if isinstance(value, str):
        reserve(4 * len(value), "repr()")
    else:
        check_text(value, "repr()")
    return repr(value)


def format_value(value, conversion: int = -1, spec: str = "") -> str:
    """One `{value!conversion:spec}` of an f-string."""
    if conversion == ord("r"):
        value = guarded_repr(value)
    elif conversion == ord("a"):
        reserve(10 * text_size(value), "ascii()")
        value = ascii(value)
    elif conversion == ord("s"):
        check_text(value, "str()")
        value = str(value)
    if spec:
        width = max((int(n) for n in _NUMBER.findall(spec)), default=0)
        reserve(4 * width + text_size(value), "an f-string's format")
        if isinstance(value, (date, time)):
            reserve(16 * len(spec), "strftime")
    elif isinstance(value, str):
        return value
    check_text(value, "an f-string")
    return format(value, spec)


class GuardedPrintCollector(PrintCollector):
    def _call_print(self, *objects, **kwargs):
        separator = kwargs.get("sep")
        reserve(sum(text_size(o) for o in objects) + text_size(separator) * len(objects), "print()")
        return super()._call_print(*objects, **kwargs)


