#!/usr/bin/env python3
"""Training time on SemEval-2023 techniques train (7,895 paragraphs, 19 labels): rhetor beside
scikit-learn's one-vs-rest LogisticRegression and LinearSVC, measured in the same run on the
same machine. scikit-learn runs single-threaded (best of 3, TF-IDF fit included in its own row);
rhetor's times are wall-clock for the whole `rhetor train` command (reading, TF-IDF, every fit,
threshold tuning, writing the model), with 1 and 2 threads.

Usage (from the repository root, after `cargo build --release`):

    python3 benches/train_time.py [--data ../shared/data]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RHETOR = ROOT / "target" / "release" / "rhetor"
sys.path.insert(0, str(HERE / "reference"))

import sklearn_reference as ref  # noqa: E402  (pins BLAS threads to 1 on import)


def timed(cmd):
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"train_time: command failed: {' '.join(cmd)}\n{out.stderr}")
    return secs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = ap.parse_args()
    data = args.data if args.data.is_absolute() else ROOT / args.data
    d = data / "semeval2023_techniques"
    if not d.is_dir():
        print(f"train_time: {d} not found: this benchmark needs the shared corpora", file=sys.stderr)
        return 2
    if not RHETOR.exists():
        print(f"train_time: {RHETOR} missing; run `cargo build --release` first", file=sys.stderr)
        return 2

    print("measuring scikit-learn (best of 3, 1 thread)...", file=sys.stderr)
    sk = ref.run_timing(ref.Corpus(data))
    rows = [
        ("scikit-learn TfidfVectorizer fit (1-2 grams)", sk["tfidf_fit_transform"]["best_s"], ""),
        ("scikit-learn OvR LogisticRegression liblinear fit", sk["ovr_lr_liblinear_fit"]["best_s"], sk["ovr_lr_liblinear_fit"]["dev_micro_f1"]),
        ("scikit-learn OvR LogisticRegression lbfgs fit", sk["ovr_lr_lbfgs_fit"]["best_s"], sk["ovr_lr_lbfgs_fit"]["dev_micro_f1"]),
        ("scikit-learn OvR LinearSVC fit", sk["ovr_linear_svc_fit"]["best_s"], sk["ovr_linear_svc_fit"]["dev_micro_f1"]),
    ]
    train = str(d / "train.jsonl")
    dev = str(d / "dev.jsonl")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "t.rhetor")
        variants = [
            ("rhetor train, 19 final fits (thresholds on --dev), 1 thread", ["--dev", dev, "--threads", "1"]),
            ("rhetor train, 19 final fits (thresholds on --dev), 2 threads", ["--dev", dev, "--threads", "2"]),
            ("rhetor train, default: + 5-fold CV thresholds (114 fits), 1 thread", ["--threads", "1"]),
            ("rhetor train, default: + 5-fold CV thresholds (114 fits), 2 threads", ["--threads", "2"]),
        ]
        for label, extra in variants:
            print(f"measuring {label}...", file=sys.stderr)
            secs = timed([str(RHETOR), "train", train, "--task", "technique", "-q", "-o", model, *extra])
            out = subprocess.run([str(RHETOR), "eval", "-m", model, dev, "--format", "json"],
                                 cwd=ROOT, capture_output=True, text=True, check=True).stdout
            f1 = json.loads(out)["tasks"]["technique"]["micro_f1"]
            rows.append((label, secs, f1))
    print("| what | seconds | dev micro-F1 |")
    print("|---|---|---|")
    for label, secs, f1 in rows:
        f1s = f"{f1:.3f}" if f1 != "" else ""
        print(f"| {label} | {secs:.2f} | {f1s} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
