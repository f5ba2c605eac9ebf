"""One asyncio event loop in a background thread, so synchronous workflow steps can call the async SDKs.

msgraph-sdk and the Teams SDK are async-only and their HTTP clients belong to the loop they first ran on, so every
call goes through this one loop (run_coroutine_threadsafe) instead of a fresh asyncio.run() per call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from swarm.outbound_calls import going_out

T = TypeVar("T")


class AsyncBridge:
    def __init__(self, name: str = "teams-bridge"):
        self._name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    def run(self, coroutine: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `coroutine` on the bridge loop and wait; on timeout it is cancelled and TimeoutError raised."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._ensure_loop())
        going_out()  # the call is the loop's now: this thread only waits
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def close(self) -> None:
        with self._lock:
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._loop.stop)
                self._loop = None

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        # Started on first use, not at construction: wiring the app must not start threads it may never need.
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name=self._name, daemon=True).start()
                self._loop = loop
            return self._loop
