#!/usr/bin/env bash
# Rebuilds models/default.rhetor, the model embedded in the rhetor binary, from the shared
# research corpora (never committed: only the trained model is). Deterministic: the same data and
# seed give the same file.
#
#   models/build-default.sh            # data in ../shared/data
#   RHETOR_DATA=/path/to/data models/build-default.sh
set -euo pipefail
cd "$(dirname "$0")/.."
data=${RHETOR_DATA:-../shared/data}
for d in semeval2023_techniques semeval2023_frames newsmtsc_sentiment; do
  if [ ! -f "$data/$d/train.jsonl" ]; then
    echo "build-default: $data/$d/train.jsonl not found; the default model is trained from the shared corpora (set RHETOR_DATA)" >&2
    exit 2
  fi
done
cargo build --release --quiet
# Techniques and persuasion from SemEval-2023 paragraphs, frames from SemEval-2023 articles,
# stance toward the person in focus from NewsMTSC (its sentiment labels renamed to the codebook's).
./target/release/rhetor train \
  "$data/semeval2023_techniques/train.jsonl" \
  "$data/semeval2023_frames/train.jsonl" \
  "$data/newsmtsc_sentiment/train.jsonl" \
  --map-label stance:positive=supportive \
  --map-label stance:negative=critical \
  --min-target-records 0 \
  --max-features 40000 \
  --seed 42 \
  -o models/default.rhetor "$@"
