#!/usr/bin/env python3
"""scikit-learn reference figures that rhetor's own (Rust) models are compared against.

Usage (from the repository root):

    python3 benches/reference/sklearn_reference.py [--data DIR] [--out FILE.json] [--only NAME ...]

The labelled corpora are read at run time from ``../shared/data`` (relative to the repository root)
and are never copied into the repository; only the figures computed here may be committed.

What is measured:

* ``untuned``: TF-IDF + LogisticRegression with fixed, textbook settings, trained on ``train.jsonl``
  and scored on ``dev.jsonl``. semeval2016_stance has no dev split, so it is scored by pooled
  out-of-fold predictions of a 5-fold grouped cross-validation over train.
* ``tuned``: the same features with class_weight='balanced'; multi-label tasks get one global
  decision threshold and single-label tasks get C, both chosen by 5-fold cross-validation over train
  grouped by ``doc`` (dev is only used for the final score).
* ``timing``: single-threaded training times on semeval2023_techniques train (task ``technique``).

All metrics are fractions in [0, 1]. Every figure is deterministic (fixed seeds, fixed fold splits).
"""

# Thread counts must be pinned before numpy/scipy load their BLAS, otherwise the timings depend on
# how many cores the machine happens to have and are not comparable with single-threaded Rust runs.
import os

for _var in (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import contextlib  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable, Optional  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support  # noqa: E402
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold  # noqa: E402
from sklearn.multiclass import OneVsRestClassifier  # noqa: E402
from sklearn.preprocessing import MultiLabelBinarizer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"

SEED = 0
N_FOLDS = 5
THRESHOLDS = np.round(np.arange(5, 96) / 100.0, 2)  # 0.05 .. 0.95 step 0.01
C_GRID = (0.1, 0.3, 1.0, 3.0, 10.0)
TIMING_REPEATS = 3

VECTORIZER_SETTINGS = "TfidfVectorizer(sublinear_tf=True, ngram_range=(1,2), min_df=2, lowercase=True)"


# --------------------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True)
class TaskSpec:
    """One row of the reference table: a task of a dataset, possibly with a text variant."""

    dataset: str
    name: str  # key in the output JSON
    label_key: str  # key inside record["labels"]
    text_fn: Callable[[dict], str]
    text_note: str = ""


def plain_text(rec: dict) -> str:
    return rec["text"]


def marked_target_text(rec: dict) -> str:
    # Markers let a bag-of-words model see which mention the label is about; the spaces keep them
    # separate tokens even when the mention is glued to punctuation.
    text, a, b = rec["text"], rec["target_from"], rec["target_to"]
    return f"{text[:a]} TGTSTART {text[a:b]} TGTEND {text[b:]}"


def stance_tweet_text(rec: dict) -> str:
    # "#SemST" was appended to every tweet by the task organisers as a query tag: pure noise.
    return rec["text"].replace("#SemST", "").strip()


DEV_TASKS = [
    TaskSpec("semeval2023_techniques", "technique", "technique", plain_text),
    TaskSpec("semeval2023_techniques", "persuasion", "persuasion", plain_text),
    TaskSpec("semeval2023_frames", "frame", "frame", plain_text, "whole article per record"),
    TaskSpec("ptc_techniques", "technique", "technique", plain_text),
    TaskSpec("ptc_techniques", "propaganda", "propaganda", plain_text),
    TaskSpec("gvfc_frames", "frame", "frame", plain_text),
    TaskSpec("gvfc_frames", "frames", "frames", plain_text),
    TaskSpec("gvfc_frames", "relevance", "relevance", plain_text),
    TaskSpec("newsmtsc_sentiment", "stance", "stance", plain_text, "plain sentence, no target marking"),
    TaskSpec(
        "newsmtsc_sentiment",
        "stance_target_markers",
        "stance",
        marked_target_text,
        "target mention wrapped in ' TGTSTART ... TGTEND '",
    ),
]
STANCE_DATASET = "semeval2016_stance"
TIMING_NAME = "timing"
TIMING_DATASET, TIMING_TASK = "semeval2023_techniques", "technique"


class DataError(Exception):
    pass


class Corpus:
    """Reads and caches split files; remembers a checksum of every file it read."""

    def __init__(self, root: Path):
        self.root = root
        self._cache: dict = {}
        self.checksums: dict = {}

    def split(self, dataset: str, split: str) -> list:
        key = (dataset, split)
        if key not in self._cache:
            path = self.root / dataset / f"{split}.jsonl"
            if not path.is_file():
                raise DataError(f"missing data file: {path}")
            raw = path.read_bytes()
            # Checksums let a reader tell whether two reference runs saw the same data.
            self.checksums[f"{dataset}/{split}.jsonl"] = hashlib.sha256(raw).hexdigest()
            self._cache[key] = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
        return self._cache[key]


def is_multilabel(records: list, label_key: str) -> bool:
    kinds = {isinstance(r["labels"][label_key], list) for r in records}
    if len(kinds) != 1:
        raise DataError(f"task {label_key!r} mixes list and scalar labels")
    return kinds.pop()


# --------------------------------------------------------------------------------------------------
# Models


def make_vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, lowercase=True)


def make_single_lr(n_classes: int, C: float = 1.0, balanced: bool = False) -> LogisticRegression:
    # liblinear is the classic choice for binary text problems; for >2 classes it would fall back
    # to one-vs-rest, so use lbfgs, whose multi-class model is a true multinomial (softmax) one.
    solver = "liblinear" if n_classes <= 2 else "lbfgs"
    return LogisticRegression(
        C=C,
        solver=solver,
        max_iter=1000,
        class_weight="balanced" if balanced else None,
        random_state=SEED,
    )


def make_binary_lr(balanced: bool = False) -> LogisticRegression:
    return LogisticRegression(
        C=1.0,
        solver="liblinear",
        max_iter=1000,
        class_weight="balanced" if balanced else None,
        random_state=SEED,
    )


def multilabel_proba(make_clf: Callable, X_train, Y_train: np.ndarray, X_test) -> np.ndarray:
    """Per-label positive probabilities; labels without a positive training example score 0.

    A label with no positive example cannot be learnt, and predicting it never is the honest
    behaviour: its gold positives on the evaluation side then count as false negatives.
    """
    proba = np.zeros((X_test.shape[0], Y_train.shape[1]))
    active = np.flatnonzero(Y_train.sum(axis=0) > 0)
    if len(active) == 1:
        # OneVsRestClassifier reads a single indicator column as a binary target; fit it directly.
        clf = make_clf().fit(X_train, Y_train[:, active[0]])
        proba[:, active[0]] = clf.predict_proba(X_test)[:, list(clf.classes_).index(1)]
    elif len(active) > 1:
        clf = OneVsRestClassifier(make_clf(), n_jobs=1).fit(X_train, Y_train[:, active])
        proba[:, active] = clf.predict_proba(X_test)
    return proba


# --------------------------------------------------------------------------------------------------
# Metrics


def dev_predictions(dev: list, label_key: str, predicted: list) -> dict:
    """Each dev record's id, document, gold and predicted labels (a label, or a list of labels), for
    paired comparisons record by record (`DEV_PREDICTION_KEYS`; callers may drop them before saving)."""
    return {"dev_ids": [r["id"] for r in dev], "dev_docs": [r["doc"] for r in dev],
            "dev_gold": [r["labels"][label_key] for r in dev], "dev_predicted": predicted}


DEV_PREDICTION_KEYS = ("dev_ids", "dev_docs", "dev_gold", "dev_predicted")


def r6(x) -> float:
    return round(float(x), 6)


def multilabel_metrics(Y_true: np.ndarray, Y_pred: np.ndarray, labels: list) -> dict:
    p, r, f, _ = precision_recall_fscore_support(Y_true, Y_pred, average="micro", zero_division=0)
    per_label = f1_score(Y_true, Y_pred, average=None, zero_division=0)
    supported = Y_true.sum(axis=0) > 0
    return {
        "micro_f1": r6(f),
        "micro_precision": r6(p),
        "micro_recall": r6(r),
        # sklearn's macro over every column of the label set (a label absent from gold and never
        # predicted scores 0 here) ...
        "macro_f1": r6(f1_score(Y_true, Y_pred, average="macro", zero_division=0)),
        # ... and the same restricted to labels that occur in the evaluated gold.
        "macro_f1_gold_labels": r6(per_label[supported].mean()) if supported.any() else 0.0,
        "gold_positives": int(Y_true.sum()),
        "predicted_positives": int(Y_pred.sum()),
        "per_label_f1": {lab: r6(v) for lab, v in zip(labels, per_label)},
    }


def single_metrics(y_true: list, y_pred: list, labels: list) -> dict:
    per_class = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": r6(accuracy_score(y_true, y_pred)),
        "macro_f1": r6(per_class.mean()),
        "per_class_f1": {lab: r6(v) for lab, v in zip(labels, per_class)},
    }


def f_avg(y_true, y_pred) -> float:
    """SemEval-2016 Task 6 metric: mean of F1(favor) and F1(against); 'none' is not averaged."""
    return float(f1_score(y_true, y_pred, labels=["favor", "against"], average=None, zero_division=0).mean())


# --------------------------------------------------------------------------------------------------
# Cross-validation helpers


def grouped_folds(n: int, groups: np.ndarray, strata: Optional[np.ndarray] = None) -> list:
    """5 document-grouped folds: stratified and shuffled (seed 0) when there is a single label to
    stratify on, plain GroupKFold for multi-label targets, which cannot be stratified."""
    dummy = np.zeros(n)
    if strata is None:
        return list(GroupKFold(n_splits=N_FOLDS).split(dummy, groups=groups))
    splitter = StratifiedGroupKFold(n_splits=N_FOLDS, shuffle=True, random_state=SEED)
    return list(splitter.split(dummy, strata, groups=groups))


def vectorize_folds(texts: np.ndarray, folds: list) -> list:
    # Vectorizer is refit inside every fold so the held-out part never shapes the vocabulary/idf,
    # exactly as dev never shapes it in the final train->dev evaluation.
    out = []
    for tr, te in folds:
        vec = make_vectorizer()
        out.append((tr, te, vec.fit_transform(texts[tr]), vec.transform(texts[te])))
    return out


# --------------------------------------------------------------------------------------------------
# Dev-split tasks


def load_task(corpus: Corpus, spec: TaskSpec):
    train = corpus.split(spec.dataset, "train")
    dev = corpus.split(spec.dataset, "dev")
    multi = is_multilabel(train, spec.label_key)
    if is_multilabel(dev, spec.label_key) != multi:
        raise DataError(f"{spec.dataset}/{spec.label_key}: train and dev disagree on multi-label")
    return train, dev, multi


def label_info(train_labels, dev_labels, multi: bool) -> dict:
    flat = (lambda ls: [x for y in ls for x in y]) if multi else list
    tr, dv = Counter(flat(train_labels)), Counter(flat(dev_labels))
    return {
        "labels": sorted(set(tr) | set(dv)),
        "train_label_counts": dict(sorted(tr.items())),
        "dev_label_counts": dict(sorted(dv.items())),
        "dev_labels_unseen_in_train": sorted(set(dv) - set(tr)),
        "train_labels_absent_from_dev": sorted(set(tr) - set(dv)),
    }


def run_dev_task(corpus: Corpus, spec: TaskSpec) -> tuple:
    """Returns (untuned result, tuned result) for one train->dev task."""
    train, dev, multi = load_task(corpus, spec)
    Xtr_text = np.array([spec.text_fn(r) for r in train], dtype=object)
    Xdv_text = np.array([spec.text_fn(r) for r in dev], dtype=object)
    ytr = [r["labels"][spec.label_key] for r in train]
    ydv = [r["labels"][spec.label_key] for r in dev]
    groups = np.array([r["doc"] for r in train])
    info = label_info(ytr, ydv, multi)
    common = {"n": len(dev), "n_train": len(train), "kind": "multi" if multi else "single", **info}
    if spec.text_note:
        common["text"] = spec.text_note

    vec = make_vectorizer()
    Xtr = vec.fit_transform(Xtr_text)
    Xdv = vec.transform(Xdv_text)
    common["n_features"] = int(Xtr.shape[1])

    if multi:
        # Binarizer over train ∪ dev names so that dev-only labels exist as (all-zero) columns and
        # count as false negatives; the classifier only ever learns train columns with a positive.
        mlb = MultiLabelBinarizer().fit(ytr + ydv)
        labels = list(mlb.classes_)
        Ytr, Ydv = mlb.transform(ytr), mlb.transform(ydv)
        common["train_labels_without_positive"] = [lab for lab, c in zip(labels, Ytr.sum(0)) if c == 0]

        P = multilabel_proba(lambda: make_binary_lr(), Xtr, Ytr, Xdv)
        untuned = {
            **multilabel_metrics(Ydv, (P >= 0.5).astype(int), labels),
            "threshold": 0.5,
            **common,
            "settings": f"{VECTORIZER_SETTINGS}; OneVsRest(LogisticRegression(C=1, solver=liblinear)); "
            "predict_proba >= 0.5",
        }

        # Threshold is picked on pooled out-of-fold probabilities of the *balanced* model, because
        # class weighting shifts every label's probability scale and the threshold must follow it.
        folds = vectorize_folds(Xtr_text, grouped_folds(len(train), groups))
        oof = np.zeros(Ytr.shape)
        for tr, te, Xa, Xb in folds:
            oof[te] = multilabel_proba(lambda: make_binary_lr(balanced=True), Xa, Ytr[tr], Xb)
        cv_scores = [f1_score(Ytr, (oof >= t).astype(int), average="micro", zero_division=0) for t in THRESHOLDS]
        best = int(np.argmax(cv_scores))  # first (lowest) threshold on ties
        thr = float(THRESHOLDS[best])
        P = multilabel_proba(lambda: make_binary_lr(balanced=True), Xtr, Ytr, Xdv)
        tuned = {
            **multilabel_metrics(Ydv, (P >= thr).astype(int), labels),
            **dev_predictions(dev, spec.label_key, [[lab for lab, on in zip(labels, row) if on] for row in P >= thr]),
            "threshold": thr,
            "cv_micro_f1": r6(cv_scores[best]),
            **common,
            "settings": f"{VECTORIZER_SETTINGS}; OneVsRest(LogisticRegression(C=1, solver=liblinear, "
            "class_weight=balanced)); one global threshold 0.05..0.95 maximising micro-F1 on "
            "out-of-fold probabilities of GroupKFold(5) by doc over train",
        }
        return untuned, tuned

    labels = info["labels"]
    n_classes = len(set(ytr))
    clf = make_single_lr(n_classes).fit(Xtr, ytr)
    solver = clf.solver
    untuned = {
        **single_metrics(ydv, list(clf.predict(Xdv)), labels),
        **common,
        "settings": f"{VECTORIZER_SETTINGS}; LogisticRegression(C=1, solver={solver}"
        + (", multinomial" if solver == "lbfgs" else "")
        + ", max_iter=1000)",
    }

    ytr_arr = np.array(ytr)
    folds = vectorize_folds(Xtr_text, grouped_folds(len(train), groups, strata=ytr_arr))
    cv_scores = {}
    for C in C_GRID:
        oof = np.empty(len(train), dtype=object)
        for tr, te, Xa, Xb in folds:
            oof[te] = make_single_lr(n_classes, C=C, balanced=True).fit(Xa, ytr_arr[tr]).predict(Xb)
        cv_scores[C] = f1_score(ytr_arr, oof.astype(str), labels=sorted(set(ytr)), average="macro", zero_division=0)
    best_C = max(C_GRID, key=lambda c: (cv_scores[c], -c))  # smaller C on ties
    clf = make_single_lr(n_classes, C=best_C, balanced=True).fit(Xtr, ytr)
    predicted = [str(y) for y in clf.predict(Xdv)]
    tuned = {
        **single_metrics(ydv, predicted, labels),
        **dev_predictions(dev, spec.label_key, predicted),
        "C": best_C,
        "cv_macro_f1": r6(cv_scores[best_C]),
        "cv_macro_f1_by_C": {str(c): r6(s) for c, s in cv_scores.items()},
        **common,
        "settings": f"{VECTORIZER_SETTINGS}; LogisticRegression(solver={solver}, class_weight=balanced, "
        f"max_iter=1000), C in {list(C_GRID)} by pooled out-of-fold macro-F1 of "
        "StratifiedGroupKFold(5, shuffle, seed 0) by doc over train",
    }
    return untuned, tuned


# --------------------------------------------------------------------------------------------------
# SemEval-2016 stance (no dev split: everything is cross-validated on train)


def stance_oof(texts, y, targets, folds, fit_predict: Callable, per_target: bool) -> np.ndarray:
    """Out-of-fold predictions for a fixed set of outer folds."""
    oof = np.empty(len(y), dtype=object)
    for tr, te in folds:
        if not per_target:
            oof[te] = fit_predict(texts, y, targets, tr, te, None)
            continue
        for t in np.unique(targets):
            tr_t, te_t = tr[targets[tr] == t], te[targets[te] == t]
            if len(te_t):
                oof[te_t] = fit_predict(texts, y, targets, tr_t, te_t, t)
    return oof.astype(str)


def untuned_stance_fit_predict(texts, y, targets, tr, te, target):
    vec = make_vectorizer()
    clf = make_single_lr(len(set(y[tr]))).fit(vec.fit_transform(texts[tr]), y[tr])
    return clf.predict(vec.transform(texts[te]))


def make_tuned_stance_fit_predict(chosen: list) -> Callable:
    """Nested CV: C is chosen on the outer-training part only, so the outer score stays unbiased.
    Each choice is appended to `chosen` so the report shows how stable the selection is."""

    def fit_predict(texts, y, targets, tr, te, target):
        strata = np.array([f"{a}|{b}" for a, b in zip(targets[tr], y[tr])])
        inner = grouped_folds(len(tr), np.arange(len(tr)), strata=strata)  # one tweet = one doc
        inner_vec = vectorize_folds(texts[tr], inner)
        y_tr = y[tr]
        n_classes = len(set(y_tr))
        scores = {}
        for C in C_GRID:
            oof = np.empty(len(tr), dtype=object)
            for a, b, Xa, Xb in inner_vec:
                oof[b] = make_single_lr(n_classes, C=C, balanced=True).fit(Xa, y_tr[a]).predict(Xb)
            scores[C] = f_avg(y_tr, oof.astype(str))
        best_C = max(C_GRID, key=lambda c: (scores[c], -c))  # smaller C on ties
        chosen.append({"target": target or "all", "C": best_C})
        vec = make_vectorizer()
        clf = make_single_lr(n_classes, C=best_C, balanced=True).fit(vec.fit_transform(texts[tr]), y_tr)
        return clf.predict(vec.transform(texts[te]))

    return fit_predict


def stance_metrics(y, oof, targets) -> dict:
    labels = sorted(set(y))
    per_target = {t: r6(f_avg(y[targets == t], oof[targets == t])) for t in sorted(set(targets))}
    return {
        "f_avg": r6(f_avg(y, oof)),
        **single_metrics(list(y), list(oof), labels),
        "per_target_f_avg": per_target,
    }


@dataclass(frozen=True)
class StanceData:
    """SemEval-2016 stance train split as every cross-validated stance figure sees it."""

    records: list  # the train records, unchanged
    texts: np.ndarray  # stance_tweet_text of each record
    y: np.ndarray  # stance labels
    targets: np.ndarray
    folds: list  # the 5 outer (train indices, held-out indices) pairs


def stance_data(corpus: Corpus) -> StanceData:
    """The stance train split and its outer folds. Anything compared with the stance references
    (e.g. benches/accuracy.py) takes its folds from here, so the splits are identical."""
    train = corpus.split(STANCE_DATASET, "train")
    texts = np.array([stance_tweet_text(r) for r in train], dtype=object)
    y = np.array([r["labels"]["stance"] for r in train])
    targets = np.array([r["target"] for r in train])
    groups = np.array([r["doc"] for r in train])
    # Stratify on target×stance so every fold sees every target with its own stance mix; the same
    # folds serve the global and the per-target model so their pooled scores are comparable.
    strata = np.array([f"{t}|{s}" for t, s in zip(targets, y)])
    folds = grouped_folds(len(train), groups, strata=strata)
    return StanceData(train, texts, y, targets, folds)


def run_stance(corpus: Corpus) -> tuple:
    data = stance_data(corpus)
    train, texts, y, targets, folds = data.records, data.texts, data.y, data.targets, data.folds
    common = {
        "n": len(train),
        "n_train": len(train),
        "kind": "single",
        "evaluation": "pooled out-of-fold predictions, StratifiedGroupKFold(5, shuffle, seed 0) over "
        "train grouped by doc, stratified by target|stance (no dev split exists)",
        "labels": sorted(set(y)),
        "train_label_counts": dict(sorted(Counter(y.tolist()).items())),
        "targets": dict(sorted(Counter(targets.tolist()).items())),
        "text": "'#SemST' removed",
    }
    untuned, tuned = {}, {}
    for key, per_target in (("stance_all_targets", False), ("stance_per_target", True)):
        scope = "one model per target" if per_target else "one model for all targets"
        oof = stance_oof(texts, y, targets, folds, untuned_stance_fit_predict, per_target)
        untuned[key] = {
            **stance_metrics(y, oof, targets),
            **common,
            "settings": f"{VECTORIZER_SETTINGS}; LogisticRegression(C=1, solver=lbfgs, multinomial, "
            f"max_iter=1000); {scope}",
        }
        chosen: list = []
        oof = stance_oof(texts, y, targets, folds, make_tuned_stance_fit_predict(chosen), per_target)
        tuned[key] = {
            **stance_metrics(y, oof, targets),
            "C_chosen_per_outer_fold": chosen,
            **common,
            "settings": f"{VECTORIZER_SETTINGS}; LogisticRegression(solver=lbfgs, class_weight=balanced, "
            f"max_iter=1000); {scope}; C in {list(C_GRID)} by nested inner 5-fold CV on each outer "
            "training part, maximising F_avg",
        }
    return untuned, tuned


# --------------------------------------------------------------------------------------------------
# Training time


def best_of(n: int, fn: Callable) -> tuple:
    times, result = [], None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), times, result


def run_timing(corpus: Corpus) -> dict:
    train = corpus.split(TIMING_DATASET, "train")
    dev = corpus.split(TIMING_DATASET, "dev")
    texts = [r["text"] for r in train]
    ytr = [r["labels"][TIMING_TASK] for r in train]
    ydv = [r["labels"][TIMING_TASK] for r in dev]
    mlb = MultiLabelBinarizer().fit(ytr + ydv)
    labels = list(mlb.classes_)
    Ytr, Ydv = mlb.transform(ytr), mlb.transform(ydv)
    active = np.flatnonzero(Ytr.sum(axis=0) > 0)

    def fit_vectorizer():
        vec = make_vectorizer()
        return vec, vec.fit_transform(texts)

    best, runs, (vec, Xtr) = best_of(TIMING_REPEATS, fit_vectorizer)
    Xdv = vec.transform([r["text"] for r in dev])
    out = {
        "dataset": TIMING_DATASET,
        "task": TIMING_TASK,
        "n_train": len(train),
        "n_dev": len(dev),
        "n_features": int(Xtr.shape[1]),
        "n_labels_trained": int(len(active)),
        "repeats": TIMING_REPEATS,
        "threads": 1,
        "tfidf_fit_transform": {"best_s": r6(best), "runs_s": [r6(t) for t in runs], "settings": VECTORIZER_SETTINGS},
    }

    models = {
        "ovr_lr_liblinear_fit": (
            "OneVsRest(LogisticRegression(solver=liblinear, C=1)); predict_proba >= 0.5",
            lambda: LogisticRegression(solver="liblinear", C=1.0, random_state=SEED),
            "proba",
        ),
        "ovr_lr_lbfgs_fit": (
            "OneVsRest(LogisticRegression(solver=lbfgs, C=1, max_iter=1000)); predict_proba >= 0.5",
            lambda: LogisticRegression(solver="lbfgs", C=1.0, max_iter=1000, random_state=SEED),
            "proba",
        ),
        "ovr_linear_svc_fit": (
            "OneVsRest(LinearSVC(C=1)); decision_function > 0",
            lambda: LinearSVC(C=1.0, random_state=SEED),
            "decision",
        ),
    }
    for key, (settings, make, mode) in models.items():
        best, runs, clf = best_of(
            TIMING_REPEATS, lambda: OneVsRestClassifier(make(), n_jobs=1).fit(Xtr, Ytr[:, active])
        )
        Yp = np.zeros(Ydv.shape, dtype=int)
        if mode == "proba":
            Yp[:, active] = clf.predict_proba(Xdv) >= 0.5
        else:
            Yp[:, active] = clf.decision_function(Xdv) > 0
        m = multilabel_metrics(Ydv, Yp, labels)
        out[key] = {
            "best_s": r6(best),
            "runs_s": [r6(t) for t in runs],
            "dev_micro_f1": m["micro_f1"],
            "dev_macro_f1": m["macro_f1"],
            "settings": settings,
        }
    return out


# --------------------------------------------------------------------------------------------------
# Reporting


@contextlib.contextmanager
def collect_warnings(sink: dict, section: str):
    """Keep convergence and similar warnings in the output instead of scrolling them away."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    counts = Counter(f"{w.category.__name__}: {str(w.message).splitlines()[0]}" for w in caught)
    if counts:
        sink[section] = dict(counts)


def fmt(x, digits=3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def print_table(result: dict, file=sys.stderr) -> None:
    def p(line=""):
        print(line, file=file)

    for variant in ("untuned", "tuned"):
        block = result.get(variant) or {}
        if not block:
            continue
        p()
        p(f"== {variant} ==")
        p(f"{'dataset':24} {'task':22} {'kind':6} {'n':>6} {'microF1':>8} {'macroF1':>8} {'acc':>6} {'F_avg':>6}  choice")
        for ds, tasks in block.items():
            for task, m in tasks.items():
                choice = ""
                if "threshold" in m and variant == "tuned":
                    choice = f"thr={m['threshold']:.2f} (cv microF1 {m['cv_micro_f1']:.3f})"
                elif "C" in m:
                    choice = f"C={m['C']:g} (cv macroF1 {m['cv_macro_f1']:.3f})"
                elif "C_chosen_per_outer_fold" in m:
                    choice = "C: " + ",".join(f"{c['C']:g}" for c in m["C_chosen_per_outer_fold"])
                p(
                    f"{ds:24} {task:22} {m['kind']:6} {m['n']:>6} {fmt(m.get('micro_f1')):>8} "
                    f"{fmt(m.get('macro_f1')):>8} {fmt(m.get('accuracy')):>6} {fmt(m.get('f_avg')):>6}  {choice}"
                )
                if m.get("dev_labels_unseen_in_train"):
                    p(f"{'':24} ! dev labels unseen in train: {', '.join(m['dev_labels_unseen_in_train'])}")
    timing = result.get("timing")
    if timing:
        p()
        p(f"== timing ({timing['dataset']} train, {timing['n_train']} records, {timing['n_features']} features, "
          f"{timing['n_labels_trained']} labels, best of {timing['repeats']}, 1 thread) ==")
        for key in ("tfidf_fit_transform", "ovr_lr_liblinear_fit", "ovr_lr_lbfgs_fit", "ovr_linear_svc_fit"):
            t = timing[key]
            extra = f"  dev microF1 {t['dev_micro_f1']:.3f}" if "dev_micro_f1" in t else ""
            p(f"{key:22} {t['best_s']:8.3f} s{extra}")
    if result.get("warnings"):
        p()
        p("== warnings ==")
        for section, counts in result["warnings"].items():
            for msg, c in counts.items():
                p(f"{section}: {c}x {msg[:150]}")


# --------------------------------------------------------------------------------------------------
# Main


def known_names() -> list:
    names = []
    for spec in DEV_TASKS:
        names += [spec.dataset, f"{spec.dataset}/{spec.name}"]
    names += [STANCE_DATASET, TIMING_NAME]
    return sorted(set(names))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Compute scikit-learn reference figures for rhetor.")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help=f"labelled data folder (default: ../shared/data from the repo root = {DEFAULT_DATA})")
    ap.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="restrict to these datasets, dataset/task pairs, or 'timing': " + ", ".join(known_names()))
    args = ap.parse_args(argv)

    data = args.data.resolve()
    if not data.is_dir():
        print(f"error: data folder not found: {data}\n"
              "(expected the shared labelled corpora at ../shared/data beside the repository; pass --data DIR)",
              file=sys.stderr)
        return 2
    if args.only:
        unknown = sorted(set(args.only) - set(known_names()))
        if unknown:
            ap.error(f"unknown --only name(s): {', '.join(unknown)}; known: {', '.join(known_names())}")
    only = set(args.only or [])

    def wanted(*names) -> bool:
        return not only or bool(only & set(names))

    corpus = Corpus(data)
    result = {
        "sklearn_version": sklearn.__version__,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "machine": platform.platform(),
        "untuned": {},
        "tuned": {},
        "timing": {},
        "warnings": {},
        "data_sha256": corpus.checksums,  # filled as files are read
    }
    started = time.perf_counter()

    def log(msg):
        print(f"[{time.perf_counter() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)

    try:
        for spec in DEV_TASKS:
            if not wanted(spec.dataset, f"{spec.dataset}/{spec.name}"):
                continue
            log(f"{spec.dataset}/{spec.name}")
            with collect_warnings(result["warnings"], f"{spec.dataset}/{spec.name}"):
                untuned, tuned = run_dev_task(corpus, spec)
            result["untuned"].setdefault(spec.dataset, {})[spec.name] = untuned
            result["tuned"].setdefault(spec.dataset, {})[spec.name] = tuned
        if wanted(STANCE_DATASET):
            log(STANCE_DATASET)
            with collect_warnings(result["warnings"], STANCE_DATASET):
                untuned, tuned = run_stance(corpus)
            result["untuned"][STANCE_DATASET] = untuned
            result["tuned"][STANCE_DATASET] = tuned
        if wanted(TIMING_NAME):
            log("timing")
            with collect_warnings(result["warnings"], TIMING_NAME):
                result["timing"] = run_timing(corpus)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2

    result["elapsed_s"] = round(time.perf_counter() - started, 1)
    log("done")
    print_table(result)

    text = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
