#!/usr/bin/env python3
"""Score articles with rhetor on Apache Spark.

Every partition of the input is piped, as JSONL records, through one `rhetor score --input jsonl
--format jsonl` process on its executor: the same binary and model that run on one machine, so the
labels and scores are the same. Three outputs, each written with Spark's file committer in
overwrite mode (a task's files become visible only when the task commits; a retried task
replaces the files of its failed attempt):

    OUT/jsonl/       rhetor's own output lines (text part files), byte for byte what
                     `rhetor score --input jsonl --format jsonl` prints on one machine; the input
                     for `rhetor compare --input scored OUT/jsonl/part-*`
    OUT/paragraphs/  Parquet, one row per paragraph (schema below)
    OUT/docs/        Parquet, one row per document: paragraph counts, label shares, mean scores

Scoring happens once: OUT/paragraphs and OUT/docs are computed from OUT/jsonl.

Usage (a cluster; the binary must run on the executors' OS, see contrib/spark/README.md):

    spark-submit --master yarn contrib/spark/rhetor_spark.py \\
        --jsonl hdfs:///archive/articles/*.jsonl --parquet hdfs:///archive/more/ \\
        --binary target/release/rhetor [--model my.rhetor] --output hdfs:///archive/scored

Paragraph rows (`OUT/paragraphs`):

    doc string, id string, paragraph int, start bigint, end bigint,
    <each key rhetor writes beyond these and labels/scores, e.g. role> string|bigint|double|boolean,
    <each --columns field> string,
    labels struct<<task>: string (single-label) | array<string> (multi-label), ...>,
    scores struct<<task>: struct<<label>: double (probability), ...>, ...>,
    fields string   -- the record's passthrough fields as a JSON object, raw text as rhetor wrote
                       them (rhetor writes them first, before its own `doc`)

rhetor's own keys are learnt from the binary itself: before the job starts, the driver scores a
few probe records with it and takes every key of its output lines. A key that a newer rhetor
writes (such as a paragraph's `role`) therefore becomes a column without a change here; it is
never taken for a passthrough field, and the JSON lines in OUT/jsonl always keep every key.

Document rows (`OUT/docs`), for every task of the model:

    doc, paragraphs, records, scored (paragraphs with labels and scores: all of them, unless
    rhetor leaves some unscored, such as headlines and bylines),
    <each --columns field> (its smallest value in the document),
    <key>_count map<string,bigint>     for each string-valued key of rhetor's beyond the known
                                       ones (e.g. role_count: paragraphs per role)
    <task>_count struct<<label>: bigint, ...>   paragraphs with the label
    <task>_share struct<<label>: double, ...>   <task>_count / scored (single-label: the mix)
    <task>_mean_score struct<<label>: double, ...>  mean probability of the label (scored only)
    and for multi-label tasks also
    <task>_per_100 struct<<label>: double, ...>  labelled paragraphs per 100 scored paragraphs
    <task>_any_share double            share of scored paragraphs with at least one label
    <task>_total bigint, <task>_total_per_100 double  labels of the task in all, per 100 scored
                                       paragraphs
    (a share is null in a document with no scored paragraph)

`records` counts the records that gave at least one paragraph (a record whose text is empty or
only white space gives none, on one machine as here).
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BINARY = REPO_ROOT / "target" / "release" / "rhetor"

# Input lines kept per partition to name the line rhetor rejects. rhetor reads at most one batch
# (8,192 lines) ahead of what it has written, plus what the pipe buffers.
RECENT_LINES = 20_000
PREVIEW_BYTES = 200
# rhetor's output is read in blocks of this size and handed to Spark in Arrow batches of about
# OUTPUT_BATCH_BYTES.
READ_BYTES = 1 << 20
OUTPUT_BATCH_BYTES = 4 << 20

# The keys rhetor writes on every output line, with their Parquet columns. Any other key of
# rhetor's (found by the probe) gets a column of its own; see `probe_model`.
CORE_KEYS = ("doc", "id", "paragraph", "start", "end", "labels", "scores")
# Keys that are never columns of their own: `text` (only with --with-text, not used here).
NOT_COLUMNS = {"text"}
# Column names the job uses itself.
JOB_COLUMNS = {"fields", "line"}

# Probe records: a short article with a headline, a byline, body paragraphs and a footer, a
# record with a stance target and one with numeric ids, so that keys rhetor writes only for some
# paragraphs show up too.
PROBE_RECORDS = [
    {"id": "probe:0", "doc": "probe",
     "text": "Council approves new budget after long debate\n\n"
             "By Jane Smith, Staff Reporter\n\n"
             "The city council approved the budget on Tuesday after a debate that lasted late "
             "into the night. Critics said the plan would raise taxes.\n\n"
             "Supporters called it a responsible plan that protects schools and hospitals.\n\n"
             "Copyright 2024. All rights reserved. Subscribe to our newsletter."},
    {"id": "probe:1", "doc": "probe", "target": "the council",
     "text": "The council has failed residents again."},
    {"id": 7, "doc": 7, "text": "A paragraph."},
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Score JSONL or Parquet articles with rhetor on Spark",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--jsonl", action="append", default=[], metavar="PATH",
                   help="JSONL input (files, directories or globs; .gz read too); repeatable")
    p.add_argument("--parquet", action="append", default=[], metavar="PATH",
                   help="Parquet input (files or directories); repeatable")
    p.add_argument("--output", required=True, help="output directory (overwritten)")
    p.add_argument("--binary", default=str(DEFAULT_BINARY),
                   help="rhetor binary shipped to the executors (default: %(default)s)")
    p.add_argument("--model", default=None,
                   help="model file shipped to the executors (default: the model embedded in "
                        "rhetor)")
    p.add_argument("--rhetor-threads", type=int, default=1,
                   help="threads of each rhetor process; match spark.task.cpus (default: 1)")
    p.add_argument("--skip-bad", action="store_true",
                   help="skip malformed records (reported in the executor logs) instead of failing")
    p.add_argument("--allow-missing-ids", action="store_true",
                   help="score records without an `id` (rhetor then numbers them by their line in "
                        "the partition, so their ids depend on the partitioning)")
    p.add_argument("--columns", default="",
                   help="comma-separated passthrough fields to also give their own string column "
                        "(e.g. outlet,date)")
    p.add_argument("--text-column", default="text", help="Parquet: column holding the text")
    p.add_argument("--id-column", default="id", help="Parquet: column holding the record id")
    p.add_argument("--doc-column", default="doc", help="Parquet: column holding the document id")
    p.add_argument("--max-partition-mb", type=float, default=None,
                   help="input bytes per partition (spark.sql.files.maxPartitionBytes)")
    p.add_argument("--repartition", type=int, default=None, metavar="N",
                   help="shuffle the records into N partitions before scoring (for a few large, "
                        "unsplittable inputs such as .gz files); the lines are the same, their "
                        "order across part files is not the input's")
    p.add_argument("--jsonl-only", action="store_true",
                   help="write OUT/jsonl only (enough for `rhetor compare`), not the Parquet "
                        "tables")
    p.add_argument("--jsonl-compression", default="none",
                   help="compression of OUT/jsonl: none, gzip, bzip2, lz4, snappy, deflate "
                        "(Spark's text codecs; default: none)")
    p.add_argument("--metrics", default=None,
                   help="write timings and counts of the run as JSON to this local file")
    args = p.parse_args(argv)
    if not args.jsonl and not args.parquet:
        p.error("give at least one --jsonl or --parquet input")
    if args.rhetor_threads < 1:
        p.error("--rhetor-threads must be at least 1")
    if args.repartition is not None and args.repartition < 1:
        p.error("--repartition must be at least 1")
    return args


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------------------------------
# The model's tasks and rhetor's output keys, learnt from rhetor itself on the driver
# --------------------------------------------------------------------------------------------

def rhetor_command(binary, model, threads, skip_bad):
    cmd = [binary, "score", "--input", "jsonl", "-", "--format", "jsonl", "-q",
           "--threads", str(threads)]
    if model:
        cmd += ["-m", model]
    if skip_bad:
        cmd.append("--skip-bad")
    return cmd


def _json_kind(value):
    """Parquet type of a JSON value of an extra key: string, bigint, double, boolean or json."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "json"


def _merge_kind(a, b):
    if a is None or a == b:
        return b
    if {a, b} == {"bigint", "double"}:
        return "double"
    return "json"


def probe_model(binary, model):
    """What rhetor writes, from its output on PROBE_RECORDS.

    Returns (tasks, extras, version): tasks = [(task, multi_label, [labels...])] in output order;
    extras = [(key, kind)]: the keys rhetor writes beyond CORE_KEYS, in output order, with the
    Parquet type of their values (string, bigint, double, boolean, or json: kept as JSON text)."""
    probe = "".join(json.dumps(r) + "\n" for r in PROBE_RECORDS)
    r = subprocess.run(rhetor_command(binary, model, 1, False), input=probe.encode(),
                       capture_output=True)
    if r.returncode != 0:
        sys.exit(f"rhetor_spark: {binary} failed on the probe records (exit {r.returncode}):\n"
                 f"{r.stderr.decode(errors='replace')}")
    rows = [json.loads(line) for line in r.stdout.decode().splitlines() if line.strip()]
    if not rows:
        sys.exit(f"rhetor_spark: {binary} wrote nothing for the probe records")
    missing = [k for k in CORE_KEYS if k not in rows[0]]
    if missing:
        sys.exit(f"rhetor_spark: {binary} writes no {', '.join(missing)} in its JSONL output")
    # Paragraphs that are not argument (a headline, a byline) may come without labels and scores.
    scored = [row for row in rows if row["scores"]]
    if not scored:
        sys.exit(f"rhetor_spark: {binary} scored none of the probe paragraphs")
    first = scored[0]
    tasks = [(task, isinstance(first["labels"][task], list), list(probs))
             for task, probs in first["scores"].items()]
    extras = {}
    for row in rows:
        for key, value in row.items():
            if key not in CORE_KEYS and key not in NOT_COLUMNS:
                extras[key] = _merge_kind(extras.get(key), _json_kind(value))
    version = subprocess.run([binary, "--version"], capture_output=True, text=True).stdout.strip()
    return tasks, list(extras.items()), version


# --------------------------------------------------------------------------------------------
# Executor side: one rhetor process per partition
# --------------------------------------------------------------------------------------------

def _executable(path):
    """`path`, or a copy of it with the execute bit set if it has none."""
    if os.access(path, os.X_OK):
        return path
    try:
        os.chmod(path, 0o755)
        return path
    except OSError:
        import tempfile
        copy = os.path.join(tempfile.mkdtemp(prefix="rhetor-"), os.path.basename(path))
        shutil.copy(path, copy)
        os.chmod(copy, 0o755)
        return copy


def _line_at(recent, n):
    """(source, first bytes) of line `n` (1-based) of the partition, from the batches kept."""
    for first, values, srcs in recent:
        if first <= n < first + len(values):
            v = values[n - first].as_py()
            return srcs[n - first].as_py(), (v or b"")[:PREVIEW_BYTES]
    return None


def _first_without_id(values):
    """Index of the first record in `values` (a binary Arrow array of JSONL lines) that has no
    `id`, or None. A cheap test: only lines without the text `"id"` are decoded; malformed lines
    are left to rhetor."""
    import pyarrow.compute as pc
    has_id = pc.match_substring(values, '"id"')
    if pc.all(has_id).as_py():
        return None
    candidates = pc.and_(pc.invert(has_id),
                         pc.invert(pc.match_substring_regex(values, r"^[ \t\r\n]*$")))
    for k in pc.indices_nonzero(candidates).to_pylist():
        try:
            record = json.loads(values[k].as_py())
        except ValueError:
            continue
        if isinstance(record, dict) and "id" not in record:
            return k
    return None


def make_scorer(binary_name, model_name, threads, skip_bad, allow_missing_ids):
    """The mapInArrow function: input batches (value binary, src string) -> (line string)."""

    def score_partition(batches):
        import pyarrow as pa
        import pyarrow.compute as pc
        from pyspark import SparkFiles, TaskContext

        ctx = TaskContext.get()
        where = (f"partition {ctx.partitionId()} (stage {ctx.stageId()}, "
                 f"attempt {ctx.attemptNumber()})")
        binary = _executable(SparkFiles.get(binary_name))
        model = SparkFiles.get(model_name) if model_name else None
        proc = subprocess.Popen(rhetor_command(binary, model, threads, skip_bad),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        recent = deque()  # (first line number, values, srcs) of the last batches fed
        fed = {"lines": 0, "error": None, "closed_early": False}
        stderr_tail = deque(maxlen=200)

        def feed():
            n = 0
            kept = 0
            try:
                for batch in batches:
                    values = pc.fill_null(batch.column(0), pa.scalar(b"{}", pa.binary()))
                    if len(values) == 0:
                        continue
                    recent.append((n + 1, values, batch.column(1)))
                    kept += len(values)
                    while kept - len(recent[0][1]) >= RECENT_LINES:
                        kept -= len(recent.popleft()[1])
                    if not allow_missing_ids:
                        missing = _first_without_id(values)
                        if missing is not None:
                            fed["error"] = ValueError(
                                f"record without an `id` on {where}, line {n + 1 + missing} of "
                                f"the partition, from {batch.column(1)[missing].as_py()}: "
                                f"{values[missing].as_py()[:PREVIEW_BYTES]!r}; rhetor would "
                                "number it by its line in the partition, so its id would depend "
                                "on the partitioning (give every record an id, or pass "
                                "--allow-missing-ids)")
                            return
                    lists = pa.ListArray.from_arrays(pa.array([0, len(values)], pa.int32()),
                                                     values)
                    joined = pc.binary_join(lists, pa.scalar(b"\n", pa.binary()))[0]
                    proc.stdin.write(memoryview(joined.as_buffer()))
                    proc.stdin.write(b"\n")
                    n += len(values)
                fed["lines"] = n
            except BrokenPipeError:
                fed["closed_early"] = True
            except BaseException as e:  # noqa: BLE001  (re-raised in the task's thread)
                fed["error"] = e
            finally:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    fed["closed_early"] = True

        def drain_stderr():
            for raw in proc.stderr:
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                stderr_tail.append(line)
                print(f"rhetor [{where}]: {line}", file=sys.stderr, flush=True)

        def arrow_lines(block):
            lines = block.split(b"\n")
            return pa.RecordBatch.from_arrays(
                [pa.array(lines, pa.binary()).cast(pa.string())], names=["line"])

        feeder = threading.Thread(target=feed, daemon=True)
        errors = threading.Thread(target=drain_stderr, daemon=True)
        feeder.start()
        errors.start()
        finished = False
        try:
            pending = []  # whole lines not yet handed to Spark
            pending_bytes = 0
            tail = b""
            while True:
                block = proc.stdout.read1(READ_BYTES)
                if not block:
                    break
                block = tail + block
                cut = block.rfind(b"\n")
                if cut < 0:
                    tail = block
                    continue
                tail = block[cut + 1:]
                pending.append(block[:cut])
                pending_bytes += cut
                if pending_bytes >= OUTPUT_BATCH_BYTES:
                    yield arrow_lines(b"\n".join(pending))
                    pending, pending_bytes = [], 0
            if pending:
                yield arrow_lines(b"\n".join(pending))
            finished = True
        finally:
            if not finished:  # the task is being torn down: leave no rhetor behind
                proc.kill()
            status = proc.wait()
            feeder.join(None if finished else 5)
            errors.join(None if finished else 5)
        if fed["error"] is not None:
            raise fed["error"]
        if status != 0:
            raise RuntimeError(
                f"rhetor exited with status {status} on {where}"
                + _locate(stderr_tail, recent) + "\nrhetor's messages:\n" + "\n".join(stderr_tail))
        if fed["closed_early"]:
            raise RuntimeError(f"rhetor stopped reading its input early on {where} (exit 0)")
        if tail:
            raise RuntimeError(f"rhetor's output on {where} ends inside a line")

    return score_partition


def _locate(stderr_tail, recent):
    """The input line behind rhetor's `<stdin>:N:` error, from the batches kept."""
    import re
    for line in stderr_tail:
        m = re.search(r"<stdin>:(\d+):", line)
        if m:
            n = int(m.group(1))
            found = _line_at(recent, n)
            if found:
                src, preview = found
                text = preview.decode("utf-8", errors="replace")
                return f"; line {n} of the partition, from {src}: {text!r}"
            return f"; line {n} of the partition"
    return ""


_WS = " \t\r\n"


def passthrough_fields(line, decoder):
    """The record's passthrough fields in rhetor output `line`, as a JSON object (raw text):
    rhetor writes them first, then its own keys from `doc` on."""
    if line.startswith('{"doc":'):
        return "{}"
    # `"doc":` (quote, doc, quote, colon) can only be an object key: inside a JSON string the
    # quote after `doc` would be escaped. When no object or list comes before its first
    # occurrence, that is the top-level key, and what comes before it is the passthrough fields.
    cut = line.find('"doc":')
    if cut > 0 and line[cut - 1] == "," and "{" not in line[1:cut] and "[" not in line[1:cut]:
        return "{" + line[1:cut - 1] + "}"
    scanstring = json.decoder.scanstring
    i = 1
    parts = []
    try:
        while True:
            while line[i] in _WS:
                i += 1
            if line[i] != '"':
                break
            start = i
            key, j = scanstring(line, i + 1)
            if key == "doc":
                return "{" + ",".join(parts) + "}"
            while line[j] in _WS:
                j += 1
            if line[j] != ":":
                break
            j += 1
            while line[j] in _WS:
                j += 1
            _, i = decoder.raw_decode(line, j)
            parts.append(line[start:i])
            while line[i] in _WS:
                i += 1
            if line[i] != ",":
                break
            i += 1
    except (IndexError, ValueError):
        pass
    raise ValueError(f"not a rhetor output line: {line[:200]!r}")


def make_field_splitter():
    """mapInArrow function: rhetor's output lines -> (line, fields)."""

    def split(batches):
        import pyarrow as pa
        decoder = json.JSONDecoder()
        for batch in batches:
            lines = batch.column(0).to_pylist()
            yield pa.RecordBatch.from_arrays(
                [batch.column(0),
                 pa.array([passthrough_fields(s, decoder) for s in lines],
                          pa.string())],
                names=["line", "fields"])

    return split


# --------------------------------------------------------------------------------------------
# The job
# --------------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    binary = os.path.abspath(args.binary)
    if not os.path.isfile(binary):
        sys.exit(f"rhetor_spark: no rhetor binary at {binary} (build it with "
                 "`cargo build --release` or give --binary)")
    model = os.path.abspath(args.model) if args.model else None
    if model and not os.path.isfile(model):
        sys.exit(f"rhetor_spark: no model at {model}")
    tasks, extras, version = probe_model(binary, model)
    extra_names = [k for k, _ in extras]
    columns = [c.strip() for c in args.columns.split(",") if c.strip()]
    clash = [c for c in columns if c in CORE_KEYS or c in JOB_COLUMNS or c in extra_names]
    if clash:
        sys.exit(f"rhetor_spark: --columns cannot name keys rhetor or this job writes: "
                 f"{', '.join(clash)}")
    clash = [k for k in extra_names if k in JOB_COLUMNS]
    if clash:
        sys.exit(f"rhetor_spark: rhetor writes keys this job uses for its own columns: "
                 f"{', '.join(clash)}")
    if extras:
        print("rhetor_spark: rhetor also writes " +
              ", ".join(f"{k} ({kind})" for k, kind in extras), file=sys.stderr)

    spark = SparkSession.builder.appName("rhetor-score").getOrCreate()
    sc = spark.sparkContext
    if args.max_partition_mb:
        spark.conf.set("spark.sql.files.maxPartitionBytes", str(int(args.max_partition_mb * 2**20)))
    task_cpus = int(sc.getConf().get("spark.task.cpus", "1"))
    if task_cpus != args.rhetor_threads:
        print(f"rhetor_spark: warning: --rhetor-threads {args.rhetor_threads} but spark.task.cpus "
              f"= {task_cpus}; each task should get as many cores as rhetor uses",
              file=sys.stderr)

    # Ship the binary and the model: every executor fetches them once into its work directory.
    sc.addFile(binary)
    if model:
        sc.addFile(model)
    binary_name = os.path.basename(binary)
    model_name = os.path.basename(model) if model else None

    t0 = time.perf_counter()
    timeline = {"start": time.time()}
    # Inputs as (value: the JSONL record's bytes, src: the file it came from).
    parts = []
    if args.jsonl:
        # JSONL lines go to rhetor as they are, byte for byte. Lines end at "\n" only, as rhetor
        # reads them (Spark's default also ends a line at a lone "\r").
        parts.append(spark.read.option("lineSep", "\n").text(args.jsonl)
                     .select(F.col("value").cast("binary").alias("value"),
                             F.col("_metadata.file_path").alias("src")))
    if args.parquet:
        pq = spark.read.parquet(*args.parquet)
        for name, want in ((args.text_column, "text"), (args.id_column, "id"),
                           (args.doc_column, "doc")):
            if name != want:
                if name not in pq.columns:
                    sys.exit(f"rhetor_spark: Parquet input has no column `{name}`")
                if want in pq.columns:
                    pq = pq.drop(want)
                pq = pq.withColumnRenamed(name, want)
        if "text" not in pq.columns:
            sys.exit("rhetor_spark: Parquet input has no `text` column (use --text-column)")
        if "id" not in pq.columns and not args.allow_missing_ids:
            sys.exit("rhetor_spark: Parquet input has no `id` column (use --id-column): without "
                     "ids rhetor numbers records by their line in the partition, which depends "
                     "on the partitioning")
        # One JSON object per row, columns in order, null columns left out (as absent fields).
        parts.append(pq.select(F.to_json(F.struct(*[F.col(f"`{c}`") for c in pq.columns]))
                               .cast("binary").alias("value"),
                               F.col("_metadata.file_path").alias("src")))
    records = parts[0]
    for more in parts[1:]:
        records = records.unionByName(more)
    if args.repartition:
        records = records.repartition(args.repartition)
    input_partitions = records.rdd.getNumPartitions()

    out = args.output.rstrip("/")
    scorer = make_scorer(binary_name, model_name, args.rhetor_threads, args.skip_bad,
                         args.allow_missing_ids)
    (records.mapInArrow(scorer, "line string")
     .write.mode("overwrite").option("compression", args.jsonl_compression)
     .text(f"{out}/jsonl"))
    t_score = time.perf_counter() - t0
    timeline["jsonl"] = time.time()
    if args.jsonl_only:
        # Parquet tables of an earlier run into the same OUT would no longer match OUT/jsonl.
        for stale in ("paragraphs", "docs"):
            path = sc._jvm.org.apache.hadoop.fs.Path(f"{out}/{stale}")
            path.getFileSystem(sc._jsc.hadoopConfiguration()).delete(path, True)
        finish(spark, args, binary, model, version, tasks, extras, input_partitions, out,
               {"score_and_write_jsonl": t_score, "total": t_score}, timeline)
        return

    # Paragraph rows, parsed from rhetor's lines by Spark's JSON reader.
    t1 = time.perf_counter()
    spark_type = {"string": T.StringType(), "bigint": T.LongType(), "double": T.DoubleType(),
                  "boolean": T.BooleanType(), "json": T.StringType()}
    label_types = [T.StructField(t, T.ArrayType(T.StringType()) if multi else T.StringType())
                   for t, multi, _ in tasks]
    score_types = [T.StructField(t, T.StructType([T.StructField(label, T.DoubleType())
                                                  for label in labels]))
                   for t, _, labels in tasks]
    row_schema = T.StructType([
        T.StructField("doc", T.StringType()),
        T.StructField("id", T.StringType()),
        T.StructField("paragraph", T.IntegerType()),
        T.StructField("start", T.LongType()),
        T.StructField("end", T.LongType()),
        *[T.StructField(k, spark_type[kind]) for k, kind in extras],
        T.StructField("labels", T.StructType(label_types)),
        T.StructField("scores", T.StructType(score_types)),
    ])
    lines = (spark.read.option("lineSep", "\n").text(f"{out}/jsonl")
             .withColumnRenamed("value", "line"))
    # The passthrough fields: what comes before rhetor's top-level `doc` key. In the JVM when no
    # object or list comes before the first `,"doc":` (then that is the top-level key, as
    # `,"doc":` cannot occur inside a string); by passthrough_fields in Python otherwise.
    head = F.expr("substring(line, 2, instr(line, ',\"doc\":') - 2)")
    bare = F.col("line").startswith('{"doc":')
    simple = bare | ((F.instr("line", ',"doc":') > 1) & ~head.contains("{") & ~head.contains("["))
    split = (lines.where(simple)
             .select("line", F.when(bare, F.lit("{}"))
                     .otherwise(F.concat(F.lit("{"), head, F.lit("}"))).alias("fields"))
             .unionByName(lines.where(~simple)
                          .mapInArrow(make_field_splitter(), "line string, fields string")))
    parsed = split.select(F.from_json("line", row_schema, {"mode": "FAILFAST"}).alias("r"),
                          "fields")
    promoted = [F.get_json_object("fields", "$['" + c.replace("'", "\\'") + "']").alias(c)
                for c in columns]
    (parsed.select("r.doc", "r.id", "r.paragraph", "r.start", "r.end",
                   *[F.col("r").getField(k).alias(k) for k in extra_names], *promoted,
                   "r.labels", "r.scores", "fields")
     .write.mode("overwrite").parquet(f"{out}/paragraphs"))
    t_paragraphs = time.perf_counter() - t1
    timeline["paragraphs"] = time.time()

    # Document aggregates.
    t2 = time.perf_counter()
    paras = spark.read.parquet(f"{out}/paragraphs")
    first_task = tasks[0][0]
    aggs = [F.count(F.lit(1)).alias("paragraphs"),
            # Every record's paragraphs are numbered from 0.
            F.sum((F.col("paragraph") == 0).cast("long")).alias("records"),
            F.sum(F.col("scores").getField(first_task).isNotNull().cast("long")).alias("scored")]
    aggs += [F.min(c).alias(c) for c in columns]
    named = {}
    for task, multi, labels in tasks:
        lab = F.col("labels").getField(task)
        for k, label in enumerate(labels):
            has = F.array_contains(lab, label) if multi else (lab == F.lit(label))
            named[(task, k, "count")] = F.sum(F.coalesce(has, F.lit(False)).cast("long"))
            # a sum, divided by `scored` below: one buffer where avg keeps two
            named[(task, k, "sum")] = F.sum(F.col("scores").getField(task).getField(label))
        if multi:
            named[(task, "any")] = F.sum((F.size(F.coalesce(lab, F.array())) > 0).cast("long"))
            named[(task, "total")] = F.sum(F.size(F.coalesce(lab, F.array())).cast("long"))
    keys = list(named)
    aliases = {k: f"_a{i}" for i, k in enumerate(keys)}
    grouped = paras.groupBy("doc").agg(*aggs, *[named[k].alias(aliases[k]) for k in keys])
    cols = [F.col("doc"), F.col("paragraphs"), F.col("records"), F.col("scored")]
    cols += [F.col(c) for c in columns]
    # Paragraphs per value of each string-valued extra key of rhetor's (e.g. role).
    counted = [k for k, kind in extras if kind == "string"]
    for k in counted:
        per_value = (paras.groupBy("doc", k).count()
                     .groupBy("doc")
                     .agg(F.map_from_entries(F.array_sort(F.collect_list(
                         F.struct(F.coalesce(F.col(k), F.lit("")), F.col("count")))))
                          .alias(f"{k}_count")))
        grouped = grouped.join(per_value, "doc", "left")
        cols.append(F.col(f"{k}_count"))
    # null where no paragraph of the document was scored (so are the shares then)
    total = F.when(F.col("scored") > 0, F.col("scored")).cast("double")

    def label_map(task, labels, value):
        return F.struct(*[value(k).alias(label) for k, label in enumerate(labels)])

    for task, multi, labels in tasks:
        count = lambda k, t=task: F.col(aliases[(t, k, "count")])  # noqa: E731
        cols.append(label_map(task, labels, count).alias(f"{task}_count"))
        cols.append(label_map(task, labels, lambda k: count(k) / total).alias(f"{task}_share"))
        if multi:
            cols.append(label_map(task, labels, lambda k: count(k) * 100.0 / total)
                        .alias(f"{task}_per_100"))
            cols.append((F.col(aliases[(task, "any")]) / total).alias(f"{task}_any_share"))
            cols.append(F.col(aliases[(task, "total")]).alias(f"{task}_total"))
            cols.append((F.col(aliases[(task, "total")]) * 100.0 / total)
                        .alias(f"{task}_total_per_100"))
        cols.append(label_map(task, labels,
                              lambda k, t=task: F.col(aliases[(t, k, "sum")]) / total)
                    .alias(f"{task}_mean_score"))
    grouped.select(*cols).write.mode("overwrite").parquet(f"{out}/docs")
    t_docs = time.perf_counter() - t2
    timeline["docs"] = time.time()

    finish(spark, args, binary, model, version, tasks, extras, input_partitions, out,
           {"score_and_write_jsonl": t_score, "paragraphs_parquet": t_paragraphs,
            "docs_parquet": t_docs, "total": t_score + t_paragraphs + t_docs}, timeline)


def finish(spark, args, binary, model, version, tasks, extras, input_partitions, out, seconds,
           timeline):
    """Counts the output, prints and writes the metrics, stops Spark."""
    sc = spark.sparkContext
    if args.jsonl_only:
        paragraphs = spark.read.text(f"{out}/jsonl").count()
        docs = None
    else:
        paragraphs = spark.read.parquet(f"{out}/paragraphs").count()
        docs = spark.read.parquet(f"{out}/docs").count()
    metrics = {
        "rhetor_version": version,
        "binary": binary,
        "binary_sha256": sha256(binary),
        "model": model or "(embedded)",
        "model_sha256": sha256(model) if model else None,
        "tasks": [{"task": t, "multi_label": m, "labels": ls} for t, m, ls in tasks],
        "extra_keys": [{"key": k, "type": kind} for k, kind in extras],
        "spark_version": spark.version,
        "master": sc.master,
        "default_parallelism": sc.defaultParallelism,
        "rhetor_threads": args.rhetor_threads,
        "input_partitions": input_partitions,
        "max_partition_bytes": spark.conf.get("spark.sql.files.maxPartitionBytes"),
        "paragraphs": paragraphs,
        "docs": docs,
        "seconds": seconds,
        "timeline": timeline,  # Unix times at which each output was done
        "output": out,
    }
    print(json.dumps({k: metrics[k] for k in ("paragraphs", "docs", "input_partitions",
                                              "seconds")}), file=sys.stderr)
    if args.metrics:
        Path(args.metrics).write_text(json.dumps(metrics, indent=2) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
