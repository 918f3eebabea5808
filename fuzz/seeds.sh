#!/usr/bin/env bash
# Writes the seed corpora under fuzz/corpus/<target>/ (git-ignored, so regenerate them with this
# script). Run from anywhere; needs python3. Trains small models with a release build of rhetor
# in $RHETOR_TARGET_DIR (default /tmp/fuzz-rhetor), never in the main crate's target/.
set -euo pipefail
fuzz="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$fuzz")"
tdir="${RHETOR_TARGET_DIR:-/tmp/fuzz-rhetor}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$root" && CARGO_TARGET_DIR="$tdir" cargo build --release -q)
rhetor="$tdir/release/rhetor"

# Models: the one of the fuzzing brief (whole training corpus, ~1 MB), and two small ones (a few
# KB: fast to execute and mutate), one with char n-grams, 1-3 word n-grams, French stemming and
# per-target stance models.
(cd "$root" && "$rhetor" train corpus/train.jsonl -o "$work/tiny.rhetor" --min-df 1 --folds 3 --c-grid 1 -q 2>/dev/null)
head -12 "$root/corpus/train.jsonl" > "$work/mini.jsonl"
"$rhetor" train "$work/mini.jsonl" -o "$work/mini.rhetor" --min-df 1 --max-features 12 \
  --features-per-head 8 --folds 2 --c-grid 1 -q --word-ngrams 1-1 2>/dev/null
head -40 "$root/corpus/train.jsonl" > "$work/mini2.jsonl"
"$rhetor" train "$work/mini2.jsonl" -o "$work/mini-char.rhetor" --min-df 1 --max-features 40 \
  --features-per-head 20 --folds 2 --c-grid 1 -q --word-ngrams 1-3 --char-ngrams 2-3 \
  --min-target-records 2 --language french 2>/dev/null

python3 - "$root" "$fuzz/corpus" "$work" <<'PY'
import os, sys, json, hashlib
root, out, work = sys.argv[1:]
def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

# model_file: whole models and truncated copies; model_payload: the payloads.
for name in ["tiny", "mini", "mini-char"]:
    b = open(os.path.join(work, name + ".rhetor"), "rb").read()
    put("model_file", b)
    put("model_payload", b[24:])
    for cut in [0, 7, 8, 12, 20, 23, 24, 25, 24 + 64, len(b) // 2, len(b) - 1]:
        put("model_file", b[:cut])

# Text targets: articles, paragraphs of the corpora, and the unit-test cases.
texts = []
adir = os.path.join(root, "corpus", "articles")
for f in sorted(os.listdir(adir)):
    texts.append(open(os.path.join(adir, f), encoding="utf-8").read()[:4000])
for f in ["train.jsonl", "examples.jsonl"]:
    for i, line in enumerate(open(os.path.join(root, "corpus", f), encoding="utf-8")):
        if i % 8 == 0:
            texts.append(json.loads(line)["text"])
texts += [
    "", "one", "one\ntwo", "one\n\ntwo", "one\r\n\r\ntwo\r\n", "  one  \n \t \n\n  two",
    "\n\nлюди\n\n\n日本語\n", "a\r\nb\r\n\r\nc", "a  \n  b\t\n\n\nc\r\n d \r\n",
    "Governments LIED!", "Really?! \"Fake\" news", "“Crisis” «now»", "In 2019, 3.5% of the 1990s",
    "don’t can't", "Running #SemST @user", "Ünïcode ΣΟΦΙΑ", "日本語",
    "can't e.g. U.S. a:b", "3.5 1,000 1;2 3'4 a.1 1.a", "foo_bar _x x_ __ 1a a1 1.5a",
    "a..b 'tis ?! \"q\" -x- #tag @u", "“Crisis”—now… don’t", "gouvernements", "Überraschung in 1990s Köln — naïve café owners can't cope.",
]
for i, t in enumerate(texts):
    put("paragraphs", t)
    put("segment_uax29", t)
    # tokenize: first byte = language index (mod the number of languages).
    put("tokenize", bytes([i % 20]) + t.encode())
put("paragraphs", b"ok line\n\nbad \xff here")
put("paragraphs", b"\xef\xbb\xbfTitle\r\n\r\nBody\r\n")
put("paragraphs", b"Caf\xe9 society \xff\xfe\n\n \xe2\x82 \n\n\xc3")

# features: byte 0 language, byte 1 options, then "target\ndoc\ndoc...", from the training
# records grouped by stance target.
by_target = {}
for line in open(os.path.join(root, "corpus", "train.jsonl"), encoding="utf-8"):
    r = json.loads(line)
    by_target.setdefault(r.get("target") or "", []).append(r["text"].replace("\n", " "))
for i, (target, docs) in enumerate(sorted(by_target.items())):
    body = "\n".join([target] + docs[:4])[:4000]
    put("features", bytes([1, [0x03, 0x1f, 0x3e, 0xff, 0x0c, 0x57][i % 6]]) + body.encode())
put("features", bytes([0, 0x1f]) + "the Bill\nThe Bill is YOUR problem. Very bad bill!\nthe bill? no".encode())

# jsonl: a few corpus lines per input, and the unit tests' lines.
lines = open(os.path.join(root, "corpus", "train.jsonl"), encoding="utf-8").read().splitlines()
lines += open(os.path.join(root, "corpus", "examples.jsonl"), encoding="utf-8").read().splitlines()
for i in range(0, len(lines), 12):
    put("jsonl", "\n".join(lines[i:i + 3]) + "\n")
tests = [
    '{"id": "d1:0", "doc": "d1", "text": "A", "labels": {"stance": "favor", "frame": ["b", "a", "a"]}, "outlet": "X"}\n\n{"text": "B", "doc": 7, "target": "T", "labels": {"frame": [], "stance": null}}\n{"text": "C"}',
    '{"text": "a"}\n{oops', "[1]", '{"id": "x"}', '{"text": 3}',
    '{"text": "a", "labels": {"s": 1}}', '{"text": "a", "labels": {"s": ["x", 2]}}',
    '{"text": "a", "labels": []}', '{"text": "a", "target": ["t"]}',
    '{"z": 1.50, "text": "T", "doc": 7, "labels": {"s": "x"}, "a": {"b": [1, "2"]}, "target": null}',
    '{"text": "a"}\nnot json\n{"text": "b"}\n', '{"text": "caf\\u00e9 \\"q\\"", "id": "x\\ny"}',
]
for t in tests:
    put("jsonl", t)
put("jsonl", b'{"text": "caf\xe9"}')
put("jsonl", b'\xef\xbb\xbf{"text": "a", "labels": {"s": "x"}}\r\n{"text": "b", "labels": {"s": ["x"]}}\r\n')
PY
for d in "$fuzz"/corpus/*/; do echo "$(ls "$d" | wc -l) seeds in $d"; done
