"""Plotly labels show model labels as typed: plotly reads its text as a small markup language that converts only
&amp; &lt; &gt; (and numeric references) back, so `html.escape`'s &quot; was shown literally on the Agreement
heatmap; a tag in a label must still stay text."""
import re
from types import SimpleNamespace

from ui.agreement_view import heatmap_figure
from ui.charts import plotly_text

# plotly.js's convertEntities (svg_text_utils), as shipped in plotly's bundle: what a reader sees
_ENTITIES = {"mu": "\u03bc", "amp": "&", "lt": "<", "gt": ">", "nbsp": "\xa0", "times": "\xd7", "plusmn": "\xb1",
             "deg": "\xb0"}


def shown(text: str) -> str:
    def one(m: re.Match) -> str:
        ref = m.group(1)
        if ref.startswith("#"):
            return chr(int(ref[2:], 16) if ref[1] == "x" else int(ref[1:]))
        return _ENTITIES.get(ref, m.group(0))
    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", one, text)


LABELS = ['[1] gpt "fast"', "[2] o'brien & co <b>bold</b>"]


def test_heatmap_labels_read_as_typed_and_tags_stay_text():
    fig = heatmap_figure(SimpleNamespace(similarity=[[1.0, 0.4], [0.4, 1.0]]), LABELS)
    [trace] = fig.data
    for axis in (trace.x, trace.y):
        assert [shown(label) for label in axis] == LABELS  # no &quot; on screen
        assert not any("<b>" in label for label in axis)  # plotly never sees a tag


def test_plotly_text_escapes_only_what_plotly_reads():
    assert plotly_text('say "hi" & <i>x</i>') == 'say "hi" &amp; &lt;i&gt;x&lt;/i&gt;'
    assert shown(plotly_text("it's <br> \"q\" &amp;")) == "it's <br> \"q\" &amp;"
