"""Threads that trace, call traced functions and register codecs at once see one outcome.

Each test runs a bounded number of rounds, with threads released together by a barrier
and switching as often as Python allows, so that a race, if there is one, is met.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from traceable import dump, register_codec, trace
from traceable._registry import unregister

THREADS = 8
ROUNDS = 100


@contextmanager
def switching_often() -> Iterator[None]:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)


def run_together(*tasks: Callable[[], Any]) -> list[Any]:
    """Run each task in a thread of its own, released at once; return their results in order."""
    barrier = threading.Barrier(len(tasks))
    results: list[Any] = [None] * len(tasks)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = tasks[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(tasks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def new_class() -> type:
    class Fresh:
        def __init__(self, v: int = 0) -> None:
            self.v = v

    return Fresh


def test_threads_tracing_a_new_class_at_once_all_get_the_same_traced_class():
    with switching_often():
        for _ in range(ROUNDS):
            cls = new_class()
            traced = run_together(*[lambda cls=cls: trace(cls)] * THREADS)
            assert [t is traced[0] for t in traced] == [True] * THREADS
            assert trace(cls) is traced[0]
            made = run_together(*[lambda cls=cls: trace(cls)(v=1)] * THREADS)
            assert {type(obj) for obj in made} == {traced[0]}


def test_threads_tracing_a_new_function_at_once_all_get_the_same_traced_function():
    with switching_often():
        for _ in range(ROUNDS):

            def func(v: int = 0) -> list[int]:
                return [v]

            traced = run_together(*[lambda func=func: trace(func)] * THREADS)
            assert [t is traced[0] for t in traced] == [True] * THREADS


def test_results_of_a_new_class_made_in_threads_at_once_have_one_traced_type():
    with switching_often():
        for _ in range(ROUNDS):
            cls = new_class()
            make = trace(lambda v, cls=cls: cls(v))
            results = run_together(*[lambda make=make: make(1)] * THREADS)
            assert len({type(result) for result in results}) == 1
            assert [result.trace_kwargs for result in results] == [{"v": 1}] * THREADS


def test_a_codec_registered_while_other_threads_dump_is_used_once_register_codec_returns():
    with switching_often():
        for round_ in range(2 * ROUNDS):  # the widest race of the four: more rounds
            cls = new_class()
            stop = threading.Event()

            def keep_dumping(cls: type = cls, stop: threading.Event = stop) -> None:
                for _ in range(1000):  # bounded: stops soon after the codec is registered
                    dump(cls(2), pickle_size_limit=-1)
                    if stop.is_set():
                        return

            def register(cls: type = cls, stop: threading.Event = stop, name: str = f"fresh{round_}") -> None:
                register_codec(cls, name=name, encode=lambda obj: obj.v, decode=cls)
                stop.set()

            try:
                run_together(*[keep_dumping] * (THREADS - 1), register)
                texts = [dump(cls(3), pickle_size_limit=-1) for _ in range(3)]
                assert texts == [f'{{"__fresh{round_}__": 3}}'] * 3
            finally:
                unregister(cls)
