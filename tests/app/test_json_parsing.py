"""Cooperative JSON parsing: always exactly orjson.loads, in pieces for big arrays."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import orjson
import pytest

from app import json_parsing
from app.gc_pause import gc_paused


def big(items: list[Any]) -> bytes:
    body = json.dumps(items).encode()
    assert len(body) > json_parsing.LARGE
    return body


def test_a_big_array_comes_back_identical() -> None:
    receivers = [{"name": "a"}, {"name": "b"}]
    items = [
        {"annotations": {"s": f"s{i}"}, "labels": {"n": str(i)}, "receivers": receivers}
        for i in range(20000)
    ]
    body = big(items)
    assert json_parsing.loads(body) == items


@pytest.mark.parametrize(
    "trap",
    [
        ',{"annotations": "a string holding ,{\\"annotations\\": and more"}',  # the marker inside a string
        ',{"annotations": [{"annotations": 1}, {"annotations": 2}]}',  # nested, same key
    ],
)
def test_cuts_in_strings_or_nested_values_fall_back_to_one_parse(trap: str) -> None:
    head = json.dumps([{"annotations": "x" * 100, "i": i} for i in range(12000)])
    body = (head[:-1] + trap * 50 + "]").encode()
    assert json_parsing.loads(body) == orjson.loads(body)


def test_small_and_non_array_bodies_are_one_parse() -> None:
    assert json_parsing.loads(b'{"a": [1, 2]}') == {"a": [1, 2]}
    document = {"data": [{"k": "v" * 50} for _ in range(30000)]}
    assert json_parsing.loads(json.dumps(document).encode()) == document


def test_invalid_json_still_raises() -> None:
    body = big([{"a": i} for i in range(80000)])[:-1]  # truncated: no closing bracket
    with pytest.raises(orjson.JSONDecodeError):
        json_parsing.loads(body)


def test_another_thread_gets_the_gil_during_a_big_parse() -> None:
    body = big(
        [
            {"annotations": {"summary": "x" * 40, "n": i}, "labels": {"a": str(i)}}
            for i in range(60000)
        ]
    )
    done = threading.Event()
    gaps: list[float] = []

    def parse() -> None:
        json_parsing.loads(body)
        done.set()

    worker = threading.Thread(target=parse)
    # as in a poll (Console.poll_*): the cyclic collector is paused, so a collection over the
    # whole test session's heap cannot be mistaken for the parser holding the GIL
    with gc_paused():
        last = time.perf_counter()
        worker.start()
        while not done.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
        worker.join()
    whole = time.perf_counter()
    orjson.loads(body)
    whole = time.perf_counter() - whole
    assert len(gaps) > 3  # the waiting thread ran many times during the parse
    assert max(gaps) < max(0.05, whole * 0.75)
