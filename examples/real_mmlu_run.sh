#!/usr/bin/env bash
# mmlu_gen and mmlu_ppl over all 57 subjects of the real MMLU data with the tiny model (first N test
# questions of each subject): wall time, subject and group rows, mmlu and mmlu-weighted.
# Usage: bash examples/real_mmlu_run.sh [path/to/OpenCompass/data] [workdir] [questions per subject]
set -uo pipefail
data=$(realpath "${1:-../shared/data}")
work=${2:-/tmp/llmeval-real-mmlu}
limit=${3:-20}
here=$(pwd)
[ -d "$data/mmlu/test" ] || { echo "no $data/mmlu/test: pass the OpenCompass data folder"; exit 2; }
rm -rf "$work" && mkdir -p "$work" && cd "$work"
python -m pytest_llmeval.tiny model "$here/pytest_llmeval/sample/data" || exit 1
printf '[pytest]\n' > pytest.ini
for config in mmlu_gen mmlu_ppl; do
  start=$(date +%s.%N)
  python -m pytest -p no:cacheprovider --llm-model=model --llm-data-dir="$data" --llm-datasets "$config" \
    --llm-limit="$limit" > "$config.log" 2>&1
  code=$?
  end=$(date +%s.%N)
  run=$(ls -d outputs/llmeval/* | tail -1)
  printf '%-9s exit %s  wall %.1fs  %s\n' "$config" "$code" "$(echo "$end - $start" | bc)" "$(grep -E '^main:' "$config.log")"
  python - "$run" <<'PY'
import json, pathlib, sys
record = json.loads((pathlib.Path(sys.argv[1]) / "llmeval.json").read_text())
rows = record["table"]
subjects = [r for r in rows if r["metric"] == "accuracy"]
groups = [r for r in rows if r["metric"] != "accuracy"]
print(f"  {len(subjects)} subject rows, {len(groups)} group rows; first {subjects[0]['dataset']},{subjects[0]['version']}")
for r in groups:
    print(f"  {r['dataset']:22} {r['metric']:17} {r['value']:.2f}")
PY
done
