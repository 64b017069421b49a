"""The Markdown report: what a reviewer reads in a pull request (and in GitHub's job summary)."""

from __future__ import annotations

from pytest_llmeval.judging.verdict import gate_rule, p_text
from pytest_llmeval.reports.files import CHANGE_HEADER, Report, change_cells

WORST = 5  # subjects listed under "largest drops"
FLIPS_SHOWN = 50  # the flips file has them all


def cell(text: object) -> str:
    """Table-cell safe: one line, pipes escaped, no HTML or Markdown markup interpreted."""
    shown = " ".join(str(text).split())
    for char in "\\`*_[]<>|":
        shown = shown.replace(char, "\\" + char)
    return shown


def render_markdown(report: Report) -> str:
    verdict, comparison = report.verdict, report.comparison
    mark = "✅" if verdict.passed else "❌" if verdict.complete else "⚠️"
    lines = [f"## {mark} llmeval {report.status}: {cell(report.model)}", ""]
    lines.append(
        f"Run `{report.run_id}`"
        + (f", compared with `{cell(comparison.path)}` (model {cell(comparison.model)})" if comparison else "")
        + "."
    )
    if comparison:
        lines += [
            "",
            f"A baseline gate fails on {gate_rule(report.gate.max_drop, report.gate.alpha, comparison.tests)}.",
        ]
    failures = verdict.lines()
    if failures:
        lines += ["", "### Failed", ""] + [f"- {cell(line)}" for line in failures]
    changes = {row.name: row for row in comparison.rows} if comparison else {}
    header = ["dataset", "version", "metric", "mode", report.model, "min"]
    if comparison:
        header += CHANGE_HEADER
    lines += [
        "",
        "### Results",
        "",
        "| " + " | ".join(cell(h) for h in header) + " | |",
        "|" + "---|" * (len(header) + 1),
    ]
    for row in report.summary.rows:
        value = f"{row.value:.2f}" + (f" ({row.remark})" if row.remark else "") if row.value is not None else row.detail
        cells = [*row.csv_cells()[:4], value]
        cells.append(f"{row.minimum:.2f}" if row.minimum is not None else "")
        if comparison:
            cells += change_cells(changes.get(row.name))
        status = "❌" if row.name in verdict.failed_rows else ""
        lines.append("| " + " | ".join(cell(c) for c in cells) + f" | {status} |")
    deselected = report.summary.deselected_line()
    if deselected:
        lines += ["", f"{deselected}."]
    if verdict.not_run:
        lines += ["", "### Not run", ""] + [f"- {cell(line)}" for line in verdict.not_run]
        if verdict.allow_skip and verdict.skipped_gates:
            lines += ["", "Left unchecked, accepted with `--llm-allow-skip`:", ""]
            lines += [f"- {cell(line)}" for line in verdict.skipped_gates]
    if comparison:
        overall = [row for row in comparison.rows if row.kind == "overall"]
        for row in overall:
            lines += [
                "",
                f"All compared questions: {row.before:.2f} → {row.after:.2f} ({row.delta:+.2f} pts, p={p_text(row.p_adjusted)}).",
            ]
        worst = sorted((r for r in comparison.rows if r.kind == "subject" and r.delta < 0), key=lambda r: r.delta)
        if worst:
            lines += ["", "### Largest drops", ""]
            lines += [
                f"- {cell(r.name)}: {r.before:.2f} → {r.after:.2f} ({r.delta:+.2f} pts, "
                f"{r.change.right_to_wrong} {r.change.words[0]}, {r.change.wrong_to_right} {r.change.words[1]})"
                for r in worst[:WORST]
            ]
        if comparison.notes:
            lines += ["", "### Not compared", ""] + [f"- {cell(note)}" for note in comparison.notes]
        if report.flips:
            lines += ["", f"<details><summary>{len(report.flips)} question(s) changed</summary>", ""]
            lines += ["| subject | # | change | gold | baseline | now |", "|---|---|---|---|---|---|"]
            for flip in report.flips[:FLIPS_SHOWN]:
                values = (
                    flip["subject"],
                    flip["index"],
                    flip["direction"],
                    flip["gold"],
                    flip["baseline_answer"],
                    flip["answer"],
                )
                lines.append("| " + " | ".join(cell(v) for v in values) + " |")
            if len(report.flips) > FLIPS_SHOWN:
                lines.append(f"\n{len(report.flips) - FLIPS_SHOWN} more in `flips.json` of the run folder.")
            lines += ["", "</details>"]
    for line in verdict.unchecked:
        lines += ["", f"Not checked: {cell(line)}"]
    return "\n".join(lines) + "\n"
