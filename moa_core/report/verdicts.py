"""The document verdicts as a reader is shown them, one wording for the app and every report format.

Only the engine's `supported` is support and only `contradicts` is a contradiction; `superseded` (the
sentence matches a clause a later document replaced) and `related` (a passage on the topic that
settles nothing) are notes, never support. A synthesis sentence gets ONE verdict: "no proposal says
this" and what the documents say are folded together, so a sentence is never red "unsupported" and
green "in the document" at once. Pure: plain text out; the callers escape it for their format.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

TONES = ("supported", "contradicts", "unsupported", "superseded", "related")
NOT_FROM_PROPOSALS = "no proposal says this"


@dataclass(frozen=True)
class Verdict:
    """One line about one sentence: `tone` picks the colour (green, red, red, neutral, grey), `text` is
    the engine's summary line, `link` the DocumentLink behind it (its passage to open), if any."""
    tone: str
    text: str
    link: object | None = None

    @property
    def quote(self) -> str:
        """The document's own words the verdict rests on ("" when there is no passage)."""
        return getattr(self.link, "sentence", "") or ""

    @property
    def with_quote(self) -> str:
        """The line and, for a verdict resting on a passage, the document's words: 'supported by ...: "..."'."""
        return f"{self.text}: \u201c{self.quote}\u201d" if self.quote and self.tone != "related" else self.text


def link_line(link) -> str:
    """The engine's display line for a DocumentLink, or one built from its fields when it has none."""
    if link is None:
        return ""
    if getattr(link, "summary", ""):
        return link.summary
    where = f"{link.document}, {link.location}"
    return {"supported": f"supported by {where}", "contradicts": f"contradicts {where}",
            "superseded": f"matches a clause replaced by {where}"}.get(link.status, f"related passage: {where}")


def link_verdict(link) -> Verdict | None:
    """What the documents say about one claim, toned by the engine's status alone."""
    if link is None:
        return None
    tone = link.status if link.status in TONES else "related"
    return Verdict(tone, link_line(link), link)


def sentence_verdict(sentence) -> Verdict | None:
    """The one verdict on a synthesis sentence (an `agreement.FinalSentence`): its document verdict,
    with "no proposal says this" folded in when the aggregator added it."""
    link = getattr(sentence, "document", None)
    own = link_verdict(link)
    if not sentence.unsupported:
        return own
    if own is None:
        return Verdict("unsupported", f"unsupported: {NOT_FROM_PROPOSALS}")
    if own.tone == "supported":  # the aggregator added it, and the documents say it: support, said plainly
        return Verdict("supported", f"{own.text} ({NOT_FROM_PROPOSALS})", link)
    if own.tone == "contradicts":
        return Verdict("contradicts", f"{own.text}; {NOT_FROM_PROPOSALS}", link)
    return Verdict("unsupported", f"unsupported: {NOT_FROM_PROPOSALS}; {own.text}", link)


def who(proposals: Sequence[int], labels: Sequence[str]) -> str:
    """The proposals stating a version, by their labels ("[1] alpha, [3] gamma")."""
    return ", ".join(labels[p] if p < len(labels) else f"proposal {p + 1}" for p in proposals)


def side_line(group, labels: Sequence[str]) -> str:
    """Which side of one disagreement the documents back, with the passage's words:
    '[1] alpha ("30 days ...") is backed by the documents: supported by amendment-1.docx, paragraph 4,
    which replaces ... — "Either party may ..."'. "" when the documents were not checked."""
    side = getattr(group, "document", None)
    if side is None:
        return ""
    backed = [i for i in side.backed if i < len(group.versions)]
    if len(backed) == 1:
        i = backed[0]
        link = side.versions[i] if i < len(side.versions) else None
        line = (f"The documents back {who(group.versions[i].proposals, labels)} "
                f"(\u201c{group.versions[i].text}\u201d): {link_line(link)}")
        return line + (f" \u2014 \u201c{link.sentence}\u201d" if link is not None and link.sentence else "")
    if backed:
        return "The documents support more than one version: " + "; ".join(
            f"{who(group.versions[i].proposals, labels)} (\u201c{group.versions[i].text}\u201d)" for i in backed)
    return "The documents back none of these versions"
