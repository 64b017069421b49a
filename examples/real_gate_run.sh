#!/usr/bin/env bash
# The baseline gate on real C-Eval data (52 subjects, 1346 val questions): save a baseline with one tiny model,
# re-run it unchanged (no flip may appear), then compare a second tiny model trained the same way from another
# seed: many questions flip both ways, and the gate has to tell that apart from a regression.
# Usage: bash examples/real_gate_run.sh [path/to/OpenCompass/data] [workdir]
set -uo pipefail
data=$(realpath "${1:-../shared/data}")
work=${2:-/tmp/llmeval-real-gate}
here=$(pwd)
[ -d "$data/ceval/formal_ceval" ] || { echo "no $data/ceval/formal_ceval: pass the OpenCompass data folder"; exit 2; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
python -m pytest_llmeval.tiny seed0 "$here/pytest_llmeval/sample/data" --seed 0 || exit 1
python -m pytest_llmeval.tiny seed1 "$here/pytest_llmeval/sample/data" --seed 1 || exit 1
printf '[pytest]\n' > pytest.ini
printf '[[dataset]]\nconfig = "ceval_gen"\n' > llmeval_ceval.toml
ln -s "$data" data
run() {  # name, then pytest arguments
  local name=$1; shift
  CI=true python -m pytest -p no:cacheprovider -n 2 "$@" > "$name.log" 2>&1
  echo "== $name: exit $?"
  sed -n '/llmeval summary/,/^gw0:/p' "$name.log" | grep -vE '^gw0:'
}
run save --llm-model seed0 --llm-save-baseline baseline.json
run unchanged --llm-model seed0 --llm-baseline baseline.json --llm-model-abbr seed0-again
run other-seed --llm-model seed1 --llm-baseline baseline.json --llm-report-html report.html --llm-report-md report.md
ls -l baseline.json report.html report.md
