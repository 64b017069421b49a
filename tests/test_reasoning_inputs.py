"""A bad GSM8K row stops the run with one line naming the file and row, before the model loads."""

from __future__ import annotations

import json


def test_a_gsm8k_row_without_its_final_number_stops_the_run(run_llm, project, untrained_model):
    rows = [{"question": "1+1?", "answer": "2\n#### 2"}, {"question": "2+2?", "answer": "It is 4."}]
    folder = project.path / "data" / "gsm8k"
    folder.mkdir(parents=True)
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    result = run_llm(untrained_model, "--llm-datasets", "gsm8k_gen")
    assert result.ret != 0
    output = result.stdout.str() + result.stderr.str()
    assert output.startswith('ERROR: data/gsm8k/test.jsonl:2: row 1: the answer has no "#### " before its final')
    assert len(output.strip().splitlines()) == 1
    assert "Traceback" not in output and "model load" not in output
