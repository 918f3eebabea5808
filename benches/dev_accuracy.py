#!/usr/bin/env python3
"""rhetor trained on each corpus's train split alone (no --dev: nothing is tuned on what is
measured), then measured on its dev split. Prints a markdown table with the command behind
every figure, and optionally the scikit-learn references beside it.

Usage (from the repository root, after `cargo build --release`):

    python3 benches/dev_accuracy.py [--data ../shared/data] [--sklearn REF.json] [--only NAME ...]

REF.json is the output of benches/reference/sklearn_reference.py.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RHETOR = ROOT / "target" / "release" / "rhetor"

# (name, dataset, task, extra train flags, headline metric, sklearn reference key)
CONFIGS = [
    ("techniques", "semeval2023_techniques", "technique", [], "micro_f1", "technique"),
    ("persuasion", "semeval2023_techniques", "persuasion", [], "macro_f1", "persuasion"),
    ("frames", "semeval2023_frames", "frame", [], "micro_f1", "frame"),
    ("ptc", "ptc_techniques", "technique", [], "micro_f1", "technique"),
    # GVFC's headline measure is accuracy: C is chosen by cross-validated accuracy, unweighted.
    ("gvfc", "gvfc_frames", "frame", ["--class-weight", "none", "--select-metric", "accuracy"], "accuracy", "frame"),
    ("newsmtsc", "newsmtsc_sentiment", "stance", [], "macro_f1", "stance"),
]


def run(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"dev_accuracy: command failed ({out.returncode}): {' '.join(map(str, cmd))}\n{out.stderr}")
    return out.stdout, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--sklearn", type=Path, help="sklearn_reference.py output to show beside")
    ap.add_argument("--only", nargs="+", help="config names: " + ", ".join(c[0] for c in CONFIGS))
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    data = args.data if args.data.is_absolute() else (ROOT / args.data)
    if not data.is_dir():
        print(f"dev_accuracy: {data} not found: these figures need the shared corpora", file=sys.stderr)
        return 2
    if not RHETOR.exists():
        print(f"dev_accuracy: {RHETOR} missing; run `cargo build --release` first", file=sys.stderr)
        return 2
    ref = json.loads(args.sklearn.read_text()) if args.sklearn else None
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, dataset, task, extra, metric, ref_key in CONFIGS:
            if args.only and name not in args.only:
                continue
            train = args.data / dataset / "train.jsonl"
            dev = args.data / dataset / "dev.jsonl"
            model = Path(tmp) / f"{name}.rhetor"
            train_cmd = [str(RHETOR), "train", str(train), "--task", task, "-q", "-o", str(model), *extra]
            _, secs = run(train_cmd)
            out, _ = run([str(RHETOR), "eval", "-m", str(model), str(dev), "--format", "json"])
            t = json.loads(out)["tasks"][task]
            value = t[metric]
            shown = " ".join(["rhetor train", str(train), "--task", task, *extra, "-o", "m.rhetor"])
            shown += f"; rhetor eval -m m.rhetor {dev}"
            untuned = tuned = ""
            if ref:
                u = ref.get("untuned", {}).get(dataset, {}).get(ref_key, {})
                tu = ref.get("tuned", {}).get(dataset, {}).get(ref_key, {})
                untuned = f"{u[metric]:.3f}" if metric in u else ""
                tuned = f"{tu[metric]:.3f}" if metric in tu else ""
            rows.append((name, task, metric, f"{value:.3f}", untuned, tuned, f"{secs:.0f}", shown))
            results[name] = {"dataset": dataset, "task": task, "metric": metric, "value": value,
                             "train_seconds": secs, "command": shown, "report": t}
            print(f"{name}: {metric} {value:.4f} ({secs:.0f} s)", file=sys.stderr)
    print("| corpus | task | metric | rhetor dev | sklearn untuned | sklearn tuned | train s | command |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r[:7]) + f" | `{r[7]}` |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
