#!/usr/bin/env bash
# Regenerates the pictures of the HTML reports in README.md, as headless Chromium renders them:
# docs/score-report.png, `rhetor score --format html` on an example opinion piece (1100 × 1500
# pixels), and docs/compare.png, `rhetor compare` on the example articles of corpus/, opinion
# outlets against news outlets, by month (1200 × 1800 pixels). Needs jq and Chromium
# (RHETOR_CHROMIUM, or chromium on the PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium=${RHETOR_CHROMIUM:-$(command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)}

# shoot PAGE PNG WIDTH,HEIGHT
shoot() {
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars \
    --screenshot="$PWD/$2" --window-size="$3" "file://$1" 2>/dev/null
}

cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

jq -c '. + {genre: (if .outlet == "Valley Courier" or .outlet == "Meridian Wire"
                    then "news" else "opinion" end)}' corpus/examples.jsonl \
  | target/release/rhetor compare --input jsonl - --group-by genre --by-time date \
      --format html -o "$work/compare.html"

shoot "$work/compare.html" docs/compare.png 1200,1800
echo "wrote docs/compare.png"

target/release/rhetor score corpus/articles/harbour-herald-congestion-charge.txt \
  --format html -o "$work/score.html"
shoot "$work/score.html" docs/score-report.png 1100,1500
echo "wrote docs/score-report.png"
