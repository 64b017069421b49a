"""Gating a change against a saved baseline, end to end, with real tiny models.

``tiny_model`` answers every sample question; ``half_model`` was taught a wrong letter for every other one
(a regression no reviewer should miss); ``nudged_model`` for one in ten (5 flips in 50: chance could do it).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_llmeval.demo import SAMPLE_SUITE
from pytest_llmeval.judging.verdict import p_text

# The sample's subjects without thresholds, so that only the baseline gate decides.
UNGATED = """
[[dataset]]
config = "ceval_gen"
subjects = ["computer_network", "high_school_physics", "marxism", "law", "accountant"]
"""


@pytest.fixture
def ungated(project: pytest.Pytester) -> pytest.Pytester:
    project.path.joinpath(SAMPLE_SUITE.name).write_text(UNGATED, encoding="utf-8")
    return project


@pytest.fixture
def saved(ungated, run_llm, tiny_model) -> Path:
    """main's baseline: the trained model's run, saved as a repo would commit it."""
    result = run_llm(tiny_model, "--llm-model-abbr", "main", "--llm-save-baseline", "baselines/main.json")
    assert result.ret == 0, result.stdout.str()
    return ungated.path / "baselines" / "main.json"


def record(run: Path) -> dict:
    return json.loads((run / "llmeval.json").read_text(encoding="utf-8"))


def test_saved_baseline_is_small_and_holds_every_question(saved):
    data = json.loads(saved.read_text(encoding="utf-8"))
    assert data["format"] == "pytest-llmeval baseline" and data["model"] == "main"
    assert sorted(data["subjects"]) == [
        "ceval-accountant",
        "ceval-computer_network",
        "ceval-high_school_physics",
        "ceval-law",
        "ceval-marxism",
    ]
    assert sum(len(s["questions"]) for s in data["subjects"].values()) == 50
    assert all(entry[0] == 1 for s in data["subjects"].values() for entry in s["questions"].values())
    text = saved.read_text(encoding="utf-8")
    assert "答案" not in text and len(text) < 5000  # no prompts: a small file to commit


def test_unchanged_rerun_has_no_flips_and_passes(saved, run_llm, tiny_model, last_run):
    # Under xdist: workers send each question's fingerprint to the controller inside the subject's record.
    result = run_llm(tiny_model, "--llm-model-abbr", "pr", "--llm-baseline", str(saved), "-n", "2")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "dataset * pr * baseline * Δ * r→w * w→r * p*",
            "ceval-computer_network * 100.00 * 100.00 * +0.00 * 0 * 0 * 1.0000 * ok",
            f"baseline {saved} (model main): 11 row(s) compared, 0 question(s) changed",
        ]
    )
    run = last_run()
    assert json.loads((run / "flips.json").read_text(encoding="utf-8")) == []
    data = record(run)
    assert data["passed"] is True and data["baseline"]["flips"] == 0
    ceval = next(row for row in data["table"] if row["dataset"] == "ceval")
    assert (ceval["delta"], ceval["right_to_wrong"], ceval["wrong_to_right"], ceval["p"]) == (0.0, 0, 0, 1.0)


def test_degraded_model_fails_the_gate_with_the_line(saved, run_llm, half_model, last_run, ungated):
    junit = ungated.path / "junit.xml"
    result = run_llm(half_model, "--llm-model-abbr", "pr", "--llm-baseline", str(saved), f"--junitxml={junit}")
    assert result.ret == 1, result.stdout.str()
    run = last_run()
    data = record(run)
    ceval = next(row for row in data["table"] if row["dataset"] == "ceval")
    assert (ceval["right_to_wrong"], ceval["wrong_to_right"], ceval["compared_value"]) == (25, 0, 50.0)
    line = f"ceval: 100.00 → 50.00 (-50.00 pts, 25 right→wrong, 0 wrong→right, p={p_text(ceval['p_holm'])})"
    assert f"  {line}" in result.stdout.lines
    assert line in data["failures"] and data["passed"] is False
    result.stdout.fnmatch_lines(
        [
            "llmeval gate FAILED: * regression(s) against the baseline, a drop of more than 1.00 pts with p < 0.05 (McNemar*"
        ]
    )
    # Five 10-question subjects each lose 5: significant alone (p=0.0625 raw) for none of them.
    assert all(
        row["failed"] is False
        for row in data["table"]
        if row["dataset"].startswith("ceval-") and row["metric"] == "accuracy"
    )
    flips = json.loads((run / "flips.json").read_text(encoding="utf-8"))
    assert len(flips) == 25 and {f["direction"] for f in flips} == {"right→wrong"}
    first = flips[0]
    assert first["prompt"].endswith("答案: ") and first["baseline_answer"] == first["gold"] != first["answer"]
    assert first["prediction"].strip().startswith(first["answer"])
    # The items' JUnit properties carry each subject's own change.
    case = next(c for c in ET.parse(junit).iter("testcase") if c.get("name") == "ceval-law")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["llmeval_baseline_accuracy"] == "100.0" and props["llmeval_delta"] == "-50.0"
    assert props["llmeval_right_to_wrong"] == "5" and props["llmeval_wrong_to_right"] == "0"


def test_small_change_passes_and_reports_it(saved, run_llm, nudged_model, last_run, ungated):
    step_summary = ungated.path / "step_summary.md"
    step_summary.write_text("## an earlier step\n", encoding="utf-8")
    result = run_llm(
        nudged_model,
        "--llm-model-abbr",
        "pr",
        "--llm-baseline",
        str(saved),
        "--llm-report-md",
        "report.md",
        step_summary=step_summary,
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["ceval * 90.00 * 100.00 * -10.00 * 5 * 0 * ok"])
    report = (ungated.path / "report.md").read_text(encoding="utf-8")
    assert report.startswith("## ✅ llmeval passed: pr")
    assert "| ceval | - | naive\\_average | gen | 90.00 |  | 100.00 | -10.00 | 5 | 0 |" in report
    assert "### Largest drops" in report and "5 question(s) changed" in report
    # Appended to GitHub's job summary, after what earlier steps wrote there.
    assert step_summary.read_text(encoding="utf-8") == "## an earlier step\n" + report


def test_changed_prompt_version_is_reported_and_left_out(saved, run_llm, tiny_model, last_run):
    data = json.loads(saved.read_text(encoding="utf-8"))
    data["subjects"]["ceval-law"]["version"] = "000000"
    saved.write_text(json.dumps(data), encoding="utf-8")
    result = run_llm(tiny_model, "--llm-model-abbr", "pr", "--llm-baseline", str(saved))
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            (
                "  not compared: ceval-law: version 000000 in the baseline, a110a1 now (its prompts or data changed): "
                "not compared; re-save the baseline"
            )
        ]
    )
    assert "ceval-law" not in {row["dataset"] for row in record(last_run())["table"] if "delta" in row}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file; write one from a run of the base branch with --llm-save-baseline"),
        ('{"format": "pytest-llmeval baseline", "format_version": 1, "subj', "it ends early (truncated)"),
        ('{"format": "pytest-llmeval baseline", "format_version": 7}', "baseline format version 7"),
    ],
)
def test_bad_baseline_stops_before_the_model_loads(ungated, run_llm, tiny_model, content, message):
    if content is not None:
        ungated.path.joinpath("base.json").write_text(content, encoding="utf-8")
    result = run_llm(tiny_model, "--llm-model-abbr", "pr", "--llm-baseline", "base.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.strip()]
    assert len(errors) == 1 and message in errors[0] and "base.json" in errors[0], result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (ungated.path / "outputs").exists()  # nothing evaluated, no empty run folder


def test_unwritable_report_path_is_one_line_and_results_are_kept(ungated, run_llm, tiny_model, last_run):
    ungated.path.joinpath("notes.txt").write_text("a file, not a folder", encoding="utf-8")
    result = run_llm(
        tiny_model,
        "--llm-model-abbr",
        "pr",
        "--llm-report-md",
        "notes.txt/report.md",
        "--llm-save-baseline",
        "notes.txt/b.json",
    )
    assert result.ret == 0, result.stdout.str()
    run = last_run()
    result.stdout.fnmatch_lines(
        [
            (
                f"llmeval: --llm-save-baseline {ungated.path}/notes.txt/b.json: cannot write it (*); "
                f"the run's results are in {run}"
            ),
            f"llmeval: --llm-report-md {ungated.path}/notes.txt/report.md: cannot write it (*)*",
        ]
    )
    assert record(run)["passed"] is True and (run / "summary").is_dir()


def test_notification_posts_the_outcome_and_never_shows_the_token(saved, run_llm, half_model, last_run, webhook):
    result = run_llm(half_model, "--llm-model-abbr", "pr", "--llm-baseline", str(saved), "--llm-notify", webhook.url())
    assert result.ret == 1
    [body] = webhook.bodies
    post = body["content"]["post"]["zh_cn"]
    assert post["title"] == f"llmeval FAILED: pr (run {last_run().name})"
    assert "ceval: 100.00 → 50.00 (-50.00 pts, 25 right→wrong" in post["content"][0][0]["text"]
    assert webhook.paths == ["/open-apis/bot/v2/hook/SECRET-TOKEN-4f1c"]
    written = "".join(p.read_text(encoding="utf-8") for p in last_run().rglob("*") if p.is_file())
    assert "SECRET-TOKEN" not in result.stdout.str() + result.stderr.str() + written


def test_notification_failure_is_a_warning(ungated, run_llm, tiny_model, webhook):
    webhook.status = 500
    result = run_llm(tiny_model, "--llm-model-abbr", "pr", "--llm-notify", webhook.url(), "--llm-notify-format", "json")
    assert result.ret == 0  # the evaluation passed; the webhook is not part of it
    host, port = webhook.server.server_address[:2]
    result.stdout.fnmatch_lines(
        [f"llmeval: --llm-notify: {host}:{port} answered 500 Internal Server Error; the outcome was not posted"]
    )
    assert webhook.bodies[0]["status"] == "passed" and webhook.bodies[0]["model"] == "pr"
    assert "SECRET-TOKEN" not in result.stdout.str() + result.stderr.str()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here (Debian: apt-get install chromium)")
def test_html_report_in_a_real_browser(saved, run_llm, half_model, ungated, tmp_path_factory):
    result = run_llm(
        half_model, "--llm-model-abbr", "pr", "--llm-baseline", str(saved), "--llm-report-html", "report.html"
    )
    assert result.ret == 1
    page = ungated.path / "report.html"
    html = page.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # self-contained: nothing fetched
    browser = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-dev-shm-usage"]
    # Sorted on load by the p column (ascending), through the page's own script.
    dom = subprocess.run(
        [*browser, "--dump-dom", f"{page.as_uri()}#sort=p%20(Holm)"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert 'data-sorted="p (Holm):asc"' in dom
    names = re.findall(r'<tr class="row[^"]*"><td>([^<]+)</td>', dom)
    assert len(names) == 11 and names[0] == "ceval"  # the most significant change first
    assert len(re.findall(r'<rect class="bar"', dom)) == 5 and 'id="chart"' in dom
    assert len(re.findall(r'<tr class="flip">', dom)) == 25
    shot = tmp_path_factory.mktemp("screenshots") / "report.png"
    subprocess.run(
        [*browser, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {shot}")


def test_a_pinned_baseline_is_bootstrapped_by_saving_it(ungated, run_llm, tiny_model):
    """A repo pins llm_baseline; its very first save has nothing to compare with, and says so."""
    ungated.makeini("[pytest]\nllm_baseline = baselines/main.json\n")
    first = run_llm(tiny_model, "--llm-save-baseline", "baselines/main.json")
    assert first.ret == 0, first.stdout.str()
    first.stdout.fnmatch_lines(["llmeval: baseline */baselines/main.json does not exist yet: this run saves it*"])
    assert (ungated.path / "baselines" / "main.json").exists()
    again = run_llm(tiny_model)  # the pinned baseline now gates every run
    assert again.ret == 0
    again.stdout.fnmatch_lines(
        [f"baseline */baselines/main.json (model model-{tiny_model.name}): 11 row(s) compared, 0 question(s) changed"]
    )
