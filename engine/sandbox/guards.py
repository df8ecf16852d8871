"""Guards for what a single operation of diagram code does in C, where the trace function of limits.py cannot stop
it: `'x' * 10**9`, `10**10**7`, `f'{1:0999999999}'`, `''.join([s] * 1000)`, `str([s] * 10**6)`,
`list(enumerate(s))`, `sum(lists, [])`, `math.factorial(10**6)`...

Each guard refuses the operation before it starts when its result would not fit in the script's memory budget
(`reserve`), or when integers would grow past MAX_INT_BITS, beyond which arithmetic on them takes seconds. Long
iterations over lazy iterables (`map`, `zip`, `enumerate`, a string's characters) are fed to C in chunks with a
check of the limits between them. The compiler routes the operators, f-strings, starred arguments and `in` here;
the sandbox's built-ins and attribute access hand out the guarded versions of the rest.

sizes.py measures values and feeds iterations in chunks, operators.py guards the operators, formatting and print();
this module guards methods, built-ins and math.
"""
import math
from datetime import date, time
from types import SimpleNamespace

from RestrictedPython.Guards import safer_getattr_raise

from .limits import check_limits, reserve
from .sizes import (
    MAX_MODULAR_POW_BITS, MAX_SORTED_ITEMS, _char_bytes, _check_bits, _is_int, _item_bytes, check_text, collect,
    in_chunks, unpack)
from .operators import _check_division, binop, guarded_repr


# --- methods ------------------------------------------------------------------------------------------------------
# Each takes the object and the call's arguments, raises if the result would be too big, and returns the arguments
# to call the method with (iterables gathered in chunks).

def _width(args, kwargs, name="width"):
    return args[0] if args else kwargs.get(name, 0)


def _padded(self, args, kwargs):
    width = _width(args, kwargs)
    if _is_int(width):
        reserve(max(width, len(self)) * _char_bytes(self, *args[1:]), "padding")
    return args, kwargs


def _expanded_tabs(self, args, kwargs):
    tabsize = _width(args, kwargs, "tabsize") if args or kwargs else 8
    if _is_int(tabsize):
        tab = "\t" if isinstance(self, str) else b"\t"
        reserve((len(self) + self.count(tab) * max(tabsize, 0)) * _char_bytes(self), "expandtabs()")
    return args, kwargs


def _replaced(self, args, kwargs):
    if len(args) >= 2 and isinstance(args[0], type(self)) and isinstance(args[1], type(self)):
        old, new = args[0], args[1]
        times = self.count(old) if old else len(self) + 1
        if len(args) > 2 and _is_int(args[2]) and args[2] >= 0:
            times = min(times, args[2])
        reserve((len(self) + times * max(len(new) - len(old), 0)) * _char_bytes(self, new), "replace()")
    return args, kwargs


def _joined(self, args, kwargs):
    if len(args) != 1:
        return args, kwargs
    items = collect(args[0])
    try:
        size = sum(map(len, items)) + len(self) * max(len(items) - 1, 0)
        wide = _char_bytes(self, *items)
    except TypeError:  # not all text: join itself says what is wrong
        return (items,), kwargs
    reserve(size * wide, "join()")
    return (items,), kwargs


def _translated(self, args, kwargs):
    table = args[0] if args else kwargs.get("table")
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        reserve(len(self) * max(longest, 1) * 4, "translate()")
    return args, kwargs


def _split(self, args, kwargs):
    # Up to one new string object (about 50 bytes) and a pointer per two characters.
    reserve(len(self) * 32, "split()")
    return args, kwargs


def _strftime(self, args, kwargs):
    template = _width(args, kwargs, "format")
    if isinstance(template, str):
        reserve(16 * len(template), "strftime()")
    return args, kwargs


def _to_bytes(self, args, kwargs):
    length = _width(args, kwargs, "length") if args or kwargs else 1
    if _is_int(length):
        reserve(length, "to_bytes()")
    return args, kwargs


def _sorted_in_place(self, args, kwargs):
    if len(self) > MAX_SORTED_ITEMS:
        raise ValueError(f"sorting is limited to {MAX_SORTED_ITEMS:,} items in process scripts")
    return args, kwargs


def _iterables_gathered(self, args, kwargs):
    return tuple(a if isinstance(a, dict) else unpack(a) for a in args), kwargs


_METHODS = {}
for _kind in (str, bytes):
    _METHODS.update({(_kind, name): _padded for name in ("ljust", "rjust", "center", "zfill")})
    _METHODS.update({(_kind, name): _split for name in ("split", "rsplit", "splitlines")})
    _METHODS.update({(_kind, "expandtabs"): _expanded_tabs, (_kind, "replace"): _replaced,
                     (_kind, "join"): _joined})
_METHODS[str, "translate"] = _translated
_METHODS.update({(_kind, "strftime"): _strftime for _kind in (date, time)})
_METHODS[int, "to_bytes"] = _to_bytes
_METHODS[list, "sort"] = _sorted_in_place
_METHODS[list, "extend"] = _METHODS[dict, "update"] = _METHODS[dict, "fromkeys"] = _iterables_gathered
for _kind in (set, frozenset):
    _METHODS.update({(_kind, name): _iterables_gathered for name in (
        "update", "union", "intersection", "difference", "symmetric_difference", "intersection_update",
        "difference_update", "symmetric_difference_update", "issubset", "issuperset", "isdisjoint")})
_METHOD_NAMES = {name for _, name in _METHODS}


def _method_guard(owner: type, name: str):
    for kind in owner.__mro__:
        guard = _METHODS.get((kind, name))
        if guard is not None:
            return guard
    return None


def guarded_getattr(obj, name, *default):
    """RestrictedPython's getattr, on the real type behind a guarded built-in, handing out guarded methods."""
    if isinstance(obj, GuardedType):
        obj = obj.wrapped
    value = safer_getattr_raise(obj, name, *default)
    if name not in _METHOD_NAMES or not callable(value):
        return value
    unbound = isinstance(obj, type)
    guard = _method_guard(obj if unbound else type(obj), name)
    if guard is None:
        return value
    if unbound:
        def call_unbound(this, *args, **kwargs):
            args, kwargs = guard(this, args, kwargs)
            return value(this, *args, **kwargs)
        return call_unbound

    def call(*args, **kwargs):
        args, kwargs = guard(obj, args, kwargs)
        return value(*args, **kwargs)
    return call


# --- built-ins ----------------------------------------------------------------------------------------------------

class GuardedType(type):
    """A built-in type as diagram code sees it: calling it goes through a guard; `isinstance` and attribute access
    (through guarded_getattr) see the real type."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, cls.wrapped)

    def __subclasscheck__(cls, other):
        return issubclass(other, cls.wrapped)

    def __call__(cls, *args, **kwargs):
        return cls.construct(*args, **kwargs)

    def __repr__(cls):
        return repr(cls.wrapped)


def _guarded_type(wrapped: type, construct) -> GuardedType:
    return GuardedType(wrapped.__name__, (), {"wrapped": wrapped, "construct": staticmethod(construct)})


def _str(*args, **kwargs):
    if len(args) == 1 and not kwargs:
        check_text(args[0], "str()")
    return str(*args, **kwargs)


def _tuple(iterable=(), /):
    return iterable if type(iterable) is tuple else tuple(collect(iterable))


def _set(iterable=(), /):
    result = set()
    for chunk in in_chunks(iterable):
        result.update(chunk)
    return result


def _frozenset(iterable=(), /):
    return iterable if type(iterable) is frozenset else frozenset(_set(iterable))


def _dict(*args, **kwargs):
    if len(args) != 1 or hasattr(args[0], "keys"):
        return dict(*args, **kwargs)
    result = {}
    for chunk in in_chunks(args[0]):
        result.update(chunk)
    result.update(kwargs)
    return result


def guarded_sorted(iterable, /, *, key=None, reverse=False):
    items = collect(iterable)
    _sorted_in_place(items, (), {})
    items.sort(key=key, reverse=reverse)
    return items


def guarded_sum(iterable, /, start=0):
    total = start
    if isinstance(start, (int, float, complex)):
        for chunk in in_chunks(iterable):
            total = sum(chunk, total)
        return total
    for item in collect(iterable):  # sequences: a new copy per item, so check each time
        if isinstance(total, (str, bytes, list, tuple)) and isinstance(item, (str, bytes, list, tuple)):
            reserve((len(total) + len(item)) * _item_bytes(total), "sum()")
        check_limits()
        total = total + item
    return total


_NOTHING = object()


def _extreme(pick):
    def guarded(*args, key=None, default=_NOTHING):
        if len(args) != 1:
            return pick(*args, key=key) if default is _NOTHING else pick(*args, key=key, default=default)
        best = [pick(chunk, key=key) for chunk in in_chunks(args[0])]
        if best:
            return pick(best, key=key)
        if default is _NOTHING:
            raise ValueError(f"{pick.__name__}() arg is an empty sequence")
        return default
    guarded.__name__ = pick.__name__
    return guarded


def guarded_any(iterable, /):
    return any(any(chunk) for chunk in in_chunks(iterable))


def guarded_all(iterable, /):
    return all(all(chunk) for chunk in in_chunks(iterable))


def guarded_pow(base, exp, mod=None):
    if mod is None:
        return binop("**", base, exp)
    if _is_int(exp) and _is_int(mod) and max(exp.bit_length(), mod.bit_length()) > MAX_MODULAR_POW_BITS:
        raise ValueError(f"pow() with a modulus is limited to numbers of {MAX_MODULAR_POW_BITS:,} bits in process "
                         "scripts")
    return pow(base, exp, mod)


def guarded_divmod(left, right):
    _check_division(left, right)
    return divmod(left, right)


def guarded_round(number, ndigits=None):
    if _is_int(number) and _is_int(ndigits) and ndigits < 0:
        _check_bits(max(number.bit_length(), -ndigits * 10 // 3), "round()")
    return round(number, ndigits)


BUILTINS = {
    "str": _guarded_type(str, _str), "list": _guarded_type(list, collect), "tuple": _guarded_type(tuple, _tuple),
    "set": _guarded_type(set, _set), "frozenset": _guarded_type(frozenset, _frozenset),
    "dict": _guarded_type(dict, _dict),
    "repr": guarded_repr, "sorted": guarded_sorted, "sum": guarded_sum, "min": _extreme(min), "max": _extreme(max),
    "any": guarded_any, "all": guarded_all, "pow": guarded_pow, "divmod": guarded_divmod, "round": guarded_round,
}


# --- math ---------------------------------------------------------------------------------------------------------

def _factorial(n):
    if _is_int(n) and n > 2:
        _check_bits(int(n * math.log2(n)), "math.factorial()")
    return math.factorial(n)


def _comb(n, k):
    if _is_int(n):
        _check_bits(n, "math.comb()")
    return math.comb(n, k)


def _perm(n, k=None):
    if _is_int(n) and n > 2 and (k is None or _is_int(k)):
        _check_bits(int((n if k is None else min(max(k, 0), n)) * math.log2(n)), "math.perm()")
    return math.perm(n, k)


def _prod(iterable, /, *, start=1):
    total = start
    for chunk in in_chunks(iterable):
        for item in chunk:
            total = binop("*", total, item)
    return total


def _operands_checked(compute, what, total_bits=False):
    def guarded(*numbers):
        sizes = [n.bit_length() for n in numbers if _is_int(n)]
        _check_bits(sum(sizes) if total_bits else max(sizes, default=0), what)
        return compute(*numbers)
    return guarded


MATH = SimpleNamespace(**{name: getattr(math, name) for name in dir(math) if not name.startswith("_")})
MATH.__dict__.update(factorial=_factorial, comb=_comb, perm=_perm, prod=_prod,
                     lcm=_operands_checked(math.lcm, "math.lcm()", total_bits=True),
                     gcd=_operands_checked(math.gcd, "math.gcd()"), isqrt=_operands_checked(math.isqrt, "math.isqrt()"),
                     fsum=lambda iterable: math.fsum(collect(iterable)))
