"""Charts read labels as markup: model-chosen labels must show as typed; unknown prices marked briefly."""
from moa_core.metrics import run_breakdown
from moa_core.records import CallRecord, RunRecord
from ui.charts import cost_figure, timeline_figure


def _run():
    calls = [CallRecord(role="proposer", round=1, index=i, model=f"m{i}", label=label, status="ok", started_s=0.0,
                        ended_s=1.0, prompt_tokens=5, completion_tokens=5, cost_usd=None)
             for i, label in enumerate(["<b>bold</b>", "plain"])]
    return RunRecord(query="q", lineup={}, calls=calls)


def test_timeline_labels_are_shown_as_typed():
    fig = timeline_figure(run_breakdown.timeline(_run()))
    labels = [y for trace in fig.data if trace.type == "bar" for y in trace.y]
    assert "R1 [1] &lt;b&gt;bold&lt;/b&gt;" in labels and not any("<b>" in y for y in labels)
    assert list(fig.layout.yaxis.categoryarray) == sorted(labels, key=labels.index)


def test_unknown_cost_is_one_short_mark_per_bar():
    fig = cost_figure(run_breakdown.cost_breakdown(_run()))
    marks = [a.text for a in fig.layout.annotations]
    assert marks == ["+ ?", "+ ?"]
    assert {a.hovertext for a in fig.layout.annotations} == {"no known price: m0", "no known price: m1"}
