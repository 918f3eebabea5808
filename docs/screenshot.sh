#!/usr/bin/env bash
# Regenerates docs/compare.png, the picture of `rhetor compare`'s HTML report in README.md:
# the example articles of corpus/, opinion outlets against news outlets, by month, as headless
# Chromium renders it at 1200 × 1800 pixels. Needs jq and Chromium (RHETOR_CHROMIUM, or
# chromium on the PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium=${RHETOR_CHROMIUM:-$(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)}

cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

jq -c '. + {genre: (if .outlet == "Valley Courier" or .outlet == "Meridian Wire"
                    then "news" else "opinion" end)}' corpus/examples.jsonl \
  | target/release/rhetor compare --input jsonl - --group-by genre --by-time date \
      --format html -o "$work/compare.html"

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars \
  --screenshot="$PWD/docs/compare.png" --window-size=1200,1800 \
  "file://$work/compare.html" 2>/dev/null
echo "wrote docs/compare.png"
