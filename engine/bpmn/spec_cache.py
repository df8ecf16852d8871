"""Parsed specs, kept per process and reused: a deployment is parsed once, not once per request or step.

Keyed by the deployment's content hash, so two databases (tests) or two identical deployments share an entry
and an id reused by another database can never return the wrong spec.
"""
from __future__ import annotations  # ParsedBundle is named, not imported, outside bundle_for

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .parsing import ParsedBundle

_cache: "OrderedDict[str, ParsedBundle]" = OrderedDict()
_lock = threading.Lock()
_MAX = 256


def remember(sha256: str, bundle: ParsedBundle) -> None:
    with _lock:
        _cache[sha256] = bundle
        _cache.move_to_end(sha256)
        while len(_cache) > _MAX:
            _cache.popitem(last=False)


def bundle_cached(sha256: str) -> ParsedBundle | None:
    with _lock:
        return _cache.get(sha256)


def bundle_for(deployment, max_bytes: int) -> ParsedBundle:
    with _lock:
        bundle = _cache.get(deployment.sha256)
    if bundle is None:
        from .parsing import parse_bundle  # lxml and the parser: only where a deployment is parsed
        bundle, errors = parse_bundle([(f.filename, f.content.encode("utf-8")) for f in deployment.files],
                                      max_bytes)
        if errors:  # it passed at deploy; only a library change could make it fail now
            raise RuntimeError(f"deployment {deployment.id} no longer parses: {errors}")
        remember(deployment.sha256, bundle)
    return bundle
