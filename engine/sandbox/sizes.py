"""How big a value of diagram code is or would become, checked against the script's memory budget before C
builds it, and iteration fed to C in chunks with a check of the limits between them (engine/sandbox/guards.py
says why).
"""
from itertools import chain, islice

from RestrictedPython.Guards import guarded_unpack_sequence

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


