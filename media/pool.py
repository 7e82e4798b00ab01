"""The process pool that runs Pillow: bounded workers, and a pool that heals when one dies.

A ``ProcessPoolExecutor`` whose worker dies (SIGKILL, the kernel's OOM killer, a crash in a
decoder) is broken for good: every later ``submit`` raises ``BrokenProcessPool``. ``MediaPool``
replaces a broken executor with a new one, so one dead worker costs at most the tasks that were in
it at that moment (they fail with a 503 the client may retry) and never the uploads after it.

Each worker runs under limits set by its initializer:

* ``RLIMIT_AS``: a decoder that asks for more memory than ``memory_bytes`` gets a ``MemoryError``
  (the image is refused, 422) instead of the kernel killing a worker, or the whole machine
  swapping.
* ``RLIMIT_CPU``, per task: workers are reused, and the kernel counts CPU time over a process's
  life, so before each task the soft limit is moved to "CPU used so far + ``cpu_seconds``". A task
  that reaches it gets ``SIGXCPU``, raised in the worker as ``CpuTimeExceeded`` (the image is
  refused, 422). The hard limit, which cannot be raised again once set, is a backstop for a task
  that never returns to Python to receive the signal: the kernel kills that worker, and the pool
  heals. Executors are retired after ``recycle_after`` tasks (their workers finish what they hold
  and exit), so normal work never reaches the hard limit. (Python 3.11's own
  ``max_tasks_per_child`` can deadlock: cpython gh-115634.)
"""
from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing as mp
import os
import resource
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from core.errors import ServiceUnavailable

from .process import ImageRejected

T = TypeVar("T")
log = logging.getLogger(__name__)

# Extra CPU seconds per task in the hard (lifetime) limit: room for the interpreter's own start-up
# and for a task that stops a little after its soft limit.
_HARD_SLACK_S = 5


@dataclass(frozen=True)
class WorkerLimits:
    memory_bytes: int        # RLIMIT_AS of each worker; 0: unlimited
    cpu_seconds: int         # CPU time one task may use; 0: unlimited
    recycle_after: int       # tasks an executor runs before it is replaced by a fresh one

    @classmethod
    def from_settings(cls, settings) -> "WorkerLimits":
        return cls(settings.media_worker_memory_bytes, settings.media_worker_cpu_s,
                   settings.media_worker_recycle_tasks)

    @property
    def lifetime_cpu_seconds(self) -> int:
        """The hard RLIMIT_CPU: every task of a worker's life at its soft limit, and slack."""
        return (self.recycle_after + 1) * (self.cpu_seconds + _HARD_SLACK_S)


class CpuTimeExceeded(BaseException):
    """SIGXCPU in a worker. A BaseException, so no ``except Exception`` in a decoder swallows it."""


_task_running = False


def _on_sigxcpu(signum, frame) -> None:
    # The kernel repeats SIGXCPU every second past the soft limit; only a running task is stopped.
    if _task_running:
        raise CpuTimeExceeded()


def _init_worker(limits: WorkerLimits) -> None:
    """Runs first in every worker process."""
    if limits.memory_bytes:
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if limits.cpu_seconds:
        hard = limits.lifetime_cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))
        signal.signal(signal.SIGXCPU, _on_sigxcpu)


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _run_limited(cpu_seconds: int, fn: Callable[..., T], *args: Any) -> T:
    """One task in a worker, under its own CPU budget; running out of memory or CPU refuses the
    image instead of killing the worker."""
    global _task_running
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if cpu_seconds:
        soft = math.ceil(_cpu_used()) + cpu_seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    _task_running = True
    try:
        return fn(*args)
    except MemoryError:
        raise ImageRejected(422, "image_too_large",
                            "Decoding this image needs more memory than an upload may use.") from None
    except CpuTimeExceeded:
        raise ImageRejected(422, "image_too_complex",
                            f"Processing this image took more than {cpu_seconds} s of CPU time.") from None
    finally:
        _task_running = False
        if cpu_seconds:
            resource.setrlimit(resource.RLIMIT_CPU, (hard, hard))


class MediaPool:
    """Runs functions in worker processes; replaces the executor when a worker dies."""

    def __init__(self, workers: int, limits: WorkerLimits) -> None:
        self._workers = workers
        self._limits = limits
        self._executor = self._new_executor()
        self._submitted = 0          # to the current executor, for recycling
        self._in_flight = 0
        self.rebuilds = 0            # executors replaced because a worker died

    def _new_executor(self) -> ProcessPoolExecutor:
        # "spawn": forking a process that holds a Ray driver, threads and open sockets is unsafe.
        return ProcessPoolExecutor(max_workers=self._workers, mp_context=mp.get_context("spawn"),
                                   initializer=_init_worker, initargs=(self._limits,))

    def _replace(self, broken: ProcessPoolExecutor | None = None) -> None:
        """A fresh executor; the old one finishes (or fails) what it holds, then its workers exit.

        ``broken`` names the executor that failed: when several tasks see the same failure, only
        the first replaces it."""
        if broken is not None and broken is not self._executor:
            return
        old, self._executor, self._submitted = self._executor, self._new_executor(), 0
        if broken is not None:
            self.rebuilds += 1
            log.warning("a media worker died; its pool was replaced (%d so far)", self.rebuilds)
        old.shutdown(wait=False)

    def _submit(self, fn: Callable[..., T], args: tuple, counted: bool):
        if self._submitted >= self._limits.recycle_after:
            self._replace()
        executor = self._executor
        try:
            future = executor.submit(_run_limited, self._limits.cpu_seconds, fn, *args)
        except (BrokenProcessPool, RuntimeError):
            # A worker died while the pool was idle: this task never ran, so it is safe to submit
            # it once to a fresh executor.
            self._replace(broken=executor)
            executor = self._executor
            try:
                future = executor.submit(_run_limited, self._limits.cpu_seconds, fn, *args)
            except (BrokenProcessPool, RuntimeError, OSError):
                raise ServiceUnavailable("media", retry_after=1) from None
        except OSError:                 # no new worker process could be started
            raise ServiceUnavailable("media", retry_after=1) from None
        self._submitted += counted
        return executor, future

    async def _run(self, fn: Callable[..., T], args: tuple, counted: bool) -> T:
        executor, future = self._submit(fn, args, counted)
        self._in_flight += 1
        try:
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(broken=executor)
            raise ServiceUnavailable("media", retry_after=1) from None
        finally:
            self._in_flight -= 1

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker. A worker that dies under it is a 503 (``ServiceUnavailable``):
        which task killed it is unknown, so running it again could kill the next worker too."""
        return await self._run(fn, args, counted=True)

    @property
    def busy(self) -> int:
        """Tasks submitted and not yet finished."""
        return self._in_flight

    def _processes(self) -> dict:
        # The executor's own table of its workers (pid -> Process); CPython has no public accessor.
        return dict(self._executor._processes or {})

    def worker_pids(self) -> list[int]:
        """The current executor's worker processes (started on demand, so none until used)."""
        return list(self._processes())

    async def probe(self) -> None:
        """Raises unless the pool can run work. A dead worker is replaced here (the fresh executor
        starts workers on demand); a busy pool is not made to queue a task behind uploads; an idle
        one runs a trivial task, which also catches a worker that hangs."""
        processes = self._processes()
        if any(not process.is_alive() for process in processes.values()):
            self._replace(broken=self._executor)
            return
        if self._in_flight or not processes:
            return
        # Uses no CPU budget worth counting, so a frequently polled /readyz does not make the
        # pool recycle its workers.
        await self._run(os.getpid, (), counted=False)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
