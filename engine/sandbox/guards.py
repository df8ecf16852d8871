"""Guards for what a single operation of diagram code does in C, where the trace function of limits.py cannot stop
it: `'x' * 10**9`, `10**10**7`, `f'{1:0999999999}'`, `''.join([s] * 1000)`, `str([s] * 10**6)`,
`list(enumerate(s))`, `sum(lists, [])`, `math.factorial(10**6)`...

Each guard refuses the operation before it starts when its result would not fit in the script's memory budget
(`reserve`), or when integers would grow past MAX_INT_BITS, beyond which arithmetic on them takes seconds. Long
iterations over lazy iterables (`map`, `zip`, `enumerate`, a string's characters) are fed to C in chunks with a
check of the limits between them. The compiler routes the operators, f-strings, starred arguments and `in` here;
the sandbox's built-ins and attribute access hand out the guarded versions of the rest.
"""
import math
import operator
import re
from datetime import date, time
from itertools import chain, islice
from types import SimpleNamespace

from RestrictedPython import PrintCollector
from RestrictedPython.Guards import guarded_unpack_sequence, safer_getattr_raise

from .limits import check_limits, memory_bytes, reserve

# Multiplying or dividing integers of 100,000 bits (30,000 digits) takes about 10 ms; Python itself refuses to
# turn integers of more than 4,300 digits into text.
MAX_INT_BITS = 100_000
# pow(base, exp, mod) multiplies numbers of mod's size about 2 × exp's bits times: 4,096 bits of each is a
# quarter of a second.
MAX_MODULAR_POW_BITS = 4_096
# Sorting is one C call, about a second for a million items.
MAX_SORTED_ITEMS = 1_000_000
CHUNK = 4_096
POINTER = 8

# Iterating these makes no new objects (a range has at most 1,000,000 items, see limits.bounded_range).
_EXISTING = (list, tuple, set, frozenset, dict, range)
_CONTAINERS = (list, tuple, set, frozenset, dict)
_CONTAINERS_SET = frozenset(_CONTAINERS)
_FAST_CONTAINS = (*_EXISTING, str, bytes, type({}.keys()), type({}.items()), type({}.values()))


def _is_int(value) -> bool:
    return isinstance(value, int)


def _check_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise ValueError(f"integers in process scripts are limited to {MAX_INT_BITS:,} bits (about 30,000 "
                         f"digits), {what} would go past that")


def _char_bytes(*texts) -> int:
    """Bytes per character of a string made of `texts`: 1 if all are ASCII (or bytes), else up to 4."""
    return 1 if all(not isinstance(t, str) or t.isascii() for t in texts) else 4


def _item_bytes(sequence) -> int:
    return _char_bytes(sequence) if isinstance(sequence, (str, bytes)) else POINTER


# --- sizes --------------------------------------------------------------------------------------------------------

def _scalar_size(value):
    """About how many bytes str()/repr() of `value` takes, or None for a container."""
    kind = type(value)
    if kind is str:
        return len(value) * (1 if value.isascii() else 4) + 2
    if kind in _CONTAINERS:
        return None
    if kind is int:
        return value.bit_length() // 3 + 2
    if kind is bytes:
        return 4 * len(value) + 3
    return 64


def _leaves_size(items):
    """The size of `items` when none is a container, counted in C (str() of a string is the string itself, of a
    number a few digits); None when some item is a container."""
    if not _CONTAINERS_SET.isdisjoint(map(type, items)):
        return None
    try:
        chars = sum(map(len, map(str, items)))
        wide = not all(map(str.isascii, map(str, items)))
    except ValueError:  # an integer too long to write
        return sum(map(_scalar_size, items))
    return chars * (4 if wide else 1) + 4 * len(items)


def text_size(value, limit: int | None = None) -> int:
    """About how many bytes the text of `value` takes (as repr, str, print or JSON write it). Shared parts count
    each time they appear, as they do in the text, but are measured once, so `a = [a, a]` forty times over costs
    forty steps. Stops counting past `limit` (the memory budget)."""
    limit = memory_bytes() if limit is None else limit
    size = _scalar_size(value)
    if size is not None:
        return size
    measured, open_ids, visited = {}, set(), 0

    def opened(container):
        """The size of a container whose items are all scalars, else [container, its items, size so far]."""
        size = 2 + 2 * len(container)
        if isinstance(container, dict):
            keys, values = _leaves_size(container.keys()), _leaves_size(container.values())
            if keys is not None and values is not None:
                return size + keys + values
            children = chain.from_iterable(container.items())
        else:
            leaves = _leaves_size(container)
            if leaves is None and all(type(item) is dict for item in container):  # a table of rows, at once
                keys = _leaves_size(list(chain.from_iterable(container)))
                values = _leaves_size(list(chain.from_iterable(map(dict.values, container))))
                if keys is not None and values is not None:
                    leaves = keys + values + 2 * sum(map(len, container))
            if leaves is not None:
                return size + leaves
            children = iter(container)
        open_ids.add(id(container))
        return [container, children, size]

    first = opened(value)
    if isinstance(first, int):
        return first
    stack = [first]
    while True:
        frame = stack[-1]
        container, children, size = frame
        for child in children:
            visited += 1
            if not visited % CHUNK:
                check_limits()
            child_size = _scalar_size(child)
            if child_size is None:
                child_size = measured.get(id(child))
            if child_size is None and id(child) in open_ids:
                child_size = 5  # a container inside itself: repr writes [...]
            if child_size is None:
                inner = opened(child)
                if not isinstance(inner, int):
                    frame[2] = size
                    stack.append(inner)
                    break
                child_size = measured[id(child)] = inner
            size += child_size
            if size > limit:
                return size
        else:
            stack.pop()
            open_ids.discard(id(container))
            measured[id(container)] = size
            if not stack:
                return size
            stack[-1][2] += size
            if stack[-1][2] > limit:
                return stack[-1][2]


def check_text(value, what: str) -> None:
    if type(value) in _CONTAINERS:
        reserve(text_size(value), what)


def check_values(values, what: str) -> None:
    """Refuse values whose text (the JSON the engine writes of task data) would not fit in the memory budget."""
    total, limit = 0, memory_bytes()
    for value in values:
        total += text_size(value, limit - total)
        if total > limit:
            break
    reserve(total, what)


# --- iterating in chunks ------------------------------------------------------------------------------------------

def in_chunks(iterable):
    """The items of `iterable` in lists of CHUNK, checking the limits before each next one; an existing container
    comes whole."""
    if type(iterable) in _EXISTING:
        if iterable:
            yield iterable
        return
    iterator = iter(iterable)
    while True:
        chunk = list(islice(iterator, CHUNK))
        if chunk:
            yield chunk
        if len(chunk) < CHUNK:
            return
        check_limits()


def collect(iterable) -> list:
    """list(iterable), gathered in chunks with a check of the limits between them."""
    if type(iterable) in _EXISTING:
        return list(iterable)
    items = []
    for chunk in in_chunks(iterable):
        items.extend(chunk)
    return items


def unpack(iterable):
    """What `*iterable` expands: an existing container as it is, anything else gathered in chunks."""
    return iterable if type(iterable) in _EXISTING else collect(iterable)


class _Searched:
    """`x in lazy_iterable` searched a chunk at a time."""

    def __init__(self, iterable):
        self.iterable = iterable

    def __contains__(self, wanted) -> bool:
        return any(wanted in chunk for chunk in in_chunks(self.iterable))


def searched(container):
    return container if type(container) in _FAST_CONTAINS else _Searched(container)


def unpack_sequence(it, spec, _getiter_):
    return guarded_unpack_sequence(unpack(it), spec, _getiter_)


def iter_unpack_sequence(it, spec, _getiter_):
    for item in _getiter_(it):
        yield unpack_sequence(item, spec, _getiter_)


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
