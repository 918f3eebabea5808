#!/usr/bin/env python3
"""Regenerates the accuracy report benches/ACCURACY.md (and benches/accuracy.json): rhetor beside
the scikit-learn references, computed in the same run on the same splits.

Usage (from the repository root, after `cargo build --release`):

    python3 benches/accuracy.py [--data DIR] [--rhetor PATH] [--rhetor-commit REV] [--only DATASET ...]
                                [--sklearn-json FILE] [--threads N] [--out FILE.md] [--json FILE]

The labelled corpora are read at run time from ../shared/data (relative to the repository root);
they are never copied into the repository, only the figures computed from them are written.

What is measured:

* every task of every dataset that has a dev split: rhetor trained on train.jsonl with
  `rhetor train --search` (vocabulary and every head's settings chosen by cross-validation on train
  only), then `rhetor eval` on dev.jsonl; scikit-learn untuned and tuned references
  (benches/reference/sklearn_reference.py, imported and run here) on the same splits;
* SemEval-2016 stance (no dev split): F_avg of pooled out-of-fold predictions over the reference's
  own 5 grouped folds of train, with rhetor's search nested inside each training part;
* SemEval-2023 frames: the whole-article model against paragraph models whose scores are
  aggregated per article with one global threshold chosen by grouped cross-validation over train.

The searches of SemEval-2023 frames, GVFC, NewsMTSC and SemEval-2016 stance are also offered
rhetor's sentence encoder block (`--encoder`, all-MiniLM-L6-v2, fetched once with
contrib/encoder/fetch.py into target/encoder/all-MiniLM-L6-v2 unless --encoder DIR or --no-encoder
is given); each search keeps it only when cross-validation on train says it pays
(ENCODER_DATASETS below).

Every figure in the report is computed by the run, except the quoted test-split references
(TEST_SPLIT_REFERENCES below), which are figures on withheld test splits that this script cannot
compute. Fixed seeds throughout; temporary files live in a TemporaryDirectory.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time

STARTED = time.perf_counter()
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "benches" / "reference"))

import sklearn_reference as ref  # noqa: E402  (pins BLAS threads to 1 on import)
import numpy as np  # noqa: E402
import sklearn  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_RHETOR = REPO_ROOT / "target" / "release" / "rhetor"
DEFAULT_OUT = REPO_ROOT / "benches" / "ACCURACY.md"

MARGIN = 0.02  # rhetor must beat the tuned scikit-learn reference by at least this much
ECE_LIMIT = 0.05  # expected calibration error above this is flagged
RHETOR_SEED = 42
RELIABILITY_BINS = 10  # as in `rhetor eval`
DEV_SELECT_METRIC = "macro-f1"  # single-label heads' CV objective on dev-split datasets
STANCE_SELECT_METRIC = "f-avg"
STANCE_TASK = "stance"
N_STANCE_FOLDS = ref.N_FOLDS
FRAMES_DATASET, FRAMES_TASK = "semeval2023_frames", "frame"
# Datasets whose rhetor search is offered the sentence encoder block. Not the SemEval-2023 and
# PTC technique datasets: 7,895 paragraphs and 14,587 sentences under heads of 23 and 14 labels,
# where cross-validating a dense 384-dimension model beside every label's n-gram model would
# multiply the run's time.
ENCODER_DATASETS = (FRAMES_DATASET, "gvfc_frames", "newsmtsc_sentiment", ref.STANCE_DATASET)
DEFAULT_ENCODER = REPO_ROOT / "target" / "encoder" / "all-MiniLM-L6-v2"

# Datasets in the order of ../shared/data/README.md; anything else found there follows, sorted.
KNOWN_ORDER = [
    "semeval2023_techniques",
    "semeval2023_frames",
    "ptc_techniques",
    "gvfc_frames",
    "newsmtsc_sentiment",
    ref.STANCE_DATASET,
]

# Short names of the reference's text variants (footnotes of the main table).
STANCE_VARIANT_NOTES = {
    "stance_all_targets": "one model for all targets",
    "stance_per_target": "one model per target",
}

# Quoted, not computed: figures on the withheld test splits (the project is measured on them).
# (task, metric, figure we are measured against, TF-IDF + linear test figure in the data READMEs)
TEST_SPLIT_REFERENCES = [
    ("SemEval-2023 techniques (paragraph)", "micro-F1", "0.218", "0.221"),
    ("SemEval-2023 frames (article)", "micro-F1", "0.610", "0.604"),
    ("PTC techniques (sentence)", "micro-F1", "0.203", "0.203"),
    ("SemEval-2016 stance (tweet)", "F_avg", "0.690", "0.6898 (per-target SVM-ngrams, published)"),
    ("GVFC frame (headline, 10-way incl. none)", "accuracy", "0.731", "0.704 (0.63–0.73 range in the README table)"),
]


class Failure(Exception):
    """A problem that stops the run, with a message for the user."""


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - STARTED:7.1f}s] {msg}", file=sys.stderr, flush=True)



# --------------------------------------------------------------------------------------------------
# Small helpers


def r6(x):
    return None if x is None else round(float(x), 6)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_jsonl(path: Path, records) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def ece_if_calibrated(reliability, draws: int = 4000, seed: int = 0):
    """How large the ECE of a perfectly calibrated model would be on the same records: each bin's
    outcomes drawn as Binomial(n_b, mean predicted probability of the bin), ECE computed as
    `rhetor eval` does. Returns the mean, the 90th percentile and the share of draws above
    ECE_LIMIT, or None without bins."""
    bins = [b for b in (reliability or []) if b["n"] > 0]
    if not bins:
        return None
    n = np.array([b["n"] for b in bins], dtype=float)
    p = np.array([b["mean_predicted"] for b in bins])
    rng = np.random.default_rng(seed)
    hits = rng.binomial(n.astype(int), p, size=(draws, len(bins)))
    e = (n / n.sum() * np.abs(p - hits / n)).sum(axis=1)
    return {"mean": r6(e.mean()), "p90": r6(np.percentile(e, 90)), "share_above_limit": r6((e > ECE_LIMIT).mean())}


def ece(pairs) -> float:
    """Expected calibration error exactly as `rhetor eval` computes it (src/model/calibrate.rs):
    10 equal-width bins of (probability, was it right) pairs, sum of n_b/N * |observed - mean|."""
    n = np.zeros(RELIABILITY_BINS)
    sp = np.zeros(RELIABILITY_BINS)
    hits = np.zeros(RELIABILITY_BINS)
    for p, ok in pairs:
        k = min(int(p * RELIABILITY_BINS), RELIABILITY_BINS - 1)
        n[k] += 1
        sp[k] += p
        hits[k] += bool(ok)
    total = max(n.sum(), 1)
    nz = n > 0
    return float((n[nz] / total * np.abs(hits[nz] / n[nz] - sp[nz] / n[nz])).sum())


def micro_f1(gold: list, pred: list) -> dict:
    """Micro-F1 over label sets (one set per item)."""
    tp = sum(len(g & p) for g, p in zip(gold, pred))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"micro_f1": f, "micro_precision": prec, "micro_recall": rec, "predicted_positives": n_pred,
            "gold_positives": n_gold}


def split_paragraphs(text: str) -> list:
    """Paragraphs as rhetor splits them (src/text/paragraph.rs): maximal runs of non-blank lines,
    a blank line being one of whitespace only; each paragraph trimmed."""
    out, cur = [], []
    for line in text.split("\n"):
        if line.strip():
            cur.append(line)
        elif cur:
            out.append("\n".join(cur).strip())
            cur = []
    if cur:
        out.append("\n".join(cur).strip())
    return out


def split_lines(text: str) -> list:
    """Every non-blank line, trimmed (the SemEval-2023 Task 3 paragraph unit)."""
    return [line.strip() for line in text.split("\n") if line.strip()]


def fmt(x, digits=3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def fmt_signed(x, digits=4) -> str:
    return "–" if x is None else f"{x:+.{digits}f}"


# --------------------------------------------------------------------------------------------------
# rhetor


class Rhetor:
    def __init__(self, path: Path, threads: int):
        self.path = path
        self.threads = threads
        self.commands = 0

    def run(self, args: list) -> tuple:
        cmd = [str(self.path), *map(str, args)]
        t0 = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.perf_counter() - t0
        self.commands += 1
        if out.returncode != 0:
            tail = "\n".join(out.stderr.strip().splitlines()[-30:])
            raise Failure(f"rhetor failed (exit {out.returncode}): {shlex.join(cmd)}\n{tail}")
        return out.stdout, out.stderr, secs

    def version(self) -> str:
        return self.run(["--version"])[0].strip()

    def train(self, files: list, model: Path, flags: list) -> dict:
        """Trains with progress messages on, so the search's choices can be reported."""
        _, err, secs = self.run(["train", *files, *flags, "--threads", self.threads, "-o", model])
        return {"seconds": r6(secs), **parse_train_log(err)}

    def eval(self, model: Path, files: list, predictions: Path) -> tuple:
        """(`rhetor eval`'s tasks, each record's predicted labels by record id and task)."""
        out, _, _ = self.run(["eval", "-m", model, *files, "--format", "json", "--threads", self.threads,
                              "--predictions", predictions])
        predicted = {}
        with open(predictions, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                predicted[rec["id"]] = {task: t["predicted"] for task, t in rec["tasks"].items()}
        return json.loads(out)["tasks"], predicted

    def score(self, model: Path, file: Path) -> list:
        out, _, _ = self.run(["score", "-m", model, "--input", "jsonl", file, "--format", "jsonl",
                              "--threads", self.threads, "-q"])
        return [json.loads(line) for line in out.splitlines() if line.strip()]


HEAD_RE = re.compile(
    r"^  (?P<task>\S+)\s+(?P<kind>single|multi)-label, (?P<labels>\d+) labels, (?P<records>\d+) records: "
    r"(?P<settings>.+?), cross-validated (?P<metric>.+?) (?P<score>[0-9.]+)$"
)


def parse_train_log(stderr: str) -> dict:
    """The search's choices from `rhetor train --search` progress output: the summary that follows
    'model written to', its chosen vocabulary, each head's chosen settings and CV score."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("model written to")), None)
    summary = lines[start:] if start is not None else lines
    # The model path is a temporary file: keep the summary free of it so reruns compare cleanly.
    summary = [re.sub(r"^model written to .*? \(", "model written to M (", line) for line in summary]
    vocabulary = next((line[len("vocabulary: "):] for line in summary if line.startswith("vocabulary: word")), None)
    heads = []
    for line in summary:
        m = HEAD_RE.match(line)
        if m:
            heads.append({
                "task": m["task"], "kind": m["kind"], "labels": int(m["labels"]), "records": int(m["records"]),
                "settings": m["settings"], "cv_metric": m["metric"], "cv_score": float(m["score"]),
            })
        # A multi-label head's threshold rule follows its line.
        t = re.match(r"^\s+thresholds: (one for all labels|one per label) \(", line)
        if t and heads:
            heads[-1]["threshold_rule"] = t[1]
    total = next((float(m[1]) for line in summary if (m := re.match(r"^  time total\s+([0-9.]+) s", line))), None)
    return {"vocabulary": vocabulary, "heads": heads, "rhetor_time_total_s": total, "summary": "\n".join(summary)}


# --------------------------------------------------------------------------------------------------
# Datasets and tasks


def discover(corpus, data: Path, only) -> tuple:
    """(dev datasets with their tasks, whether the stance CV runs, datasets not measured)."""
    found = sorted(d.name for d in data.iterdir() if (d / "train.jsonl").is_file())
    if not found:
        raise Failure(f"no dataset folder with a train.jsonl in {data}")
    ordered = [d for d in KNOWN_ORDER if d in found] + [d for d in found if d not in KNOWN_ORDER]
    if only:
        unknown = sorted(set(only) - set(found))
        if unknown:
            raise Failure(f"unknown --only dataset(s): {', '.join(unknown)}; found: {', '.join(ordered)}")
        ordered = [d for d in ordered if d in only]
    dev_sets, stance, skipped = [], False, []
    for ds in ordered:
        if (data / ds / "dev.jsonl").is_file():
            train, dev = corpus.split(ds, "train"), corpus.split(ds, "dev")
            train_tasks = {t for r in train for t in r["labels"]}
            dev_tasks = {t for r in dev for t in r["labels"]}
            known = [s.label_key for s in ref.DEV_TASKS if s.dataset == ds]
            tasks = [t for t in dict.fromkeys(known) if t in dev_tasks & train_tasks]
            tasks += sorted((dev_tasks & train_tasks) - set(tasks))
            specs = {}
            for task in tasks:
                specs[task] = [s for s in ref.DEV_TASKS if s.dataset == ds and s.label_key == task] or [
                    ref.TaskSpec(ds, task, task, ref.plain_text)
                ]
            dev_sets.append((ds, specs))
        elif ds == ref.STANCE_DATASET:
            corpus.split(ds, "train")
            stance = True
        else:
            skipped.append(ds)
    return dev_sets, stance, skipped


# --------------------------------------------------------------------------------------------------
# scikit-learn side


def compute_sklearn(corpus, dev_sets, stance: bool) -> dict:
    result = {
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "untuned": {},
        "tuned": {},
        "warnings": {},
    }
    t0 = time.perf_counter()
    for ds, specs in dev_sets:
        for task_specs in specs.values():
            for spec in task_specs:
                log(f"scikit-learn {ds}/{spec.name}")
                with ref.collect_warnings(result["warnings"], f"{ds}/{spec.name}"):
                    untuned, tuned = ref.run_dev_task(corpus, spec)
                result["untuned"].setdefault(ds, {})[spec.name] = untuned
                result["tuned"].setdefault(ds, {})[spec.name] = tuned
    if stance:
        log(f"scikit-learn {ref.STANCE_DATASET} (nested 5-fold CV)")
        with ref.collect_warnings(result["warnings"], ref.STANCE_DATASET):
            untuned, tuned = ref.run_stance(corpus)
        result["untuned"][ref.STANCE_DATASET] = untuned
        result["tuned"][ref.STANCE_DATASET] = tuned
    result["elapsed_s"] = round(time.perf_counter() - t0, 1)
    result["source"] = "computed in this run"
    return result


def load_sklearn(path: Path, corpus, dev_sets, stance: bool) -> dict:
    """A saved sklearn_reference.py output (or a previous accuracy.json); refused if it was computed
    on other data or lacks a figure this run needs."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Failure(f"cannot read --sklearn-json {path}: {e}")
    saved = saved.get("sklearn_reference", saved)
    theirs = saved.get("data_sha256", {})
    for name, digest in corpus.checksums.items():
        if name in theirs and theirs[name] != digest:
            raise Failure(f"--sklearn-json {path} was computed on a different {name} (sha256 differs); "
                          "recompute the references (omit --sklearn-json)")
    needed = [(ds, s.name) for ds, specs in dev_sets for ss in specs.values() for s in ss]
    if stance:
        needed += [(ref.STANCE_DATASET, k) for k in STANCE_VARIANT_NOTES]
    for ds, name in needed:
        for variant in ("untuned", "tuned"):
            if name not in saved.get(variant, {}).get(ds, {}):
                raise Failure(f"--sklearn-json {path} has no {variant} figure for {ds}/{name}")
        if f"{ds}/train.jsonl" not in theirs:
            raise Failure(f"--sklearn-json {path} records no checksum for {ds}/train.jsonl")
    saved = dict(saved)
    saved["source"] = f"reused from {path}"
    return saved


# --------------------------------------------------------------------------------------------------
# rhetor: dev-split datasets


def train_flags(select_metric: str, tasks=None) -> list:
    flags = ["--search", "--select-metric", select_metric, "--seed", RHETOR_SEED]
    for t in tasks or []:
        flags += ["--task", t]
    return flags


def run_dev_dataset(rhetor: Rhetor, data: Path, ds: str, tmp: Path, encoder) -> dict:
    train, dev = data / ds / "train.jsonl", data / ds / "dev.jsonl"
    model = tmp / f"{ds}.rhetor"
    flags = train_flags(DEV_SELECT_METRIC)
    shown_flags = list(flags)
    if encoder is not None and ds in ENCODER_DATASETS:
        flags += ["--encoder", encoder]
        shown_flags += ["--encoder", "MINILM_DIR"]
    log(f"rhetor train --search {ds}")
    trained = rhetor.train([train], model, flags)
    log(f"rhetor eval {ds} ({trained['seconds']:.0f} s training)")
    tasks, predicted = rhetor.eval(model, [dev], tmp / f"{ds}.predictions.jsonl")
    shown = f"rhetor train ../shared/data/{ds}/train.jsonl {shlex.join(map(str, shown_flags))} " \
            f"--threads {rhetor.threads} -o M; rhetor eval -m M ../shared/data/{ds}/dev.jsonl --format json " \
            "--predictions P"
    # "predictions" (record by record) feed the paired comparison and are not saved in the JSON.
    return {"command": shown, "train": trained, "eval": tasks, "predictions": predicted}


def ensure_encoder(path: Path) -> Path:
    """The encoder directory, fetched with contrib/encoder/fetch.py when it is not there yet."""
    if not (path / "model.safetensors").is_file():
        log(f"fetching the sentence encoder into {path}")
        out = subprocess.run([sys.executable, str(REPO_ROOT / "contrib" / "encoder" / "fetch.py"), str(path)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise Failure(f"contrib/encoder/fetch.py {path} failed:\n{out.stderr.strip()}\n"
                          "Pass --encoder DIR (a copy of all-MiniLM-L6-v2) or --no-encoder.")
    return path


# --------------------------------------------------------------------------------------------------
# rhetor: SemEval-2016 stance, nested cross-validation on the reference's folds


def run_stance_cv(rhetor: Rhetor, corpus, tmp: Path, encoder) -> dict:
    sd = ref.stance_data(corpus)
    ids = [r["id"] for r in sd.records]
    if len(set(ids)) != len(ids):
        raise Failure(f"{ref.STANCE_DATASET}: record ids are not unique; cannot match scores to records")

    def fair(i: int) -> dict:
        # Every field kept; only the text is the reference's (stance_tweet_text: '#SemST' removed).
        return {**sd.records[i], "text": str(sd.texts[i])}

    flags = train_flags(STANCE_SELECT_METRIC, [STANCE_TASK])
    shown_flags = list(flags)
    if encoder is not None and ref.STANCE_DATASET in ENCODER_DATASETS:
        flags += ["--encoder", encoder]
        shown_flags += ["--encoder", "MINILM_DIR"]
    oof = np.empty(len(ids), dtype=object)
    confidence = np.zeros(len(ids))
    folds = []
    for k, (tr, te) in enumerate(sd.folds):
        train_file, held_file, model = tmp / f"stance{k}_train.jsonl", tmp / f"stance{k}_held.jsonl", tmp / f"stance{k}.rhetor"
        write_jsonl(train_file, (fair(i) for i in tr))
        write_jsonl(held_file, (fair(i) for i in te))
        log(f"rhetor stance fold {k + 1}/{len(sd.folds)}: train --search on {len(tr)} tweets")
        trained = rhetor.train([train_file], model, flags)
        rows = rhetor.score(model, held_file)
        by_id = {}
        for row in rows:
            if row["id"] in by_id:
                raise Failure(f"{ref.STANCE_DATASET}: rhetor score gave several paragraphs for record {row['id']}")
            by_id[row["id"]] = row
        if set(by_id) != {ids[i] for i in te}:
            raise Failure(f"{ref.STANCE_DATASET}: rhetor score rows do not match the held-out records of fold {k}")
        for i in te:
            row = by_id[ids[i]]
            oof[i] = row["labels"][STANCE_TASK]
            confidence[i] = row["scores"][STANCE_TASK][oof[i]]
        fold_pred = oof[te].astype(str)
        folds.append({
            "fold": k, "n_train": int(len(tr)), "n_held_out": int(len(te)),
            "held_out_f_avg": r6(ref.f_avg(sd.y[te], fold_pred)),
            "train": trained,
        })
    oof = oof.astype(str)
    metrics = ref.stance_metrics(sd.y, oof, sd.targets)
    shown = (f"for each of the 5 folds: rhetor train FOLD_TRAIN.jsonl {shlex.join(map(str, shown_flags))} "
             f"--threads {rhetor.threads} -o M; rhetor score -m M --input jsonl FOLD_HELD.jsonl --format jsonl")
    return {
        **metrics,
        "ece": r6(ece(zip(confidence, oof == sd.y))),
        "n": len(ids),
        "command": shown,
        "evaluation": "pooled out-of-fold predictions over sklearn_reference.stance_data(...).folds "
                      "(StratifiedGroupKFold(5, shuffle, seed 0) over train, grouped by doc, stratified by "
                      "target|stance); rhetor's --search runs inside each training part",
        "text": "'#SemST' removed (sklearn_reference.stance_tweet_text), every other field kept",
        "folds": folds,
    }


# --------------------------------------------------------------------------------------------------
# rhetor: SemEval-2023 frames, whole articles vs paragraphs aggregated per article

UNITS = {
    # name: (description, splitter, score the article records directly?)
    "paragraph": ("paragraphs split on blank lines (rhetor's own paragraph unit)", split_paragraphs, True),
    "line": ("non-blank lines (the SemEval-2023 Task 3 paragraph unit)", split_lines, False),
}
AGGREGATIONS = ("mean", "max")


def unit_records(articles: list, splitter) -> list:
    out = []
    for a in articles:
        for k, text in enumerate(splitter(a["text"])):
            out.append({"id": f"{a['id']}#{k}", "doc": a["doc"], "text": text,
                        "labels": {FRAMES_TASK: a["labels"][FRAMES_TASK]}})
    return out


def article_scores(rhetor: Rhetor, model: Path, articles: list, unit: str, tmp: Path, tag: str) -> tuple:
    """Per article (by doc), per label: mean and max of the units' probabilities; and the number of
    units rhetor scored per article."""
    desc, splitter, direct = UNITS[unit]
    path = tmp / f"{tag}_score.jsonl"
    if direct:
        # rhetor score splits each article record into paragraphs itself.
        write_jsonl(path, articles)
    else:
        write_jsonl(path, unit_records(articles, splitter))
    per_doc = defaultdict(list)
    for row in rhetor.score(model, path):
        # Units rhetor recognises as headlines, bylines or boilerplate carry no scores.
        if FRAMES_TASK in row.get("scores", {}):
            per_doc[row["doc"]].append(row["scores"][FRAMES_TASK])
    missing = [a["doc"] for a in articles if a["doc"] not in per_doc]
    if missing:
        raise Failure(f"{FRAMES_DATASET}: rhetor score returned nothing for {len(missing)} article(s), e.g. {missing[0]}")
    agg = {}
    for doc, rows in per_doc.items():
        labels = sorted(rows[0])
        m = np.array([[r[lab] for lab in labels] for r in rows])
        agg[doc] = {"labels": labels, "mean": m.mean(axis=0), "max": m.max(axis=0), "units": len(rows)}
    return agg


def decide(agg: dict, articles: list, how: str, thr: float) -> list:
    out = []
    for a in articles:
        s = agg[a["doc"]]
        out.append({lab for lab, p in zip(s["labels"], s[how]) if p >= thr})
    return out


def best_threshold(agg: dict, articles: list, how: str) -> tuple:
    gold = [set(a["labels"][FRAMES_TASK]) for a in articles]
    scores = [micro_f1(gold, decide(agg, articles, how, t))["micro_f1"] for t in ref.THRESHOLDS]
    best = int(np.argmax(scores))  # first (lowest) threshold on ties, as the reference does
    return float(ref.THRESHOLDS[best]), scores[best]


def run_frames_unit(rhetor: Rhetor, corpus, unit: str, tmp: Path) -> dict:
    desc, splitter, _ = UNITS[unit]
    train, dev = corpus.split(FRAMES_DATASET, "train"), corpus.split(FRAMES_DATASET, "dev")
    for name, arts in (("train", train), ("dev", dev)):
        docs = [a["doc"] for a in arts]
        if len(set(docs)) != len(docs):
            raise Failure(f"{FRAMES_DATASET}/{name}: several records per doc; article-level aggregation needs one")
    flags = train_flags(DEV_SELECT_METRIC, [FRAMES_TASK])
    groups = np.array([a["doc"] for a in train])
    folds = ref.grouped_folds(len(train), groups)

    # One global threshold per aggregation, chosen on pooled out-of-fold article scores; the search
    # runs inside each training part (nested), exactly as it does for the final model.
    oof, fold_logs = {}, []
    for k, (tr, te) in enumerate(folds):
        train_file, model = tmp / f"frames_{unit}{k}_train.jsonl", tmp / f"frames_{unit}{k}.rhetor"
        recs = unit_records([train[i] for i in tr], splitter)
        write_jsonl(train_file, recs)
        log(f"rhetor frames/{unit} threshold fold {k + 1}/{len(folds)}: train --search on {len(recs)} units")
        trained = rhetor.train([train_file], model, flags)
        oof.update(article_scores(rhetor, model, [train[i] for i in te], unit, tmp, f"frames_{unit}{k}"))
        fold_logs.append({"fold": k, "n_train_articles": int(len(tr)), "n_train_units": len(recs), "train": trained})

    train_file, model = tmp / f"frames_{unit}_train.jsonl", tmp / f"frames_{unit}.rhetor"
    recs = unit_records(train, splitter)
    write_jsonl(train_file, recs)
    log(f"rhetor frames/{unit}: final train --search on {len(recs)} units")
    trained = rhetor.train([train_file], model, flags)
    dev_agg = article_scores(rhetor, model, dev, unit, tmp, f"frames_{unit}_dev")
    dev_units = [dev_agg[a["doc"]]["units"] for a in dev]
    own_split = [len(splitter(a["text"])) for a in dev]

    gold = [set(a["labels"][FRAMES_TASK]) for a in dev]
    out = {
        "unit": desc,
        "n_train_units": len(recs),
        "train_units_per_article": dict(sorted(Counter(len(splitter(a["text"])) for a in train).items())),
        "dev_units_per_article": dict(sorted(Counter(dev_units).items())),
        "dev_units_match_python_split": dev_units == own_split,
        "train": trained,
        "threshold_folds": fold_logs,
        "command": f"rhetor train UNITS.jsonl {shlex.join(map(str, flags))} --threads {rhetor.threads} -o M; "
                   "rhetor score -m M --input jsonl DEV.jsonl --format jsonl",
    }
    for how in AGGREGATIONS:
        thr, cv = best_threshold(oof, train, how)
        m = micro_f1(gold, decide(dev_agg, dev, how, thr))
        othr, oscore = best_threshold(dev_agg, dev, how)
        pairs = [(p, lab in g) for a, g in zip(dev, gold)
                 for lab, p in zip(dev_agg[a["doc"]]["labels"], dev_agg[a["doc"]][how])]
        out[how] = {
            "threshold_cv": thr,
            "cv_micro_f1": r6(cv),
            **{k: r6(v) if isinstance(v, float) else v for k, v in m.items()},
            "oracle_threshold_on_dev": othr,
            "oracle_micro_f1": r6(oscore),
            "ece": r6(ece(pairs)),
        }
    return out


# --------------------------------------------------------------------------------------------------
# Rows of the main table


def headline(kind: str) -> str:
    return "micro_f1" if kind == "multi" else "macro_f1"


def pick_variant(sk: dict, ds: str, names: list, metric: str) -> str:
    """The reference variant with the highest tuned figure: the stricter comparison."""
    return max(names, key=lambda n: sk["tuned"][ds][n][metric])


def build_rows(sk: dict, dev_sets, dev_results: dict, stance_cv) -> list:
    rows = []
    for ds, specs in dev_sets:
        for task, task_specs in specs.items():
            ev = dev_results[ds]["eval"].get(task)
            if ev is None:
                raise Failure(f"rhetor eval has no task {task!r} for {ds}")
            kind = ev["kind"]
            metric = headline(kind)
            names = [s.name for s in task_specs]
            var = pick_variant(sk, ds, names, metric)
            others = {n: {"untuned": sk["untuned"][ds][n][metric], "tuned": sk["tuned"][ds][n][metric],
                          "text": next(s.text_note for s in task_specs if s.name == n) or "plain text"}
                      for n in names if n != var}
            value = ev[metric]
            if metric == "macro_f1":
                # rhetor eval averages over the labels in gold or predictions; the reference averages over
                # every train or dev label (0 for one neither in dev nor predicted). Score both the same way.
                labs = sk["tuned"][ds][var]["labels"]
                value = float(np.mean([ev["labels"].get(lab, {}).get("f1", 0.0) for lab in labs]))
            row = make_row(ds, task, kind, metric, ev["n"], "train → dev",
                           sk["untuned"][ds][var], sk["tuned"][ds][var], var,
                           next(s.text_note for s in task_specs if s.name == var),
                           value, ev.get("ece"), ev.get("accuracy"), others,
                           ev.get("unknown_labels") or [],
                           ece_if_calibrated(ev.get("reliability")) if kind == "single" else None)
            row["rhetor_eval_figure"] = r6(ev[metric])
            row["paired"] = paired_margin(ds, task, metric, sk["tuned"][ds][var], dev_results[ds].get("predictions"),
                                          value, kind == "multi")
            intervals = ev.get("intervals") or {}
            row["rhetor_intervals"] = {
                "documents": intervals.get("documents"), "resamples": intervals.get("resamples"),
                "seed": intervals.get("seed"), "level": intervals.get("level"),
                "headline": intervals.get(metric), "ece": intervals.get("ece")} if intervals else None
            rows.append(row)
    if stance_cv is not None:
        ds = ref.STANCE_DATASET
        names = list(STANCE_VARIANT_NOTES)
        var = pick_variant(sk, ds, names, "f_avg")
        others = {n: {"untuned": sk["untuned"][ds][n]["f_avg"], "tuned": sk["tuned"][ds][n]["f_avg"],
                      "text": STANCE_VARIANT_NOTES[n]} for n in names if n != var}
        rows.append(make_row(ds, STANCE_TASK, "single", "f_avg", stance_cv["n"],
                             "5-fold grouped CV over train (nested)", sk["untuned"][ds][var], sk["tuned"][ds][var],
                             var, STANCE_VARIANT_NOTES[var], stance_cv["f_avg"], stance_cv["ece"],
                             stance_cv["accuracy"], others, []))
    return rows


def without_dev_predictions(sk: dict) -> dict:
    """The scikit-learn figures without the record-by-record dev predictions (kept out of the JSON)."""
    tuned = {ds: {name: {k: v for k, v in t.items() if k not in ref.DEV_PREDICTION_KEYS} for name, t in per.items()}
             for ds, per in sk.get("tuned", {}).items()}
    return {**sk, "tuned": tuned}


PAIRED_RESAMPLES = 1000
PAIRED_SEED = 1


def paired_margin(ds, task, metric, sk_t: dict, ours: dict, rhetor_value: float, multi: bool):
    """Paired percentile bootstrap of the margin rhetor − scikit-learn tuned over the dev *documents*
    (records of one document drawn together; both sides scored on the same resample), with the headline
    figures computed as the main table does (micro-F1; macro-F1 over every train or dev label). None when
    either side's record-by-record predictions are missing (a reused scikit-learn JSON has none)."""
    if not ours or not all(k in sk_t for k in ref.DEV_PREDICTION_KEYS):
        return None
    ids, docs, gold, theirs = (sk_t[k] for k in ref.DEV_PREDICTION_KEYS)
    missing = [i for i in ids if task not in ours.get(i, {})]
    if missing:
        raise Failure(f"{ds}/{task}: rhetor eval --predictions has no prediction for {len(missing)} dev "
                      f"record(s), e.g. {missing[0]}")
    as_list = (lambda v: list(v)) if multi else (lambda v: [v])
    labels = list(sk_t["labels"])  # train ∪ dev: every label rhetor can predict
    col = {lab: j for j, lab in enumerate(labels)}

    def indicator(values):
        m = np.zeros((len(ids), len(labels)), dtype=np.int64)
        for r, v in enumerate(values):
            for lab in as_list(v):
                if lab not in col:
                    raise Failure(f"{ds}/{task}: label {lab!r} is not among the reference's labels")
                m[r, col[lab]] = 1
        return m

    G = indicator(gold)
    A = indicator(ours[i][task] for i in ids)
    B = indicator(theirs)
    doc_index = {d: k for k, d in enumerate(dict.fromkeys(docs))}
    row_doc = np.array([doc_index[d] for d in docs])
    n_docs = len(doc_index)

    def per_doc(P):
        out = np.zeros((3, n_docs, len(labels)))
        for what, m in enumerate((P & G, P & (1 - G), (1 - P) & G)):  # tp, fp, fn
            np.add.at(out[what], row_doc, m)
        return out

    rng = np.random.default_rng(PAIRED_SEED)
    draws = rng.integers(0, n_docs, size=(PAIRED_RESAMPLES, n_docs))
    W = np.stack([np.bincount(d, minlength=n_docs) for d in draws]).astype(float)
    W = np.vstack([np.ones(n_docs), W])  # row 0: the dev set itself

    def f1(tp, fp, fn):
        den = 2 * tp + fp + fn
        return np.where(den > 0, 2 * tp / np.where(den > 0, den, 1), 0.0)

    def figure(P):
        tp, fp, fn = (W @ c for c in per_doc(P))  # resamples × labels
        if metric == "micro_f1":
            return f1(tp.sum(1), fp.sum(1), fn.sum(1))
        return f1(tp, fp, fn).mean(1)

    fa, fb = figure(A), figure(B)
    if abs(fa[0] - rhetor_value) > 1e-5 or abs(fb[0] - sk_t[metric]) > 1e-5:
        raise Failure(f"{ds}/{task}: the record-by-record predictions give {fa[0]:.6f} (rhetor) and {fb[0]:.6f} "
                      f"(scikit-learn), not the table's {rhetor_value:.6f} and {sk_t[metric]:.6f}")
    margins = fa[1:] - fb[1:]
    return {
        "documents": n_docs, "resamples": PAIRED_RESAMPLES, "seed": PAIRED_SEED, "level": 0.95,
        "rhetor": [r6(np.percentile(fa[1:], 2.5)), r6(np.percentile(fa[1:], 97.5))],
        "margin": [r6(np.percentile(margins, 2.5)), r6(np.percentile(margins, 97.5))],
        "share_margin_at_least_target": r6(np.mean(margins >= MARGIN)),
        "share_margin_positive": r6(np.mean(margins > 0)),
    }


def make_row(ds, task, kind, metric, n, evaluation, sk_u, sk_t, variant, variant_note, value, ece_v, acc,
             others, unknown, ece_floor=None) -> dict:
    margin = value - sk_t[metric]
    return {
        "dataset": ds,
        "task": task,
        "kind": kind,
        "metric": metric,
        "n": n,
        "evaluation": evaluation,
        "sklearn_variant": variant,
        "sklearn_variant_text": variant_note or "plain text",
        "sklearn_untuned": r6(sk_u[metric]),
        "sklearn_tuned": r6(sk_t[metric]),
        "rhetor": r6(value),
        "margin": r6(margin),
        "meets_margin": bool(margin >= MARGIN),
        "rhetor_ece": r6(ece_v),
        "ece_above_limit": None if ece_v is None else bool(ece_v > ECE_LIMIT),
        "ece_if_calibrated": ece_floor,
        "accuracy": None if kind == "multi" else {
            "sklearn_untuned": r6(sk_u.get("accuracy")), "sklearn_tuned": r6(sk_t.get("accuracy")),
            "rhetor": r6(acc)},
        "other_sklearn_variants": others,
        "dev_labels_unknown_to_rhetor": unknown,
    }


# --------------------------------------------------------------------------------------------------
# Report


METRIC_NAMES = {"micro_f1": "micro-F1", "macro_f1": "macro-F1", "f_avg": "F_avg"}


def git(*args) -> str:
    try:
        out = subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        return ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def render(res: dict) -> str:
    meta, rows, sk = res["meta"], res["rows"], res["sklearn_reference"]
    L = []
    p = L.append
    p("# Accuracy: rhetor beside scikit-learn")
    p("")
    p("Generated by `benches/accuracy.py`; do not edit by hand. Every figure is computed by the run that "
      "wrote this file, except the quoted test-split references in their own section.")
    p("")
    p("Rerun from the repository root (needs the shared corpora at `../shared/data`; every rhetor and "
      "scikit-learn computation runs on one thread):")
    p("")
    p("```sh")
    p("cargo build --release && python3 benches/accuracy.py")
    p("```")
    p("")
    p(f"This file was written by `{meta['command']}`"
      + (" (the same measurement with an already built release binary)." if "--rhetor" in meta["command"] else "."))
    p("")
    p(f"* Date: {meta['date']}")
    load = meta.get("load_average_1min_at_start")
    p(f"* Machine: {meta['cpu_model']}, nproc {meta['nproc']}, {meta['platform']}"
      + ("" if load is None else f"; 1-minute load average {load:.1f} when the run started (other work shared the "
         "machine, so wall times are indicative only; the figures do not depend on them)"))
    p(f"* rhetor: `{meta['rhetor_version']}`, binary `{meta['rhetor_binary']}` (sha256 `{meta['rhetor_sha256'][:16]}…`), "
      + (f"built from commit `{meta['rhetor_commit']}`" if meta["rhetor_commit_given"]
         else f"repository at commit `{meta['rhetor_commit']}`"
         + (" with uncommitted changes under src/ or Cargo.*" if meta["git_src_dirty"] else ""))
      + f"; every rhetor command ran with `--threads {meta['threads']}`")
    p(f"* Python {meta['python_version']}, numpy {meta['numpy_version']}, scikit-learn {meta['sklearn_version']}; "
      f"scikit-learn figures {sk['source']}"
      + (f" ({sk['elapsed_s']:.0f} s)" if sk.get("elapsed_s") is not None and sk["source"] == "computed in this run" else ""))
    p(f"* Total wall time: {meta['elapsed_s']:.0f} s ({meta['elapsed_s'] / 60:.1f} min), of which rhetor "
      f"{meta['rhetor_elapsed_s']:.0f} s over {meta['rhetor_commands']} commands")
    if meta["only"]:
        p(f"* Restricted to: {', '.join(meta['only'])} (`--only`); the full report covers every dataset")
    p("")

    # ---- settings
    p("## What each side runs")
    p("")
    p(f"**scikit-learn** (`benches/reference/sklearn_reference.py`, imported by this script): "
      f"`{ref.VECTORIZER_SETTINGS}`, then")
    p("")
    p("* *untuned*: LogisticRegression with C = 1 (liblinear for two classes, multinomial lbfgs otherwise; "
      "one-vs-rest liblinear for multi-label tasks, labels predicted at probability ≥ 0.5);")
    p("* *tuned*: the same with `class_weight='balanced'`; a multi-label task gets one global threshold "
      f"(0.05–0.95, step 0.01) and a single-label task gets C in {list(ref.C_GRID)}, each maximising micro-F1 "
      "or macro-F1 on pooled out-of-fold predictions of 5-fold cross-validation over train grouped by `doc` "
      "(GroupKFold for multi-label, StratifiedGroupKFold(shuffle, seed 0) for single-label). Dev is only "
      "scored. SemEval-2016 stance: C chosen by an inner 5-fold CV maximising F_avg inside each outer "
      "training part, one model for all targets or one per target.")
    p("")
    p(f"**rhetor**: `rhetor train TRAIN --search --select-metric {DEV_SELECT_METRIC} --seed {RHETOR_SEED} "
      f"--threads {meta['threads']}` (one training per dataset covers all its tasks), then `rhetor eval -m M DEV "
      "--format json`. `--search` chooses the vocabulary (word n-grams, character n-grams, min_df, target "
      "features (mask and window, target identity, distance-weighted target context), rhetoric cues, "
      "sentiment-lexicon cues, subword embeddings) and each head's C, features per head, class weighting, NB-SVM scaling and, for "
      "stance, per-target models, by 5-fold cross-validation grouped by document on train only: coordinate ascent (one round over the "
      "vocabulary; rounds over each head's settings until one changes nothing, C from 0.3 to 300 tried in "
      "increasing order until its score falls twice in a row) in which a setting leaves its current value "
      "only for one better by more than the standard error of the paired per-fold differences (so the chosen setting is not always the top-scoring "
      "candidate listed in the appendix). Multi-label heads get one threshold per label or one for all labels, "
      "whichever has the higher cross-fitted micro-F1 (each fold thresholded by the rule tuned on the other "
      "folds' out-of-fold scores; that cross-fitted micro-F1 is also the multi-label heads' cross-validated "
      "score), and binary heads a decision threshold from the same cross-validation. A binary head over the same records as a multi-label "
      "head (`persuasion`, `propaganda`) is stacked on that head's out-of-fold label logits when nested "
      "cross-validation finds the stacker clearly better, and the stacked model is folded into one linear model "
      "(the appendix's summaries say which were). Single-label heads of three or more labels may add top-label "
      "calibration: per predicted label, a map of the predicted label's probability fitted on nested "
      "cross-validation predictions, kept only when it lowers their log-loss (the appendix's summaries say "
      "where). SemEval-2016 stance uses "
      f"`--task {STANCE_TASK} --select-metric {STANCE_SELECT_METRIC}`. The choices are in the appendix.")
    p("")
    enc = meta.get("encoder")
    if enc:
        p("**Sentence encoder.** The searches of " + ", ".join(f"`{d}`" for d in enc["datasets"]) +
          " are also offered rhetor's sentence encoder block (`--encoder MINILM_DIR`: all-MiniLM-L6-v2, "
          f"model.safetensors sha256 `{enc['model_safetensors_sha256'][:12]}…`, fetched by "
          "`contrib/encoder/fetch.py`): the encoder's vector of each text, standardised, scaled to a norm from "
          "`--encoder-grid` (0, 1, 2; 0 is no block) and fitted by a model of its own blended with the n-gram "
          "model (`encoder-weight` in the head settings). Where records have a target (NewsMTSC, SemEval-2016 "
          "stance), the search also tries target pooling in the block (`--encoder-target-grid`): beside the "
          "text's vector, the mean of the encoder's last hidden states at the word pieces that mention the "
          "target, so one sentence about two people gives two vectors. Like every other vocabulary setting, "
          "the block and its pooling are kept only when cross-validation on train finds them clearly better; "
          "the vocabulary in the appendix says `encoder N` (`encoder N with target`) where it was. The technique datasets are not offered it (thousands of paragraphs "
          "under heads of 14 and 23 labels: the run's time would multiply).")
    else:
        p("**Sentence encoder.** Not offered to any search in this run (`--no-encoder`).")
    p("")
    p("Each scikit-learn reference as run (all share the vectorizer above; the tuned setting is the one chosen "
      "by cross-validation on train in this run):")
    p("")
    p("| dataset | reference | text | tuned model | chosen on train |")
    p("|---|---|---|---|---|")
    for ds, refs in sk["tuned"].items():
        for name, m in refs.items():
            settings = m.get("settings", "")
            prefix = f"{ref.VECTORIZER_SETTINGS}; "
            if settings.startswith(prefix):
                settings = settings[len(prefix):]
            p(f"| {ds} | {name} | {m.get('text', 'plain text')} | {settings} | {reference_choice(m)} |")
    p("")

    # ---- main table
    p("## Main table")
    p("")
    p(f"Headline metric: micro-F1 for multi-label tasks, macro-F1 for single-label tasks, F_avg for SemEval-2016 "
      f"stance. *Margin* = rhetor − scikit-learn tuned, on unrounded figures; the target is ≥ {MARGIN}. "
      f"*ECE* = rhetor's expected calibration error on the evaluated records (10 bins; every label's probability "
      f"for multi-label tasks, the predicted label's probability for single-label ones); the target is ≤ {ECE_LIMIT}. "
      "For multi-label tasks most of those probabilities belong to labels that are clearly absent, which keeps "
      "their ECE low; the single-label figures are the stricter test. Accuracy is given for single-label tasks "
      "(GVFC `frame`'s usual headline). ✓ = target met, ✗ = target missed.")
    p("")
    p("| dataset | task | kind | n | evaluation | metric | sklearn untuned | sklearn tuned | rhetor | margin | "
      f"margin ≥ {MARGIN} | rhetor ECE | ECE ≤ {ECE_LIMIT} | accuracy: sklearn tuned → rhetor |")
    p("|---|---|---|---:|---|---|---:|---:|---:|---:|:-:|---:|:-:|---|")
    notes = []
    for r in rows:
        task = r["task"]
        if r["sklearn_variant_text"] != "plain text" or r["other_sklearn_variants"]:
            notes.append(r)
            task += f" [{len(notes)}]"
        ok = "✓" if r["meets_margin"] else "✗"
        ece_s = "–" if r["rhetor_ece"] is None else f"{r['rhetor_ece']:.4f}"
        ece_ok = "–" if r["rhetor_ece"] is None else ("✗" if r["ece_above_limit"] else "✓")
        acc = "" if r["accuracy"] is None else f"{fmt(r['accuracy']['sklearn_tuned'])} → {fmt(r['accuracy']['rhetor'])}"
        p(f"| {r['dataset']} | {task} | {r['kind']} | {r['n']} | {r['evaluation']} | {METRIC_NAMES[r['metric']]} | "
          f"{fmt(r['sklearn_untuned'])} | {fmt(r['sklearn_tuned'])} | **{fmt(r['rhetor'])}** | "
          f"{fmt_signed(r['margin'])} | {ok} | {ece_s} | {ece_ok} | {acc} |")
    p("")
    for i, r in enumerate(notes, 1):
        if r["other_sklearn_variants"]:
            s = (f"[{i}] scikit-learn figures of the reference variant with the higher tuned "
                 f"{METRIC_NAMES[r['metric']]} (`{r['sklearn_variant']}`: {r['sklearn_variant_text']})")
        else:
            s = f"[{i}] scikit-learn reference `{r['sklearn_variant']}`: {r['sklearn_variant_text']}"
        for name, o in r["other_sklearn_variants"].items():
            s += (f"; the other variant `{name}` ({o['text']}) has untuned {fmt(o['untuned'])}, tuned "
                  f"{fmt(o['tuned'])}, so rhetor's margin over it is {fmt_signed(r['rhetor'] - o['tuned'])}")
        p(s + ".")
        p("")
    missed = [r for r in rows if not r["meets_margin"]]
    hot = [r for r in rows if r["ece_above_limit"]]
    p(f"**{len(rows) - len(missed)} of {len(rows)} rows** reach the {MARGIN} margin over the tuned reference."
      + ("" if not missed else " Below it: " + "; ".join(
          f"{r['dataset']} `{r['task']}` ({fmt_signed(r['margin'])})" for r in missed) + "."))
    p("")
    p(f"**{len(rows) - len(hot)} of {len(rows)} rows** have ECE ≤ {ECE_LIMIT}." + (
        f" Above it: " + "; ".join(f"{r['dataset']} `{r['task']}` ({r['rhetor_ece']:.4f})" for r in hot) + "."
        if hot else ""))
    floors = [r for r in rows if r.get("ece_if_calibrated")]
    if floors:
        p("")
        p("On a few hundred records ECE is itself noisy. For each single-label dev row, the ECE that a "
          "*perfectly calibrated* model with the same probabilities would show on the same number of records "
          "(each reliability bin's outcomes drawn 4,000 times from Binomial(n, its mean probability), seed 0):")
        p("")
        p(f"| dataset | task | n | rhetor ECE | ECE if perfectly calibrated: mean | 90th percentile | "
          f"share of draws above {ECE_LIMIT} |")
        p("|---|---|---:|---:|---:|---:|---:|")
        for r in floors:
            f = r["ece_if_calibrated"]
            p(f"| {r['dataset']} | {r['task']} | {r['n']} | {r['rhetor_ece']:.4f} | {f['mean']:.4f} | "
              f"{f['p90']:.4f} | {f['share_above_limit']:.2f} |")
    spread = [r for r in rows if r.get("rhetor_intervals")]
    if spread:
        paired = next((r["paired"] for r in spread if r.get("paired")), None)
        p("")
        p("How far each dev figure could move on another sample of the same size. Percentile bootstrap "
          "intervals (95%) over the dev *documents* (the records of one document drawn together): of rhetor's "
          "figure and of the margin, both sides scored on the same resamples (a paired bootstrap, "
          + (f"{paired['resamples']} resamples, numpy seed {paired['seed']}, from each side's record-by-record dev "
             "predictions: `rhetor eval --predictions` and the reference's own)"
             if paired else "not computed in this run: the scikit-learn figures were reused without their "
             "record-by-record predictions)")
          + f", with the share of resamples in which the margin reaches {MARGIN}; and of the ECE, from "
          "`rhetor eval`'s own intervals (1000 resamples of the documents, seed 1). ECE is biased upward on "
          "small samples, and so is its interval. An interval that straddles a target means this dev set alone "
          "cannot tell on which side of it the model lies.")
        p("")
        p(f"| dataset | task | documents | metric | rhetor | 95% interval | margin | 95% interval of the margin | "
          f"resamples with margin ≥ {MARGIN} | rhetor ECE | ECE 95% interval |")
        p("|---|---|---:|---|---:|---|---:|---|---:|---:|---|")
        for r in spread:
            iv, pr = r["rhetor_intervals"], r.get("paired")
            e = iv["ece"]
            ece_s = "–" if r["rhetor_ece"] is None else f"{r['rhetor_ece']:.4f}"
            ece_iv = "–" if e is None else f"[{e['lo']:.4f}, {e['hi']:.4f}]"
            if pr:
                figure_iv = f"[{pr['rhetor'][0]:.4f}, {pr['rhetor'][1]:.4f}]"
                margin_iv = f"[{pr['margin'][0]:+.4f}, {pr['margin'][1]:+.4f}]"
                share = f"{pr['share_margin_at_least_target']:.2f}"
            else:
                h = iv["headline"]
                figure_iv = "–" if h is None else f"[{h['lo']:.4f}, {h['hi']:.4f}] (rhetor eval)"
                margin_iv = share = "–"
            p(f"| {r['dataset']} | {r['task']} | {iv['documents']} | {METRIC_NAMES[r['metric']]} | {r['rhetor']:.4f} | "
              f"{figure_iv} | {fmt_signed(r['margin'])} | {margin_iv} | {share} | {ece_s} | {ece_iv} |")
    for r in rows:
        own = r.get("rhetor_eval_figure")
        if own is not None and abs(own - r["rhetor"]) > 5e-7:
            p("")
            p(f"{r['dataset']} `{r['task']}`: `rhetor eval` reports macro-F1 {own:.4f} over the labels in gold or "
              f"predictions; the table gives {r['rhetor']:.4f}, averaged over every train or dev label as the "
              "reference does.")
    unknown = [r for r in rows if r["dev_labels_unknown_to_rhetor"]]
    for r in unknown:
        p("")
        p(f"{r['dataset']} `{r['task']}`: dev labels absent from train, which no model can predict: "
          f"{', '.join(r['dev_labels_unknown_to_rhetor'])}.")
    if res["skipped_datasets"]:
        p("")
        p("Not measured (no dev split and no cross-validation protocol here): "
          + ", ".join(res["skipped_datasets"]) + ".")
    p("")

    # ---- stance
    st = res.get("stance_cv")
    if st is not None:
        ds = ref.STANCE_DATASET
        p("## SemEval-2016 stance: nested cross-validation")
        p("")
        p("There is no dev split, so both sides are scored on pooled out-of-fold predictions of the same 5 "
          "folds over train: `sklearn_reference.stance_data()` builds them (StratifiedGroupKFold, shuffled with "
          "seed 0, grouped by tweet, stratified by target × stance) and this script takes them from there, so the "
          "splits are identical. For each fold rhetor is trained with "
          f"`--task {STANCE_TASK} --search --select-metric {STANCE_SELECT_METRIC}` on the other four folds "
          "(written to a temporary JSONL with every field kept) and `rhetor score` labels the held-out fold; "
          "the search therefore runs inside each training part. Both sides see the tweet with the organisers' "
          "query tag `#SemST` removed (`stance_tweet_text`). F_avg is `stance_metrics` of the reference: "
          "mean F1 of favor and against over all targets pooled, and the same per target. The tweets' other "
          "annotations (`opinion_towards`, `sentiment`) were not part of the shared task and are not measured.")
        p("")
        sk_all, sk_per = sk["tuned"][ds]["stance_all_targets"], sk["tuned"][ds]["stance_per_target"]
        p("| | F_avg pooled | accuracy | macro-F1 | " + " | ".join(sorted(st["per_target_f_avg"])) + " |")
        p("|---|---:|---:|---:|" + "---:|" * len(st["per_target_f_avg"]))
        for name, m in (("scikit-learn untuned, one model for all targets", sk["untuned"][ds]["stance_all_targets"]),
                        ("scikit-learn untuned, one model per target", sk["untuned"][ds]["stance_per_target"]),
                        ("scikit-learn tuned, one model for all targets", sk_all),
                        ("scikit-learn tuned, one model per target", sk_per),
                        ("**rhetor --search (nested)**", st)):
            p(f"| {name} | {fmt(m['f_avg'])} | {fmt(m['accuracy'])} | {fmt(m['macro_f1'])} | "
              + " | ".join(fmt(m["per_target_f_avg"][t]) for t in sorted(st["per_target_f_avg"])) + " |")
        p("")
        p("rhetor per fold (held-out F_avg; settings the search chose on the four training folds):")
        p("")
        p("| fold | train / held out | held-out F_avg | vocabulary | stance head | CV F_avg | train s |")
        p("|---:|---|---:|---|---|---:|---:|")
        for f in st["folds"]:
            h = f["train"]["heads"][0] if f["train"]["heads"] else {}
            p(f"| {f['fold'] + 1} | {f['n_train']} / {f['n_held_out']} | {fmt(f['held_out_f_avg'])} | "
              f"{f['train']['vocabulary'] or '(unparsed)'} | {h.get('settings', '(unparsed)')} | "
              f"{fmt(h.get('cv_score'))} | {f['train']['seconds']:.0f} |")
        p("")
        p(f"rhetor's ECE here ({st['ece']:.4f}) is computed by this script from the pooled out-of-fold scores "
          "of `rhetor score` (4 decimals), with the definition `rhetor eval` uses.")
        p("")

    # ---- frames
    fr = res.get("frames_designs")
    if fr is not None:
        a = fr["article"]
        p("## SemEval-2023 frames: whole articles or paragraphs")
        p("")
        p("Frames are labelled per article. Design (a) trains rhetor on whole-article records (the main-table "
          "row). Design (b) splits every train article into paragraphs on blank lines, each inheriting its "
          "article's frames, trains rhetor (`--task frame --search`) on them, scores the dev articles "
          "paragraph by paragraph with `rhetor score`, aggregates each label's probability per article (mean, "
          "or max) and assigns the labels at or above one global threshold. The threshold (0.05–0.95, step 0.01) "
          "maximises micro-F1 of pooled out-of-fold article scores of 5-fold GroupKFold over the train articles "
          "(the reference's folds for multi-label tasks), with the search nested in each fold. Design (c) is the "
          "same with every non-blank line as the unit (the SemEval-2023 Task 3 paragraph unit). The *oracle* "
          "column picks the threshold on dev itself: an optimistic upper bound, not a result.")
        p("")
        p("| design | units (train) | aggregation | threshold (CV on train) | CV micro-F1 | dev micro-F1 | "
          "dev oracle threshold → micro-F1 | ECE of aggregated scores |")
        p("|---|---:|---|---:|---:|---:|---|---:|")
        p(f"| scikit-learn tuned, whole articles | {fr['n_train_articles']} | – | {fmt(fr['sklearn_tuned_threshold'], 2)} | "
          f"{fmt(fr['sklearn_tuned_cv'])} | {fmt(fr['sklearn_tuned'])} | – | – |")
        head_a = next((h for h in res.get("rhetor_dev", {}).get("semeval2023_frames", {}).get("train", {}).get("heads", [])
                       if h["task"] == "frame"), {})
        rule_a = head_a.get("threshold_rule", "per label")
        cv_a = fmt(head_a["cv_score"]) + " (cross-fitted)" if "cv_score" in head_a else "–"
        p(f"| (a) rhetor, whole articles | {fr['n_train_articles']} | – | {rule_a}, CV | {cv_a} | "
          f"**{fmt(a['micro_f1'])}** | – | {fmt(a['ece'], 4)} |")
        for key, label in (("paragraph", "(b) rhetor, blank-line paragraphs"), ("line", "(c) rhetor, lines")):
            u = fr.get(key)
            if u is None:
                continue
            for how in AGGREGATIONS:
                m = u[how]
                p(f"| {label} | {u['n_train_units']} | {how} | {m['threshold_cv']:.2f} | {fmt(m['cv_micro_f1'])} | "
                  f"**{fmt(m['micro_f1'])}** | {m['oracle_threshold_on_dev']:.2f} → {fmt(m['oracle_micro_f1'])} | "
                  f"{fmt(m['ece'], 4)} |")
        p("")
        par = fr.get("paragraph")
        if par:
            one_or_two = sum(c for n, c in par["train_units_per_article"].items() if int(n) <= 2)
            p(f"Blank-line paragraphs per article: train {fmt_counts(par['train_units_per_article'])}; dev "
              f"{fmt_counts(par['dev_units_per_article'])} (rhetor's split of the dev articles "
              f"{'matches' if par['dev_units_match_python_split'] else 'does NOT match'} this script's). "
              f"{one_or_two} of {fr['n_train_articles']} train articles have at most two blank-line paragraphs: "
              "the title and a body whose lines are separated by single newlines, so design (b) mostly "
              "compares a title model and a body model; design (c) shows the finer unit.")
            p("")
        p(fr["verdict"])
        p("")

    # ---- test-split references
    p("## Test-split references")
    p("")
    p("The project is measured on withheld test splits; these figures are quoted (from `../shared/data/README.md`, "
      "the datasets' READMEs and the project's acceptance targets), not computed here. They are test-split "
      "figures and are **not comparable** with the dev and cross-validation figures above: the test splits "
      "differ in distribution from dev (SemEval-2023 frames test, for instance, is dominated by `political`, "
      "`external_regulation_and_reputation` and `policy_prescription_and_evaluation`). rhetor has no test "
      "figures here because the test splits are withheld.")
    p("")
    p("| task | metric | tuned reference on test: the target (quoted, not computed here) | "
      "TF-IDF + linear on test, as the data READMEs give it |")
    p("|---|---|---:|---|")
    for task, metric, target, readme in TEST_SPLIT_REFERENCES:
        p(f"| {task} | {metric} | {target} | {readme} |")
    p("")

    # ---- appendix
    p("## Appendix A: what rhetor's search chose")
    p("")
    p("From the `rhetor train --search` summary of each dev-split dataset's training on its full train split "
      "(settings of the stance folds and the frames designs are in `benches/accuracy.json`).")
    p("")
    p("| dataset | vocabulary | head | kind | chosen settings | CV score | train s |")
    p("|---|---|---|---|---|---:|---:|")
    for ds, d in res["rhetor_dev"].items():
        t = d["train"]
        for h in t["heads"] or [{}]:
            p(f"| {ds} | {t['vocabulary'] or '(unparsed)'} | {h.get('task', '(unparsed)')} | {h.get('kind', '')} | "
              f"{h.get('settings', '')} | {h.get('cv_metric', '')} {fmt(h.get('cv_score'), 4)} | {t['seconds']:.0f} |")
    p("")
    p("Full summaries (candidates, thresholds, timings):")
    p("")
    for ds, d in res["rhetor_dev"].items():
        p(f"<details><summary>{ds}</summary>")
        p("")
        p("```text")
        p(d["train"]["summary"])
        p("```")
        p("")
        p("</details>")
        p("")
    p("## Appendix B: data read (sha256)")
    p("")
    p("| file | sha256 |")
    p("|---|---|")
    for name, digest in sorted(res["data_sha256"].items()):
        p(f"| {name} | `{digest}` |")
    p("")
    if sk.get("warnings"):
        p("scikit-learn warnings: " + "; ".join(
            f"{sec}: {c}× {msg[:120]}" for sec, counts in sk["warnings"].items() for msg, c in counts.items()))
        p("")
    return "\n".join(L).rstrip("\n") + "\n"


def reference_choice(m: dict) -> str:
    """The setting a tuned reference chose by cross-validation on train, with its CV score."""
    if "threshold" in m and "cv_micro_f1" in m:
        return f"threshold {m['threshold']:.2f} (CV micro-F1 {m['cv_micro_f1']:.3f})"
    if "C" in m:
        return f"C = {m['C']:g} (CV macro-F1 {m['cv_macro_f1']:.3f})"
    if "C_chosen_per_outer_fold" in m:
        counts = Counter(c["C"] for c in m["C_chosen_per_outer_fold"])
        return (f"C per outer fold{' and target' if len(m['C_chosen_per_outer_fold']) > N_STANCE_FOLDS else ''}: "
                + ", ".join(f"{c:g} ×{k}" for c, k in sorted(counts.items())) + " (inner CV F_avg)")
    return ""


def fmt_counts(counts: dict) -> str:
    return ", ".join(f"{c}× {n}" for n, c in sorted(counts.items(), key=lambda kv: int(kv[0])))


def frames_verdict(a: float, fr: dict) -> str:
    """Which design scores better on dev. The paragraph design is the one cross-validation on train
    picks (a fair choice); the best of them on dev and the dev-tuned oracle are given as bounds."""
    designs = [(fr[key][how], f"{name}, {how}") for key, name in (("paragraph", "(b) blank-line paragraphs"),
                                                                  ("line", "(c) lines"))
               if key in fr for how in AGGREGATIONS]
    picked, picked_name = max(designs, key=lambda d: d[0]["cv_micro_f1"])  # first on ties
    best, best_name = max(designs, key=lambda d: d[0]["micro_f1"])
    oracle = max(d["oracle_micro_f1"] for d, _ in designs)
    v = picked["micro_f1"]
    n = fr["n_dev_articles"]
    if a >= v:
        s = (f"**Whole articles (a) score better**: dev micro-F1 {a:.3f} against {v:.3f} for the paragraph design "
             f"that cross-validation on train picks ({picked_name}, CV micro-F1 {picked['cv_micro_f1']:.3f}), "
             f"a difference of {a - v:+.3f} on {n} dev articles.")
    else:
        s = (f"**Paragraphs aggregated per article score better**: the paragraph design that cross-validation on "
             f"train picks ({picked_name}, CV micro-F1 {picked['cv_micro_f1']:.3f}) reaches dev micro-F1 {v:.3f} "
             f"against {a:.3f} for whole articles (a), a difference of {v - a:+.3f} on {n} dev articles.")
    s += (f" Choosing among the four paragraph designs on dev itself would give {best['micro_f1']:.3f} ({best_name}), and also "
          f"tuning the threshold on dev at most {oracle:.3f}: optimistic bounds, not results.")
    return s


# --------------------------------------------------------------------------------------------------
# Main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Regenerate benches/ACCURACY.md and benches/accuracy.json: rhetor (train --search) beside "
                    "the scikit-learn TF-IDF + LogisticRegression references, computed in the same run on the "
                    "same splits of the shared corpora.",
        epilog="Run from anywhere; paths default relative to the repository root. Needs the shared corpora at "
               "../shared/data (never copied into the repository). A full run takes about 15 minutes "
               "(one thread, on a 2-core machine shared with other work).",
    )
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="labelled corpora folder (default: ../shared/data from the repository root)")
    ap.add_argument("--rhetor", type=Path, default=DEFAULT_RHETOR,
                    help="rhetor binary to measure (default: target/release/rhetor; build it with "
                         "`cargo build --release`)")
    ap.add_argument("--only", nargs="+", metavar="DATASET",
                    help="measure only these dataset folders (the report then says it is partial)")
    ap.add_argument("--sklearn-json", type=Path, metavar="FILE",
                    help="reuse saved scikit-learn figures (output of benches/reference/sklearn_reference.py, "
                         "or a previous accuracy.json) instead of recomputing them; refused if computed on "
                         "different data")
    ap.add_argument("--threads", type=int, default=1,
                    help="worker threads for every rhetor command (default: 1; 0 = one per core)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report to write (default: benches/ACCURACY.md)")
    ap.add_argument("--json", type=Path, help="machine-readable figures (default: accuracy.json beside --out)")
    ap.add_argument("--rhetor-commit", metavar="REV",
                    help="commit the --rhetor binary was built from, as the report should state it (default: the "
                         "repository's HEAD, flagged when src/ or Cargo.* have uncommitted changes)")
    ap.add_argument("--encoder", type=Path, default=DEFAULT_ENCODER, metavar="DIR",
                    help="sentence encoder offered to the searches of " + ", ".join(ENCODER_DATASETS) +
                         " (default: target/encoder/all-MiniLM-L6-v2, fetched with contrib/encoder/fetch.py "
                         "when missing)")
    ap.add_argument("--no-encoder", action="store_true", help="offer no sentence encoder to any search")
    ap.add_argument("--no-frames-designs", action="store_true",
                    help="skip the SemEval-2023 frames article-vs-paragraph comparison")
    args = ap.parse_args(argv)

    data = (args.data if args.data.is_absolute() else Path.cwd() / args.data).resolve()
    if not data.is_dir():
        print(f"accuracy: data folder not found: {data}\n"
              "The accuracy report needs the shared labelled corpora at ../shared/data beside the repository "
              "(they are never part of it); pass --data DIR if they live elsewhere.", file=sys.stderr)
        return 2
    rhetor_path = args.rhetor.resolve()
    if not rhetor_path.is_file():
        print(f"accuracy: rhetor binary not found: {rhetor_path}\n"
              "Build it with `cargo build --release` or pass --rhetor PATH.", file=sys.stderr)
        return 2
    out_md = args.out.resolve()
    out_json = (args.json or out_md.parent / "accuracy.json").resolve()

    # Repository state and machine load as the run starts (the tree may change while it runs).
    if args.rhetor_commit:
        built_from = git("rev-parse", "--short", f"{args.rhetor_commit}^{{commit}}")
        if not built_from:
            print(f"accuracy: --rhetor-commit {args.rhetor_commit}: no such commit in {REPO_ROOT}", file=sys.stderr)
            return 2
        src_dirty = False
    else:
        built_from = git("rev-parse", "--short", "HEAD") or "unknown"
        src_dirty = bool(git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"))
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    load_at_start = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    rhetor = Rhetor(rhetor_path, args.threads)
    corpus = ref.Corpus(data)
    try:
        version = rhetor.version()
        dev_sets, stance, skipped = discover(corpus, data, args.only)
        encoder = None
        offered = [ds for ds, _ in dev_sets] + ([ref.STANCE_DATASET] if stance else [])
        if not args.no_encoder and any(ds in ENCODER_DATASETS for ds in offered):
            encoder = ensure_encoder(args.encoder.resolve())
        if args.sklearn_json:
            sk = load_sklearn(args.sklearn_json, corpus, dev_sets, stance)
        else:
            sk = compute_sklearn(corpus, dev_sets, stance)

        t_rhetor = time.perf_counter()
        rhetor_dev, stance_cv, frames = {}, None, None
        with tempfile.TemporaryDirectory(prefix="rhetor-accuracy-") as tmpdir:
            tmp = Path(tmpdir)
            for ds, _ in dev_sets:
                rhetor_dev[ds] = run_dev_dataset(rhetor, data, ds, tmp, encoder)
            if stance:
                stance_cv = run_stance_cv(rhetor, corpus, tmp, encoder)
            if FRAMES_DATASET in rhetor_dev and not args.no_frames_designs:
                ev = rhetor_dev[FRAMES_DATASET]["eval"][FRAMES_TASK]
                sk_t = sk["tuned"][FRAMES_DATASET][FRAMES_TASK]
                frames = {
                    "n_train_articles": len(corpus.split(FRAMES_DATASET, "train")),
                    "n_dev_articles": len(corpus.split(FRAMES_DATASET, "dev")),
                    "article": {"micro_f1": r6(ev["micro_f1"]), "ece": r6(ev["ece"])},
                    "sklearn_tuned": sk_t["micro_f1"],
                    "sklearn_tuned_threshold": sk_t["threshold"],
                    "sklearn_tuned_cv": sk_t["cv_micro_f1"],
                }
                for unit in UNITS:
                    frames[unit] = run_frames_unit(rhetor, corpus, unit, tmp)
                frames["verdict"] = frames_verdict(ev["micro_f1"], frames)
        rhetor_elapsed = time.perf_counter() - t_rhetor

        rows = build_rows(sk, dev_sets, rhetor_dev, stance_cv)
    except ref.DataError as e:
        print(f"accuracy: {e}", file=sys.stderr)
        return 2
    except Failure as e:
        print(f"accuracy: {e}", file=sys.stderr)
        return 1

    shown_argv = ["python3", "benches/accuracy.py", *(argv if argv is not None else sys.argv[1:])]
    meta = {
        "command": shlex.join(shown_argv),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "sklearn_version": sklearn.__version__,
        "rhetor_version": version,
        "rhetor_binary": str(args.rhetor),
        "rhetor_sha256": sha256_file(rhetor_path),
        "rhetor_commit": built_from,
        "rhetor_commit_given": bool(args.rhetor_commit),
        "git_head": head,
        "git_src_dirty": src_dirty,
        "load_average_1min_at_start": None if load_at_start is None else round(load_at_start, 2),
        "threads": args.threads,
        "only": args.only or [],
        "encoder": None if encoder is None else {
            "datasets": list(ENCODER_DATASETS),
            "model_safetensors_sha256": sha256_file(encoder / "model.safetensors"),
        },
        "margin": MARGIN,
        "ece_limit": ECE_LIMIT,
        "rhetor_seed": RHETOR_SEED,
        "rhetor_elapsed_s": round(rhetor_elapsed, 1),
        "rhetor_commands": rhetor.commands,
        "elapsed_s": round(time.perf_counter() - STARTED, 1),
    }
    res = {
        "meta": meta,
        "rows": rows,
        "stance_cv": stance_cv,
        "frames_designs": frames,
        "rhetor_dev": {ds: {k: v for k, v in r.items() if k != "predictions"} for ds, r in rhetor_dev.items()},
        "skipped_datasets": skipped,
        "sklearn_reference": {**without_dev_predictions(sk),
                              "data_sha256": dict(sk.get("data_sha256") or corpus.checksums)},
        "test_split_references": [dict(zip(("task", "metric", "target", "readme"), t)) for t in TEST_SPLIT_REFERENCES],
        "data_sha256": dict(sorted(corpus.checksums.items())),
    }
    text = render(res)
    out_md.parent.mkdir(parents=True, exist_ok=True)
    out_md.write_text(text, encoding="utf-8")
    out_json.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=lambda o: o.tolist()) + "\n",
                        encoding="utf-8")
    log(f"wrote {out_md} and {out_json}")
    for r in rows:
        print(f"{r['dataset']:24} {r['task']:12} {METRIC_NAMES[r['metric']]:9} sklearn tuned {fmt(r['sklearn_tuned'])}"
              f"  rhetor {fmt(r['rhetor'])}  margin {fmt_signed(r['margin'])}{'' if r['meets_margin'] else ' (< ' + str(MARGIN) + ')'}"
              f"  ECE {fmt(r['rhetor_ece'], 4)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
