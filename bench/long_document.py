"""Long documents stay quick (issue 24): the Agreement tab's analysis and `moa report` of a stored run
whose document is a ~300-page contract, with wall time and peak memory.

    .venv/bin/python bench/long_document.py [--pages 300] [--data DIR] [--method semantic]

Generates a contract of numbered clauses (PDF-like pages, ~450 words each) and a one-page amendment,
stores a run about it (three proposals and a synthesis that quote, cite and state figures) in a fresh
data folder, then runs each step in its own process, twice (cold, then warm: the second process finds the
files in the OS cache; the documents' sentences are never embedded: document verdicts are lexical in both
methods), and prints per step the wall time of the work, the wall time of the whole
process (interpreter and imports included, what a CLI user waits for), its CPU time (the machine is
shared: CPU time is the steadier figure) and its peak RSS:
  tab      the Agreement tab's work: agreement.analyze on the run's documents (ui/agreement_view._analyse)
  report   `moa report RUN --format html`
Target: both under 10 s and under 600 MB for 300 pages.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SUBJECTS = ["The Supplier", "The Customer", "Either party", "The Contractor", "The Licensee", "The Licensor",
            "Each party", "The Service Provider", "The Purchaser", "The Agent"]
VERBS = ["shall deliver", "shall maintain", "may request", "shall provide", "shall notify the other party of",
         "shall keep", "may inspect", "shall return", "shall pay for", "shall insure", "may suspend",
         "shall review", "shall repair", "may assign", "shall report"]
OBJECTS = ["the Goods", "all records relating to the Services", "the Deliverables", "the Equipment",
           "any Confidential Information", "the Software", "the premises", "the spare parts inventory",
           "the quality plan", "the security procedures", "the personnel list", "the insurance certificates",
           "the test results", "the escrow materials", "the service reports", "the change requests"]
TAILS = ["within {n} days of a written request", "at least once in every {n} months",
         "no later than {n} business days after the end of each quarter", "for a period of {n} years",
         "at its own cost and expense", "in accordance with Good Industry Practice",
         "unless the other party agrees otherwise in writing", "subject to clause {c}",
         "up to a maximum of ${a},000 in any contract year", "at the rate of {p}% per annum",
         "in the United Kingdom", "except as required by law", "if a material breach is not remedied within {n} days"]
NUMBERS = ["five (5)", "ten (10)", "fifteen (15)", "thirty (30)", "sixty (60)", "seven (7)", "three (3)", "twelve (12)"]


def clause(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 3)):
        tail = rng.choice(TAILS).format(n=rng.choice(NUMBERS), c=f"{rng.randint(1, 60)}.{rng.randint(1, 9)}",
                                        a=rng.randint(10, 900), p=rng.choice([2, 3, 4, 5, 8]))
        parts.append(f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {tail}.")
    return " ".join(parts)


def contract_pages(pages: int, seed: int = 7) -> list[str]:
    """Pages of numbered clauses, ~450 words each, with the termination clause the answers talk about."""
    rng = random.Random(seed)
    out, number = [], 1
    for page in range(pages):
        lines = [f"{number}. " + rng.choice(["Supply", "Services", "Records", "Audit", "Insurance", "Personnel",
                                              "Security", "Quality", "Escrow", "Reporting"])]
        sub = 1
        while sum(len(line.split()) for line in lines) < 450:
            lines.append(f"{number}.{sub} " + clause(rng))
            sub += 1
        if page == pages // 2:
            lines.append(f"{number}.{sub} Either party may terminate this Agreement by giving ninety (90) days' "
                         "written notice to the other party.")
            lines.append(f"{number}.{sub + 1} The Customer shall pay the Supplier a monthly fee of $12,000.")
        out.append("\n".join(lines))
        number += 1
    return out


def amendment(termination_clause: str) -> str:
    return ("AMENDMENT NO. 1\n\nThe parties wish to amend the Agreement as follows.\n\n"
            f"1. Clause {termination_clause} of the Agreement is deleted and replaced by the following: \"Either party "
            "may terminate this Agreement by giving thirty (30) days' written notice to the other party.\"\n\n"
            "2. All other terms of the Agreement remain in force.")


def answers(termination_clause: str) -> tuple[list[str], str]:
    proposals = [
        f"Clause {termination_clause} was replaced by the amendment. Either party may terminate on 30 days notice. "
        "\"Either party may terminate this Agreement by giving thirty (30) days' written notice to the other party.\" "
        "The Customer pays a monthly fee of $12,000. The Supplier shall insure the Equipment at its own cost.",
        f"Under clause {termination_clause}, either party may terminate on 90 days notice. \"Either party may terminate "
        "this Agreement by giving ninety (90) days' written notice to the other party.\" The monthly fee is $12,000. "
        "Clause 812.4 allows termination on 7 days notice.",
        "Either party may terminate on 30 days notice, as amended. The Supplier shall keep all records relating to "
        "the Services for a period of seven years. \"The Supplier shall deliver the Goods at its own cost and "
        "expense.\" The Customer may audit the Supplier once a year.",
    ]
    final = ("Either party may terminate on 30 days notice, because the amendment replaced the 90-day clause. "
             "The monthly fee is $12,000. The Supplier shall insure the Equipment at its own cost. "
             "Clause 812.4 allows termination on 7 days notice.")
    return proposals, final


def make_run(pages: int):
    """A stored-run record about the generated contract and its amendment (PDF pages kept as spans)."""
    from moa_core.documents import Document, spans_of
    from moa_core.documents.passages import passages_from_pages
    from moa_core.records import CallRecord, RunRecord

    texts = contract_pages(pages)
    termination = f"{pages // 2 + 1}.{texts[pages // 2].count(chr(10)) - 1}"
    passages = passages_from_pages("contract.pdf", texts)
    text = "\n\n".join(texts)
    contract = Document("contract.pdf", text, spans_of(text, passages))
    amend = Document("amendment-1.docx", amendment(termination))
    proposals, final = answers(termination)
    calls = [CallRecord(role="proposer", round=1, index=i, model=f"openai/m{i}", label=f"m{i}", status="ok",
                        text=t, started_s=0.0, ended_s=1.0, call_id=f"p{i}") for i, t in enumerate(proposals)]
    calls.append(CallRecord(role="aggregator", round=1, index=3, model="openai/agg", label="agg", status="ok",
                            text=final, started_s=1.0, ended_s=2.0, call_id="agg"))
    record = RunRecord(query="How much notice must a party give to terminate?", lineup={}, status="ok",
                       final=final, calls=calls, documents=[contract, amend])
    return record, sum(len(t.split()) for t in texts)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def step(name: str, run_id: str, method: str, out: str) -> dict:
    """One step in this process (the child): its work time and peak RSS."""
    from moa_core.storage import RunStore

    start = time.perf_counter()
    if name == "tab":
        from moa_core import agreement
        from moa_core.evidence import run_documents

        store = RunStore.open_default()
        run = store.get_run(run_id)
        result = agreement.analyze(*_inputs(run), method=method, documents=run_documents(run) or None)
        verdicts = [s.document.summary if s.document else "" for s in result.final_sentences]
    else:
        from moa_core.cli import main

        main(["report", run_id, "--format", "html", "--out", out, "--method", method])
        verdicts = []
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"step": name, "work_s": time.perf_counter() - start, "peak_mb": peak_mb(), "verdicts": verdicts,
            "cpu_s": usage.ru_utime + usage.ru_stime}


def _inputs(run):
    proposers = run.calls_for("proposer")
    last = max((c.round for c in proposers), default=1)
    return [c.text for c in run.calls_for("proposer", last) if c.ok], run.final


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--data", help="data folder (default: a fresh temporary one)")
    ap.add_argument("--method", choices=("semantic", "offline"), default="semantic")
    ap.add_argument("--step", help=argparse.SUPPRESS)
    ap.add_argument("--run-id", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        out = str(Path(os.environ["MOA_DATA_DIR"]) / "report.html")
        print(json.dumps(step(args.step, args.run_id, args.method, out)))
        return
    data = Path(args.data or tempfile.mkdtemp(prefix="moa-long-"))
    os.environ["MOA_DATA_DIR"] = str(data)
    from moa_core.storage import RunStore

    record, words = make_run(args.pages)
    store = RunStore.open_default()
    store.save_run(record)
    store.close()
    print(f"{args.pages} pages, {words:,} words, {len(record.documents[0].passages())} passages; data {data}; "
          f"method {args.method}")
    for label in ("cold", "warm"):
        for name in ("tab", "report"):
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--step", name, "--run-id", record.run_id,
                                   "--method", args.method], capture_output=True, text=True)
            total = time.perf_counter() - start
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                raise SystemExit(f"{name} failed")
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  {label:<5} {name:<7} work {got['work_s']:6.2f} s   process {total:6.2f} s "
                  f"(CPU {got['cpu_s']:5.2f} s)   peak RSS {got['peak_mb']:6.0f} MB")
            if name == "tab" and label == "cold":
                for v in got["verdicts"]:
                    print(f"      - {v or '(no document verdict)'}")


if __name__ == "__main__":
    main()
