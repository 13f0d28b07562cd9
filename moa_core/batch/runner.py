"""Batch runs: every system over every item of an eval set, then the judge, resumable and shared.

State lives in the database, not in this process: each work item (eval item x system, or a
judge pair) is claimed, run and closed in its own transactions, so a crash, a cancel or a
second worker on another machine never loses or repeats a finished item. Calls of the whole
batch share one limiter (concurrency, rate limits) and the response cache.

Every store call runs off the event loop (a thread, or the batch's writer thread): in a `moa worker` the
loop is shared with other jobs' streaming calls, whose measured latency a locked SQLite or a slow
PostgreSQL must not enter. Run as a queue job, a batch claims items under the job's lease owner and its
writes carry the job as a fence (`storage/batches.py`): a worker that lost the job writes nothing.
"""
from __future__ import annotations

import asyncio
import collections
import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

from ..documents import Document
from ..engine import RunInputError
from ..records import new_id, utcnow
from ..service import run_and_record
from ..storage.batches import DONE_RUNS, JUDGE_PREFIX, item_run_id
from ..storage.liveness import owner_token
from ..storage.votes import StalePair
from .judge import has_verdict, judge_pair, judge_spec
from .limits import BatchLimiter, share_of
from .single import answer_alone
from .summary import judge_failed_note, judge_failures
from .systems import System, call_limits
from .writes import LoopSafeStore

log = logging.getLogger(__name__)

MAX_LANES = 256
CLAIM_SHARE = 4  # a claim takes up to lanes / CLAIM_SHARE items: lanes rarely wait for the database, and
# other workers still find work (a worker that claimed half the batch would hold it while they idle)
FINAL_STATUSES = ("done", "failed", "cancelled", "budget reached", "interrupted")
CANCELLING = "cancelling"  # asked from another process (the app's button, for a CLI worker)


@dataclass
class BatchOutcome:
    batch_id: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    cost_usd: float = 0.0
    cache_hits: int = 0
    max_in_flight: int = 0


def judge_key(judge: dict, primary: System, other: System) -> str:
    canonical = json.dumps({"judge": judge, "a": primary.config_key, "b": other.config_key}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def create_batch(store, eval_set_id: int, systems: list[System], *, judge: dict | None = None,
                 concurrency: int = 8, budget_usd: float | None = None, cache: bool = True,
                 rate_limits: dict | None = None, batch_id: str | None = None, timeout_s: float | None = None,
                 max_retries: int | None = None) -> str:
    """Store a batch and its pending work; the first system is the one the others are compared with.
    `judge` is {"model", "api_base", "api_key_env" (optional)} or None. `timeout_s`/`max_retries` are
    for the calls no lineup governs (single models, the judge); None: the first lineup's (`call_limits`)."""
    if not systems:
        raise ValueError("a batch needs at least one system")
    names = [s.name for s in systems]
    if len(set(names)) != len(names):
        raise ValueError(f"two systems share a name: {', '.join(n for n in names if names.count(n) > 1)}")
    items = store.catalog.eval_set_items(eval_set_id)
    if not items:
        raise ValueError("the eval set has no items")
    primary = systems[0]
    work = [(item.id, s.name, s.config_key) for item in items for s in systems]
    if judge:
        work += [(item.id, JUDGE_PREFIX + s.name, judge_key(judge, primary, s)) for item in items for s in systems[1:]]
    batch_id = batch_id or new_id()
    config = {"systems": [s.to_dict() for s in systems], "primary": primary.name, "judge": judge,
              "concurrency": concurrency, "budget_usd": budget_usd, "cache": cache,
              "rate_limits": rate_limits or {}, "session_started_at": utcnow().isoformat(), "session_done": 0}
    config["timeout_s"], config["max_retries"] = call_limits(config | {"timeout_s": timeout_s,
                                                                       "max_retries": max_retries})
    store.batches.create_batch(batch_id, eval_set_id, config, work)
    return batch_id


def worker_name() -> str:
    """Who holds a claim: this process (host:pid:start), so a dead worker's claims can be recovered."""
    return owner_token()


class BatchRun:
    """One worker's share of a batch: lanes claim items until none is left or the batch must stop."""

    def __init__(self, store, batch_id: str, *, no_cache: bool = False, concurrency: int | None = None,
                 on_progress: Callable[[str], None] | None = None,
                 cancel_requested: Callable[[], bool] = lambda: False, rate_share: int = 1,
                 worker: str | None = None, fence: tuple[str, str] | None = None):
        """Reads the store: build it off the event loop (`run_batch` does, in a thread). `worker` names the
        claims (default: this process); `fence` (job id, owner) makes every write a no-op once the job is lost."""
        from ..cache import ResponseCache

        batch = store.batches.get_batch(batch_id)
        if batch is None:
            raise ValueError(f"no batch {batch_id}")
        self.store, self.batch_id, self.batch = LoopSafeStore(store), batch_id, batch
        config = batch.config
        self.systems = {s["name"]: System.from_dict(s) for s in config["systems"]}
        self.primary = config["primary"]
        self.judge = judge_spec(config["judge"]["model"], config["judge"].get("api_base"),
                                api_key_env=config["judge"].get("api_key_env")) if config.get("judge") else None
        self.timeout_s, self.max_retries = call_limits(config)  # single models and the judge
        self.budget = config.get("budget_usd")
        self.limiter = BatchLimiter(concurrency or config.get("concurrency") or 8,
                                    share_of(config.get("rate_limits"), rate_share))
        self.cache = ResponseCache(self.store.cache) if config.get("cache", True) and not no_cache else None
        # a judge's reply without a verdict is no answer: never kept, never reused (a resume asks again)
        self.judge_cache = ResponseCache(self.store.cache, accept=has_verdict) if self.cache else None
        self.prices = self.store.catalog.price_book()
        self._checked = (0.0, False)  # (when, must stop) of the last look at the batch row
        self.items = {i.id: i for i in store.catalog.eval_set_items(batch.eval_set_id)} if batch.eval_set_id else {}
        self.documents: dict[int, Document] = {}
        self.worker = worker or worker_name()
        self.fence = fence
        self.on_progress = on_progress
        self.cancel_requested = cancel_requested
        self.stop_reason: str | None = None
        self.error: str | None = None
        self.held: set[int] = set()
        self._votes: dict[int, dict] = {}  # judge item id -> its vote, stored when the item is closed
        self._cancelled = False
        self._claimed: collections.deque = collections.deque()  # claimed by this worker, not started yet
        self._claim_lock = asyncio.Lock()
        # claims run on their own thread (not behind the run writes); shut down before claims are given
        # back, so a claim still in flight when the batch is cancelled cannot land after the release
        self._claims = ThreadPoolExecutor(1, thread_name_prefix="moa-batch-claims")
        self._busy = 0  # items being worked on by this worker's lanes
        self._closing: set[asyncio.Task] = set()  # finish writes not yet done
        self._progress = asyncio.Event()  # an item was closed: judge items may have become ready
        self._lanes = min(MAX_LANES, max(2, 2 * self.limiter.concurrency))

    # ---- lanes ---------------------------------------------------------------------------------

    async def run(self) -> BatchOutcome:
        loop = asyncio.get_running_loop()
        started = loop.time()
        lanes = [asyncio.ensure_future(self._lane()) for _ in range(self._lanes)]
        try:
            await asyncio.gather(*lanes)
            if self._closing:
                await asyncio.gather(*self._closing)
            await self.store.drain()
        except asyncio.CancelledError:
            self._cancelled = True
            # gather gives up at the first cancelled lane: wait for every lane's run to close itself (and
            # for the closes under way), or the writer shuts before their writes and runs stay `running`
            for lane in lanes:
                lane.cancel()
            await asyncio.gather(*lanes, *self._closing, return_exceptions=True)
            await _off_loop(self._wind_up, True)
            raise
        except BaseException:
            await _off_loop(self._wind_up, False)
            raise
        await _off_loop(self._wind_up, False)
        status = await asyncio.to_thread(self._close)
        batch = await asyncio.to_thread(self.store.batches.get_batch, self.batch_id)
        counts = await asyncio.to_thread(self.store.batches.batch_counts, self.batch_id)
        return BatchOutcome(self.batch_id, status, counts, loop.time() - started,
                            batch.cost_usd or 0.0, sum(c.hits for c in (self.cache, self.judge_cache) if c),
                            self.limiter.max_in_flight)

    def _wind_up(self, stopped: bool) -> None:
        """In a thread, once the lanes are over: a claim in flight lands first, then every queued write, then the
        claims left are given back (so the release sees them all); a stopped batch is marked so."""
        self._claims.shutdown(wait=True)
        self.store.close()
        self._release()
        if stopped:
            status = "cancelled" if self.cancel_requested() else "interrupted"
            self.store.batches.set_batch_status(self.batch_id, status, only_if=("running", CANCELLING), fence=self.fence)
        for cache in (self.cache, self.judge_cache):
            if cache:
                cache.flush_hits()

    async def _lane(self) -> None:
        while self.stop_reason is None:
            if await self._should_stop():
                return
            item = await self._next_item()
            if item is None:
                return
            self._busy += 1
            try:
                status, run_id, error, cost = await self._process(item)
            except RunInputError as exc:  # the configuration cannot work (a missing key): stop the batch
                self.stop_reason, self.error = "failed", f"{item.system}: {exc}"
                status, run_id, error, cost = "failed", None, str(exc), 0.0  # nothing was sent
            finally:
                self._busy -= 1
            # queued behind the run's own writes, so a done item always has its stored run; the lane
            # goes on at once (waiting here would hold every lane behind the database)
            task = asyncio.ensure_future(self._close_item(item, status, run_id, error, cost))
            self._closing.add(task)
            task.add_done_callback(self._closed)

    def _closed(self, task: asyncio.Task) -> None:
        """A close is done: a lane waiting for work looks again (and may find there is none left)."""
        self._closing.discard(task)
        self._progress.set()

    async def _close_item(self, item, status: str, run_id: str | None, error: str | None, cost: float | None) -> None:
        vote = self._votes.pop(item.id, None)  # a judge's vote is stored with its item's close, never alone
        finish = self.store.write(self._finish, item, status, run_id, error, cost, vote)
        await asyncio.shield(finish)  # a cancel now must not leave the item claimed by nobody
        self.held.discard(item.id)
        self._progress.set()
        if self.on_progress:
            self.on_progress(self.batch_id)

    def _finish(self, item, status: str, run_id: str | None, error: str | None, cost: float | None,
                vote: dict | None) -> bool:
        try:
            return self.store.batches.finish_item(item.id, self.worker, status, run_id=run_id, error=error,
                                                  cost_usd=cost, eval_item_id=item.eval_item_id, vote=vote,
                                                  fence=self.fence)
        except StalePair as exc:  # an answer's run was deleted while the judge read it: no vote, the item fails
            return self.store.batches.finish_item(item.id, self.worker, "failed", error=str(exc), cost_usd=cost,
                                                  eval_item_id=item.eval_item_id, fence=self.fence)

    async def _next_item(self):
        """The next item for a lane: from this worker's claimed chunk, else a new claim. With nothing to
        claim while items are still being answered here, wait: their judge items become claimable."""
        async with self._claim_lock:
            while self.stop_reason is None:
                if self._claimed:
                    return self._claimed.popleft()
                self._progress.clear()
                claimed = await asyncio.get_running_loop().run_in_executor(
                    self._claims, self.store.batches.claim_items, self.batch_id, self.worker,
                    max(1, self._lanes // CLAIM_SHARE), self.primary, self.fence)
                if claimed:
                    self.held.update(i.id for i in claimed)
                    self._claimed.extend(claimed)
                    continue
                if self._busy == 0 and not self._closing:
                    return None
                await self._progress.wait()
            return None

    async def _should_stop(self) -> bool:
        """Looks at the batch row (cancel asked elsewhere, budget spent) at most every half second."""
        now = asyncio.get_running_loop().time()
        if now - self._checked[0] >= 0.5 or self.budget is not None:
            self._checked = (now, await asyncio.to_thread(self._must_stop))
        return self._checked[1] or self.cancel_requested()

    def _must_stop(self) -> bool:
        batch = self.store.batches.get_batch(self.batch_id)
        if batch is None or batch.status == CANCELLING or self.cancel_requested():
            self.stop_reason = "cancelled"
        elif self.budget is not None and (batch.cost_usd or 0.0) >= self.budget:
            self.stop_reason = "budget reached"
        return self.stop_reason is not None

    def _release(self) -> None:
        """After a cancel or a crash of a lane: every claim of this worker goes back (lanes never leave
        claims behind when they end normally, so a clean finish has nothing to release)."""
        if self.held or self._cancelled:
            self.store.batches.release_claims(self.batch_id, self.worker, self._stopped()[0], fence=self.fence)
            self.held.clear()

    def _stopped(self) -> tuple[str, str]:
        """How a run this worker stopped mid-way is stored: cancelled when a person asked, else interrupted."""
        if self.cancel_requested() or self.stop_reason == "cancelled":
            return "cancelled", "the batch was cancelled before this run finished"
        return "interrupted", "interrupted before it finished"

    def _close(self) -> str:
        """The batch's status once this worker is out of work (others may still be running items). Blocking:
        called in a thread."""
        counts = self.store.batches.batch_counts(self.batch_id)
        if self.stop_reason in ("cancelled", "budget reached", "failed"):
            status = self.stop_reason
        elif counts["pending"] == 0 and counts["running"] == 0:
            status = "failed" if counts["done"] == 0 else "done"
        else:
            return "running"
        error = self.error
        if status == "done" and error is None:  # done, but a judge that judged nothing must say so
            error = judge_failed_note(judge_failures(self.store.batches.judge_items(self.batch_id)))
        self.store.batches.set_batch_status(self.batch_id, status, error, only_if=("running", CANCELLING),
                                            fence=self.fence)
        return self.store.batches.get_batch(self.batch_id).status

    # ---- one item ------------------------------------------------------------------------------

    def _document(self, document_id: int | None) -> Document | None:
        if document_id is None:
            return None
        if document_id not in self.documents:
            row = self.store.catalog.get_document(document_id)
            self.documents[document_id] = Document(row.name, row.text) if row else None
        return self.documents[document_id]

    async def _process(self, item) -> tuple[str, str | None, str | None, float | None]:
        """(status, run id, error, cost) of one work item; cost None only when tokens were used at no known
        price (the batch counts it as unknown), 0.0 when nothing was asked."""
        eval_item = self.items.get(item.eval_item_id)
        if eval_item is None:
            return "failed", None, "the eval item was deleted", 0.0  # nothing asked: nothing spent
        if item.system.startswith(JUDGE_PREFIX):
            return await self._judge(item, eval_item)
        system = self.systems.get(item.system)
        if system is None:
            return "failed", None, f"unknown system {item.system}", 0.0
        run_id = item_run_id(self.batch_id, item.id, item.attempts)
        document = await asyncio.to_thread(self._document, eval_item.document_id)
        if system.kind == "single":
            record = await answer_alone(system.single, eval_item.query, store=self.store, document=document,
                                        run_id=run_id, name=system.name, limiter=self.limiter, cache=self.cache,
                                        prices=self.prices, timeout_s=self.timeout_s,
                                        max_retries=self.max_retries, stream=False)
        else:
            lineup = system.lineup()
            lineup.name = lineup.name or system.name
            record = await run_and_record(eval_item.query, lineup, store=self.store, document=document,
                                          run_id=run_id, limiter=self.limiter, cache=self.cache, on_stop=self._stopped,
                                          stream=False)  # nobody watches a batch item's tokens
        ok = record.status in DONE_RUNS
        return ("done" if ok else "failed"), run_id, None if ok else (record.error or record.note), record.cost_usd

    async def _judge(self, item, eval_item) -> tuple[str, str | None, str | None, float | None]:
        other = item.system[len(JUDGE_PREFIX):]
        rows = await asyncio.to_thread(self.store.batches.batch_runs, self.batch_id)
        answers = {r.system: r for r in rows if r.eval_item_id == item.eval_item_id and r.status == "done"}
        a, b = answers.get(self.primary), answers.get(other)
        if a is None or b is None:
            return "failed", None, "no answer to judge", 0.0
        verdict = await judge_pair(self.judge, eval_item.query, a.final or "", b.final or "",
                                   eval_item.reference, limiter=self.limiter, cache=self.judge_cache,
                                   prices=self.prices, timeout_s=self.timeout_s, max_retries=self.max_retries)
        if verdict.error:  # a judge that failed or gave no verdict is no vote (not a tie): the item fails
            return "failed", None, verdict.error, verdict.cost_usd
        self._votes[item.id] = dict(prompt_id=f"eval-item:{eval_item.id}", system_a=self.primary, system_b=other,
                                    winner=verdict.winner, reviewer=f"judge:{self.judge.model}", rater_kind="judge",
                                    run_a_id=a.run_id, run_b_id=b.run_id, batch_id=self.batch_id,
                                    reasoning=verdict.reasoning, comment=verdict.comment,
                                    judge_order1=verdict.first, judge_order2=verdict.second)
        return "done", None, None, verdict.cost_usd


async def run_batch(store, batch_id: str, *, resume: bool = False, budget_usd: float | None = None,
                    **kwargs) -> BatchOutcome:
    """Work on a batch until it is done or must stop. With `resume`, first take back the claims of
    dead workers (keeping any answer that finished) and retry failed items; `budget_usd` replaces
    the batch's budget (a batch stopped at its budget goes on with a larger one). The store is read and
    written in threads, never on the caller's loop."""
    await asyncio.to_thread(_prepare, store, batch_id, resume, budget_usd, kwargs.get("fence"))
    batch_run = await asyncio.to_thread(BatchRun, store, batch_id, **kwargs)
    return await batch_run.run()


def _prepare(store, batch_id: str, resume: bool, budget_usd: float | None, fence) -> None:
    """run_batch's store work before the lanes start (blocking: called in a thread)."""
    if budget_usd is not None:
        batch = store.batches.get_batch(batch_id)
        store.batches.set_batch_status(batch_id, batch.status, batch.error, budget_usd=budget_usd, fence=fence)
    if resume:
        batch = store.batches.get_batch(batch_id)
        if batch is None:
            raise ValueError(f"no batch {batch_id}")
        changed = store.batches.recover_batch(batch_id, fence=fence)
        if batch.status != "running" or changed:
            counts = store.batches.batch_counts(batch_id)
            store.batches.set_batch_status(batch_id, "running", None, session_started_at=utcnow().isoformat(),
                                           session_done=counts["done"], fence=fence)


async def _off_loop(fn: Callable, *args):
    """`fn` in a thread, seen through to its end even if the caller is cancelled meanwhile (a wind-up that
    gives claims back must not be cut off half-way); the cancel then goes on."""
    task = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait({task})
        raise
