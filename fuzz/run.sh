#!/usr/bin/env bash
# Runs one fuzz target the way the runs in README.md were made:
#   ./run.sh <target> [seconds]        (default 600)
# Single job, 2 GiB RSS limit, per-target max_len, 10 s per-input timeout. Stable Rust needs
# RUSTC_BOOTSTRAP=1 for cargo-fuzz's nightly flags (-Zsanitizer=address, sancov passes).
# libFuzzer's own output goes to logs/<target>.log (with -jobs=1 the fuzzing happens in a child
# process whose output libFuzzer writes to fuzz-0.log; it is moved there afterwards).
set -euo pipefail
cd "$(dirname "$0")"
target="$1"
secs="${2:-600}"
case "$target" in
  paragraphs|tokenize|segment_uax29|features) max_len=4096; extra=() ;;
  jsonl) max_len=65536; extra=(-dict=dicts/jsonl.dict) ;;
  model_file|model_payload) max_len=1048576; extra=() ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
mkdir -p logs corpus/"$target"
start=$(date +%s)
set +e
RUSTC_BOOTSTRAP=1 CARGO_BUILD_JOBS=1 cargo fuzz run "$target" -- \
  -max_total_time="$secs" -jobs=1 -workers=1 -rss_limit_mb=2048 -max_len="$max_len" \
  -timeout=10 -print_final_stats=1 "${extra[@]}" > logs/"$target".cargo.log 2>&1
rc=$?
set -e
end=$(date +%s)
[ -f fuzz-0.log ] && mv fuzz-0.log logs/"$target".log
echo "target=$target exit=$rc wall=$((end - start))s corpus=$(ls corpus/"$target" | wc -l) artifacts=$(ls artifacts/"$target" 2>/dev/null | wc -l)" | tee -a logs/summary.txt
