"""``--llm-notify``: the run's outcome posted to a webhook, in Lark/Feishu bot format or as plain JSON.

A webhook address carries its token, so it is shown only as its host; and a webhook that fails is a
warning, never a test failure: the evaluation already happened and its files are written.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from pytest_llmeval.reports.files import Report

TIMEOUT = 10.0  # seconds; a webhook slower than this is reported and the run ends anyway


def host_of(url: str) -> str:
    """What may be printed of a webhook address: its host (and port), never its path or query."""
    parts = urllib.parse.urlsplit(url)
    return parts.hostname + (f":{parts.port}" if parts.port else "") if parts.hostname else "the webhook"


def message_lines(report: Report) -> list[str]:
    verdict = report.verdict
    lines = [f"llmeval {report.status}: {report.model} (run {report.run_id})"]
    failures = verdict.lines()
    lines += failures[:20] + ([f"... and {len(failures) - 20} more"] if len(failures) > 20 else [])
    top = [row for row in report.summary.group_rows if row.value is not None] or list(report.summary.subject_rows)
    lines += [f"{row.name}: {row.value:.2f}" for row in top[:10] if row.value is not None]
    return lines


def payload(report: Report, form: str) -> dict:
    """Lark's ``post`` message (title and text), or a JSON record of the outcome."""
    if form == "lark":
        title, *rest = message_lines(report)
        text = "\n".join(rest)
        return {
            "msg_type": "post",
            "content": {"post": {"zh_cn": {"title": title, "content": [[{"tag": "text", "text": text}]]}}},
        }
    return {
        "status": report.status,
        "passed": report.verdict.passed,
        "model": report.model,
        "run_id": report.run_id,
        "failures": report.verdict.failures,
        "errors": list(report.verdict.errors),
        "table": [{"dataset": row.name, "value": row.value} for row in report.summary.rows],
    }


def post(url: str, body: dict, timeout: float = TIMEOUT) -> str | None:
    """Send ``body``; None when the webhook took it, else one line saying why not (host only)."""
    request = urllib.request.Request(
        url, data=json.dumps(body).encode("utf-8"), headers={"Content-Type": "application/json"}, method="POST"
    )
    where = f"--llm-notify: {host_of(url)}"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = response.read(65536)
    except urllib.error.HTTPError as error:
        return f"{where} answered {error.code} {error.reason}; the outcome was not posted"
    except TimeoutError:
        return f"{where} did not answer within {timeout:g}s; the outcome was not posted"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, TimeoutError):
            return f"{where} did not answer within {timeout:g}s; the outcome was not posted"
        return f"{where} could not be reached ({reason}); the outcome was not posted"
    # Lark answers 200 with a non-zero "code" when it refuses a message (a bad token, a wrong format).
    try:
        code = json.loads(answer).get("code", 0)
    except (ValueError, AttributeError):
        code = 0
    if code not in (0, None):
        return f"{where} refused the message (code {code}); the outcome was not posted"
    return None
