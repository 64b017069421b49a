"""Command-line options, their ini twins, and the validated ``Settings`` record.

Precedence, stated once: command line > ini (``[tool.pytest.ini_options]``) > default.
Every value is checked here, before any model loads; a bad one raises a
``pytest.UsageError`` that names the option, the value and the fix.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from pytest_llmeval.backends.hf_files import (
    TOKENIZER_FILES,
    check_model_files,
    check_tokenizer_files,
    has_chat_template,
)
from pytest_llmeval.backends.presets import PRESETS, Preset
from pytest_llmeval.datasets.configs import CONFIGS
from pytest_llmeval.datasets.named_sets import COLLECTIONS
from pytest_llmeval.names import name_problem
from pytest_llmeval.settings import Gate, Settings

HF_TYPES = ("base", "chat")
AUTO_BATCH_START = 64  # --llm-batch-size auto starts here and halves on out-of-memory

# name, metavar, help, default (as the text a user would type; None = unset)
_OPTIONS: tuple[tuple[str, str, str, str | None], ...] = (
    ("model", "PATH", "model directory (holds config.json); without it llmeval items are skipped", None),
    ("tokenizer", "PATH", "tokenizer directory (default: the model path)", None),
    ("model-abbr", "NAME", "model column name in tables and output paths (default: model dir name)", None),
    ("max-seq-len", "N", "prompt length limit in tokens; shots are dropped to fit (default 2048)", "2048"),
    ("max-out-len", "N", "new tokens to generate per question (default 16)", "16"),
    ("batch-size", "N|auto", "prompts per forward pass (default 4); auto: the largest that fits, halved on OOM", "4"),
    ("num-gpus", "N", "GPUs per model copy, i.e. per xdist worker (default 1)", "1"),
    ("hf-type", "base|chat", "base: OpenCompass 0.2.4 plain prompts (default); chat: tokenizer chat template", "base"),
    ("data-dir", "DIR", "OpenCompass data root holding ceval/formal_ceval (default ./data)", "data"),
    ("output-dir", "DIR", "where run folders are written (default outputs/llmeval)", "outputs/llmeval"),
    ("limit", "N", "evaluate only the first N questions of each subject (smoke runs)", None),
    ("preset", "NAME", "an OpenCompass model config's settings, e.g. hf_internlm2_chat_1_8b (options still win)", None),
    (
        "custom-dataset",
        "PATH",
        "your own dataset in OpenCompass's custom format: a .jsonl/.csv file, or a folder of them (one item per file)",
        None,
    ),
    ("custom-meta-path", "PATH", "the custom dataset's metadata file (default: <file>.meta.json beside it)", None),
    ("custom-data-type", "mcq|qa", "override the custom dataset's detected type", None),
    ("custom-infer-method", "gen|ppl", "override the custom dataset's inference method (default gen)", None),
    ("cache-dir", "DIR", "result cache folder (default: llmeval in the pytest cache folder)", None),
    (
        "backend",
        "hf|openai",
        "what runs the model: hf (transformers, in this process; default) or openai (an OpenAI-compatible server)",
        "hf",
    ),
    ("api-base", "URL", "--llm-backend openai: the server's API root, e.g. http://127.0.0.1:8000/v1", None),
    ("api-model", "NAME", "--llm-backend openai: the model name the server serves", None),
    (
        "api-key-env",
        "VAR",
        "environment variable holding the server's API key (default OPENAI_API_KEY)",
        "OPENAI_API_KEY",
    ),
    ("concurrency", "N", "--llm-backend openai: requests in flight per process (default 8)", "8"),
    ("api-timeout", "SECONDS", "--llm-backend openai: per-request timeout, retried 3 times (default 300)", "300"),
    (
        "save-baseline",
        "PATH",
        "write this run's per-question verdicts to PATH, a baseline to commit and compare with",
        None,
    ),
    ("baseline", "PATH", "compare with this baseline: a significant drop fails the run (see --llm-max-drop)", None),
    ("max-drop", "PTS", "a baseline gate fails only when its drop exceeds this many points (default 1.0)", "1.0"),
    (
        "alpha",
        "P",
        "...and McNemar's exact test, Holm-adjusted over the run's paired tests, gives p < P (default 0.05)",
        "0.05",
    ),
    ("report-md", "PATH", "write a Markdown report (also appended to $GITHUB_STEP_SUMMARY when that is set)", None),
    (
        "report-html",
        "PATH",
        "write a self-contained HTML report: sortable table, chart of changes, flipped questions",
        None,
    ),
    (
        "notify",
        "URL",
        "post the outcome to this webhook when the run ends (a Lark/Feishu bot or any JSON endpoint)",
        None,
    ),
    ("notify-format", "lark|json", "the webhook's message format (default lark)", "lark"),
)
_LIST_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("model-kwargs", "K=V", "from_pretrained kwargs for the model, OpenCompass-style: torch_dtype=torch.float16"),
    ("tokenizer-kwargs", "K=V", "from_pretrained kwargs for the tokenizer, e.g. padding_side=left"),
    (
        "datasets",
        "NAME",
        (
            f"dataset configs to run without a suite file ({', '.join(sorted({c.name for c in CONFIGS.values()}))}), "
            f"or collections of them ({', '.join(COLLECTIONS)}); full OpenCompass names work too"
        ),
    ),
)


# on/off switches: name, help
_FLAGS: tuple[tuple[str, str], ...] = (
    (
        "no-prefix-cache",
        "score every prompt whole, as the reference loop does, instead of reusing shared prefixes (to verify)",
    ),
    ("no-cache", "neither read nor write the result cache"),
    (
        "full-output",
        (
            "generate to max-out-len or EOS as OpenCompass does, instead of stopping once the answer is fixed "
            "(byte-identical raw predictions; the same scores either way)"
        ),
    ),
    (
        "allow-code-exec",
        (
            "run the programs model completions make (humaneval_gen, mbpp_gen), each in a sandboxed child process; "
            "without it those items are skipped and nothing is executed"
        ),
    ),
    (
        "allow-skip",
        (
            "accept a partial run: items that do not run (no consent for code, say) are still listed under the "
            "table, but the thresholds and baseline rows they leave unchecked no longer fail the run"
        ),
    ),
)


def dest(name: str) -> str:
    """The argparse destination and ini name of an option: ``max-seq-len`` -> ``llm_max_seq_len``."""
    return "llm_" + name.replace("-", "_")


def single_value_flags() -> frozenset[str]:
    """The ``--llm-*`` flags that take one value: the ones pytest misreads as test paths in the space form."""
    return frozenset(f"--llm-{name}" for name, _, _, _ in _OPTIONS)


def add_options(parser: pytest.Parser) -> None:
    """Register every ``--llm-*`` option in one group, each with its ini twin."""
    group = parser.getgroup("llmeval", "model regression testing (pytest-llm-regression)")
    for name, metavar, help_text, _ in _OPTIONS:
        group.addoption(f"--llm-{name}", dest=dest(name), metavar=metavar, default=None, help=help_text)
        parser.addini(dest(name), help_text, default=None)
    for name, metavar, help_text in _LIST_OPTIONS:
        group.addoption(f"--llm-{name}", dest=dest(name), metavar=metavar, nargs="+", default=None, help=help_text)
        parser.addini(dest(name), help_text, type="args", default=[])
    for name, help_text in _FLAGS:
        group.addoption(f"--llm-{name}", dest=dest(name), action="store_true", default=None, help=help_text)
        parser.addini(dest(name), help_text, type="bool", default=False)
    group.addoption(
        "--llm-list",
        dest="llm_list",
        metavar="PATTERN",
        nargs="*",
        default=None,
        help="list model presets and dataset configs (matching PATTERNs) and whether their data is present, then exit",
    )


NOTIFY_FORMATS = ("lark", "json")


def read_gate(config: pytest.Config) -> Gate:
    """The gating and reporting options, checked; raises ``pytest.UsageError`` on the first bad value."""
    defaults = {name: default for name, _, _, default in _OPTIONS}
    raw = {
        name: _raw(config, name, defaults[name])
        for name in (
            "baseline", "save-baseline", "max-drop", "alpha", "report-md", "report-html", "notify", "notify-format"
        )
    }  # fmt: skip
    max_drop = _number("max-drop", raw["max-drop"], "a number of points, 0 or more, e.g. 1.0")
    if max_drop < 0:
        raise pytest.UsageError(f"--llm-max-drop: {raw['max-drop']!r} is negative; give 0 or more points")
    alpha = _number("alpha", raw["alpha"], "a probability between 0 and 1, e.g. 0.05")
    if not 0 < alpha < 1:
        raise pytest.UsageError(f"--llm-alpha: {raw['alpha']!r} is not between 0 and 1 (exclusive); e.g. 0.05")
    notify_format = raw["notify-format"] or "lark"
    if notify_format not in NOTIFY_FORMATS:
        raise pytest.UsageError(f"--llm-notify-format: {notify_format!r} is not one of {', '.join(NOTIFY_FORMATS)}")
    url = raw["notify"]
    if url is not None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = f"{parts.scheme}://{parts.hostname}/…" if parts.hostname else "the value given"
            raise pytest.UsageError(f"--llm-notify: {shown} is not an http(s) URL; give the webhook's full address")
    for name in ("save-baseline", "report-md", "report-html"):
        path = _absolute(raw[name])
        if path is not None and path.is_dir():
            raise pytest.UsageError(f"--llm-{name}: {raw[name]} is a folder; give a file path")
    return Gate(
        baseline=_absolute(raw["baseline"]),
        save_baseline=_absolute(raw["save-baseline"]),
        max_drop=max_drop,
        alpha=alpha,
        report_md=_absolute(raw["report-md"]),
        report_html=_absolute(raw["report-html"]),
        notify=url,
        notify_format=notify_format,
        allow_skip=_flag(config, "allow-skip"),
    )


def _number(name: str, text: str | None, what: str) -> float:
    try:
        value = float(text or "")
    except ValueError:
        raise pytest.UsageError(f"--llm-{name}: {text!r} is not {what}") from None
    if not math.isfinite(value):
        raise pytest.UsageError(f"--llm-{name}: {text!r} is not {what}")
    return value


def parse_value(text: str) -> Any:
    """Parse a kwargs value as OpenCompass's command line (mmengine's DictAction) does.

    Quotes and spaces are stripped; a comma makes a list; then int, float, True/False, None, else the string.
    """
    text = text.strip("'\"").replace(" ", "")
    if "," in text:
        return [parse_value(item) for item in text.split(",") if item]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if text == "None":
        return None
    return text


_PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


def parse_kwargs(option: str, pairs: list[str]) -> dict[str, Any]:
    """Turn ``["k=v", ...]`` into a dict, rejecting anything that is not a ``key=value`` pair."""
    result: dict[str, Any] = {}
    for pair in pairs:
        match = _PAIR.match(pair)
        if not match:
            raise pytest.UsageError(
                f"{option}: {pair!r} is not a key=value pair (e.g. {option} trust_remote_code=True)"
            )
        result[match[1]] = parse_value(match[2])
    return result


def _raw(config: pytest.Config, name: str, default: str | None) -> str | None:
    value = config.getoption(dest(name))
    if value is None:
        value = config.getini(dest(name)) or None
    return default if value is None else str(value)


def _flag(config: pytest.Config, name: str) -> bool:
    """A switch given on the command line or pinned in the ini file."""
    return bool(config.getoption(dest(name)) or config.getini(dest(name)))


def _raw_list(config: pytest.Config, name: str) -> list[str]:
    value = config.getoption(dest(name))
    return list(value) if value is not None else list(config.getini(dest(name)))


def _positive_int(name: str, text: str | None, *, allow_none: bool = False) -> int | None:
    if text is None and allow_none:
        return None
    try:
        value = int(str(text))
    except ValueError:
        value = 0
    if value <= 0:
        raise pytest.UsageError(f"--llm-{name}: {text!r} is not a positive integer")
    return value


def _existing_dir(option: str, text: str, must_hold: tuple[str, ...], what: str) -> Path:
    path = Path(text).expanduser()
    if not path.exists():
        raise pytest.UsageError(f"{option}: {text} does not exist; give the directory that holds the {what}")
    if not path.is_dir():
        raise pytest.UsageError(f"{option}: {text} is a file; give the directory that holds the {what}")
    if not any((path / name).exists() for name in must_hold):
        raise pytest.UsageError(f"{option}: {text} holds no {what} (expected {' or '.join(must_hold)} in it)")
    return path


def data_dir(config: pytest.Config) -> Path:
    """The data root as the options say, without validating anything else (for ``--llm-list``)."""
    return Path(_raw(config, "data-dir", "data") or "data").expanduser()


def _cache_dir(config: pytest.Config, given: str | None) -> Path | None:
    """``--llm-cache-dir``, else a folder in pytest's own cache (none when that is off: ``-p no:cacheprovider``)."""
    if _flag(config, "no-cache"):
        return None
    if given:
        return Path(os.path.abspath(Path(given).expanduser()))
    cache = getattr(config, "cache", None)
    return Path(cache.mkdir("llmeval")) if cache is not None else None


def _absolute(text: str | None) -> Path | None:
    return Path(os.path.abspath(Path(text).expanduser())) if text else None


def _preset(name: str | None) -> Preset | None:
    if name is None:
        return None
    if name not in PRESETS:
        close = difflib.get_close_matches(name, sorted(PRESETS), n=2)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise pytest.UsageError(f"--llm-preset: unknown preset {name!r}; {hint}known: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]


BACKENDS = ("hf", "openai")


def _server_options(raw: dict[str, str | None]) -> dict[str, Any]:
    """``--llm-backend openai``'s own options, checked (no network here: the server is probed at start-up)."""
    if raw["model"]:
        raise pytest.UsageError(
            f"--llm-model {raw['model']}: the server holds the model under --llm-backend openai; name it with "
            "--llm-api-model, and give its tokenizer files (if any) with --llm-tokenizer"
        )
    base = raw["api-base"]
    if not base:
        raise pytest.UsageError("--llm-backend openai needs --llm-api-base URL, e.g. http://127.0.0.1:8000/v1")
    parts = urllib.parse.urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise pytest.UsageError(f"--llm-api-base: {base!r} is not an http(s) URL, e.g. http://127.0.0.1:8000/v1")
    if parts.username or parts.password:
        raise pytest.UsageError(
            "--llm-api-base: put the API key in the variable --llm-api-key-env names, not in the URL"
        )
    if not raw["api-model"]:
        raise pytest.UsageError("--llm-backend openai needs --llm-api-model NAME, the model name the server serves")
    timeout = _number("api-timeout", raw["api-timeout"], "a number of seconds, e.g. 300")
    if timeout <= 0:
        raise pytest.UsageError(f"--llm-api-timeout: {raw['api-timeout']!r} is not a positive number of seconds")
    return {
        "api_base": base.rstrip("/"),
        "api_model": raw["api-model"],
        "api_key_env": raw["api-key-env"] or "OPENAI_API_KEY",
        "concurrency": _positive_int("concurrency", raw["concurrency"]),
        "api_timeout": timeout,
    }


def _model_abbr(given: str | None, model: Path | None, server: dict[str, Any] | None) -> str:
    """The model's column name and its folder under ``predictions/``: refused if it cannot name a folder there."""
    abbr = given or _default_abbr(model, server)
    problem = name_problem(abbr)
    if problem is not None:
        fix = "give another with --llm-model-abbr" if not given else "use letters, digits, - and _"
        raise pytest.UsageError(f"--llm-model-abbr: {abbr!r} cannot name a results folder: {problem}; {fix}")
    return abbr


def _default_abbr(model: Path | None, server: dict[str, Any] | None) -> str:
    if model is not None:
        return Path(os.path.abspath(model)).name
    if server is not None:
        return Path(server["api_model"]).name or "server"
    return "model"


def read_settings(config: pytest.Config) -> Settings:
    """Collect, parse and validate every option; raises ``pytest.UsageError`` on the first bad value."""
    defaults = {name: default for name, _, _, default in _OPTIONS}
    preset = _preset(_raw(config, "preset", None))
    if preset is not None:
        # command line > ini > preset > default
        defaults.update(preset.values)
    raw = {name: _raw(config, name, defaults[name]) for name in defaults}

    backend = raw["backend"] or "hf"
    if backend not in BACKENDS:
        raise pytest.UsageError(f"--llm-backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    server = _server_options(raw) if backend == "openai" else None
    for name in ("api-base", "api-model"):
        if server is None and raw[name]:
            raise pytest.UsageError(f"--llm-{name} applies to --llm-backend openai, which is not given")
    model = tokenizer = None
    if raw["model"]:
        model = _existing_dir("--llm-model", raw["model"], ("config.json",), "model (config.json and weights)")
    if raw["model"] or (server is not None and raw["tokenizer"]):
        tokenizer_text = raw["tokenizer"] or raw["model"]
        tokenizer = _existing_dir("--llm-tokenizer", tokenizer_text, TOKENIZER_FILES, "tokenizer files")

    hf_type = raw["hf-type"]
    if hf_type not in HF_TYPES:
        raise pytest.UsageError(f"--llm-hf-type: {hf_type!r} is not one of {', '.join(HF_TYPES)}")
    if hf_type == "chat" and server is not None and tokenizer is None:
        raise pytest.UsageError(
            "--llm-hf-type chat against a server needs the model's tokenizer files (--llm-tokenizer DIR): its chat "
            "template renders the prompt that is counted and written to the predictions files"
        )
    if hf_type == "chat" and tokenizer is not None and not has_chat_template(tokenizer):
        raise pytest.UsageError(
            f"--llm-hf-type chat: the tokenizer in {tokenizer} has no chat template; use --llm-hf-type base"
        )

    # Names are checked where they become dataset specs (suite.make_spec), with the same message.
    datasets = tuple(_raw_list(config, "datasets"))
    custom = {
        name: raw[name] for name in ("custom-dataset", "custom-meta-path", "custom-data-type", "custom-infer-method")
    }
    if not custom["custom-dataset"]:
        given = next((name for name, value in custom.items() if value), None)
        if given:
            raise pytest.UsageError(f"--llm-{given} applies to --llm-custom-dataset PATH, which is not given")
    for name, choices in (("custom-data-type", ("mcq", "qa")), ("custom-infer-method", ("gen", "ppl"))):
        if custom[name] is not None and custom[name] not in choices:
            raise pytest.UsageError(f"--llm-{name}: {custom[name]!r} is not one of {', '.join(choices)}")

    model_kwargs = parse_kwargs("--llm-model-kwargs", _raw_list(config, "model-kwargs"))
    tokenizer_kwargs = parse_kwargs("--llm-tokenizer-kwargs", _raw_list(config, "tokenizer-kwargs"))
    if preset is not None:
        model_kwargs = {**preset.model_kwargs, **model_kwargs}
        tokenizer_kwargs = {**preset.tokenizer_kwargs, **tokenizer_kwargs}
    evaluates = model is not None or server is not None
    if model is not None and tokenizer is not None:
        check_model_files(model, model_kwargs)
    if tokenizer is not None and evaluates:
        check_tokenizer_files(tokenizer, tokenizer_kwargs)
    settings = Settings(
        model=model,
        tokenizer=tokenizer,
        # The name the user typed, not a symlink's target: abspath normalises ".." without resolving links.
        model_abbr=_model_abbr(raw["model-abbr"], model, server),
        model_kwargs=model_kwargs,
        tokenizer_kwargs=tokenizer_kwargs,
        max_seq_len=_positive_int("max-seq-len", raw["max-seq-len"]),
        max_out_len=_positive_int("max-out-len", raw["max-out-len"]),
        batch_size=AUTO_BATCH_START if raw["batch-size"] == "auto" else _positive_int("batch-size", raw["batch-size"]),
        batch_auto=raw["batch-size"] == "auto",
        num_gpus=_positive_int("num-gpus", raw["num-gpus"]),
        hf_type=hf_type,
        data_dir=Path(raw["data-dir"]).expanduser(),
        output_dir=Path(raw["output-dir"]).expanduser(),
        limit=_positive_int("limit", raw["limit"], allow_none=True),
        datasets=datasets,
        preset=preset.name if preset else None,
        meta_template=preset.meta_template if preset else None,
        eos_token_ids=preset.eos_token_ids if preset else (),
        end_str=preset.end_str if preset else None,
        custom_dataset=_absolute(custom["custom-dataset"]),
        custom_meta_path=_absolute(custom["custom-meta-path"]),
        custom_data_type=custom["custom-data-type"],
        custom_infer_method=custom["custom-infer-method"],
        prefix_cache=not _flag(config, "no-prefix-cache"),
        full_output=_flag(config, "full-output"),
        allow_code_exec=_flag(config, "allow-code-exec"),
        cache_dir=_cache_dir(config, raw["cache-dir"]) if evaluates else None,
        backend=backend,
        **(server or {}),
    )
    if settings.max_out_len >= settings.max_seq_len:
        raise pytest.UsageError(
            f"--llm-max-out-len: {settings.max_out_len} leaves no room for a prompt "
            f"within --llm-max-seq-len {settings.max_seq_len}"
        )
    return settings
