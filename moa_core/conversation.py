"""Conversations: a follow-up question is a new run linked to the previous one.

Every proposer sees the conversation so far, with the earlier syntheses as the assistant turns
(as in the reference MoA bot); the proposals of earlier turns are not sent again. A thread is
read back by following `parent_run_id` links, so it needs nothing but the runs themselves.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .documents import Document
from .prompts import user_content
from .records import RunRecord

MAX_TURNS = 50  # a guard against a cycle of parent links in a hand-edited database


@dataclass
class Thread:
    """What a follow-up continues: the earlier turns, oldest first, and the links for the new run."""

    runs: list[RunRecord] = field(default_factory=list)

    @property
    def parent_run_id(self) -> str | None:
        return self.runs[-1].run_id if self.runs else None

    @property
    def thread_id(self) -> str | None:
        return (self.runs[0].thread_id or self.runs[0].run_id) if self.runs else None

    def documents(self) -> list[Document]:
        """The documents the earlier turns sent, oldest first, each marked with the turn that sent it: a
        follow-up carries them (its answers are checked against them) without sending them again."""
        return [replace(d, carried_from=run.run_id) for run in self.runs for d in run.documents if not d.carried_from]

    def history(self) -> list[dict[str, str]]:
        """The messages of the earlier turns: each question (with its documents) and its synthesis."""
        messages: list[dict[str, str]] = []
        for run in self.runs:
            messages.append({"role": "user", "content": user_content(run.query, documents=run.prompt_documents())})
            messages.append({"role": "assistant", "content": run.final or "(no answer)"})
        return messages


def earlier_turns(store, run: RunRecord) -> list[RunRecord]:
    """The turns before `run` in its conversation, oldest first ([] for a run that is no follow-up);
    a turn deleted since is where the list stops. For views and reports, so nothing here raises."""
    turns: list[RunRecord] = []
    current = run.parent_run_id
    while current and len(turns) < MAX_TURNS:
        earlier = store.get_run(current)
        if earlier is None:
            break
        turns.append(earlier)
        current = earlier.parent_run_id
    return list(reversed(turns))


def thread_of(store, run_id: str) -> Thread:
    """The thread ending with `run_id` (oldest turn first); ValueError when the run is unknown or has no answer."""
    runs: list[RunRecord] = []
    current: str | None = run_id
    while current and len(runs) < MAX_TURNS:
        run = store.get_run(current)
        if run is None:
            if not runs:
                raise ValueError(f"no run {run_id!r} to continue")
            break
        runs.append(run)
        current = run.parent_run_id
    if not runs[0].final:
        raise ValueError(f"run {run_id} has no answer to follow up on ({runs[0].status})")
    return Thread(list(reversed(runs)))
