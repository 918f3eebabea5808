#!/usr/bin/env bash
# Rebuilds models/default.rhetor, the model embedded in the rhetor binary. Deterministic: the
# same data and seed give the same file.
#
#   models/build-default.sh            # research corpora in ../shared/data
#   RHETOR_DATA=/path/to/data models/build-default.sh
#
# Training data (models/README.md says why this mix, with the measurements):
#   * SemEval-2023 Task 3 paragraphs (../shared/data, never committed): `technique` and
#     `persuasion`;
#   * the project's own labelled articles in corpus/ (train.jsonl, train-articles-*.jsonl; the
#     eight articles of corpus/examples.jsonl are held out to measure the model): `frame`,
#     `stance` toward the entity in focus, and more `technique` examples. Headlines, bylines and
#     boilerplate records are left out by `rhetor train`.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${RHETOR_DATA:-../shared/data}
if [ ! -f "$data/semeval2023_techniques/train.jsonl" ]; then
  echo "build-default: $data/semeval2023_techniques/train.jsonl not found; the default model is trained from the shared corpora (set RHETOR_DATA)" >&2
  exit 2
fi
cargo build --release --quiet
./target/release/rhetor train \
  "$data/semeval2023_techniques/train.jsonl" \
  corpus/train.jsonl \
  corpus/train-articles-a.jsonl \
  corpus/train-articles-b.jsonl \
  --max-features 40000 \
  --seed 42 \
  -o models/default.rhetor "$@"
