#!/usr/bin/env bash
# Rebuilds models/default.rhetor, the model embedded in the rhetor binary. Deterministic: the
# same data and seed give the same file.
#
#   models/build-default.sh            # research corpora in ../shared/data
#   RHETOR_DATA=/path/to/data models/build-default.sh
#
# Training data (models/README.md says why this mix, with the measurements):
#   * SemEval-2023 Task 3 (../shared/data, never committed): paragraphs for `technique` and
#     `persuasion`, whole articles for `frame`;
#   * the project's own labelled articles in corpus/ (train.jsonl, train-articles-*.jsonl; the
#     eight articles of corpus/examples.jsonl are held out to measure the model): `stance`
#     toward the entity in focus, and more `frame` and `technique` examples at paragraph level. Headlines, bylines and
#     boilerplate records are left out by `rhetor train`.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${RHETOR_DATA:-../shared/data}
for d in semeval2023_techniques semeval2023_frames; do
  if [ ! -f "$data/$d/train.jsonl" ]; then
    echo "build-default: $data/$d/train.jsonl not found; the default model is trained from the shared corpora (set RHETOR_DATA)" >&2
    exit 2
  fi
done
cargo build --release --quiet
./target/release/rhetor train \
  "$data/semeval2023_techniques/train.jsonl" \
  "$data/semeval2023_frames/train.jsonl" \
  corpus/train.jsonl \
  corpus/train-articles-a.jsonl \
  corpus/train-articles-b.jsonl \
  --rhetoric \
  --max-features 40000 \
  --seed 42 \
  -o models/default.rhetor "$@"
