"""Model presets (OpenCompass's model configs) and ``--llm-list``, driven as a user drives them."""

from __future__ import annotations

import json

import pytest

from conftest import run_pytest


def record(run) -> dict:
    return json.loads((run / "llmeval.json").read_text(encoding="utf-8"))


def test_list_prints_presets_and_configs_and_collects_nothing(project):
    project.path.joinpath("llmeval_broken.toml").write_text("not toml [", encoding="utf-8")  # never collected
    result = run_pytest(project, "--llm-list")
    assert result.ret == 0, result.stdout.str()
    result.stdout.re_match_lines(
        [
            r"^Model presets \(--llm-preset NAME\)$",
            r"^hf_internlm2_chat_1_8b\s+InternLM2-Chat-1\.8B .*",
            r"^Dataset configs .*",
            r"^ceval_gen\s+ceval_gen_5f30c7\s+C-Eval gen, 52 subjects, val split\s+data/ceval/formal_ceval\s+5/52 subjects .*",
            r"^mmlu_ppl\s+mmlu_ppl_ac766d\s+MMLU ppl, 57 subjects, test split\s+data/mmlu\s+0/57 subjects .*",
        ]
    )
    # Suites are read for the custom datasets they declare, never collected; a broken one is named, not fatal.
    assert "collected" not in result.stdout.str()
    result.stdout.fnmatch_lines(["suite not read: */llmeval_broken.toml: not valid TOML*"])


def test_list_patterns_filter(project):
    result = run_pytest(project, "--llm-list", "*_ppl")
    names = [
        line.split()[0]
        for line in result.stdout.lines
        if line.endswith(("subjects (OpenCompassData-core-20240207.zip)", "yes"))
    ]
    assert names == [
        "ceval_ppl",
        "mmlu_ppl",
        "cmmlu_ppl",
        "hellaswag_ppl",
        "ARC_c_ppl",
        "ARC_e_ppl",
        "piqa_ppl",
        "siqa_ppl",
        "race_ppl",
        "SuperGLUE_BoolQ_ppl",
    ]
    assert "Model presets" not in result.stdout.str()


def test_chat_preset_with_an_overriding_option(project, run_llm, tiny_model, last_run):
    """The preset's ChatML meta template, batch size and abbr apply; --llm-max-out-len given by the user wins."""
    result = run_llm(tiny_model, "--llm-preset", "hf_internlm2_chat_1_8b", "--llm-max-out-len", "4", "-k", "law")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["llmeval: preset hf_internlm2_chat_1_8b, meta template chatml, trust_remote_code=True from the preset*"]
    )
    run = last_run()
    settings = record(run)["settings"]
    assert (settings["max_out_len"], settings["batch_size"], settings["max_seq_len"]) == (4, 8, 2048)
    assert settings["model_abbr"] == "internlm2-chat-1.8b-hf"
    assert settings["model_kwargs"] == {"trust_remote_code": True, "device_map": "auto"}
    assert settings["tokenizer_kwargs"]["padding_side"] == "left"
    (predictions,) = (run / "predictions" / "internlm2-chat-1.8b-hf").glob("ceval-law.json")
    prompt = json.loads(predictions.read_text(encoding="utf-8"))["0"]["origin_prompt"]
    assert prompt.startswith("<|im_start|>user\n以下是中国关于法学考试")
    assert "答案: <|im_end|>\n<|im_start|>assistant\nB<|im_end|>\n<|im_start|>user\n" in prompt
    assert prompt.endswith("答案: <|im_end|>\n<|im_start|>assistant\n")


def test_chat_preset_renders_ppl_prompts_with_its_meta_template(project, run_llm, tiny_model, last_run):
    project.path.joinpath("llmeval_sample.toml").write_text(
        '[[dataset]]\nconfig = "ceval_ppl"\nsubjects = ["law"]\n', encoding="utf-8"
    )
    result = run_llm(tiny_model, "--llm-preset", "hf_internlm2_chat_1_8b", "--llm-limit", "1")
    assert result.ret == 0, result.stdout.str()
    (predictions,) = (last_run() / "predictions").rglob("ceval-law.json")
    row = json.loads(predictions.read_text(encoding="utf-8"))["0"]
    assert row["label: C"]["prompt"].endswith("答案: <|im_end|>\n<|im_start|>assistant\nC<|im_end|>\n")


def test_ini_setting_beats_the_preset(project, run_llm, tiny_model, last_run):
    project.makeini("[pytest]\nllm_batch_size = 2\n")
    result = run_llm(tiny_model, "--llm-preset", "hf_internlm2_1_8b", "-k", "law", "--llm-limit", "2")
    assert result.ret == 0, result.stdout.str()
    settings = record(last_run())["settings"]
    assert (settings["batch_size"], settings["max_out_len"], settings["meta_template"]) == (2, 100, None)


def test_unknown_preset_is_one_line(project):
    result = run_pytest(project, "--llm-preset", "hf_internlm2_chat_1b8")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --llm-preset: unknown preset 'hf_internlm2_chat_1b8'; did you mean hf_internlm2_chat_1_8b*"]
    )
