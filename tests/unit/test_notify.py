"""Webhook messages: their two formats, what is shown of the address, and every way a post can fail."""

from __future__ import annotations

from pathlib import Path

from pytest_llmeval.judging.summary import Row, Summary
from pytest_llmeval.judging.verdict import Verdict
from pytest_llmeval.reports.files import Report
from pytest_llmeval.reports.notify import host_of, payload, post
from pytest_llmeval.settings import Gate, Settings

SUMMARY = Summary(
    (Row("ceval-law", "a110a1", "accuracy", "gen", 40.0, 50.0, "4/10"),),
    (Row("ceval", "-", "naive_average", "gen", 40.0, None, "1 subject"),),
)
FAILED = Verdict(
    subject_failures=("ceval-law: accuracy 40.00 < 50.00 (4/10 correct)",), failed_rows=frozenset({"ceval-law"})
)
REPORT = Report(
    Path("/runs/RUN1"), "pr", Settings(model=None, tokenizer=None, model_abbr="pr"), Gate(), SUMMARY, FAILED
)


def test_lark_post_message():
    body = payload(REPORT, "lark")
    assert body["msg_type"] == "post"
    post_ = body["content"]["post"]["zh_cn"]
    assert post_["title"] == "llmeval FAILED: pr (run RUN1)"
    assert post_["content"] == [
        [{"tag": "text", "text": "ceval-law: accuracy 40.00 < 50.00 (4/10 correct)\nceval: 40.00"}]
    ]


def test_json_message():
    body = payload(REPORT, "json")
    assert body["status"] == "FAILED" and body["passed"] is False and body["run_id"] == "RUN1"
    assert body["failures"] == ["ceval-law: accuracy 40.00 < 50.00 (4/10 correct)"]
    assert body["table"] == [{"dataset": "ceval-law", "value": 40.0}, {"dataset": "ceval", "value": 40.0}]


def test_only_the_host_is_ever_shown():
    assert host_of("https://open.feishu.cn/open-apis/bot/v2/hook/abc-123?sign=x") == "open.feishu.cn"
    assert host_of("http://user:pw@127.0.0.1:8080/hook/t") == "127.0.0.1:8080"


def test_post_success(webhook):
    assert post(webhook.url(), {"a": 1}) is None
    assert webhook.bodies == [{"a": 1}]


def test_post_server_error_and_lark_refusal(webhook):
    host = host_of(webhook.url())
    webhook.status = 500
    assert (
        post(webhook.url(), {})
        == f"--llm-notify: {host} answered 500 Internal Server Error; the outcome was not posted"
    )
    webhook.status, webhook.answer = (
        200,
        b'{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"}',
    )
    assert (
        post(webhook.url(), {}) == f"--llm-notify: {host} refused the message (code 19001); the outcome was not posted"
    )


def test_post_timeout(webhook):
    webhook.delay = 3.0
    message = post(webhook.url(), {}, timeout=0.3)
    assert message == f"--llm-notify: {host_of(webhook.url())} did not answer within 0.3s; the outcome was not posted"


def test_post_unreachable(webhook):
    url = webhook.url()
    webhook.close()
    message = post(url, {}, timeout=2)
    assert message.startswith(f"--llm-notify: {host_of(url)} could not be reached (") and "SECRET" not in message
