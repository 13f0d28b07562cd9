"""In-process background threads, for the work not on the database's job queue yet: the Batches page's batches.
(Runs from the Run page, follow-ups and the Compare page's demo are jobs `moa worker` processes run: `jobs/`.)

A Streamlit script run ends when the user leaves the page or reloads; a job started here keeps
going, and any later script run of this process finds it again by id to show it live or finished.
Each job has its own event loop in a daemon thread; `cancel()` stops it from any thread. It dies with
the app process, unlike a queued job.
"""
from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .engine import RunInputError


@dataclass
class Job:
    """One background job. Read `state`, `result`, `error` from any thread; `version` grows on progress."""

    job_id: str
    kind: str
    state: str = "running"  # running -> done | failed | cancelled
    result: Any = None
    error: str | None = None
    version: int = 0
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    cancel_requested: bool = False
    _loop: asyncio.AbstractEventLoop | None = None
    _task: asyncio.Task | None = None
    _done: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    def cancel(self) -> None:
        """Ask the job to stop; what it finished stays (a run is stored as cancelled)."""
        self.cancel_requested = True
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            loop.call_soon_threadsafe(task.cancel)

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)


class Worker:
    """The process's registry of background jobs, found by id from any script run."""

    def __init__(self, keep: int = 200):
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._keep = keep

    def get(self, job_id: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def active(self, kind: str | None = None) -> list[Job]:
        with self._lock:
            return [j for j in self._jobs.values() if j.running and (kind is None or j.kind == kind)]

    def start(self, job: Job, work: Callable[[Job], Awaitable[Any]]) -> Job:
        """Run `work(job)` in its own thread and event loop; returns at once."""
        with self._lock:
            self._jobs[job.job_id] = job
            self._forget_old()
        threading.Thread(target=self._run, args=(job, work), name=f"moa-{job.kind}-{job.job_id}",
                         daemon=True).start()
        return job

    def _run(self, job: Job, work: Callable[[Job], Awaitable[Any]]) -> None:
        loop = asyncio.new_event_loop()
        job._loop = loop
        try:
            job._task = loop.create_task(work(job))
            job.result = loop.run_until_complete(job._task)
            job.state = "done"
        except asyncio.CancelledError:
            job.state = "cancelled"
        except RunInputError as exc:
            job.state, job.error = "failed", str(exc)
        except Exception as exc:  # a bug must end the job with a readable reason, not a dead thread
            job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            job.finished = time.monotonic()
            job.version += 1
            loop.close()
            job._done.set()

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if not j.running]
        for key in finished[: max(0, len(self._jobs) - self._keep)]:
            del self._jobs[key]


WORKER = Worker()
"""The one registry of this process (the app's server shares it across sessions and reruns)."""
