"""The HTML report: one file with no outside requests (no CDN, no fonts), readable offline in any browser.

A sortable table (click a header; ``#sort=<column>`` in the address sorts on load), a bar per subject
(its change against the baseline, or its accuracy when there is none) drawn as inline SVG, and every flipped
question with its prompt. Every piece of dataset or model text is escaped: it is shown, never interpreted.
"""

from __future__ import annotations

from html import escape

from pytest_llmeval.judging.verdict import gate_rule
from pytest_llmeval.reports.files import CHANGE_HEADER, Report, change_cells

STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328}
h1{font-size:20px}h1.failed{color:#b42318}h1.passed{color:#1a7f37}
table{border-collapse:collapse;margin:8px 0 20px}th,td{padding:3px 10px;border-bottom:1px solid #d0d7de;text-align:left}
td:first-child{white-space:nowrap}th{cursor:pointer;background:#f6f8fa;user-select:none}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.fail td{background:#ffebe9}.neg{color:#b42318}.pos{color:#1a7f37}
pre{white-space:pre-wrap;background:#f6f8fa;padding:8px;max-width:110ch}code{background:#f6f8fa}
svg text{font:11px system-ui,sans-serif}
"""

SCRIPT = """
function sortBy(table, column, descending) {
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const key = r => { const c = r.cells[column]; const v = c.dataset.value ?? c.textContent;
                     const n = parseFloat(v); return isNaN(n) ? v : n; };
  rows.sort((a, b) => { const x = key(a), y = key(b);
    const order = (typeof x === typeof y) ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1);
    return descending ? -order : order; });
  rows.forEach(r => body.appendChild(r));
  table.dataset.sorted = table.tHead.rows[0].cells[column].dataset.name + (descending ? ':desc' : ':asc');
}
document.querySelectorAll('table.sortable').forEach(table => {
  Array.from(table.tHead.rows[0].cells).forEach((th, i) => th.addEventListener('click', () => {
    sortBy(table, i, table.dataset.sorted === th.dataset.name + ':asc'); }));
});
const wanted = new URLSearchParams(location.hash.slice(1)).get('sort');
if (wanted) { const table = document.getElementById('results');
  const th = Array.from(table.tHead.rows[0].cells).findIndex(c => c.dataset.name === wanted);
  if (th >= 0) sortBy(table, th, false); }
"""


def _td(value: object, *, number: float | None = None, css: str = "") -> str:
    attrs = f' data-value="{number!r}"' if number is not None else ""
    classes = " ".join(c for c in ("num" if number is not None else "", css) if c)
    return f"<td{attrs}{f' class={chr(34)}{classes}{chr(34)}' if classes else ''}>{escape(str(value))}</td>"


def _worse(flip: dict) -> bool:
    """A flip that lost: right→wrong, or fewer points than in the baseline."""
    points = flip.get("points")
    return points[1] < points[0] if points else flip["direction"] == "right→wrong"


def _sign(value: float) -> str:
    return "neg" if value < 0 else "pos" if value > 0 else ""


def chart(report: Report) -> str:
    """Horizontal bars, one per subject: the change in points (or the accuracy when there is no baseline)."""
    comparison = report.comparison
    if comparison is not None:
        bars = [(r.name, r.delta) for r in comparison.rows if r.kind == "subject"]
        title = "change against the baseline, points"
    else:
        bars = [(r.name, r.value) for r in report.summary.subject_rows if r.value is not None]
        title = "accuracy, %"
    if not bars:
        return ""
    label_width, bar_width, height = 260, 360, 18
    scale = max((abs(value) for _, value in bars), default=1.0) or 1.0
    zero = label_width + (bar_width / 2 if comparison is not None else 0)
    span = bar_width / 2 if comparison is not None else bar_width
    parts = []
    for number, (name, value) in enumerate(bars):
        y = 20 + number * height
        length = abs(value) / scale * span
        x = zero - length if value < 0 else zero
        color = "#cf222e" if value < 0 else "#2da44e"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 12}" text-anchor="end">{escape(name)}</text>'
            f'<rect class="bar" x="{x:.1f}" y="{y + 2}" width="{length:.1f}" height="{height - 5}" fill="{color}">'
            f"<title>{escape(name)}: {value:+.2f}</title></rect>"
            f'<text x="{zero + (span if comparison is not None else bar_width) + 8:.1f}" y="{y + 12}">{value:+.2f}</text>'
        )
    total_height = 30 + len(bars) * height
    axis = f'<line x1="{zero}" y1="16" x2="{zero}" y2="{total_height - 8}" stroke="#57606a"/>'
    return (
        f'<h2>{escape(title)}</h2><svg id="chart" role="img" aria-label="{escape(title)}" '
        f'width="{label_width + bar_width + 80}" height="{total_height}">'
        f'<text x="{label_width}" y="12">{escape(title)}</text>{axis}{"".join(parts)}</svg>'
    )


def render_html(report: Report) -> str:
    verdict, comparison = report.verdict, report.comparison
    changes = {row.name: row for row in comparison.rows} if comparison else {}
    header = ["dataset", "version", "metric", "mode", report.model, "min"]
    if comparison:
        header += CHANGE_HEADER
    header.append("verdict")
    head = "".join(f'<th data-name="{escape(h)}">{escape(h)}</th>' for h in header)
    body = []
    for row in report.summary.rows:
        failed = row.name in verdict.failed_rows
        cells = [_td(c) for c in row.csv_cells()[:4]]
        if row.value is None:  # not run, or no answers to score
            cells.append(_td(row.detail))
        else:
            shown = f"{row.value:.2f}" + (f" ({row.remark})" if row.remark else "")
            cells.append(_td(shown, number=row.value))
        cells.append(_td(f"{row.minimum:.2f}", number=row.minimum) if row.minimum is not None else _td(""))
        if comparison:
            change = changes.get(row.name)
            texts = change_cells(change)
            if change:
                numbers = (change.before, change.delta, change.change.right_to_wrong, change.change.wrong_to_right)
                cells += [_td(text, number=n) for text, n in zip(texts, (*numbers, change.p_adjusted))]
                cells[-4] = _td(texts[1], number=change.delta, css=_sign(change.delta))  # Δ, coloured
            else:
                cells += [_td(text) for text in texts]
        cells.append(
            _td("FAIL" if failed else "ok" if row.value is not None else "no answers" if row.unscored else "not run")
        )
        body.append(f'<tr class="row{" fail" if failed else ""}">{"".join(cells)}</tr>')
    failures = verdict.lines()
    parts = [
        f'<h1 class="{"passed" if verdict.passed else "failed"}">llmeval {report.status}: {escape(report.model)}</h1>',
        f"<p>Run <code>{escape(report.run_id)}</code>"
        + (
            f", compared with <code>{escape(comparison.path)}</code> (model {escape(comparison.model)})"
            if comparison
            else ""
        )
        + ".</p>",
    ]
    if comparison:
        parts.append(
            f"<p>A baseline gate fails on {escape(gate_rule(report.gate.max_drop, report.gate.alpha, comparison.tests))}.</p>"
        )
    if failures:
        parts.append(
            '<h2>Failed</h2><ul id="failures">'
            + "".join(f"<li><code>{escape(f)}</code></li>" for f in failures)
            + "</ul>"
        )
    parts.append(
        f'<h2>Results</h2><table id="results" class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )
    deselected = report.summary.deselected_line()
    if deselected:
        parts.append(f'<p id="deselected">{escape(deselected)}.</p>')
    if verdict.not_run:
        parts.append(
            '<h2>Not run</h2><ul id="not-run">'
            + "".join(f"<li>{escape(line)}</li>" for line in verdict.not_run)
            + "</ul>"
        )
        if verdict.allow_skip and verdict.skipped_gates:
            parts.append(
                "<p>Left unchecked, accepted with <code>--llm-allow-skip</code>:</p><ul>"
                + "".join(f"<li>{escape(line)}</li>" for line in verdict.skipped_gates)
                + "</ul>"
            )
    parts.append(chart(report))
    if comparison and comparison.notes:
        parts.append("<h2>Not compared</h2><ul>" + "".join(f"<li>{escape(n)}</li>" for n in comparison.notes) + "</ul>")
    if report.flips:
        rows = "".join(
            f'<tr class="flip">{_td(f["subject"])}{_td(f["index"], number=f["index"])}'
            f"{_td(f['direction'], css='neg' if _worse(f) else 'pos')}{_td(f['gold'])}"
            f"{_td(f['baseline_answer'])}{_td(f['answer'])}"
            f"<td><details><summary>prompt and output</summary><pre>{escape(f['prompt'])}</pre>"
            f"<pre>{escape(f['prediction'])}</pre></details></td></tr>"
            for f in report.flips
        )
        flip_head = "".join(
            f'<th data-name="{h}">{h}</th>' for h in ("subject", "#", "change", "gold", "baseline", "now", "")
        )
        parts.append(
            f'<h2>{len(report.flips)} question(s) changed</h2><table id="flips" class="sortable">'
            f"<thead><tr>{flip_head}</tr></thead><tbody>{rows}</tbody></table>"
        )
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>llmeval {escape(report.status)}: '
        f"{escape(report.model)}</title><style>{STYLE}</style></head><body>{''.join(parts)}"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
