#!/usr/bin/env python3
"""Run rhetor_spark.py for real on a local Spark and check it against `rhetor score`.

    python3 contrib/spark/run_local.py [--paragraphs 1000000] [--binary target/release/rhetor]

1. Installs PySpark from PyPI if it is missing (`pip install "pyspark[sql]"`; Spark needs Java 17
   or later on the PATH).
2. Builds an archive of JSONL records in a temporary directory from the training splits in
   ../shared/data (SemEval-2023 Task 3 paragraphs and articles, PTC, NewsMTSC, GVFC): documents
   of one to three records, records of one to six paragraphs, each document with an `outlet`, a
   `date` and other passthrough fields (some of them lists and objects), as many copies (each
   shuffled differently) as it takes to reach about --paragraphs. The data never leaves the
   temporary directory.
3. Scores it on one machine with `rhetor score --input jsonl --format jsonl`, with 1 thread and
   with 2 threads (the two outputs must be identical).
4. Runs rhetor_spark.py on it with spark-submit --master local[2].
5. Compares, paragraph by paragraph:
   * OUT/jsonl with the single-machine output, byte for byte (every line must be there, once);
   * OUT/paragraphs (Parquet) with the labels and scores of the single-machine output, and its
     passthrough fields with those of the input records;
   * OUT/docs (Parquet) with per-document counts and mean scores computed from it;
   * with a rhetor that has `compare`: the `rhetor compare --input scored` report on OUT/jsonl
     with the report on the single-machine output.
   Prints the paragraphs compared, the mismatches, and wall time, CPU time and paragraphs/s of
   each run; exits 1 on any mismatch.

--kill executor runs Spark on a local cluster of two one-core executors, each in its own JVM,
and kills one executor with SIGKILL while its task is in the middle of a partition; --kill worker
kills the Python worker of a running task instead. Either way the task is retried, the files of
the lost attempt are never committed, and the output must still match.
"""

import argparse
import collections
import hashlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DATA = REPO_ROOT.parent / "shared" / "data"

SOURCES = [  # (folder, file): training splits only
    ("semeval2023_techniques", "train.jsonl"),
    ("semeval2023_frames", "train.jsonl"),
    ("ptc_techniques", "train.jsonl"),
    ("newsmtsc_sentiment", "train.jsonl"),
    ("gvfc_frames", "train.jsonl"),
]
OUTLETS = [  # (name, weight): groups of different sizes, as in a real archive
    ("harbour-herald", 9), ("daily-ledger", 7), ("metro-courier", 5), ("northern-tribune", 4),
    ("coastal-gazette", 3), ("capital-observer", 2), ("valley-news", 1), ("evening-post", 1),
]
BLANK_LINE = re.compile(r"\n[ \t\r]*\n")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Setup
# --------------------------------------------------------------------------------------------

def ensure_pyspark():
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError:
        log("run_local: installing PySpark from PyPI (pip install \"pyspark[sql]\")")
        subprocess.run([sys.executable, "-m", "pip", "install", "pyspark[sql]"], check=True)
    import pyspark
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        sys.exit("run_local: Spark needs Java (17 or later): none on the PATH and no JAVA_HOME")
    spark_submit = Path(pyspark.__file__).parent / "bin" / "spark-submit"
    if not spark_submit.exists():
        found = shutil.which("spark-submit")
        if not found:
            sys.exit("run_local: no spark-submit in the pyspark package or on the PATH")
        spark_submit = Path(found)
    return pyspark.__version__, str(spark_submit)


def generate(data, out_path, paragraphs, seed):
    """Writes JSONL records of at least `paragraphs` paragraphs by a blank-line split (rhetor's
    own split may differ slightly); returns (records, docs, paragraphs by that split)."""
    pool = []  # (corpus, text, target)
    for folder, name in SOURCES:
        path = data / folder / name
        if not path.exists():
            sys.exit(f"run_local: {path} is missing (the labelled corpora live in ../shared/data)")
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    if r.get("text", "").strip():
                        pool.append((folder, r["text"], r.get("target")))
    para_count = [len([b for b in BLANK_LINE.split(t) if b.strip()]) for _, t, _ in pool]
    names = [o for o, _ in OUTLETS]
    weights = [w for _, w in OUTLETS]
    records = docs = total = 0
    copy = 0
    with open(out_path, "w", encoding="utf-8") as out:
        while total < paragraphs:
            rng = random.Random(seed * 1_000_003 + copy)
            order = list(range(len(pool)))
            rng.shuffle(order)
            pos = 0
            while pos < len(order) and total < paragraphs:
                doc = f"a{copy:03d}-{docs:07d}"
                outlet = rng.choices(names, weights)[0]
                date = f"20{rng.randint(18, 24)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                for j in range(rng.randint(1, 3)):
                    if pos >= len(order):
                        break
                    corpus, text, target = pool[order[pos]]
                    if target is not None:  # a stance record: one paragraph, with its target
                        take = [order[pos]]
                    else:
                        take = []
                        for k in order[pos:pos + rng.randint(1, 6)]:
                            if pool[k][2] is not None:
                                break
                            take.append(k)
                    pos += len(take)
                    rec = {"outlet": outlet, "date": date, "corpus": corpus, "copy": copy}
                    # Some records carry nested fields (a list; an object with its own `doc`
                    # key; a string with braces), as archives do.
                    if docs % 29 == 0:
                        rec["tags"] = [corpus, outlet]
                    if docs % 31 == 0:
                        rec["meta"] = {"doc": f"src-{docs}", "page": j + 1}
                    if docs % 37 == 0:
                        rec["note"] = "see {above} [1]"
                    rec.update(id=f"{doc}:{j}", doc=doc,
                               text="\n\n".join(pool[k][1] for k in take))
                    if target is not None:
                        rec["target"] = target
                    out.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    records += 1
                    total += sum(para_count[k] for k in take)
                docs += 1
            copy += 1
    return records, docs, total


# --------------------------------------------------------------------------------------------
# Runs
# --------------------------------------------------------------------------------------------

class CpuSampler:
    """CPU seconds (user + system) of a process and every process under it, from /proc, read
    every `interval` seconds: the last reading of each process counts, so what a process uses
    after its last reading is missed (at most `interval` per process). getrusage cannot be used:
    Spark's Python workers are not waited for by the processes above them."""

    def __init__(self, root, interval=0.1):
        self.root = root
        self.interval = interval
        self.ticks = {}  # (pid, start time) -> utime + stime, in clock ticks
        self.series = []  # (Unix time, ticks of all processes so far)
        self.peak_kb = {}  # kind of process (rhetor, python, java) -> largest peak RSS, KB
        self.kinds = {}  # (pid, start time) -> kind
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def read(self, pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            return None
        fields = stat[stat.rindex(")") + 2:].split()
        return int(fields[1]), int(fields[19]), int(fields[11]) + int(fields[12])

    def run(self):
        while True:
            parent, info = {}, {}
            for d in os.listdir("/proc"):
                if d.isdigit():
                    r = self.read(int(d))
                    if r:
                        parent[int(d)] = r[0]
                        info[int(d)] = r
            tree = {self.root}
            known = {pid for pid, _ in self.ticks}
            changed = True
            while changed:
                changed = False
                for pid, pp in parent.items():
                    if pid not in tree and (pp in tree or pid in known):
                        tree.add(pid)
                        changed = True
            for pid in tree:
                if pid in info:
                    _, start, ticks = info[pid]
                    key = (pid, start)
                    if key not in self.ticks or self.ticks[key] != ticks:
                        self.kinds[key] = self.peak(pid) or self.kinds.get(key, "other")
                    self.ticks[key] = max(self.ticks.get(key, 0), ticks)
            self.series.append((time.time(), sum(self.ticks.values())))
            if self.stop.is_set():
                return
            self.stop.wait(self.interval)

    def peak(self, pid):
        argv = cmdline(pid)
        if not argv or not argv[0]:
            return
        name = os.path.basename(argv[0]).decode(errors="replace")
        kind = "python" if name.startswith("python") else name
        if kind not in ("python", "java") and b"score" not in argv:
            kind = "other"
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        kb = int(line.split()[1])
                        self.peak_kb[kind] = max(self.peak_kb.get(kind, 0), kb)
        except OSError:
            pass
        return kind

    def by_kind(self):
        """CPU seconds per kind of process."""
        out = {}
        for key, ticks in self.ticks.items():
            kind = self.kinds.get(key, "other")
            out[kind] = out.get(kind, 0) + ticks / os.sysconf("SC_CLK_TCK")
        return out

    def seconds(self):
        self.stop.set()
        self.thread.join()
        return sum(self.ticks.values()) / os.sysconf("SC_CLK_TCK")

    def between(self, t0, t1):
        """CPU seconds used between Unix times t0 and t1 (readings nearest to them)."""
        def at(t):
            return min(self.series, key=lambda x: abs(x[0] - t))[1] if self.series else 0
        return (at(t1) - at(t0)) / os.sysconf("SC_CLK_TCK")


def timed(cmd, stdout_path, stderr_path, env=None, on_start=None, sample_cpu=False):
    """Runs `cmd`; returns (exit status, wall seconds, CPU seconds of it and the processes under
    it: from getrusage, or with `sample_cpu` from /proc readings, see CpuSampler)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(stdout_path, "wb") as so, open(stderr_path, "wb") as se:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=so, stderr=se, env=env)
        sampler = CpuSampler(proc.pid) if sample_cpu else None
        watcher = on_start(proc) if on_start else None
        while proc.poll() is None:
            time.sleep(0.02)  # the sampler reads the process's last figures before it is reaped
        rc = proc.returncode
        dt = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if sampler:
        cpu = max(cpu, sampler.seconds())
    if watcher:
        watcher.join(5)
    return rc, dt, cpu, sampler


def children_of(root):
    """Every process under `root` (pid), from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    found, frontier = [], [root]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        found += kids
        frontier += kids
    return found, parent


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def make_killer(binary_name, after_seconds, target, report):
    """on_start hook: once a rhetor process of a Spark task has scored for `after_seconds`,
    SIGKILL, once, the process above it named by `target`: "worker", the task's Python worker
    (forked from pyspark.daemon), or "executor", the executor's JVM (CoarseGrainedExecutorBackend,
    with local-cluster masters). Only processes under spark-submit are looked at."""
    marker = b"pyspark.daemon" if target == "worker" else b"CoarseGrainedExecutorBackend"

    def start(proc):
        def watch():
            seen = {}
            while proc.poll() is None:
                pids, parent = children_of(proc.pid)
                under = set(pids)
                for pid in pids:
                    argv = cmdline(pid)
                    if not (argv and os.path.basename(argv[0]) == binary_name.encode()
                            and b"score" in argv):
                        continue
                    first = seen.setdefault(pid, time.monotonic())
                    if time.monotonic() - first < after_seconds:
                        continue
                    # the driver's own rhetor (the probe) has neither above it
                    up = parent.get(pid)
                    while up in under and not any(marker in a for a in cmdline(up)):
                        up = parent.get(up)
                    if up in under:
                        os.kill(up, signal.SIGKILL)
                        report.update(target=target, pid=up, rhetor=pid)
                        return
                time.sleep(0.1)

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        return t

    return start


# --------------------------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------------------------

def event_totals(events_dir):
    """Bytes read, written and shuffled by all tasks, from Spark's event log."""
    totals = collections.Counter()
    for path in Path(events_dir).rglob("*"):
        if not path.is_file():
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if '"SparkListenerTaskEnd"' not in line:
                    continue
                m = json.loads(line).get("Task Metrics") or {}
                totals["input"] += (m.get("Input Metrics") or {}).get("Bytes Read", 0)
                totals["output"] += (m.get("Output Metrics") or {}).get("Bytes Written", 0)
                totals["shuffle"] += (m.get("Shuffle Write Metrics") or {}).get(
                    "Shuffle Bytes Written", 0)
                totals["spilled"] += m.get("Disk Bytes Spilled", 0)
    return totals


def line_digests(paths):
    """Counter of the digests of the lines of `paths`, and the number of lines."""
    c = collections.Counter()
    n = 0
    for p in paths:
        with open(p, "rb") as f:
            for line in f:
                c[hashlib.blake2b(line.rstrip(b"\n"), digest_size=16).digest()] += 1
                n += 1
    return c, n


def compare_jsonl(single_path, part_paths):
    """(mismatched lines, examples): lines of the single-machine output not found in the part
    files byte for byte, plus lines of the part files not in the single-machine output."""
    spark, _ = line_digests(part_paths)
    mismatched = 0
    examples = []
    with open(single_path, "rb") as f:
        for line in f:
            d = hashlib.blake2b(line.rstrip(b"\n"), digest_size=16).digest()
            if spark[d] > 0:
                spark[d] -= 1
            else:
                mismatched += 1
                if len(examples) < 3:
                    examples.append(("single machine only", line[:300]))
    extra = sum(v for v in spark.values() if v > 0)
    if extra:
        examples.append(("Spark only", f"{extra} line(s)"))
    return mismatched + extra, examples


def same_bytes(single_path, part_paths):
    """Whether the part files, concatenated in name order, are the single-machine output."""
    with open(single_path, "rb") as a:
        for p in part_paths:
            with open(p, "rb") as b:
                while True:
                    chunk = b.read(1 << 20)
                    if not chunk:
                        break
                    if a.read(len(chunk)) != chunk:
                        return False
        return a.read(1) == b""


def read_single(single_path, tasks):
    """The single-machine output as an Arrow table: doc, id, paragraph, labels.<task>,
    scores.<task>.<label> (flattened)."""
    import pyarrow as pa
    import pyarrow.json as pj
    label_fields = [pa.field(t["task"], pa.list_(pa.string()) if t["multi_label"] else pa.string())
                    for t in tasks]
    score_fields = [pa.field(t["task"], pa.struct([pa.field(l, pa.float64()) for l in t["labels"]]))
                    for t in tasks]
    schema = pa.schema([pa.field("doc", pa.string()), pa.field("id", pa.string()),
                        pa.field("paragraph", pa.int64()),
                        pa.field("labels", pa.struct(label_fields)),
                        pa.field("scores", pa.struct(score_fields))])
    table = pj.read_json(single_path,
                         read_options=pj.ReadOptions(block_size=64 << 20),
                         parse_options=pj.ParseOptions(explicit_schema=schema,
                                                       unexpected_field_behavior="ignore"))
    return table.flatten().flatten()


def flat_paragraphs(parquet_dir, tasks):
    """OUT/paragraphs with the same flattened columns as read_single."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    t = pq.read_table(parquet_dir, columns=["doc", "id", "paragraph", "labels", "scores"])
    cols = {"doc": t["doc"], "id": t["id"], "paragraph": pc.cast(t["paragraph"], pa.int64())}
    labels = t["labels"].combine_chunks()
    scores = t["scores"].combine_chunks()
    for task in tasks:
        name = task["task"]
        cols[f"labels.{name}"] = labels.field(name)
        for label in task["labels"]:
            cols[f"scores.{name}.{label}"] = scores.field(name).field(label)
    return pa.table(cols)


def compare_tables(a, b, key=("id", "paragraph")):
    """Rows of `a` and `b`, matched on `key`, that differ in any column of `a` (or are missing
    on one side). Returns (mismatched rows, differing columns with counts)."""
    import pyarrow.compute as pc
    order = [(k, "ascending") for k in key]
    a = a.take(pc.sort_indices(a, sort_keys=order))
    b = b.select(a.column_names).take(pc.sort_indices(b, sort_keys=order))
    if a.num_rows != b.num_rows:
        return abs(a.num_rows - b.num_rows) + _count_rows_differing(a, b, key), \
            {"row count": (a.num_rows, b.num_rows)}
    bad = None
    columns = {}
    for name in a.column_names:
        x, y = a[name], b[name]
        if str(x.type).startswith("list"):
            x, y = pc.binary_join(x, "\x1f"), pc.binary_join(y, "\x1f")
        eq = pc.equal(x, y)
        both_null = pc.and_(pc.is_null(x), pc.is_null(y))
        eq = pc.or_(pc.fill_null(eq, False), both_null)
        if not pc.all(eq).as_py():
            columns[name] = pc.sum(pc.invert(eq)).as_py()
        ne = pc.invert(eq)
        bad = ne if bad is None else pc.or_(bad, ne)
    return (pc.sum(bad).as_py() or 0), columns


def _count_rows_differing(a, b, key):
    ka = set(zip(*[a[k].to_pylist() for k in key]))
    kb = set(zip(*[b[k].to_pylist() for k in key]))
    return len(ka ^ kb)


def compare_fields(input_path, parquet_dir, column):
    """Rows of OUT/paragraphs whose `fields` is not the record's passthrough fields as rhetor
    writes them (each key, then its value as written in the input, in input order), or whose
    `column` is not that field's value. Returns (mismatched rows, rows with nested fields)."""
    import pyarrow.parquet as pq
    skip = {"id", "doc", "text", "target", "labels"}
    want = {}
    with open(input_path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            want[rec["id"]] = (
                "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":"
                               + json.dumps(v, ensure_ascii=False)
                               for k, v in rec.items() if k not in skip) + "}",
                rec.get(column))
    bad = nested = 0
    table = pq.read_table(parquet_dir, columns=["id", "fields", column])
    for batch in table.to_batches(max_chunksize=65536):
        for rid, fields, value in zip(*(batch.column(i).to_pylist() for i in range(3))):
            w = want.get(rid)
            if w is None or fields != w[0] or value != w[1]:
                bad += 1
            elif "{" in fields[1:] or "[" in fields:
                nested += 1
    return bad, nested


def doc_aggregates(single, tasks):
    """Per document from the single-machine paragraphs: paragraphs, records, and per label the
    count and the mean score."""
    import pyarrow as pa
    import pyarrow.compute as pc
    first = tasks[0]
    scored = pc.is_valid(single[f"scores.{first['task']}.{first['labels'][0]}"])
    cols = {"doc": single["doc"], "one": pa.array([1] * single.num_rows, pa.int64()),
            "first": pc.cast(pc.equal(single["paragraph"], 0), pa.int64()),
            "scored": pc.cast(scored, pa.int64())}
    aggs = [("one", "sum"), ("first", "sum"), ("scored", "sum")]
    for task in tasks:
        name = task["task"]
        lab = single[f"labels.{name}"]
        if task["multi_label"]:  # "\x1f" + the labels joined by "\x1f" + "\x1f"
            joined = pc.binary_join_element_wise("\x1f", pc.binary_join(lab, "\x1f"), "\x1f", "")
        for label in task["labels"]:
            if task["multi_label"]:
                has = pc.fill_null(pc.match_substring(joined, f"\x1f{label}\x1f"), False)
            else:
                has = pc.fill_null(pc.equal(lab, label), False)
            c, m = f"c|{name}|{label}", f"m|{name}|{label}"
            cols[c] = pc.cast(has, pa.int64())
            cols[m] = single[f"scores.{name}.{label}"]
            aggs += [(c, "sum"), (m, "mean")]
    return pa.table(cols).group_by("doc").aggregate(aggs)


def compare_docs(single, docs_dir, tasks):
    """Documents whose OUT/docs row differs from the aggregates of the single-machine output
    (counts exactly, mean scores within 1e-9)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    want = doc_aggregates(single, tasks)
    want = want.take(pc.sort_indices(want, sort_keys=[("doc", "ascending")]))
    got = pq.read_table(docs_dir)
    got = got.take(pc.sort_indices(got, sort_keys=[("doc", "ascending")]))
    if want.num_rows != got.num_rows or not want["doc"].equals(got["doc"]):
        return max(want.num_rows, got.num_rows), {"documents": (want.num_rows, got.num_rows)}
    bad = pc.not_equal(want["one_sum"], pc.cast(got["paragraphs"], pa.int64()))
    bad = pc.or_(bad, pc.not_equal(want["first_sum"], pc.cast(got["records"], pa.int64())))
    bad = pc.or_(bad, pc.not_equal(want["scored_sum"], pc.cast(got["scored"], pa.int64())))
    columns = {}
    for task in tasks:
        name = task["task"]
        counts = got[f"{name}_count"].combine_chunks()
        means = got[f"{name}_mean_score"].combine_chunks()
        for label in task["labels"]:
            c = counts.field(label)
            m = means.field(label)
            ne_c = pc.fill_null(pc.not_equal(want[f"c|{name}|{label}_sum"], c), True)
            w = want[f"m|{name}|{label}_mean"]
            ne_m = pc.fill_null(pc.greater(pc.abs(pc.subtract(w, m)), 1e-9), True)
            # no scored paragraph in the document: no mean on either side
            ne_m = pc.and_(ne_m, pc.invert(pc.and_(pc.is_null(w), pc.is_null(m))))
            for col, ne in ((f"{name}_count", ne_c), (f"{name}_mean_score", ne_m)):
                if pc.any(ne).as_py():
                    columns[col] = columns.get(col, 0) + pc.sum(ne).as_py()
            bad = pc.or_(bad, pc.or_(ne_c, ne_m))
    return pc.sum(bad).as_py() or 0, columns


# --------------------------------------------------------------------------------------------

def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--paragraphs", type=int, default=1_000_000,
                   help="paragraphs to generate, about (rhetor's own paragraph split decides; "
                        "default: %(default)s)")
    p.add_argument("--binary", default=str(REPO_ROOT / "target" / "release" / "rhetor"),
                   help="rhetor binary (default: %(default)s; build it with cargo build --release)")
    p.add_argument("--model", default=None, help="model file (default: rhetor's embedded model)")
    p.add_argument("--data", default=str(DATA), help="labelled corpora (default: %(default)s)")
    p.add_argument("--workdir", default=None,
                   help="where to put the input and outputs (default: a new temporary directory, "
                        "removed at the end)")
    p.add_argument("--keep", action="store_true", help="keep the working directory")
    p.add_argument("--master", default="local[2]", help="Spark master (default: %(default)s)")
    p.add_argument("--max-partition-mb", type=float, default=32,
                   help="input MB per Spark partition (default: %(default)s)")
    p.add_argument("--driver-memory", default="2g", help="spark.driver.memory (default: 2g)")
    p.add_argument("--kill", choices=["worker", "executor"], default=None,
                   help="kill, once, mid-partition, the Python worker of a running task "
                        "(worker) or an executor's JVM (executor; runs on a local-cluster master "
                        "of two one-core executors): the task must be retried and the output "
                        "still match")
    p.add_argument("--jsonl-only", action="store_true",
                   help="run the job with --jsonl-only (OUT/jsonl, no Parquet) and check that")
    p.add_argument("--repeat", type=int, default=1,
                   help="time each single-machine run this many times, keep the fastest "
                        "(default: 1)")
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"run_local: no rhetor binary at {binary} (cargo build --release, or --binary)")
    pyspark_version, spark_submit = ensure_pyspark()

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="rhetor-spark-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, binary, pyspark_version, spark_submit, work)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


def run(args, binary, pyspark_version, spark_submit, work):
    load_before = os.getloadavg()
    log(f"run_local: working in {work}")
    input_path = work / "articles.jsonl"
    t0 = time.perf_counter()
    records, docs, estimate = generate(Path(args.data), input_path, args.paragraphs, args.seed)
    log(f"run_local: generated {records:,} records in {docs:,} documents "
        f"({input_path.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t0:.1f} s")

    # Single machine.
    base = [binary, "score", "--input", "jsonl", "--format", "jsonl", "-q"]
    if args.model:
        base += ["-m", args.model]
    single = {}
    for threads in (1, 2):
        out = work / f"single-{threads}.jsonl"
        best = None
        for _ in range(max(1, args.repeat)):
            rc, wall, cpu, _ = timed(base + ["--threads", str(threads), str(input_path)], out,
                                  work / f"single-{threads}.err")
            if rc != 0:
                sys.exit(f"run_local: rhetor score failed (exit {rc}):\n"
                         + (work / f"single-{threads}.err").read_text())
            if best is None or wall < best[0]:
                best = (wall, cpu)
        single[threads] = (out, *best)
        log(f"run_local: rhetor score --threads {threads}: {best[0]:.1f} s")
    threads_identical = same_bytes(single[1][0], [single[2][0]])
    reference = single[2][0]

    # Spark.
    out_dir = work / "out"
    metrics_path = work / "metrics.json"
    master = args.master
    if args.kill == "worker" and master.startswith("local[") and "," not in master:
        master = master.replace("]", ",4]")  # local[N,F]: F attempts per task
    if args.kill == "executor" and master == "local[2]":
        master = "local-cluster[2,1,2048]"  # two executors of one core, in their own JVMs
    env = dict(os.environ, PYSPARK_PYTHON=sys.executable, PYSPARK_DRIVER_PYTHON=sys.executable)
    events = work / "events"
    events.mkdir(exist_ok=True)
    cmd = [spark_submit, "--master", master, "--driver-memory", args.driver_memory,
           "--conf", "spark.ui.enabled=false", "--conf", "spark.eventLog.enabled=true",
           "--conf", f"spark.eventLog.dir={events.as_uri()}",
           "--conf", "spark.eventLog.compress=false",
           "--conf", "spark.eventLog.rolling.enabled=false",
           str(HERE / "rhetor_spark.py"), "--jsonl", str(input_path), "--binary", binary,
           "--output", str(out_dir), "--columns", "outlet",
           "--max-partition-mb", str(args.max_partition_mb), "--metrics", str(metrics_path)]
    if args.model:
        cmd += ["--model", os.path.abspath(args.model)]
    if args.jsonl_only:
        cmd.append("--jsonl-only")
    killed = {}
    hook = make_killer(os.path.basename(binary), 1.0, args.kill, killed) if args.kill else None
    log(f"run_local: spark-submit --master {master} ...")
    rc, spark_wall, spark_cpu, sampler = timed(cmd, work / "spark.out", work / "spark.log", env=env,
                                      on_start=hook, sample_cpu=True)
    spark_log = (work / "spark.log").read_text(errors="replace")
    if rc != 0:
        sys.exit(f"run_local: the Spark job failed (exit {rc}); its log:\n{spark_log[-6000:]}")
    metrics = json.loads(metrics_path.read_text())
    parts = sorted((out_dir / "jsonl").glob("part-*"))

    # Compare.
    log("run_local: comparing")
    t_cmp = time.perf_counter()
    jsonl_bad, jsonl_examples = compare_jsonl(reference, parts)
    in_order = same_bytes(reference, parts)
    tasks = metrics["tasks"]
    single_table = read_single(str(reference), tasks)
    n = single_table.num_rows
    if args.jsonl_only:
        para_bad = docs_bad = fields_bad = fields_nested = 0
        para_cols = docs_cols = {}
    else:
        para_bad, para_cols = compare_tables(
            single_table, flat_paragraphs(str(out_dir / "paragraphs"), tasks))
        docs_bad, docs_cols = compare_docs(single_table, str(out_dir / "docs"), tasks)
        fields_bad, fields_nested = compare_fields(input_path, str(out_dir / "paragraphs"),
                                                   "outlet")
    # rhetor compare on the scored lines, when the binary has it: the report from OUT/jsonl
    # must be the report from the single-machine output.
    compare_same = None
    if subprocess.run([binary, "compare", "--help"], capture_output=True).returncode == 0:
        reports = []
        for name, files in (("spark", [str(p) for p in parts]), ("single", [str(reference)])):
            report = work / f"compare-{name}.json"
            r = subprocess.run([binary, "compare", "--input", "scored", *files,
                                "--group-by", "outlet", "--by-time", "date",
                                "--bootstrap", "0", "--permutations", "0",
                                "--format", "json", "-o", str(report)],
                               capture_output=True)
            if r.returncode != 0:
                sys.exit(f"run_local: rhetor compare failed (exit {r.returncode}):\n"
                         + r.stderr.decode(errors="replace"))
            reports.append(report.read_bytes())
        compare_same = reports[0] == reports[1]
    cmp_seconds = time.perf_counter() - t_cmp
    load_after = os.getloadavg()

    failed_attempts = len(re.findall(r"Lost task \S+ in stage", spark_log))
    executors_lost = len(re.findall(r"Lost executor \S+", spark_log))
    kill_report = None
    if args.kill:
        if killed:
            gone = not os.path.exists(f"/proc/{killed['rhetor']}") or \
                "Z" in Path(f"/proc/{killed['rhetor']}/stat").read_text().split(") ")[1][:1]
            what = "the Python worker" if args.kill == "worker" else "the executor JVM"
            kill_report = (f"killed {what} {killed['pid']} of a running task mid-partition (its "
                           f"rhetor {killed['rhetor']}: {'exited' if gone else 'STILL RUNNING'}); "
                           f"failed task attempts in the log: {failed_attempts}, executors lost: "
                           f"{executors_lost}")
            kill_failed = not gone or failed_attempts == 0
        else:
            kill_report = f"--kill {args.kill}: no task ran long enough to be killed"
            kill_failed = True
    else:
        kill_failed = False
    mismatches = (jsonl_bad + para_bad + docs_bad + fields_bad
                  + (0 if threads_identical else 1) + (1 if compare_same is False else 0)
                  + (1 if kill_failed else 0))
    secs = metrics["seconds"]

    def rate(dt):
        return f"{n / dt:,.0f}" if dt > 0 else "-"

    print(f"input: {records:,} records, {docs:,} documents, "
          f"{input_path.stat().st_size / 1e6:,.0f} MB JSONL, built from {args.data}")
    print(f"paragraphs compared: {n:,}")
    print(f"mismatches: {mismatches}")
    if kill_report:
        print(f"  {kill_report}")
    print(f"  OUT/jsonl vs rhetor score, line by line, byte for byte: {jsonl_bad} "
          f"({metrics['paragraphs']:,} lines in {len(parts)} part files; concatenated in name "
          f"order {'identical to' if in_order else 'a reordering of'} the single-machine output)")
    for what, ex in jsonl_examples:
        print(f"    {what}: {ex!r}")
    if not args.jsonl_only:
        print(f"  OUT/paragraphs (Parquet) vs rhetor score, labels and scores, row by row: "
              f"{para_bad}" + (f" {para_cols}" if para_cols else ""))
        print(f"  OUT/paragraphs `fields` and `outlet` vs the input records' passthrough "
              f"fields, row by row: {fields_bad} ({fields_nested:,} rows with braces or brackets "
              "in them)")
        print(f"  OUT/docs (Parquet, {metrics['docs']:,} documents) vs the same aggregates of "
              f"rhetor score's output: {docs_bad}" + (f" {docs_cols}" if docs_cols else ""))
    print(f"  rhetor score --threads 1 vs --threads 2: "
          f"{'identical' if threads_identical else 'DIFFERENT'}")
    if compare_same is not None:
        print(f"  rhetor compare --input scored --group-by outlet --by-time date, report from "
              f"OUT/jsonl/part-* vs from the single-machine output: "
              f"{'identical' if compare_same else 'DIFFERENT'}")
    outputs = "OUT/jsonl" if args.jsonl_only else "all outputs"
    best = f", best of {args.repeat}" if args.repeat > 1 else ""
    rows = [
        (f"one machine, rhetor score --threads 1{best}", single[1][1], single[1][2]),
        (f"one machine, rhetor score --threads 2{best}", single[2][1], single[2][2]),
        (f"Spark {metrics['master']}, {metrics['input_partitions']} partitions, spark-submit "
         f"({outputs})", spark_wall, spark_cpu),
    ]
    W = 66
    print(f"{'run':<{W}} {'wall s':>8} {'paragraphs/s':>13} {'CPU s':>8} {'per CPU-s':>10}")
    for name, wall, cpu in rows:
        print(f"{name:<{W}} {wall:>8.2f} {rate(wall):>13} {cpu:>8.2f} {rate(cpu):>10}")
    tl = metrics["timeline"]
    stages = [("scoring + OUT/jsonl", secs["score_and_write_jsonl"], tl["start"], tl["jsonl"])]
    if not args.jsonl_only:
        stages += [("OUT/paragraphs from OUT/jsonl", secs["paragraphs_parquet"], tl["jsonl"],
                    tl["paragraphs"]),
                   ("OUT/docs from OUT/paragraphs", secs["docs_parquet"], tl["paragraphs"],
                    tl["docs"]),
                   ("all three outputs", secs["total"], tl["start"], tl["docs"])]
    for name, wall, t0, t1 in stages:
        cpu = sampler.between(t0, t1)
        print(f"{'  of which ' + name:<{W}} {wall:>8.2f} {rate(wall):>13} "
              f"{cpu:>8.2f} {rate(cpu):>10}")
    io = event_totals(events)
    print(f"Spark run, all tasks: read {io['input'] / 1e6:,.0f} MB, wrote "
          f"{io['output'] / 1e6:,.0f} MB, shuffled {io['shuffle'] / 1e6:,.0f} MB, spilled "
          f"{io['spilled'] / 1e6:,.0f} MB")
    kinds = (os.path.basename(binary), "python", "java")
    cpu_by_kind = sampler.by_kind()
    print("Spark run, CPU seconds by process: " + ", ".join(
        f"{kind} {cpu_by_kind[kind]:.1f}" for kind in kinds + ("other",) if kind in cpu_by_kind)
        + "; largest peak RSS of one process: " + ", ".join(
            f"{kind} {sampler.peak_kb[kind] / 1024:,.0f} MB"
            for kind in kinds if kind in sampler.peak_kb))
    print(f"PySpark {pyspark_version}, {os.cpu_count()} cores; load average (1 min) before / "
          f"after: {load_before[0]:.2f} / {load_after[0]:.2f}; comparison took "
          f"{cmp_seconds:.1f} s")
    if args.keep or args.workdir:
        print(f"outputs kept in {work}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
