"""The worker's loop: claim queued jobs, run them, heartbeat their leases, obey Stop, hand work back on shutdown.

One asyncio loop per worker process runs up to `concurrency` jobs at once; every database call leaves the
loop (`asyncio.to_thread`), so a slow or locked database never enters a call's measured latency. The process
draws nothing, which is the point: the app's pages no longer share a GIL with the calls being timed.

- **Heartbeat** (every `heartbeat_s`): one statement renews this worker's leases and reads their
  `cancel_requested`; a flagged job is cancelled (its run closed as `cancelled`, finished calls kept), a job
  no longer held (taken over after a lapse) is dropped without touching it further.
- **Takeover** (every `sweep_s`): jobs of dead workers are settled by the queue's rules (`storage/jobs.py`).
- **Shutdown** (`stop()`, SIGTERM): no more claims; running jobs get `grace_s` to finish, then are cancelled:
  a run that had started a call is closed as `interrupted` with its finished calls, one that had not goes back
  to the queue for another worker. A second `stop()` skips the grace.
- **Wake-up**: on PostgreSQL a listener thread (`storage/notify.py`, LISTEN on its own connection) wakes the loop
  the moment a job is queued; a poll every `NOTIFY_POLL_S` stays as the safety net. On SQLite (no notices) an idle
  worker polls every `POLL_S` with a cheap read; either way a claim (a write) only when something is queued.
- **Database down** (a restart, a network cut): claims and heartbeats fail and are tried again at their next
  turn; the worker says so in one line when the first fails and one when the database answers again, not a
  line per poll. Running jobs go on (their writes are retried by the store's writer). An outage longer than
  `lease_s` lapses every worker's leases, not only a dead one's: a worker that saw the database come back
  settles nobody's jobs for `lease_s`, so the live workers renew theirs first.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from ..logs import log_traceback
from ..records import CallStarted, Event
from ..storage.jobs import LEASE_S, JobView
from ..storage.liveness import owner_token
from ..storage.notify import JobListener, has_notices
from .batches import BATCH_KIND, execute_batch
from .runs import RUN_KINDS, STOPPED_NOTE, execute_run

log = logging.getLogger(__name__)

HEARTBEAT_S = 1.0  # Stop is obeyed within this (plus the statement's time)
POLL_S = 0.2  # an idle worker without notices (SQLite) looks for queued jobs this often: ~0.1 s mean queue wait
NOTIFY_POLL_S = 2.0  # the safety-net poll of a worker woken by notices (PostgreSQL): a lost notice, a reconnection
LISTEN = True  # PostgreSQL workers LISTEN for job notices (bench/queue_wakeup.py --poll turns it off to compare)
SWEEP_S = 5.0  # how often a worker settles the jobs of dead workers
GRACE_S = 30.0  # on SIGTERM, how long running jobs may take to finish before they are handed back
WORKER_STOPPED = "interrupted: its worker stopped before it finished"
EXECUTORS = {**{kind: execute_run for kind in RUN_KINDS}, BATCH_KIND: execute_batch}  # job kind -> how it is run


@dataclass
class _Running:
    job: JobView
    task: asyncio.Task | None = None
    cancel: bool = False  # Stop was pressed
    lost: bool = False  # the lease is no longer ours
    finishing: bool = False  # the job is being closed: the heartbeat leaves it alone
    calls: int = 0  # calls the run started


class JobRunner:
    """A worker: `await serve()` until `stop()`; `until_idle=True` returns once the queue is empty (tests, cron)."""

    def __init__(self, store, *, concurrency: int = 1, owner: str | None = None, lease_s: float = LEASE_S,
                 heartbeat_s: float = HEARTBEAT_S, poll_s: float | None = None, sweep_s: float = SWEEP_S,
                 grace_s: float = GRACE_S, say: Callable[[str], None] | None = None, listen: bool | None = None):
        """`listen` (default: `LISTEN`) takes effect on PostgreSQL only; `poll_s` defaults to `NOTIFY_POLL_S` when
        listening, else `POLL_S`."""
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.store, self.concurrency = store, concurrency
        self.owner = owner or owner_token()
        self.listen = (LISTEN if listen is None else listen) and has_notices(store.jobs.engine)
        if poll_s is None:
            poll_s = NOTIFY_POLL_S if self.listen else POLL_S
        self.lease_s, self.heartbeat_s, self.poll_s, self.sweep_s = lease_s, heartbeat_s, poll_s, sweep_s
        self.listener: JobListener | None = None
        self.grace_s = grace_s
        self.say = say or (lambda line: log.info("%s", line))
        self.finished: dict[str, str] = {}  # job id -> how this worker closed it
        self._running: dict[str, _Running] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._stopping = False
        self._stops = 0
        self._down_since: float | None = None  # monotonic time of the first failed database call of an outage
        self._back_at: float | None = None  # when the database last answered again after an outage

    # ---- control, from any thread ---------------------------------------------------------------

    def stop(self) -> None:
        """Stop claiming and shut down (grace for running jobs); a second call hands them back at once."""
        loop = self._loop
        if loop is None or loop.is_closed():
            self._stopping = True
            return
        try:
            loop.call_soon_threadsafe(self._stop_now)
        except RuntimeError:  # the loop closed meanwhile: nothing left to stop
            pass

    def _stop_now(self) -> None:
        self._stops += 1
        self._stopping = True
        if self._stops > 1:
            self.grace_s = 0.0
            for r in list(self._running.values()):
                if r.task is not None and not r.finishing:
                    r.task.cancel()
        self._wake.set()

    def start_thread(self, until_idle: bool = False) -> threading.Thread:
        """Serve in a daemon thread with its own loop (the tests' in-process worker)."""
        thread = threading.Thread(target=asyncio.run, args=(self.serve(until_idle=until_idle),),
                                  name="moa-job-runner", daemon=True)
        thread.start()
        return thread

    # ---- the loop ---------------------------------------------------------------------------------

    async def serve(self, until_idle: bool = False) -> int:
        """Claim and run jobs until stopped (or, with `until_idle`, until nothing is queued or running);
        returns how many jobs this worker closed."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        if self.listen:
            self.listener = JobListener(self.store.jobs.engine, self._notice, self.say)
            self.listener.start()
        beat = asyncio.create_task(self._heartbeat())
        try:
            while not self._stopping:
                self._wake.clear()  # before the claim: a notice that comes during it is not lost
                if len(self._running) < self.concurrency:
                    job = await self._claim()
                    if job is not None:
                        self._start(job)
                        continue
                    if until_idle and not self._running:
                        break
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                except asyncio.TimeoutError:
                    pass
            await self._drain()
        finally:
            beat.cancel()
            try:
                await beat
            except asyncio.CancelledError:
                pass
            if self.listener is not None:
                await asyncio.to_thread(self.listener.stop)
        return len(self.finished)

    def _notice(self) -> None:
        """A job was queued (called from the listener's thread): wake the loop to claim it."""
        loop = self._loop
        try:
            loop.call_soon_threadsafe(self._wake.set)
        except RuntimeError:  # the loop closed: the worker is stopping
            pass

    async def _claim(self) -> JobView | None:
        try:
            if not await asyncio.to_thread(self.store.jobs.has_queued_jobs, tuple(EXECUTORS)):
                self._database_ok()
                return None
            job = await asyncio.to_thread(self.store.jobs.claim_job, self.owner, self.lease_s, tuple(EXECUTORS))
        except Exception as exc:  # the database is down or busy: say so once, try again at the next poll
            self._database_failed("could not claim a job", exc)
            return None
        self._database_ok()
        return job

    def _database_failed(self, what: str, exc: Exception) -> None:
        """The first failure of an outage is said (stderr and the log); the rest only go to debug logging."""
        first = (str(exc).splitlines() or [""])[0]
        if self._down_since is not None:
            log.debug("%s: %s: %s", what, type(exc).__name__, first)
            return
        self._down_since = time.monotonic()
        line = (f"database unreachable ({what}: {type(exc).__name__}: {first}); running jobs go on, "
                f"retrying every {min(self.poll_s, self.heartbeat_s):g} s")
        log.warning("%s", line)
        self.say(line)

    def _database_ok(self) -> None:
        if self._down_since is not None:
            self._back_at = time.monotonic()
            self.say(f"database reachable again after {self._back_at - self._down_since:.1f} s")
            self._down_since = None

    def _may_sweep(self) -> bool:
        """Not during an outage, nor for a lease after one: a lease that lapsed then says nothing of its worker."""
        if self._down_since is not None:
            return False
        return self._back_at is None or time.monotonic() - self._back_at >= self.lease_s

    def _start(self, job: JobView) -> None:
        running = self._running[job.id] = _Running(job)
        running.task = asyncio.create_task(self._run(running), name=f"moa-job-{job.id}")
        self.say(f"{job.kind} {job.id} claimed (attempt {job.attempts})")

    async def _drain(self) -> None:
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if tasks and self.grace_s > 0:
            self.say(f"stopping: waiting up to {self.grace_s:g} s for {len(tasks)} job(s)")
            await asyncio.wait(tasks, timeout=self.grace_s)
        for r in list(self._running.values()):
            if r.task is not None and not r.task.done() and not r.finishing:
                r.task.cancel()
        tasks = [r.task for r in self._running.values() if r.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, r: _Running) -> None:
        from ..engine import RunInputError

        def on_stop() -> tuple[str, str]:
            return ("cancelled", STOPPED_NOTE) if r.cancel else ("interrupted", WORKER_STOPPED)

        def count_calls(event: Event) -> None:
            if isinstance(event, CallStarted):
                r.calls += 1

        status, error = "done", None
        try:
            try:
                await EXECUTORS[r.job.kind](self.store, r.job, on_stop=on_stop, observers=[count_calls])
            except asyncio.CancelledError:
                if r.lost:
                    self.say(f"{r.job.kind} {r.job.id} lost its lease (taken over): dropped")
                    return
                if r.cancel:
                    status = "cancelled"
                elif r.calls == 0:
                    r.finishing = True
                    await asyncio.to_thread(self.store.jobs.release_job, r.job.id, self.owner)
                    self.finished[r.job.id] = "queued"
                    self.say(f"{r.job.kind} {r.job.id} handed back (no call started)")
                    return
                else:
                    status, error = "interrupted", WORKER_STOPPED
            except (RunInputError, ValueError) as exc:  # cannot start: a one-line reason for the page
                status, error = "failed", str(exc)
            except Exception as exc:  # a bug ends the job with a readable reason; the traceback goes to the log
                log_traceback(exc, f"{r.job.kind} job {r.job.id} failed")
                status, error = "failed", f"{type(exc).__name__}: {exc}"
            r.finishing = True
            if await asyncio.to_thread(self.store.jobs.finish_job, r.job.id, self.owner, status, error):
                self.finished[r.job.id] = status
                self.say(f"{r.job.kind} {r.job.id} {status}" + (f": {error}" if error else ""))
        except Exception as exc:  # closing the job failed (database gone): its lease lapses, another worker settles it
            log_traceback(exc, f"{r.job.kind} job {r.job.id} could not be closed")
        finally:
            self._running.pop(r.job.id, None)
            self._wake.set()

    async def _heartbeat(self) -> None:
        last_sweep = 0.0
        while True:
            await self._beat()
            if time.monotonic() - last_sweep >= self.sweep_s and self._may_sweep():
                last_sweep = time.monotonic()
                try:
                    settled = await asyncio.to_thread(self.store.jobs.take_over_expired)
                except Exception as exc:
                    self._database_failed("could not settle lapsed jobs", exc)
                    settled = {}
                for job_id, outcome in settled.items():
                    self.say(f"job {job_id} of a stopped worker: {outcome}")
                if settled:
                    self._wake.set()
            await asyncio.sleep(self.heartbeat_s)

    async def _beat(self) -> None:
        held_ids = [job_id for job_id, r in self._running.items() if not r.finishing]
        if not held_ids:
            return
        try:
            held = await asyncio.to_thread(self.store.jobs.heartbeat_jobs, self.owner, held_ids, self.lease_s)
        except Exception as exc:  # the lease is not renewed this time; it lasts `lease_s`
            self._database_failed("heartbeat failed", exc)
            return
        self._database_ok()
        for job_id in held_ids:
            r = self._running.get(job_id)
            if r is None or r.finishing or r.task is None:
                continue
            if job_id not in held:
                r.lost = True
                r.task.cancel()
            elif held[job_id] and not r.cancel:
                r.cancel = True
                r.task.cancel()
