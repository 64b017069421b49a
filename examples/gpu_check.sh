#!/usr/bin/env bash
# One-shot check on a GPU machine: build the tiny model, evaluate the sample with one process and with
# `-n auto` (one worker per GPU), print both tables and the device each worker used, and compare them.
# Usage: bash examples/gpu_check.sh [workdir]     (needs the package installed: pip install -e .)
set -uo pipefail
work=${1:-/tmp/llmeval-gpu-check}
rm -rf "$work" && mkdir -p "$work"
python -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'gpus', torch.cuda.device_count())"
nvidia-smi -L || true
python -m pytest_llmeval.tiny "$work/model" pytest_llmeval/sample/data || exit 1
cp -r pytest_llmeval/sample/data "$work/data"
cp pytest_llmeval/sample/llmeval_sample.toml "$work/"
printf '[pytest]\n' > "$work/pytest.ini"
cd "$work"
for mode in "-p no:xdist" "-n auto"; do
  echo "=== pytest $mode"
  python -m pytest -p no:cacheprovider --llm-model model $mode 2>&1 | sed -n '/llmeval summary/,$p'
done
python - <<'PY'
import json, pathlib
runs = sorted(pathlib.Path("outputs/llmeval").iterdir())
records = [json.loads((r / "llmeval.json").read_text()) for r in runs]
for run, record in zip(runs, records):
    print(run.name, "model_loads", record["model_loads"], [(w["worker"], w["devices"]) for w in record["workers"]])
same = records[0]["table"] == records[1]["table"] and [s["outcomes"] for s in records[0]["subjects"]] == [
    s["outcomes"] for s in records[1]["subjects"]
]
print("tables and outcomes identical:", same)
PY
