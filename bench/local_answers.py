"""How clean are the embedded model's answers? The default lineup on everyday questions.

For each question in bench/data/everyday_questions.txt this runs the default lineup
(`default_lineup()`: Self-MoA on the embedded Gemma 3 270M, 3 proposers + aggregator) through
the real engine (`run_moa`), then classifies every answer (each proposal and the synthesis):

  echo        the answer contains prompt text: any 6 consecutive words of the scaffolding in
              the messages that call was sent (persona, aggregator template, labels; i.e. the
              stored `CallRecord.messages` minus the question and, for the aggregator, minus
              the proposals it was given), or a chat/prompt marker ("[INST]",
              "<start_of_turn>", a "You are careful." persona line, a "Question:" label ...)
  repeat      the answer repeats the question: its whole text (normalised), or its first 8
              words when it has more
  stopped     the model ended by itself: completion_tokens < the seat's max_tokens
  length      characters of the answer (stripped)
  clean       no echo, no repeat, stopped, and under 600 characters

The classification functions (`classify`, `echo_hits`, `repeats_question`, ...) are pure
and importable, for unit tests.

Usage (from the repo root; ~20-40 s per question on 2 cores):
  python bench/local_answers.py                     # all 30 questions
  python bench/local_answers.py --limit 3 --show 4  # first 3, print 4 sample answers
  python bench/local_answers.py --json /tmp/answers.json
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

QUESTIONS = ROOT / "bench" / "data" / "everyday_questions.txt"

ECHO_WORDS = 6  # this many consecutive prompt words in an answer = echo
QUESTION_PREFIX_WORDS = 8  # the question's first this-many words in an answer = repeat
CLEAN_MAX_CHARS = 600

# Chat-template and prompt-format markers that never belong in an answer. The prompt-text
# check (shingles of the call's own messages) is the general part; these catch the template
# pieces the messages do not contain (llama.cpp's chat format adds them) and persona-shaped
# lines that reword the prompt.
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("[INST]", re.compile(r"\[/?INST\]", re.I)),
    ("<<SYS>>", re.compile(r"<</?SYS>>", re.I)),
    ("<start_of_turn>", re.compile(r"<start_of_turn>|<end_of_turn>")),
    ("<|...|>", re.compile(r"<\|[A-Za-z_]+\|>")),
    ("<s>/<bos>", re.compile(r"</?s>|<bos>|<eos>")),
    ("### Instruction", re.compile(r"^\s*#+\s*(Instruction|Response|System|Input)\b", re.I | re.M)),
    ("role line", re.compile(r"^\s*(user|model|assistant|system)\s*$", re.I | re.M)),
    ("Question:/User: label",
     re.compile(r"^\s*\**(Question|User|Assistant|System|Human|Instruction|Query|Response)( \d+)?\**\s*:",
                re.I | re.M)),
    # Gemma's turn scaffolding decoded as text: "<end_of_turn>\n<start_of_turn>model" comes out
    # as a role name glued to the end of a line ("... mendatangmodel", "... payinguser").
    ("role glued at line end", re.compile(r"\S(user|model)[ \t]*$", re.M)),
    ("Answer: label", re.compile(r"^\s*\**Answer( \d+)?\**\s*:", re.I | re.M)),
    # The completion frames' own labels (moa_core.providers.completion_frame), anywhere in a line:
    # an answer that prints "Question:" or "Combined answer:" is continuing the prompt.
    ("frame label", re.compile(r"\b(Question|Answer|Combined answer|Style)\s*:", re.I)),
    ("[n] answer line", re.compile(r"^\s*\\?\[\d+\]\s", re.M)),
    ("<document> fence", re.compile(r"</?document\b", re.I)),
    ("You are <assistant>", re.compile(
        r"\bYou are (a|an) (\w+ ){0,3}(assistant|AI|language model|chatbot|bot|expert|model)\b", re.I)),
)
# "You are <word>" where the call's own prompt says "You are <word>" (a reworded persona).
_PERSONA = re.compile(r"\bYou are (?:a |an |the )?(\w+)")
# A completion frame's style line ("Style: careful and concise."): its words in an answer are the
# persona coming back (one-word styles such as "creative" are ordinary words and not checked).
_STYLE = re.compile(r"\bStyle: ([^\n.]+)\.")

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


# ---- pure classification ---------------------------------------------------------------------

def words(text: str) -> list[str]:
    """Lower-case word tokens (letters/digits, inner apostrophes): punctuation and spacing ignored."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def _has_run(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    """True if `needle` occurs as consecutive words in `haystack`."""
    if not needle or len(needle) > len(haystack):
        return False
    return f" {' '.join(needle)} " in f" {' '.join(haystack)} "


def message_text(messages: Iterable[dict[str, Any]]) -> list[str]:
    """The text contents of the messages (string content or OpenAI-style content parts)."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            out.append(content)
        elif isinstance(content, list):
            out.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return out


def scaffolding(messages: Iterable[dict[str, Any]], question: str, references: Iterable[str] = ()) -> list[str]:
    """The prompt text that is not the user's question nor a given reference (e.g. a proposal).

    Returns the pieces left after cutting those out, so no word run spans a cut.
    """
    cuts = sorted({t.strip() for t in [question, *references] if t and t.strip()}, key=len, reverse=True)
    pieces = message_text(messages)
    for cut in cuts:
        pieces = [part for piece in pieces for part in piece.split(cut)]
    return [p for p in pieces if p.strip()]


def prompt_shingles(messages: Iterable[dict[str, Any]], question: str, references: Iterable[str] = (),
                    n: int = ECHO_WORDS, also_prompt: Iterable[str] = ()) -> set[tuple[str, ...]]:
    """Every run of `n` consecutive words of the scaffolding (pieces shorter than n count whole, and
    so does each short line of it: an example line such as "[1] A spider has eight legs.")."""
    out: set[tuple[str, ...]] = set()
    pieces = [*scaffolding(messages, question, references), *also_prompt]
    lines = [line for piece in pieces for line in piece.splitlines() if len(words(line)) < n]
    for piece in [*pieces, *lines]:
        w = words(piece)
        if len(w) < n:
            if len(w) >= 3:  # a short piece such as "Responses from models:" echoed whole
                out.add(tuple(w))
            continue
        out.update(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    return out


def echo_hits(answer: str, messages: Iterable[dict[str, Any]], question: str, references: Iterable[str] = (),
              n: int = ECHO_WORDS, also_prompt: Iterable[str] = ()) -> list[str]:
    """Why the answer counts as echoing its prompt: marker names and quoted prompt word runs.

    `also_prompt`: further prompt texts whose copying counts as echo (for an aggregator, the
    proposers' scaffolding: it often copies a persona that a proposal echoed).
    """
    messages, also_prompt = list(messages), list(also_prompt)
    hits = [name for name, pattern in MARKERS if pattern.search(answer)]
    persona_words = {m.group(1).lower() for piece in [*scaffolding(messages, question, references), *also_prompt]
                     for m in _PERSONA.finditer(piece)}
    if any(m.group(1).lower() in persona_words for m in _PERSONA.finditer(answer)):
        hits.append("You are <persona>")
    styles = [words(m.group(1)) for piece in [*message_text(messages), *also_prompt] for m in _STYLE.finditer(piece)]
    if any(len(style) >= 2 and _has_run(words(answer), style) for style in styles):
        hits.append("style line")
    hits.extend(f'"{run}"' for run in echoed_runs(answer, messages, question, references, n, also_prompt)[:5])
    return hits


def echoed_runs(answer: str, messages: Iterable[dict[str, Any]], question: str, references: Iterable[str] = (),
                n: int = ECHO_WORDS, also_prompt: Iterable[str] = ()) -> list[str]:
    """The answer's maximal word runs made of prompt shingles, in answer order (long ones cut)."""
    shingles = prompt_shingles(messages, question, references, n, also_prompt)
    a = words(answer)
    covered = [False] * len(a)
    for size in {len(s) for s in shingles}:
        for i in range(len(a) - size + 1):
            if tuple(a[i:i + size]) in shingles:
                covered[i:i + size] = [True] * size
    runs, start = [], None
    for i, flag in enumerate([*covered, False]):
        if flag and start is None:
            start = i
        elif not flag and start is not None:
            span = a[start:i]
            runs.append(" ".join(span) if len(span) <= 12 else " ".join(span[:12]) + f" ... ({len(span)} words)")
            start = None
    return runs


def repeats_question(answer: str, question: str, prefix_words: int = QUESTION_PREFIX_WORDS) -> bool:
    """The answer contains the whole question (normalised), or its first `prefix_words` words."""
    q, a = words(question), words(answer)
    if not q:
        return False
    if _has_run(a, q):
        return True
    return len(q) > prefix_words and _has_run(a, q[:prefix_words])


def stopped_by_itself(max_tokens: int | None, completion_tokens: int | None) -> bool | None:
    """True if the model ended before max_tokens; None when either number is unknown."""
    if completion_tokens is None:
        return None
    if max_tokens is None:
        return True  # no limit set: whatever came back ended by itself
    return completion_tokens < max_tokens


def classify(answer: str, messages: Iterable[dict[str, Any]], question: str, max_tokens: int | None,
             completion_tokens: int | None, references: Iterable[str] = (),
             max_chars: int = CLEAN_MAX_CHARS, also_prompt: Iterable[str] = ()) -> dict[str, Any]:
    """Classify one answer. `references`: texts inside the messages that are input, not prompt
    scaffolding (the proposals an aggregator was given); quoting them is not echo.
    `also_prompt`: other prompt texts whose copying is echo (see `echo_hits`)."""
    messages = list(messages)
    hits = echo_hits(answer, messages, question, references, also_prompt=also_prompt)
    repeat = repeats_question(answer, question)
    stopped = stopped_by_itself(max_tokens, completion_tokens)
    length = len(answer.strip())
    return {
        "echo": bool(hits),
        "echo_hits": hits,
        "repeat_question": repeat,
        "stopped": stopped,
        "length": length,
        "clean": not hits and not repeat and stopped is True and length < max_chars,
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """n, % echo, % repeat, % stopped, mean length, % clean over classified answers."""
    n = len(rows)
    if not n:
        return {"n": 0}

    def pct(key: str) -> float:
        return 100.0 * sum(1 for r in rows if r[key] is True) / n

    return {"n": n, "echo": pct("echo"), "repeat_question": pct("repeat_question"), "stopped": pct("stopped"),
            "mean_length": statistics.fmean(r["length"] for r in rows), "clean": pct("clean")}


# ---- the run -----------------------------------------------------------------------------------

def _imports():
    """The lineup and engine, wherever they live (moa_core.providers.default_lineups after the restructuring)."""
    try:
        from moa_core.providers.default_lineups import default_lineup
    except ImportError:
        from moa_core.defaults import default_lineup
    from moa_core.engine import run_moa
    return default_lineup, run_moa


def load_questions(path: Path, limit: int | None = None) -> list[str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    questions = [line for line in lines if line and not line.startswith("#")]
    return questions[:limit] if limit else questions


def answers_of(question: str, record, lineup) -> list[dict[str, Any]]:
    """One row per proposer/aggregator call of a finished run, classified."""
    rows = []
    for call in record.calls:
        if call.role == "proposer":
            spec = lineup.proposers[call.index]
        elif call.role == "aggregator":
            spec = lineup.aggregator
        else:
            continue
        row = {
            "role": call.role, "index": call.index, "label": call.label, "status": call.status,
            "error": call.error, "temperature": call.temperature, "max_tokens": spec.max_tokens,
            "prompt_tokens": call.prompt_tokens, "completion_tokens": call.completion_tokens,
            "first_token_s": call.first_token_s, "duration_s": call.duration_s, "text": call.text,
            "messages": call.messages,
        }
        rows.append(row)
    classify_rows(question, rows)
    return rows


def classify_rows(question: str, rows: list[dict[str, Any]]) -> None:
    """Classify a run's answer rows in place. The aggregator's references are the proposals it
    was given; the proposers' own scaffolding (personas) counts as prompt text for it too."""
    proposals = [r["text"] for r in rows if r["role"] == "proposer" and r["status"] == "ok"]
    proposer_prompts = [piece for r in rows if r["role"] == "proposer"
                        for piece in scaffolding(r["messages"], question)]
    for row in rows:
        if row["status"] != "ok":
            continue
        aggregator = row["role"] == "aggregator"
        row.update(classify(row["text"], row["messages"], question, row["max_tokens"], row["completion_tokens"],
                            references=proposals if aggregator else (),
                            also_prompt=proposer_prompts if aggregator else ()))


async def run_all(questions: list[str], json_path: Path | None) -> dict[str, Any]:
    default_lineup, run_moa = _imports()
    results: dict[str, Any] = {"started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                               "argv": sys.argv[1:], "questions": []}
    t0 = time.monotonic()
    for i, question in enumerate(questions, 1):
        lineup = default_lineup()
        started = time.monotonic()
        record = await run_moa(question, lineup)
        rows = answers_of(question, record, lineup)
        results["questions"].append({
            "n": i, "question": question, "status": record.status, "note": record.note,
            "wall_s": record.wall_s, "elapsed_s": time.monotonic() - started,
            "completion_tokens": record.completion_tokens, "answers": rows,
        })
        flags = " ".join(
            f"{r['role'][0]}{r['index']}:" + ("clean" if r.get("clean") else
                                             "".join(k for k, f in (("E", "echo"), ("R", "repeat_question"))
                                                     if r.get(f)) + ("" if r.get("stopped") else "T")
                                             + ("L" if r.get("length", 0) >= CLEAN_MAX_CHARS else "")
                                             if r["status"] == "ok" else r["status"])
            for r in rows)
        print(f"[{i}/{len(questions)}] {record.wall_s or 0:5.1f}s {record.status:8} {flags}  {question[:60]}",
              file=sys.stderr, flush=True)
        if json_path:
            _save(results, json_path)
        if i == 1 and not any(r["status"] == "ok" for r in rows):
            print("every call of the first run failed: " + "; ".join(sorted({str(r["error"]) for r in rows}))
                  + " (if the server crashed, see its log: local_model.server_info().log_path)", file=sys.stderr, flush=True)
    results["total_s"] = time.monotonic() - t0
    if json_path:
        _save(results, json_path)
    return results


def _save(results: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")


# ---- the report ------------------------------------------------------------------------------

def report(results: dict[str, Any], show: int = 0) -> str:
    runs = results["questions"]
    all_rows = [r for q in runs for r in q["answers"]]
    ok = [r for r in all_rows if r["status"] == "ok"]
    lines = [f"{len(runs)} questions, {len(all_rows)} answers ({len(all_rows) - len(ok)} calls not ok)", ""]
    header = f"{'role':<11} {'n':>4} {'echo':>7} {'repeat q':>9} {'stopped':>8} {'mean len':>9} {'clean':>7}"
    lines += [header, "-" * len(header)]
    for name, rows in (("proposer", [r for r in ok if r["role"] == "proposer"]),
                       ("aggregator", [r for r in ok if r["role"] == "aggregator"]), ("overall", ok)):
        s = summarize(rows)
        if not s["n"]:
            lines.append(f"{name:<11} {0:>4}")
            continue
        lines.append(f"{name:<11} {s['n']:>4} {s['echo']:>6.0f}% {s['repeat_question']:>8.0f}% "
                     f"{s['stopped']:>7.0f}% {s['mean_length']:>9.0f} {s['clean']:>6.0f}%")
    kinds: dict[str, int] = {}
    for r in ok:
        for hit in {("prompt words" if h.startswith('"') else h) for h in r["echo_hits"]}:
            kinds[hit] = kinds.get(hit, 0) + 1
    if kinds:
        lines += ["", "echo kinds (answers with each): " +
                  ", ".join(f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1]))]
    walls = [q["wall_s"] for q in runs if q["wall_s"] is not None]
    if walls:
        lines += ["", f"run wall time: median {statistics.median(walls):.1f} s, mean {statistics.fmean(walls):.1f} s "
                      f"(min {min(walls):.1f}, max {max(walls):.1f}; {len(walls)} runs)"]
    for idx in sorted({r["index"] for r in all_rows if r["role"] == "proposer"}):
        ttft = [r["first_token_s"] for r in all_rows
                if r["role"] == "proposer" and r["index"] == idx and r["first_token_s"] is not None]
        if ttft:
            label = next(r["label"] for r in all_rows if r["role"] == "proposer" and r["index"] == idx)
            lines.append(f"first token, proposer {idx} ({label}): median {statistics.median(ttft):.2f} s, "
                         f"mean {statistics.fmean(ttft):.2f} s (from run start; proposers queue on one server)")
    tokens = sum(q["completion_tokens"] or 0 for q in runs)
    if "total_s" in results:
        lines.append(f"total: {results['total_s']:.0f} s for {len(runs)} runs, {tokens} completion tokens")
    if show:
        lines += ["", f"sample answers ({show}):"]
        picks = _samples(runs, show)
        for q, r in picks:
            flags = ", ".join(k for k in ("echo", "repeat_question") if r.get(k))
            flags += ("" if r.get("stopped") else (", " if flags else "") + "hit max_tokens")
            lines += ["", f"Q{q['n']} {r['role']} {r['index']} [{r['label']}] "
                          f"{r.get('length')} chars, {r['completion_tokens']} tokens"
                          f"{'; ' + flags if flags else ''}{'; CLEAN' if r.get('clean') else ''}"
                          + (f"; echo: {', '.join(r['echo_hits'])}" if r.get("echo_hits") else ""),
                      "  " + json.dumps(r["text"][:400], ensure_ascii=False)
                      + (" ..." if len(r["text"]) > 400 else "")]
    return "\n".join(lines)


def _samples(runs: list[dict[str, Any]], k: int) -> list[tuple[dict, dict]]:
    """k answers spread over questions, alternating proposer and aggregator."""
    pool = [(q, r) for q in runs for r in q["answers"] if r["status"] == "ok"]
    if not pool:
        return []
    step = max(1, len(pool) // k)
    return pool[::step][:k]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N questions")
    parser.add_argument("--json", type=Path, default=None, help="save per-answer details here")
    parser.add_argument("--show", type=int, default=0, help="print K sample answers")
    parser.add_argument("--questions", type=Path, default=QUESTIONS, help="one question per line")
    parser.add_argument("--from-json", type=Path, default=None, help="only report a saved --json file")
    args = parser.parse_args(argv)
    if args.from_json:
        results = json.loads(args.from_json.read_text(encoding="utf-8"))
        for q in results["questions"]:  # with the current classifier
            if all("messages" in r for r in q["answers"]):
                classify_rows(q["question"], q["answers"])
    else:
        questions = load_questions(args.questions, args.limit)
        results = asyncio.run(run_all(questions, args.json))
    print(report(results, args.show))
    return 0


if __name__ == "__main__":
    sys.exit(main())
