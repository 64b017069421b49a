"""Side-by-side speed of one evaluation, every variant in its own process on the same model and data.

    python benchmarks/speed.py [--data ../shared/data] [--workdir /tmp/llmeval-bench] [--limit N] [--threads N]
                               [--configs ceval_gen ceval_ppl hellaswag_ppl ARC_c_ppl hellaswag_10shot_ppl_59c85e
                                          winogrande_5shot_ll_252f01]

For each config: (a) the reference loop (OpenCompass's: batches of 4 in file order, every label of a ppl
question scored separately as its whole prompt, an ll question's likewise with its continuation; the plugin's --llm-no-prefix-cache path, run in-process), (b)
the plugin cold (`pytest --llm-datasets CONFIG`, empty result cache: pytest start-up and the model load
included), (c) the plugin warm (the same command again), and the floor, one bare batched forward pass (batches
of 4, file order) per question:

- C-Eval (ceval_gen, ceval_ppl: five shots, a ppl question's labels differing in their last token only) and
  HellaSwag 10-shot (hellaswag_10shot_ppl_59c85e: ten pool shots, the same for every question, labels differing
  in their last token) and Winogrande 5-shot (winogrande_5shot_ll_252f01: five pool shots, the same for every
  question, two label sentences scored in ll): (d) a forward pass per prompt (a ppl or ll question's first label
  prompt), last-position logits only, and (e) the same with each subject's shared prefix (its shots) run once
  and its KV cache reused;
- configs with OpenCompass's own stop strings (triviaqa_wiki_1shot_gen_20a989, nq_open_1shot_gen_20a989: one
  shot, 50 new tokens, stop at "Q:" or a newline): (a) is OpenCompass's loop, each batch of 4 generating until
  every row has stopped (each row's text cut at its own stop, OpenCompass's text at batch size 1, so the
  predictions compare), run on a base-like model that stops as a base model does; (d) and (e) as for C-Eval;
- zero-shot option configs (hellaswag_ppl, ARC_c_ppl, …: every label's prompt is the context followed by a
  long option text): (d) a forward pass over each question's longest option prompt, with the full logits the
  model returns by default and nothing else: what scoring one of the question's prompts costs, below which
  no exact scoring of all its options can go. There is no subject-wide prefix to share, so (e) does not apply
  and is not run.

Reported: the subset run, wall time, questions/s, prompt tokens/s (the tokens of every label's whole prompt,
which the reference runs), peak memory of the process, the ratios to (a) and to the floors, the tokens each
approach runs (option configs: the reference's, the floor's longest prompts, the plugin's packed rows), the
plugin's own timing line (model load vs questions), and every question whose prediction differs between (a)
and (b). The subset: the first --limit questions of each subject (all when not given), except that
hellaswag_ppl runs its first 1000 questions, hellaswag_10shot_ppl_59c85e its first 100 and
winogrande_5shot_ll_252f01 its first 400 unless --limit says otherwise; ARC_c_ppl runs all 295.

Option configs and winogrande_5shot_ll_252f01 also get the scoring alone, in one process on one loaded model:
(a') the reference, (b') the plugin's ``label_scores`` / ``label_loglikelihoods`` (packed rows, or the shots run
once) and (d') the floor, interleaved --repeats times (3), medians reported. (a)-(d) include
what every pytest run pays once (imports, the model load, reading data, writing files: the warm run (c) is
most of it); (a')-(d') are what grows with the model and the dataset.

The model is a randomly initialised Llama of about 8M parameters with an 8k byte-level BPE vocabulary trained
on the data's own text, built offline on first use: on C-Eval's text for the C-Eval configs, and a second one
of the same size on HellaSwag's and ARC-Challenge's text (both files needed) for the others. The machine is
shared and noisy: read ratios, and run it twice before trusting a figure. On a machine whose cores other
processes keep busy, torch's default of one thread per core makes every operator wait for a descheduled thread
(tiny operators run tens of times slower, and how much slower changes with the load): --threads 1 gives every
variant one thread, for figures that measure the work rather than the contention.

    python benchmarks/speed.py --stop [--gsm8k-limit 100] [--limit N]

The answer-is-fixed stop instead: for gsm8k_gen (its first --gsm8k-limit questions) and ceval_gen, on two
models, (a) the reference loop decoding every prompt to the end (batches of 4, file order), (b) the plugin as
shipped (it stops each sequence once its answer is fixed) and (c) the plugin with --llm-full-output, every
question's answer and correctness compared across the three, and the decode steps per question each took. The
models: the random 8M model above, which never settles an answer early, and ``tiny_base``'s base-like model,
which answers in the few-shot format and then writes on into the next question, as base models do.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZE = {"vocab": 8000, "hidden": 256, "layers": 4}
# The stated subset of a config when --limit is not given: the first N questions of each subject.
DEFAULT_LIMITS = {"hellaswag_ppl": 1000, "hellaswag_10shot_ppl_59c85e": 100, "winogrande_5shot_ll_252f01": 400}
# The English model's vocabulary is trained on these files (below the data folder), whichever configs run.
ENGLISH_CORPUS = ("hellaswag/hellaswag.jsonl", "ARC/ARC-c/ARC-Challenge-Dev.jsonl")


def build_model(workdir: Path, data: Path) -> Path:
    from pytest_llmeval.tiny import Size, build_model

    out = workdir / "model-8m"
    if (out / "config.json").exists():
        return out
    root = data / "ceval" / "formal_ceval"
    corpus = [p.read_text(encoding="utf-8") for split in ("dev", "val") for p in sorted((root / split).glob("*.csv"))]
    return build_model(out, corpus, [], train=False, size=Size(**SIZE))


def build_english_model(workdir: Path, data: Path) -> Path:
    """The same model as ``build_model``, its vocabulary trained on HellaSwag's and ARC-Challenge's questions and
    options (read as the plugin reads them) and the ppl templates' scaffolding."""
    from pytest_llmeval.datasets.benchmarks import ARC_C, HELLASWAG
    from pytest_llmeval.tiny import Size, build_model

    out = workdir / "model-8m-en"
    if (out / "config.json").exists():
        return out
    hellaswag, arc = (data / name for name in ENGLISH_CORPUS)
    questions = [*HELLASWAG.read(hellaswag, HELLASWAG.test_split), *ARC_C.read(arc, ARC_C.test_split)]
    corpus = [f"{q.question}\n" + "\n".join(q.choices) for q in questions] + ["Question: ", "\nAnswer: "]
    return build_model(out, corpus, [], train=False, size=Size(**SIZE))


def is_ceval(config: str) -> bool:
    return config.startswith("ceval")


def has_stop_strings(config: str) -> bool:
    """A config with OpenCompass's own stop strings (TriviaQA, NQ-open): its rows end at ``Q:`` or a newline."""
    from pytest_llmeval.datasets.configs import CONFIGS

    return bool(CONFIGS[config].infer("").stopping_criteria)


def build_qa_model(workdir: Path, data: Path, config: str) -> Path:
    """``tiny_base``'s base-like model taught the config's first 8 questions: it answers in the shot's format and
    writes on into the next question, so its rows end at the stop strings, as a base model's do."""
    from pytest_llmeval.datasets.configs import CONFIGS
    from pytest_llmeval.tiny_base import build_base_model

    out = workdir / f"model-base-like-{config}"
    if (out / "config.json").exists():
        return out
    items = {config: [s.key for s in CONFIGS[config].benchmark.subjects]}
    return build_base_model(out, data, per_item=8, items=items, configs=(config,))


def model_for(config: str, workdir: Path, data: Path) -> Path:
    if is_ceval(config):
        return build_model(workdir, data)
    return build_qa_model(workdir, data, config) if has_stop_strings(config) else build_english_model(workdir, data)


def model_words(config: str) -> str:
    if has_stop_strings(config):
        return "base-like, ~0.4M parameters, taught the first 8 questions in the shot's format"
    return f"~8M parameters, vocab {SIZE['vocab']}, trained on {'C-Eval' if is_ceval(config) else 'English'} text"


def option_config(config: str) -> bool:
    """A zero-shot ppl config (hellaswag_ppl, ARC_c_ppl, …): each label's prompt is the context and an option."""
    from pytest_llmeval.datasets.configs import CONFIGS

    return CONFIGS[config].mode == "ppl" and CONFIGS[config].shots == 0


def is_ppl(config: str) -> bool:
    """A config that scores label prompts (ppl or ll) rather than generating."""
    from pytest_llmeval.datasets.configs import CONFIGS

    return CONFIGS[config].mode in ("ppl", "ll")


def is_ll(config: str) -> bool:
    from pytest_llmeval.datasets.configs import CONFIGS

    return CONFIGS[config].mode == "ll"


def scored_alone(config: str) -> bool:
    """Configs that get the scoring-alone figures (a')-(d'): the option configs and Winogrande 5-shot."""
    return option_config(config) or config == "winogrande_5shot_ll_252f01"


def limit_for(config: str, limit: int | None) -> int | None:
    return limit if limit is not None else DEFAULT_LIMITS.get(config)


def missing_data(config: str, data: Path) -> list[Path]:
    """The files (or folder) ``config`` needs that are not under ``data``, the English model's corpus included."""
    from pytest_llmeval.datasets.configs import CONFIGS

    if is_ceval(config):
        root = data / "ceval" / "formal_ceval" / "val"
        return [] if root.is_dir() else [root]
    spec = CONFIGS[config]
    benchmark = spec.benchmark
    splits = (benchmark.test_split, benchmark.shot_split) if spec.shots else (benchmark.test_split,)
    root = data / spec.data_path
    needed = [benchmark.path(root, s.key, split) for s in benchmark.subjects for split in splits]
    needed += [data / name for name in ENGLISH_CORPUS]
    return [path for path in dict.fromkeys(needed) if not path.is_file()]


def subjects(data: Path) -> list[str]:
    from pytest_llmeval.datasets.ceval import SUBJECTS

    root = data / "ceval" / "formal_ceval"
    return [s.key for s in SUBJECTS if (root / "val" / f"{s.key}_val.csv").exists()]


# --- the variants that run in a child process -----------------------------------------------------------


def plans(config: str, data: Path, limit: int | None):
    from pytest_llmeval.datasets.plan import plan_subjects
    from pytest_llmeval.datasets.suite import make_spec

    keys = subjects(data) if config.startswith("ceval") else None
    return plan_subjects(make_spec("benchmark", config, keys), data, limit)


def settings_for(model: Path, prefix_cache: bool, full_output: bool = False):
    from pytest_llmeval.settings import Settings

    return Settings(
        model=model,
        tokenizer=model,
        model_abbr="bench",
        batch_size=4,
        prefix_cache=prefix_cache,
        full_output=full_output,
    )


def run_reference(model: Path, config: str, data: Path, limit: int | None, out: Path) -> None:
    """(a): the runner's reference path, in-process, no pytest: no shared prefix, every sequence to its end."""
    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.runner import evaluate_subject

    settings = settings_for(model, prefix_cache=False, full_output=True)
    backend = HFBackend.load(settings)
    answers, correct, predictions, tokens = {}, {}, {}, 0
    for plan in plans(config, data, limit):
        result = evaluate_subject(plan, backend, settings, "main").result
        answers[result.abbr] = [o.answer for o in result.outcomes]
        correct[result.abbr] = [o.correct for o in result.outcomes]
        predictions[result.abbr] = [o.prediction for o in result.outcomes]
        tokens += sum(o.prompt_tokens * max(len(o.scores), 1) for o in result.outcomes)
    record = {"answers": answers, "correct": correct, "predictions": predictions, "tokens": tokens}
    out.write_text(json.dumps(record), encoding="utf-8")


def run_floor(model: Path, config: str, data: Path, limit: int | None, out: Path, shared: bool) -> None:
    """(d)/(e): a forward pass per prompt (a ppl question's shared part), last-position logits, nothing else;
    option configs' (d): a forward pass over each question's longest option prompt, full logits."""
    import copy

    import torch

    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.backends.hf.prefix import _common_prefix, _prefix_groups
    from pytest_llmeval.runner import build_label_prompts, build_prompts

    settings = settings_for(model, prefix_cache=shared)
    backend = HFBackend.load(settings)
    tokenizer, net = backend.tokenizer, backend.model
    keep = backend._last_logits_only
    options = option_config(config)
    with torch.inference_mode():
        for plan in plans(config, data, limit):
            if options:
                longest = [max(ps, key=lambda p: p.tokens).text for ps in build_label_prompts(plan, backend, settings)]
                for k in range(0, len(longest), 4):
                    net(**backend.encode(longest[k : k + 4], settings.max_seq_len))
                continue
            if is_ppl(config):
                texts = [prompts[0].text for prompts in build_label_prompts(plan, backend, settings)]
            else:
                texts = [p.text for p in build_prompts(plan, backend, settings)]
            if not shared:
                for k in range(0, len(texts), 4):
                    net(**backend.encode(texts[k : k + 4], settings.max_seq_len), **keep)
                continue
            rows = tokenizer(texts)["input_ids"]
            for group in _prefix_groups(list(enumerate(rows)), key=lambda row: row):
                prefix = _common_prefix([row for _, row in group])[: min(len(r) for _, r in group) - 1]
                first = net(input_ids=torch.tensor([prefix]), use_cache=True, **keep)
                cache0 = first.get("cache", None) or first.get("past_key_values", None)
                for k in range(0, len(group), 4):
                    members = [row[len(prefix) :] for _, row in group[k : k + 4]]
                    width = max(len(m) for m in members)
                    ids = torch.zeros((len(members), width), dtype=torch.long)
                    mask = torch.ones((len(members), len(prefix) + width), dtype=torch.long)
                    for line, tail in enumerate(members):
                        ids[line, : len(tail)] = torch.tensor(tail)
                        mask[line, len(prefix) + len(tail) :] = 0
                    cache = copy.deepcopy(cache0)
                    cache.batch_repeat_interleave(len(members))
                    net(input_ids=ids, attention_mask=mask, **{backend._cache_arg: cache}, **keep)
    out.write_text("{}", encoding="utf-8")


def run_scoring(model: Path, config: str, data: Path, limit: int | None, out: Path, repeats: int) -> None:
    """Scoring alone, in one process on one loaded model, the three ways interleaved ``repeats`` times: (a') the
    reference (each label's whole prompt, batches of 4), (b') the plugin's ``label_scores`` or, in ll,
    ``label_loglikelihoods`` (packed rows or the shots run once, batches of 4 questions) and (d') the floor (a bare
    forward over each question's longest prompt, batches of 4). Start-up, imports, model load and file writing are
    left out: what remains is what a bigger model scales. The questions whose best label differs between (a') and
    (b'), and the largest score difference, are recorded too."""
    import statistics

    import torch

    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.runner import build_label_prompts

    settings = settings_for(model, prefix_cache=True)
    backend = HFBackend.load(settings)
    chosen = plans(config, data, limit)
    texts = [
        tuple(p.text for p in prompts) for plan in chosen for prompts in build_label_prompts(plan, backend, settings)
    ]
    ll = is_ll(config)
    conts = [dict(q.columns).get("cont", "") for plan in chosen for q in plan.questions or ()] if ll else []
    flat = [text for row in texts for text in row]
    flat_conts = [cont for cont, row in zip(conts, texts, strict=True) for _ in row] if ll else []
    longest = [max(row, key=backend.count_tokens) for row in texts]
    scores: dict[str, list[float]] = {}

    def reference() -> None:
        values = []
        for k in range(0, len(flat), 4):
            if ll:
                values += backend.loglikelihood(flat[k : k + 4], flat_conts[k : k + 4], settings.max_seq_len)
            else:
                values += backend.perplexity(flat[k : k + 4], settings.max_seq_len)
        scores["reference"] = values

    def plugin() -> None:
        if ll:
            rows = backend.label_loglikelihoods(texts, conts, settings.max_seq_len, 4)
        else:
            rows = backend.label_scores(texts, settings.max_seq_len, 4)
        scores["plugin"] = [value for row in rows for value in row]

    def floor() -> None:
        with torch.inference_mode():
            for k in range(0, len(longest), 4):
                backend.model(**backend.encode(longest[k : k + 4], settings.max_seq_len))

    times: dict[str, list[float]] = {"reference": [], "plugin": [], "floor": []}
    for _ in range(repeats):
        for name, run in (("reference", reference), ("plugin", plugin), ("floor", floor)):
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    medians = {name: statistics.median(values) for name, values in times.items()}
    pick = max if ll else min
    differ, start = 0, 0
    for row in texts:
        ours, theirs = (scores[name][start : start + len(row)] for name in ("plugin", "reference"))
        differ += ours.index(pick(ours)) != theirs.index(pick(theirs))
        start += len(row)
    gap = max(abs(a - b) for a, b in zip(scores["plugin"], scores["reference"], strict=True))
    record = {"times": times, "medians": medians, "questions": len(texts), "differ": differ, "gap": gap}
    out.write_text(json.dumps(record), encoding="utf-8")


def run_count(model: Path, config: str, data: Path, limit: int | None, out: Path) -> None:
    """Untimed: the tokens each approach runs. The reference: every label's whole prompt (a gen question's
    prompt); the floor (option configs): each question's longest prompt; the plugin: its packed rows."""
    from pytest_llmeval.backends import packing
    from pytest_llmeval.backends.hf import HFBackend
    from pytest_llmeval.runner import build_label_prompts, build_prompts

    settings = settings_for(model, prefix_cache=False)
    backend = HFBackend.load(settings)
    counts = {"reference": 0, "floor": 0, "packed": 0, "questions": 0}
    for plan in plans(config, data, limit):
        if not is_ppl(config):
            prompts = build_prompts(plan, backend, settings)
            counts["reference"] += sum(p.tokens for p in prompts)
            counts["questions"] += len(prompts)
            continue
        per_question = build_label_prompts(plan, backend, settings)
        counts["questions"] += len(per_question)
        counts["reference"] += sum(p.tokens for ps in per_question for p in ps)
        counts["floor"] += sum(max(p.tokens for p in ps) for ps in per_question)
        if option_config(config):
            for ps in per_question:
                counts["packed"] += len(packing.pack(backend._ppl_ids([p.text for p in ps], settings.max_seq_len)).ids)
    out.write_text(json.dumps(counts), encoding="utf-8")


# --- the orchestration ------------------------------------------------------------------------------------


def timed(argv: list[str], cwd: Path) -> tuple[float, float, subprocess.CompletedProcess | None]:
    """Wall seconds and peak resident memory (MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({child.returncode}):\n{output[-3000:]}")
    return wall, usage.ru_maxrss / 1024, subprocess.CompletedProcess(argv, child.returncode, output)


def plugin_answers(run_root: Path) -> dict[str, list[str]]:
    record = json.loads((max((run_root / "outputs").iterdir()) / "llmeval.json").read_text(encoding="utf-8"))
    return {s["abbr"]: [o["answer"] for o in s["outcomes"]] for s in record["subjects"]}


def plugin_subjects(run_root: Path) -> dict[str, list[dict]]:
    record = json.loads((max((run_root / "outputs").iterdir()) / "llmeval.json").read_text(encoding="utf-8"))
    return {s["abbr"]: s["outcomes"] for s in record["subjects"]}


def plugin_outcomes(run_root: Path) -> dict[tuple[str, int], dict]:
    record = json.loads((max((run_root / "outputs").iterdir()) / "llmeval.json").read_text(encoding="utf-8"))
    return {(s["abbr"], o["index"]): o for s in record["subjects"] for o in s["outcomes"]}


# --- the answer-is-fixed stop -----------------------------------------------------------------------------


def build_base_like(workdir: Path, data: Path) -> Path:
    """``tiny_base``'s model as the tests build it: taught on the first 4 questions of GSM8K, MATH's algebra and
    BBH's navigate and snarks (the rest it has not seen: it still answers in the GSM8K format and writes on)."""
    from pytest_llmeval.tiny_base import build_base_model

    out = workdir / "model-base-like-reasoning"
    if (out / "config.json").exists():
        return out
    items = {"gsm8k_gen": ["gsm8k"], "math_gen": ["algebra"], "bbh_gen": ["navigate", "snarks"]}
    return build_base_model(out, data, per_item=4, items=items, context=400)


def decode_steps(model: Path, texts: list[str]) -> list[int]:
    """Tokens each prediction holds: the decode steps that produced it (an end token, when there was one, is one
    more, and is not counted)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model))
    return [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]] if texts else []


def stop_benchmark(args: argparse.Namespace, data: Path, me: list[str]) -> int:
    """(a) reference loop, full decode; (b) plugin with its stop; (c) plugin with --llm-full-output."""
    builders = {"random": ("random 8M", build_model), "base-like": ("base-like 0.4M", build_base_like)}
    models = {builders[kind][0]: builders[kind][1](args.workdir, data) for kind in args.models}
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s); gsm8k_gen: first {args.gsm8k_limit} questions;")
    print(f"ceval_gen: {len(subjects(data))} subjects, limit {args.limit or 'none'}, max-out-len 16\n")
    for name, model in models.items():
        for config in args.stop_configs:
            limit = args.gsm8k_limit if config == "gsm8k_gen" else args.limit
            work = args.workdir / f"stop-{config}"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
            child = [sys.executable, str(Path(__file__).resolve()), "--data", str(data)]
            child += ["--limit", str(limit)] if limit else []
            wall_a, _, _ = timed([*child, "--child", "reference", str(model), config, str(work / "ref.json")], work)
            reference = json.loads((work / "ref.json").read_text(encoding="utf-8"))
            plugin = [
                sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--llm-model={model}",
                f"--llm-data-dir={data}", f"--llm-datasets={config}", "--llm-no-cache", "--llm-output-dir=outputs",
            ] + (["--llm-limit", str(limit)] if limit else [])  # fmt: skip
            wall_b, _, _ = timed(plugin, work)
            early = plugin_outcomes(work)
            shutil.rmtree(work / "outputs")
            wall_c, _, _ = timed([*plugin, "--llm-full-output"], work)
            full = plugin_outcomes(work)
            keys = sorted(full)
            ref = {
                (abbr, i): (a, c)
                for abbr, answers in reference["answers"].items()
                for i, (a, c) in enumerate(zip(answers, reference["correct"][abbr], strict=True))
            }
            # Outcomes carry the question's index in its file; the reference lists them in file order from 0.
            ordered = {abbr: sorted(i for a, i in keys if a == abbr) for abbr in reference["answers"]}
            ref = {(abbr, ordered[abbr][k]): ref[(abbr, k)] for abbr, k in ref}
            same_b = sum((early[k]["answer"], early[k]["correct"]) == ref[k] for k in keys)
            same_c = sum((full[k]["answer"], full[k]["correct"]) == ref[k] for k in keys)
            steps_early = decode_steps(model, [early[k]["prediction"] for k in keys])
            steps_full = decode_steps(model, [full[k]["prediction"] for k in keys])
            stopped = sum(early[k]["stopped"] for k in keys)
            n = len(keys)
            print(f"== {name}, {config}: {n} questions")
            print(f"{'variant':<34}{'wall s':>8}{'vs (a)':>8}{'steps/question':>16}{'same as (a)':>13}")
            print(f"{'(a) reference loop, full decode':<34}{wall_a:>8.1f}{1:>7.2f}x{'-':>16}{'-':>13}")
            print(
                f"{'(b) plugin, stops when fixed':<34}{wall_b:>8.1f}{wall_a / wall_b:>7.2f}x"
                f"{sum(steps_early) / n:>16.1f}{f'{same_b}/{n}':>13}"
            )
            print(
                f"{'(c) plugin, --llm-full-output':<34}{wall_c:>8.1f}{wall_a / wall_c:>7.2f}x"
                f"{sum(steps_full) / n:>16.1f}{f'{same_c}/{n}':>13}"
            )
            saved = (sum(steps_full) - sum(steps_early)) / n
            print(
                f"stopped early: {stopped}/{n} questions; decode steps saved per question: {saved:.1f} "
                f"of {sum(steps_full) / n:.1f}; (b) vs (c): {wall_c / wall_b:.2f}x\n"
            )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/llmeval-bench"))
    parser.add_argument("--configs", nargs="+", default=["ceval_gen", "ceval_ppl"])
    parser.add_argument("--limit", type=int, default=None, help="first N questions of each subject")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPU threads of every variant's torch (OMP_NUM_THREADS); default torch's",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, default=3, help="option configs: scoring-alone repeats (3)")
    parser.add_argument("--stop", action="store_true", help="benchmark the answer-is-fixed stop (see above)")
    parser.add_argument("--gsm8k-limit", type=int, default=100, help="--stop: first N GSM8K questions (100)")
    parser.add_argument("--models", nargs="+", default=["random", "base-like"], choices=["random", "base-like"])
    parser.add_argument(
        "--stop-configs", nargs="+", default=["gsm8k_gen", "ceval_gen"], choices=["gsm8k_gen", "ceval_gen"]
    )
    args = parser.parse_args(argv)
    # This checkout's package, in this process and every child (pytest included), not whichever one is installed.
    sys.path.insert(0, str(ROOT))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH"))))
    data = args.data.resolve()
    if args.threads:  # inherited by every child: the reference, pytest, the floors
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(args.threads)
    if args.child:
        kind, model, config, out = args.child
        limit = args.limit
        if kind == "reference":
            run_reference(Path(model), config, data, limit, Path(out))
        elif kind == "count":
            run_count(Path(model), config, data, limit, Path(out))
        elif kind == "scoring":
            run_scoring(Path(model), config, data, limit, Path(out), args.repeats)
        else:
            run_floor(Path(model), config, data, limit, Path(out), shared=kind == "floor-shared")
        return 0
    if args.stop:
        if not (data / "ceval" / "formal_ceval" / "val").is_dir():
            print(f"no C-Eval data under {data}: pass --data (an OpenCompass data folder holding ceval/formal_ceval)")
            return 2
        args.workdir.mkdir(parents=True, exist_ok=True)
        return stop_benchmark(args, data, [sys.executable, str(Path(__file__).resolve()), "--data", str(data)])
    from pytest_llmeval.datasets.configs import CONFIGS

    unknown = [config for config in args.configs if config not in CONFIGS]
    if unknown:
        print(f"unknown config(s): {', '.join(unknown)}")
        return 2
    missing = {config: missing_data(config, data) for config in args.configs}
    if any(missing.values()):
        for config, paths in missing.items():
            for path in paths:
                print(f"{config}: {path} not found")
        print(
            f"pass --data (an OpenCompass data folder holding what the configs need: ceval/formal_ceval for C-Eval; "
            f"the config's own files and {' and '.join(ENGLISH_CORPUS)}, the English model's corpus, for the others)"
        )
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    threads = f"{args.threads} torch thread(s)" if args.threads else "torch's default threads"
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPU(s), {threads}, data {data}")
    setup = {}
    for config in args.configs:
        model = model_for(config, args.workdir, data)
        limit = limit_for(config, args.limit)
        chosen = plans(config, data, limit)
        every = plans(config, data, None)
        questions = sum(len(p.questions or ()) for p in chosen)
        total = sum(len(p.questions or ()) for p in every)
        subset = f"first {limit} question(s) of each subject" if limit else "every question"
        print(
            f"{config}: {len(chosen)} subject(s), {subset}: {questions} of {total} questions; model {model} "
            f"({model_words(config)})"
        )
        setup[config] = (model, limit)
    print()
    me = [sys.executable, str(Path(__file__).resolve()), "--data", str(data)]
    for config in args.configs:
        model, limit = setup[config]
        child = [*me, "--limit", str(limit)] if limit else me
        options = option_config(config)
        work = args.workdir / config
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        (work / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        rows = []
        wall, peak, _ = timed([*child, "--child", "reference", str(model), config, str(work / "ref.json")], work)
        reference = json.loads((work / "ref.json").read_text(encoding="utf-8"))
        questions = sum(len(v) for v in reference["answers"].values())
        rows.append(("(a) reference loop", wall, peak))
        plugin = [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--llm-model={model}",
            f"--llm-data-dir={data}", f"--llm-datasets={config}", "--llm-cache-dir=cache", "--llm-output-dir=outputs",
        ] + (["--llm-limit", str(limit)] if limit else [])  # fmt: skip
        wall, peak, cold_run = timed(plugin, work)
        rows.append(("(b) plugin, cold", wall, peak))
        cold = plugin_answers(work)
        cold_texts = plugin_subjects(work)
        shutil.rmtree(work / "outputs")
        wall, peak, warm_run = timed(plugin, work)
        rows.append(("(c) plugin, warm", wall, peak))
        floors = (
            (("floor", "(d) floor: longest option"),)
            if options
            else (("floor", "(d) floor: bare forward"), ("floor-shared", "(e) floor: prefix once"))
        )
        for kind, label in floors:
            wall, peak, _ = timed([*child, "--child", kind, str(model), config, str(work / "floor.json")], work)
            rows.append((label, wall, peak))
        subprocess.run([*child, "--child", "count", str(model), config, str(work / "count.json")], cwd=work, check=True)
        counts = json.loads((work / "count.json").read_text(encoding="utf-8"))
        tokens = counts["reference"]
        times = {label[:3]: wall for label, wall, _ in rows}
        subset = f"first {limit} per subject" if limit else "all"
        print(
            f"== {config}: {questions} questions ({subset}), {tokens} prompt tokens "
            f"(every prompt the reference runs: each label's whole prompt in ppl and ll)"
        )
        if options:
            print(
                f"tokens run: (a) {tokens}, (d) {counts['floor']} (each question's longest prompt), "
                f"(b) {counts['packed']} (packed rows: shared part once, then each option's own tokens)"
            )
        print(f"{'variant':<27}{'wall s':>9}{'questions/s':>13}{'tokens/s':>11}{'peak MiB':>10}{'vs (a)':>8}")
        for label, wall, peak in rows:
            print(
                f"{label:<27}{wall:>9.1f}{questions / wall:>13.1f}{tokens / wall:>11.0f}"
                f"{peak:>10.0f}{times['(a)'] / wall:>7.1f}x"
            )
        floors_line = f"{times['(b)'] / times['(d)']:.2f}x of (d)"
        if "(e)" in times:
            floors_line += f", {times['(b)'] / times['(e)']:.2f}x of (e)"
        print(f"(b)/(a) speed-up {times['(a)'] / times['(b)']:.2f}x; (b) vs floors: {floors_line}")
        differ = [
            (abbr, i, a, b)
            for abbr, answers in reference["answers"].items()
            for i, (a, b) in enumerate(zip(answers, cold.get(abbr, []), strict=False))
            if a != b
        ]
        compared = sum(min(len(answers), len(cold.get(abbr, []))) for abbr, answers in reference["answers"].items())
        print(f"predictions differing between (a) and (b): {len(differ)} of {questions} ({compared} compared)")
        for abbr, i, a, b in differ:
            print(f"  {abbr} #{i}: reference {a!r}, plugin {b!r}")
        if has_stop_strings(config):
            texts = {abbr: [o["prediction"] for o in outcomes] for abbr, outcomes in cold_texts.items()}
            raw = sum(
                a != b
                for abbr, ours in reference["predictions"].items()
                for a, b in zip(ours, texts.get(abbr, []), strict=False)
            )
            print(f"raw predictions (text up to the stop string) differing between (a) and (b): {raw} of {questions}")
        if scored_alone(config):
            subprocess.run([*child, "--child", "scoring", str(model), config, str(work / "scoring.json")], cwd=work,
                           check=True)  # fmt: skip
            scoring = json.loads((work / "scoring.json").read_text(encoding="utf-8"))
            medians = scoring["medians"]
            print(
                f"scoring alone, one process, median of {args.repeats} interleaved: (a') reference "
                f"{medians['reference']:.1f}s, (b') plugin {medians['plugin']:.1f}s, (d') floor {medians['floor']:.1f}s; "
                f"(b')/(a') speed-up {medians['reference'] / medians['plugin']:.2f}x, "
                f"(b') {medians['plugin'] / medians['floor']:.2f}x of (d')"
            )
            print(
                f"scoring alone: best label differing between (a') and (b'): {scoring['differ']} of "
                f"{scoring['questions']}; largest score difference {scoring['gap']:.2g}"
            )
        for name, run in (("cold", cold_run), ("warm", warm_run)):
            line = next((line for line in run.stdout.splitlines() if "model load(s) in" in line), "")
            print(f"plugin {name}: {line.strip() or 'no timing line'}")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
