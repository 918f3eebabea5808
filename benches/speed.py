#!/usr/bin/env python3
"""Speed and memory of rhetor beside scikit-learn and fastText, in one run on this machine.

Usage (from the repository root, after `cargo build --release`):

    python3 benches/speed.py [--data ../shared/data] [--workdir /tmp/rhetor-speed] [--json out.json]
                             [--skip-memory]

What is measured (SemEval-2023 techniques, read from ../shared/data at run time):

* Scoring throughput, paragraphs per second, one thread unless said otherwise (the same
  paragraphs, three times over, for every tool):
  - scikit-learn: TfidfVectorizer(1-2 grams, sublinear tf, min_df 2) + one-vs-rest
    LogisticRegression (liblinear) trained on train; vectorise + predict_proba of texts already
    in memory (no reading, no output), best of 3.
  - fastText (fasttext-wheel): supervised, one-vs-all loss, word 2-grams, trained on train;
    predict(k=-1, threshold=0.5) of texts in memory, best of 3.
  - rhetor library (`examples/throughput.rs`): analyse + score with every head of the default
    model, texts in memory, best of 5 — the like-for-like counterpart of the two above.
  - rhetor: the whole command `rhetor score --input jsonl --format jsonl` over a JSONL file
    (read, parse, split, analyse, score every head of the default model, write every score),
    output to /dev/null, with --threads 1 and 2, best of 3.
* Training on train (7,895 paragraphs, 19 labels): scikit-learn one-vs-rest LinearSVC and
  LogisticRegression fits (1 thread, best of 3, TF-IDF time given apart) and `rhetor train
  --task technique` (whole command with default settings: TF-IDF, final models and 5-fold
  cross-validated thresholds), with dev micro-F1 for each.
* Peak memory (max RSS) of `rhetor score` over generated 100 MB and 1 GB JSONL files.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RHETOR = ROOT / "target" / "release" / "rhetor"
sys.path.insert(0, str(HERE / "reference"))

import sklearn_reference as ref  # noqa: E402  (pins BLAS threads to 1 on import)
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402


def best_of(n, fn):
    best = None
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    return best


def run_timed(cmd, stdout=subprocess.DEVNULL):
    """Wall seconds and max RSS (KB) of a command, via GNU time."""
    t = subprocess.run(["/usr/bin/time", "-f", "%e %M", *map(str, cmd)], cwd=ROOT,
                       stdout=stdout, stderr=subprocess.PIPE, text=True)
    if t.returncode != 0:
        sys.exit(f"speed: command failed: {' '.join(map(str, cmd))}\n{t.stderr}")
    wall, rss = t.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss)


def write_jsonl(path, records, target_bytes=None, repeats=None):
    """Paragraph records with unique ids, repeated to `repeats` copies or `target_bytes`."""
    n = 0
    with open(path, "w") as f:
        k = 0
        while True:
            for r in records:
                line = json.dumps({"id": f"{r['id']}#{k}", "doc": f"{r['doc']}#{k}", "text": r["text"]}) + "\n"
                f.write(line)
                n += 1
            k += 1
            if repeats is not None and k >= repeats:
                break
            if target_bytes is not None and f.tell() >= target_bytes:
                break
    return n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/rhetor-speed"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--skip-memory", action="store_true")
    args = ap.parse_args()
    data = args.data if args.data.is_absolute() else ROOT / args.data
    d = data / "semeval2023_techniques"
    if not d.is_dir():
        print(f"speed: {d} not found: this benchmark needs the shared corpora", file=sys.stderr)
        return 2
    if not RHETOR.exists():
        print(f"speed: {RHETOR} missing; run `cargo build --release` first", file=sys.stderr)
        return 2
    try:
        import fasttext  # noqa: F401
    except ImportError:
        print("speed: fastText is missing: pip install fasttext-wheel", file=sys.stderr)
        return 2
    import fasttext

    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    corpus = ref.Corpus(data)
    train = corpus.split("semeval2023_techniques", "train")
    dev = corpus.split("semeval2023_techniques", "dev")
    paras = train + dev
    texts = [r["text"] for r in paras]
    results = {"machine": platform.platform(), "cpus": os.cpu_count(), "paragraphs": len(paras)}
    log = lambda m: print(m, file=sys.stderr)

    # --- scoring throughput ------------------------------------------------------------------
    log("scoring: scikit-learn...")
    vec = ref.make_vectorizer()
    Xtr = vec.fit_transform([r["text"] for r in train])
    mlb = MultiLabelBinarizer().fit([r["labels"]["technique"] for r in train])
    Ytr = mlb.transform([r["labels"]["technique"] for r in train])
    clf = OneVsRestClassifier(LogisticRegression(solver="liblinear"), n_jobs=1).fit(Xtr, Ytr)
    reps = texts * 3
    sk_s = best_of(3, lambda: clf.predict_proba(vec.transform(reps)))
    results["sklearn_score_per_s"] = len(reps) / sk_s

    log("scoring: fastText...")
    ft_file = work / "ft_train.txt"
    with open(ft_file, "w") as f:
        for r in train:
            labels = " ".join("__label__" + l for l in r["labels"]["technique"]) or "__label__none"
            f.write(labels + " " + r["text"].replace("\n", " ") + "\n")
    t0 = time.perf_counter()
    ft = fasttext.train_supervised(str(ft_file), loss="ova", wordNgrams=2, epoch=25, thread=1, verbose=0)
    results["fasttext_train_s"] = time.perf_counter() - t0
    flat = [t.replace("\n", " ") for t in reps]
    ft_s = best_of(3, lambda: ft.predict(flat, k=-1, threshold=0.5))
    results["fasttext_score_per_s"] = len(flat) / ft_s

    log("scoring: rhetor library (texts in memory)...")
    lines_file = work / "paragraphs.txt"
    with open(lines_file, "w") as f:
        for t in reps:
            f.write(t.replace("\n", " ") + "\n")
    out = subprocess.run(["cargo", "run", "--release", "--quiet", "--example", "throughput", "--", str(lines_file)],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    results["rhetor_library_score_per_s"] = json.loads(out)["per_s"]

    log("scoring: rhetor...")
    score_file = work / "paragraphs.jsonl"
    n_score = write_jsonl(score_file, paras, repeats=20)
    results["rhetor_score_paragraphs"] = n_score
    for threads in (1, 2):
        best = min(run_timed([RHETOR, "score", "--input", "jsonl", "--format", "jsonl", "--threads",
                              threads, score_file])[0] for _ in range(3))
        results[f"rhetor_score_per_s_{threads}"] = n_score / best

    # --- training ----------------------------------------------------------------------------
    log("training: scikit-learn...")
    sk = ref.run_timing(corpus)
    results["sklearn_timing"] = sk
    log("training: rhetor...")
    model = work / "t.rhetor"
    for threads in (1, 2):
        best = min(run_timed([RHETOR, "train", d / "train.jsonl", "--task", "technique", "-q",
                              "--threads", threads, "-o", model])[0] for _ in range(3))
        results[f"rhetor_train_s_{threads}"] = best
    out = subprocess.run([str(RHETOR), "eval", "-m", str(model), str(d / "dev.jsonl"), "--format", "json"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    results["rhetor_train_dev_micro_f1"] = json.loads(out)["tasks"]["technique"]["micro_f1"]

    # --- memory ------------------------------------------------------------------------------
    if not args.skip_memory:
        for name, size in (("100MB", 100 << 20), ("1GB", 1 << 30)):
            path = work / f"score_{name}.jsonl"
            log(f"memory: writing {name} of JSONL...")
            n = write_jsonl(path, paras, target_bytes=size)
            real = path.stat().st_size
            log(f"memory: scoring {name}...")
            wall, rss = run_timed([RHETOR, "score", "--input", "jsonl", "--format", "jsonl", path])
            results[f"memory_{name}"] = {"bytes": real, "paragraphs": n, "wall_s": wall, "max_rss_kb": rss,
                                         "per_s": n / wall}
            path.unlink()

    # --- report ------------------------------------------------------------------------------
    r = results
    rows = [
        ("scikit-learn TF-IDF + OvR LR, vectorise + predict (1 thread)", f"{r['sklearn_score_per_s']:,.0f}/s", ""),
        ("fastText predict (1 thread)", f"{r['fasttext_score_per_s']:,.0f}/s", ""),
        ("rhetor library, analyse + score all 4 heads, texts in memory (1 thread)",
         f"{r['rhetor_library_score_per_s']:,.0f}/s",
         f"{r['rhetor_library_score_per_s'] / r['sklearn_score_per_s']:.1f}× scikit-learn, "
         f"{r['rhetor_library_score_per_s'] / r['fasttext_score_per_s']:.1f}× fastText"),
        ("rhetor score, JSONL in → JSONL out, 1 thread", f"{r['rhetor_score_per_s_1']:,.0f}/s",
         f"{r['rhetor_score_per_s_1'] / r['sklearn_score_per_s']:.1f}× scikit-learn, "
         f"{r['rhetor_score_per_s_1'] / r['fasttext_score_per_s']:.1f}× fastText"),
        ("rhetor score, 2 threads", f"{r['rhetor_score_per_s_2']:,.0f}/s",
         f"{r['rhetor_score_per_s_2'] / r['rhetor_score_per_s_1']:.2f}× one thread"),
    ]
    print("| scoring (SemEval-2023 paragraphs) | throughput | ratio |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print()
    t = r["sklearn_timing"]
    svc = t["ovr_linear_svc_fit"]["best_s"]
    lr = t["ovr_lr_lbfgs_fit"]["best_s"]
    lib = t["ovr_lr_liblinear_fit"]["best_s"]
    tf = t["tfidf_fit_transform"]["best_s"]
    print("| training (techniques train, 19 labels) | seconds | dev micro-F1 | ratio |")
    print("|---|---|---|---|")
    print(f"| scikit-learn TF-IDF fit | {tf:.2f} | | |")
    print(f"| scikit-learn OvR LinearSVC fit | {svc:.2f} | {t['ovr_linear_svc_fit']['dev_micro_f1']:.3f} | |")
    print(f"| scikit-learn OvR LogisticRegression liblinear / lbfgs fit | {lib:.2f} / {lr:.2f} | "
          f"{t['ovr_lr_lbfgs_fit']['dev_micro_f1']:.3f} (threshold 0.5) | |")
    print(f"| fastText train (1 thread, 25 epochs) | {r['fasttext_train_s']:.2f} | | |")
    for threads in (1, 2):
        s = r[f"rhetor_train_s_{threads}"]
        print(f"| rhetor train (whole command, CV thresholds), {threads} thread{'s' if threads > 1 else ''} | "
              f"{s:.2f} | {r['rhetor_train_dev_micro_f1']:.3f} | pipelines: {s / (svc + tf):.2f}× TF-IDF + "
              f"LinearSVC, {s / (lr + tf):.2f}× TF-IDF + LR; fits alone: {s / svc:.2f}× LinearSVC, "
              f"{s / lr:.2f}× LR |")
    if not args.skip_memory:
        print()
        print("| memory (rhetor score, default threads) | input | paragraphs | max RSS | throughput |")
        print("|---|---|---|---|---|")
        for name in ("100MB", "1GB"):
            m = r[f"memory_{name}"]
            print(f"| {name} JSONL | {m['bytes'] / 1e6:,.0f} MB | {m['paragraphs']:,} | "
                  f"{m['max_rss_kb'] / 1024:.0f} MB | {m['per_s']:,.0f}/s |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
