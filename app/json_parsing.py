"""Parsing big JSON answers without freezing the GUI thread.

A storm's Alertmanager answer is ~5 MB: one `orjson.loads` of it holds the GIL for
100-170 ms, and back-to-back C calls hardly ever let a waiting thread in, so the GUI
froze for the whole parse. A big top-level array is therefore parsed in pieces of about
256 KB with a `time.sleep(0)` between them: each piece is a short C call, and the sleep
hands the GIL to the GUI thread. Pieces are cut before the array's first key repeated
at a top-level object start; a cut that lands inside a string or a nested array makes a
piece invalid JSON, and then the body is parsed whole, so the result is always exactly
`orjson.loads(body)`.
"""

from __future__ import annotations

import re
import time
from typing import Any

import orjson

PIECE = 256 * 1024
LARGE = 1024 * 1024
_FIRST_KEY = re.compile(rb'\s*\[\s*\{\s*("(?:[^"\\]|\\.){1,64}")\s*:')


def loads(body: bytes) -> Any:
    """`orjson.loads(body)`, cooperatively for a large array of objects (see the module doc)."""
    if len(body) < LARGE:
        return orjson.loads(body)
    first = _FIRST_KEY.match(body)
    if first is None:
        return orjson.loads(body)
    # where a top-level element starts: ,{"annotations":  (with any whitespace between)
    marker = re.compile(rb",\s*\{\s*" + re.escape(first.group(1)) + rb"\s*:")
    end = body.rfind(b"]")
    if end == -1:
        return orjson.loads(body)  # not an array after all: let orjson say what is wrong
    items: list[Any] = []
    start = body.index(b"{")
    while True:
        found = marker.search(body, start + PIECE, end)
        stop = end if found is None else found.start()
        try:
            items.extend(orjson.loads(b"[" + body[start:stop] + b"]"))
        except orjson.JSONDecodeError:
            return orjson.loads(body)  # a cut in a string or a nested array: once, whole
        time.sleep(0)  # hand the GIL over: the GUI thread may be waiting for it
        if stop == end:
            return items
        start = stop + 1
