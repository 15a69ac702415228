"""A connection pool that hands connections out in the order they were asked for.

SQLAlchemy's asyncio pool keeps its idle connections in an `asyncio.Queue`, and a checkout
takes one that is there without waiting. When the pool is busy that lets a request that just
arrived take a returned connection ahead of requests already waiting: the woken waiter finds
the queue empty again and goes to the back. Under load (every connection in use, dozens of
requests in flight) a few unlucky requests lost their place again and again: `make bench-load`
showed in-app p99 latencies of 400 ms beside a p50 of 50 ms (issue 15).

`FairQueue` hands a returned connection straight to the longest-waiting checkout, and a new
checkout waits behind those already waiting. Timeouts (`pool_timeout`, then 503) and
cancellation behave as before; a connection handed to a checkout that was cancelled meanwhile
goes to the next one, so none is lost. `FairQueuePool` is SQLAlchemy's `AsyncAdaptedQueuePool`
with this queue (its documented `_queue_class` hook); `app.db.create_engine` uses it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty, Full

_T = TypeVar("_T")


class FairQueue(AsyncAdaptedQueue[_T]):
    """First come, first served: a returned item goes to the longest waiter, if any."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._items: deque[_T] = deque()
        self._waiters: deque[asyncio.Future[_T]] = deque()

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self._items)

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: _T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that timed out or was cancelled is skipped
                waiter.set_result(item)
                return
        if self.full():
            raise Full()
        self._items.append(item)

    def put(self, item: _T, block: bool = True, timeout: float | None = None) -> None:
        # The pool never returns more connections than it holds: a put never has to wait.
        self.put_nowait(item)

    def get_nowait(self) -> _T:
        # Items and live waiters never coexist (a put hands over to a waiter first), so an
        # item that is here is nobody else's turn.
        if not self._items:
            raise Empty()
        return self._items.pop() if self.use_lifo else self._items.popleft()

    def get(self, block: bool = True, timeout: float | None = None) -> _T:
        if self._items or not block:
            return self.get_nowait()
        return await_(self._wait(seconds=timeout))

    async def _wait(self, *, seconds: float | None) -> _T:
        waiter: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await waiter
        except TimeoutError:
            self._pass_on(waiter)
            raise Empty() from None
        except BaseException:
            self._pass_on(waiter)
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _pass_on(self, waiter: asyncio.Future[_T]) -> None:
        """An item handed over just as its checkout gave up goes to the next, not astray."""
        if waiter.done() and not waiter.cancelled():
            self.put_nowait(waiter.result())
        waiter.cancel()


class FairQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool, serving checkouts in arrival order (`FairQueue`)."""

    _queue_class = FairQueue[ConnectionPoolEntry]
