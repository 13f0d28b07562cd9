"""Precision and recall of the document voice's "supports" and "contradicts" on a labelled set.

    .venv/bin/python bench/document_verdicts.py                          # the dev set, semantic
    .venv/bin/python bench/document_verdicts.py --method offline         # lexical similarity only
    .venv/bin/python bench/document_verdicts.py tests/data/document_verdicts_heldout.json --errors

A set is {"records": {name: {"documents": [{"name", "pages"|"paragraphs"|"text"}], "prevails"?}},
"cases": [{"id", "record", "claim", "label": supports|contradicts|neither, "expect"}]}. A predicted
"supported" or "contradicts" counts as right only when the label agrees AND the cited passage (or, for an
amendment, its new text) contains `expect`: the right verdict from the wrong passage is a false positive.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from moa_core.agreement.document_record import build_record  # noqa: E402
from moa_core.agreement.document_voice import verdict  # noqa: E402
from moa_core.documents.passages import SourceDocument, passages_from_paragraphs  # noqa: E402

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "document_verdicts_dev.json"
PREDICTED = {"supported": "supports", "contradicts": "contradicts"}


def documents(record: dict) -> list[SourceDocument]:
    """A record's documents as the app reads them: PDF pages, DOCX paragraphs or plain text."""
    out = []
    for d in record["documents"]:
        if "pages" in d:
            out.append(SourceDocument.from_pdf_pages(d["name"], d["pages"]))
        elif "paragraphs" in d:
            out.append(SourceDocument(d["name"], passages_from_paragraphs(d["name"], d["paragraphs"])))
        else:
            out.append(SourceDocument.from_text(d["name"], d["text"]))
    return out


def run(data: dict, method: str = "semantic") -> list[tuple[dict, object]]:
    """(case, DocumentLink or None) for every case."""
    records = {name: build_record(documents(r), prevails=r.get("prevails")) for name, r in data["records"].items()}
    sim = None
    if method == "semantic":
        from moa_core.agreement import embeddings
        from moa_core.agreement.semantic import SEMANTIC, SemanticScorer
        try:
            sim = SemanticScorer([], [])  # embeds each claim's candidate sentences as verdicts need them
        except embeddings.EmbeddingUnavailable as exc:
            print(f"embedding model unavailable ({exc}); lexical", file=sys.stderr)
    out = []
    for case in data["cases"]:
        record = records[case["record"]]
        link = verdict(case["claim"], record, sim, SEMANTIC) if sim else verdict(case["claim"], record)
        out.append((case, link))
    return out


def score(results: list[tuple[dict, object]]) -> dict:
    """Per verdict: true positives, predicted, labelled, precision, recall."""
    out = {}
    for label in ("supports", "contradicts"):
        predicted = [(c, link) for c, link in results if link and PREDICTED.get(link.status) == label]
        right = [(c, link) for c, link in predicted if c["label"] == label and _cites(c, link)]
        labelled = sum(1 for c, _ in results if c["label"] == label)
        out[label] = {"tp": len(right), "predicted": len(predicted), "labelled": labelled,
                      "precision": len(right) / len(predicted) if predicted else 1.0,
                      "recall": len(right) / labelled if labelled else 1.0}
    return out


def _cites(case: dict, link) -> bool:
    want = (case.get("expect") or "").lower()
    return not want or want in link.passage.lower() or want in link.sentence.lower()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default=str(DEV))
    ap.add_argument("--method", choices=["semantic", "offline"], default="semantic")
    ap.add_argument("--errors", action="store_true", help="list every case the verdict got wrong")
    args = ap.parse_args(argv)
    data = json.loads(Path(args.file).read_text(encoding="utf-8"))
    results = run(data, args.method)
    figures = score(results)
    print(f"{Path(args.file).name}: {len(results)} cases, method {args.method}")
    for label, f in figures.items():
        print(f"  {label:<12} precision {f['precision']:.3f} ({f['tp']} of {f['predicted']})   "
              f"recall {f['recall']:.3f} ({f['tp']}/{f['labelled']})")
    if args.errors:
        for case, link in results:
            got = PREDICTED.get(link.status, "neither") if link else "neither"
            if got != case["label"] or (got != "neither" and not _cites(case, link)):
                print(f"- {case['id']} [{case['label']} -> {got}] {case['claim']}")
                if link:
                    print(f"    {link.summary}\n    sentence: {link.sentence}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
