#!/usr/bin/env bash
# The 52-subject ceval_gen run over real C-Eval data with the tiny model, once in one process and once
# with two xdist workers, side by side: wall times, model loads, and whether the two tables are identical.
# Usage: bash examples/real_ceval_run.sh [path/to/OpenCompass/data] [workdir]
set -uo pipefail
data=$(realpath "${1:-../shared/data}")
work=${2:-/tmp/llmeval-real-run}
here=$(pwd)
[ -d "$data/ceval/formal_ceval" ] || { echo "no $data/ceval/formal_ceval: pass the OpenCompass data folder"; exit 2; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
python -m pytest_llmeval.tiny model "$here/pytest_llmeval/sample/data" || exit 1
printf '[pytest]\n' > pytest.ini
printf '[[dataset]]\nconfig = "ceval_gen"\n[dataset.thresholds]\nceval = 50.0\n' > llmeval_ceval.toml
ln -s "$data" data
for mode in "-p no:xdist" "-n 2"; do
  start=$(date +%s.%N)
  python -m pytest -p no:cacheprovider --llm-model model $mode > "run.log" 2>&1
  code=$?
  end=$(date +%s.%N)
  run=$(ls -d outputs/llmeval/* | tail -1)
  printf '%-12s exit %s  wall %.1fs  %s\n' "$mode" "$code" "$(echo "$end - $start" | bc)" "$(grep -E '^(main|gw[0-9]+):' run.log | tr '\n' ' ')"
done
python - <<'PY'
import json, pathlib
one, two = sorted(pathlib.Path("outputs/llmeval").iterdir())
a, b = (json.loads((r / "llmeval.json").read_text()) for r in (one, two))
print("model loads:", a["model_loads"], "vs", b["model_loads"])
print("tables identical:", a["table"] == b["table"])
print("outcomes identical:", [s["outcomes"] for s in a["subjects"]] == [s["outcomes"] for s in b["subjects"]])
print("summary rows:", len(a["table"]), "ceval:", a["table"][-1]["value"])
PY
