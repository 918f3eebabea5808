#!/usr/bin/env bash
# `rhetor compare` on 10,000 documents generated from corpus/ with a fixed seed, timed.
#
#   benches/compare.sh [DOCUMENTS]        (default 10000; needs python3; builds --release)
#
# The documents are JSONL records, one per article: a headline, usually a byline, 6 to 14 body
# paragraphs drawn from the body paragraphs of corpus/*.jsonl, and a boilerplate line, with an
# outlet (seven) and a date (2025-2026). The generator is SplitMix64 written out below, so the
# data are the same on every machine and Python version. The default model scores them.
#
# Runs, each timed with its peak memory:
#   1. compare --input jsonl: score every paragraph, recognise roles, compare 7 outlets (each
#      against the rest) with 1000 bootstrap resamples and 1000 permutations, monthly time
#      series, HTML report;
#   2. the same as JSON;
#   3. score --format jsonl --with-text once, then compare --input scored on its output.
# The script fails if a run takes a minute or more, or if the report does not hold every
# document.
set -euo pipefail
cd "$(dirname "$0")/.."
n_docs=${1:-10000}

cargo build --release --quiet
bin=target/release/rhetor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$n_docs" "$work/docs.jsonl" <<'EOF'
import json, sys

n_docs, out = int(sys.argv[1]), sys.argv[2]
MASK = (1 << 64) - 1
state = 20260210

def next_u64():
    """SplitMix64 (Steele, Lea & Flood 2014)."""
    global state
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)

def below(n):
    return next_u64() % n

body, headlines = [], []
for path in ["corpus/examples.jsonl", "corpus/train.jsonl"]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("role") == "headline":
                headlines.append(r["text"])
            elif r.get("role", "body") == "body":
                body.append(r["text"])
outlets = ["Valley Courier", "Meridian Wire", "The Harbour Herald", "The Lantern Review",
           "The Northgate Standard", "Saltmarsh Sentinel", "Eastfold Post"]
bylines = ["By Mara Lindqvist, Transport Correspondent", "By Tomas Reyes", "Staff reporter",
           "Political Editor Sam Hale"]
boilerplate = ["Share this article", "Sign up for our morning briefing.",
               "© 2026 Valley Courier. All rights reserved.", "Advertisement"]
days = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
with open(out, "w", encoding="utf-8") as f:
    for d in range(n_docs):
        paragraphs = [headlines[below(len(headlines))]]
        if below(4) != 0:
            paragraphs.append(bylines[below(len(bylines))])
        paragraphs += [body[below(len(body))] for _ in range(6 + below(9))]
        paragraphs.append(boilerplate[below(len(boilerplate))])
        month = 1 + below(12)
        date = f"{2025 + below(2)}-{month:02d}-{1 + below(days[month - 1]):02d}"
        f.write(json.dumps({"id": f"gen-{d}", "doc": f"gen-{d}",
                            "outlet": outlets[below(len(outlets))], "date": date,
                            "text": "\n\n".join(paragraphs)}) + "\n")
EOF
echo "generated: $n_docs documents, $(du -h "$work/docs.jsonl" | cut -f1) of JSONL"

# Runs "$@", prints wall time, CPU time (user + system; the machine may be shared) and peak
# memory; fails at 60 s or more of wall time.
timed() {
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$work/usage" "$@"
  end=$(date +%s.%N)
  local secs cpu rss
  secs=$(python3 -c "print(f'{$end - $start:.2f}')")
  read -r user sys rss < "$work/usage"
  cpu=$(python3 -c "print(f'{$user + $sys:.2f}')")
  printf '%-52s %6s s wall %6s s CPU %5d MB peak\n' "$label" "$secs" "$cpu" "$(( rss / 1024 ))"
  if python3 -c "import sys; sys.exit(0 if $end - $start < 60 else 1)"; then :; else
    echo "FAIL: $label took a minute or more" >&2
    exit 1
  fi
}

common=(--group-by outlet --by-time date --bucket month)
timed "compare --input jsonl, HTML ($(nproc) threads)" \
  "$bin" compare --input jsonl "$work/docs.jsonl" "${common[@]}" --format html -o "$work/report.html"
timed "compare --input jsonl, JSON" \
  "$bin" compare --input jsonl "$work/docs.jsonl" "${common[@]}" --format json -o "$work/report.json"
timed "score --input jsonl --format jsonl --with-text" \
  sh -c "\"$bin\" score -q --input jsonl \"$work/docs.jsonl\" --format jsonl --with-text > \"$work/scored.jsonl\""
timed "compare --input scored (no second scoring), JSON" \
  "$bin" compare --input scored "$work/scored.jsonl" "${common[@]}" --format json -o "$work/scored.json"

python3 - "$work/report.json" "$work/scored.json" "$n_docs" <<'EOF'
import json, sys
n = int(sys.argv[3])
for path in sys.argv[1:3]:
    r = json.load(open(path))
    assert r["documents"] == n, (path, r["documents"])
    assert sum(g["documents"] for g in r["groups"]) == n
    assert len(r["comparisons"]) == 7 and r["mode"] == "one_vs_rest"
    assert r["keyness"]["available"]
print(f"checked: both reports hold {n} documents in 7 outlets, 7 comparisons")
EOF
