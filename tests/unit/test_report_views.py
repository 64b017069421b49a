"""The Markdown and HTML reports: what they show, and that dataset or model text is shown, never interpreted."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from pytest_llmeval.judging.compare import Comparison, Flip, RowChange
from pytest_llmeval.judging.stats import PairedChange
from pytest_llmeval.judging.summary import Row, Summary
from pytest_llmeval.judging.verdict import Verdict
from pytest_llmeval.reports.files import Report
from pytest_llmeval.reports.html import render_html
from pytest_llmeval.reports.markdown import render_markdown
from pytest_llmeval.settings import Gate, Settings

NASTY = "<script>alert(1)</script> | [bold red]x[/] `tick`"
SUMMARY = Summary(
    (
        Row("ceval-law", "a110a1", "accuracy", "gen", 40.0, None, "4/10"),
        Row("ceval-marxism", "cf874c", "accuracy", "gen", 90.0, None, "9/10"),
    ),
    (Row("ceval", "-", "naive_average", "gen", 65.0, 60.0, "2 subjects"),),
)
ROWS = (
    RowChange("ceval-law", "subject", 80.0, 40.0, PairedChange(10, 8, 4, 4, 0), 0.25),
    RowChange("ceval-marxism", "subject", 80.0, 90.0, PairedChange(10, 8, 9, 0, 1), 1.0),
    RowChange("ceval", "group", 80.0, 65.0, PairedChange(20, 16, 13, 4, 1), 0.56),
)
FLIP = Flip("ceval-law", 3, "0" * 16, "A", "A", "B", NASTY, fixed=False)
FLIPS = (
    {
        "subject": "ceval-law",
        "index": 3,
        "direction": "right→wrong",
        "gold": "A",
        "baseline_answer": "A",
        "answer": NASTY,
        "prediction": NASTY,
        "prompt": "问题 " + NASTY,
        "key": "0" * 16,
    },
)
REPORT = Report(
    Path("/runs/RUN1"),
    "pr",
    Settings(model=None, tokenizer=None, model_abbr="pr"),
    Gate(),
    SUMMARY,
    Verdict(),
    Comparison("baselines/main.json", "main", ROWS, (FLIP,), ("ceval-hard: " + NASTY,)),
    FLIPS,
)


def test_markdown_table_and_changes():
    text = render_markdown(REPORT)
    assert text.startswith("## ✅ llmeval passed: pr\n")
    assert "| ceval-law | a110a1 | accuracy | gen | 40.00 |  | 80.00 | -40.00 | 4 | 0 | 0.2500 |  |" in text
    assert "| ceval | - | naive\\_average | gen | 65.00 | 60.00 | 80.00 | -15.00 | 4 | 1 | 0.5600 |  |" in text
    assert "- ceval-law: 80.00 → 40.00 (-40.00 pts, 4 right→wrong, 0 wrong→right)" in text  # largest drops
    assert "ceval-marxism: 80.00 → 90.00" not in text  # an improvement is not a drop
    # Pipes cannot split a cell, tags and markup stay literal text.
    assert "\\<script\\>alert(1)\\</script\\> \\| \\[bold red\\]x\\[/\\] \\`tick\\`" in text
    assert "<script>" not in text


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.scripts += tag == "script"

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escapes_everything():
    html = render_html(REPORT)
    parsed = Parsed()
    parsed.feed(html)
    assert parsed.scripts == 1  # the page's own sorting script, and no other
    assert parsed.tags.count("rect") == 2  # one bar per compared subject
    assert "http://" not in html and "https://" not in html
    assert NASTY in "".join(parsed.text)  # shown as text
    assert '<tr class="row fail">' not in html and html.count('<tr class="row">') == 3
