//! Bad input, degenerate corpora and failing output: error messages name the file and line,
//! the exit status is 2, and nothing half-written is left behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::util::*;

const GOOD: &str = "{\"text\": \"ok\", \"labels\": {\"s\": \"a\"}}\n";
const SKIP_HINT: &str = "(use --skip-bad to skip malformed records and count them)";

fn train_cmd(model: &Path, files: &[&Path]) -> Command {
    let mut cmd = rhetor(["train", "-q", "-o"]);
    cmd.arg(model).args(files);
    cmd
}

// ---- Malformed records -----------------------------------------------------------------------

/// Each malformed line stops `rhetor train` with its file and line (and for encoding errors
/// the byte offset), the reason, and the flag that would skip it; no model is written.
#[test]
fn malformed_records_name_file_and_line() {
    let dir = Dir::new();
    let cases: &[(&[u8], &str)] = &[
        (b"{\"text\": \"a\"\n", ":1: invalid JSON at column 12: EOF while parsing an object"),
        (b"{oops}\n", ":1: invalid JSON at column 2: key must be a string"),
        (b"[1, 2]\n", ":1: expected a JSON object, found a list"),
        (b"{\"labels\": {}}\n", ":1: missing `text`"),
        (b"{\"text\": 3}\n", ":1: `text` must be a string, found a number"),
        (b"{\"text\": \"a\", \"id\": [1]}\n", ":1: `id` must be a string, found a list"),
        (
            b"{\"text\": \"ok\", \"labels\": {\"s\": \"a\"}}\n{\"text\": \"x\", \"labels\": {\"s\": 3}}\n",
            ":2: label of task `s` must be a string or a list of strings, found a number",
        ),
        (
            b"{\"text\": \"a\", \"labels\": {\"s\": [\"x\", true]}}\n",
            ":1: labels of task `s` must be strings, found a boolean",
        ),
        (
            b"{\"text\": \"a\", \"labels\": [\"x\"]}\n",
            ":1: `labels` must be an object, found a list",
        ),
        (
            b"{\"text\": \"ok\"}\n{\"text\": \"caf\xe9\"}\n",
            ":2: invalid UTF-8 at byte 13 of the line",
        ),
        (
            b"{\"text\": \"a\", \"labels\": {\"s\": \"x\"}}\n{\"text\": \"b\", \"labels\": {\"s\": [\"x\"]}}\n",
            ":2: task `s` is multi here but single in ",
        ),
    ];
    for (i, (content, message)) in cases.iter().enumerate() {
        let file = dir.write(&format!("bad{i}.jsonl"), content);
        let model = dir.path("m.rhetor");
        let err = fails(train_cmd(&model, &[&file]), 2);
        assert_contains(&err, &format!("{}{message}", file.display()));
        assert_contains(&err, SKIP_HINT);
        assert!(!model.exists(), "no model written on error");
    }
}

/// A task must be of one kind across files: a dev file that labels a single-label task with a
/// list is an error naming both places.
#[test]
fn task_kinds_must_agree_across_training_and_dev_files() {
    let dir = Dir::new();
    let train = dir.write("train.jsonl", GOOD);
    let dev = dir.write(
        "dev.jsonl",
        "{\"text\": \"b\", \"labels\": {\"s\": [\"a\"]}}\n",
    );
    let mut cmd = train_cmd(&dir.path("m.rhetor"), &[&train]);
    cmd.arg("--dev").arg(&dev);
    assert_contains(
        &fails(cmd, 2),
        &format!(
            "{}:1: task `s` is multi here but single in {}:1",
            dev.display(),
            train.display()
        ),
    );
}

/// Malformed lines of every kind, for `--skip-bad` to count.
fn mixed_bad_lines() -> Vec<u8> {
    let mut bad = Vec::new();
    bad.extend_from_slice(b"not json\n");
    bad.extend_from_slice(b"{\"text\": \"a\"\n");
    bad.extend_from_slice(b"{\"labels\": {}}\n");
    bad.extend_from_slice(b"{\"text\": \"caf\xe9\"}\n");
    bad.extend_from_slice(b"{\"text\": \"x\", \"labels\": {\"stance\": 1}}\n");
    bad.extend_from_slice(b"{\"text\": \"x\", \"labels\": {\"stance\": [\"critical\"]}}\n");
    bad.extend_from_slice(b"[]\n");
    bad
}

const REASONS: &str = "skipped 7 malformed line(s) (invalid UTF-8: 1, invalid JSON: 2, \
    not a JSON object: 1, missing `text`: 1, a label of the wrong type: 1, \
    single- and multi-label task mixed: 1):";

/// `--skip-bad` continues and reports how many records were skipped, per reason, and where.
#[test]
fn skip_bad_counts_skipped_records_per_reason() {
    let dir = Dir::new();
    let good = std::fs::read(corpus("train.jsonl")).unwrap();
    let mut content = good.clone();
    content.extend(mixed_bad_lines());
    let file = dir.write("mixed.jsonl", &content);
    let first_bad = good.iter().filter(|&&b| b == b'\n').count() + 1;

    let model = dir.path("m.rhetor");
    let mut cmd = train_cmd(&model, &[&file]);
    cmd.arg("--skip-bad").args(FAST);
    let err = String::from_utf8_lossy(&ok(cmd).stderr).into_owned();
    assert_contains(&err, REASONS);
    assert_contains(
        &err,
        &format!("{}:{first_bad}: invalid JSON", file.display()),
    );
    assert_contains(
        &err,
        &format!(
            "{}:{}: task `stance` is multi here but single in",
            file.display(),
            first_bad + 5
        ),
    );
    assert!(model.exists());
    let listed: Vec<usize> = err
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&format!("{}:", file.display())))
        .map(|rest| rest.split(':').next().unwrap().parse().unwrap())
        .collect();
    let expected: Vec<usize> = (first_bad..first_bad + 7).collect();
    assert_eq!(listed, expected, "skipped records are listed in line order");

    let mut cmd = rhetor(["eval", "--skip-bad", "-m"]);
    cmd.arg(tiny_model()).arg(&file);
    assert_contains(&String::from_utf8_lossy(&ok(cmd).stderr), REASONS);

    // Scoring reads no labels: the label errors are not errors there.
    let mut cmd = rhetor([
        "score",
        "--input",
        "jsonl",
        "--skip-bad",
        "--format",
        "jsonl",
        "-m",
    ]);
    cmd.arg(tiny_model()).arg(&file);
    let out = ok(cmd);
    assert_eq!(
        stdout(&out).lines().count(),
        89 + 2,
        "the good records and the two with labels"
    );
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        "skipped 5 malformed line(s) (invalid UTF-8: 1, invalid JSON: 2, not a JSON object: 1, missing `text`: 1):",
    );
}

/// Invalid UTF-8 in a plain-text article: an error naming file, line and byte offset by
/// default; replaced by U+FFFD with a warning under `--lossy-utf8`.
#[test]
fn invalid_utf8_in_articles_is_an_error_unless_lossy() {
    let dir = Dir::new();
    let path = dir.write("latin1.txt", b"Headline\n\nCaf\xe9 society \xff\xfe\n");
    let mut cmd = rhetor(["score", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg(&path);
    assert_contains(
        &fails(cmd, 2),
        &format!(
            "{}:3: invalid UTF-8 at byte 13 (use --lossy-utf8 to replace invalid bytes with U+FFFD)",
            path.display()
        ),
    );

    let mut cmd = rhetor([
        "score",
        "--format",
        "jsonl",
        "--with-text",
        "--lossy-utf8",
        "-m",
    ]);
    cmd.arg(tiny_model()).arg(&path);
    let out = ok(cmd);
    assert_contains(
        &String::from_utf8_lossy(&out.stderr),
        &format!(
            "warning: {}: replaced 3 invalid UTF-8 sequence(s) with U+FFFD (the first at line 3, byte 13)",
            path.display()
        ),
    );
    let rows: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["text"], "Caf\u{fffd} society \u{fffd}\u{fffd}");
    assert_eq!(
        (rows[1]["start"].as_u64(), rows[1]["end"].as_u64()),
        (Some(10), Some(25))
    );
}

// ---- Degenerate corpora ----------------------------------------------------------------------

/// JSONL of `n` records of random-looking text, one per document unless `doc` says otherwise,
/// with the labels `labels(i)` (a JSON object's inside).
fn corpus_of(n: usize, doc: impl Fn(usize) -> String, labels: impl Fn(usize) -> String) -> String {
    let words = [
        "harbour", "tax", "council", "shops", "traffic", "plan", "vote", "school",
    ];
    (0..n)
        .map(|i| {
            let text: Vec<&str> = (0..8).map(|k| words[(i * 7 + k * 3 + i / 3) % 8]).collect();
            format!(
                "{{\"id\": \"r{i}\", \"doc\": \"{}\", \"text\": \"{}\", \"labels\": {{{}}}}}\n",
                doc(i),
                text.join(" "),
                labels(i)
            )
        })
        .collect()
}

enum Outcome {
    /// Exit status 2 with this message, no model.
    Error(&'static str),
    /// A model, and these warnings.
    Warnings(&'static [&'static str]),
}

/// Degenerate corpora get a clear error, or a model and a warning.
#[test]
fn degenerate_corpora_get_clear_errors_or_warnings() {
    let dir = Dir::new();
    let own = |i: usize| format!("d{i}");
    let two_stances = |i: usize| format!("\"stance\": \"{}\"", ["pro", "con"][i % 2]);
    // (name, training data, dev data, outcome)
    let cases: Vec<(&str, String, Option<String>, Outcome)> = vec![
        ("empty file", String::new(), None, Outcome::Error("no training record in ")),
        ("blank lines only", "\n  \n\r\n".into(), None, Outcome::Error("no training record in ")),
        (
            "no labels",
            corpus_of(10, own, |_| String::new()),
            None,
            Outcome::Error("no training record carries labels (the `labels` object of a record); there is nothing to train"),
        ),
        (
            "a task with one label",
            corpus_of(20, own, |_| "\"stance\": \"neutral\"".into()),
            None,
            Outcome::Error("no task can be trained: task `stance` skipped: it has a single label (neutral) in the training data"),
        ),
        (
            "a task with one label beside a good one",
            corpus_of(20, own, |i| format!("\"stance\": \"neutral\", \"frame\": [\"{}\"]", ["a", "b"][i % 2])),
            None,
            Outcome::Warnings(&["warning: task `stance` skipped: it has a single label (neutral) in the training data"]),
        ),
        (
            "a multi-label task no record carries a label of",
            corpus_of(20, own, |_| "\"frame\": []".into()),
            None,
            Outcome::Error("no task can be trained: task `frame` skipped: no record carries any of its labels"),
        ),
        (
            "labels with fewer records than folds",
            corpus_of(30, own, |i| {
                let stance = if i < 2 { "rare" } else { ["pro", "con"][i % 2] };
                let frame = if i < 1 { "rare" } else { ["a", "b"][i % 2] };
                format!("\"stance\": \"{stance}\", \"frame\": [\"{frame}\"]")
            }),
            None,
            Outcome::Warnings(&[
                "warning: task `stance`: label `rare` has 2 training records, fewer than the 3 folds; its calibration is unreliable",
                "warning: task `frame`: label `rare` has 1 training record, fewer than the 3 folds; its calibration and threshold are unreliable",
            ]),
        ),
        (
            "a multi-label label on every record",
            corpus_of(20, own, |i| format!("\"frame\": [\"all\", \"{}\"]", ["a", "b"][i % 2])),
            None,
            Outcome::Warnings(&["warning: task `frame`: label `all` is on every one of its 20 training records, so the model cannot learn when it is absent"]),
        ),
        (
            "one document",
            corpus_of(20, |_| "only".into(), two_stances),
            None,
            Outcome::Error("no task can be trained: task `stance` skipped: all its 20 records come from one document (`only`), and cross-validation needs at least 2 (folds never split a document)"),
        ),
        (
            "fewer documents than folds",
            corpus_of(20, |i| format!("doc{}", i % 2), two_stances),
            None,
            Outcome::Warnings(&["warning: task `stance`: its records come from 2 documents, fewer than the 3 folds (folds never split a document); cross-validation runs on 2 folds only"]),
        ),
        (
            "dev labels and tasks that training lacks",
            corpus_of(20, own, two_stances),
            Some(corpus_of(6, |i| format!("dev{i}"), |i| {
                format!("\"stance\": \"{}\", \"topic\": \"x\"", ["pro", "sarcastic"][i % 2])
            })),
            Outcome::Warnings(&[
                "warning: dev: task `stance`: label `sarcastic` (3 records, first in ",
                "dev.jsonl:2) is not in the training data; the model never predicts it",
                "warning: dev: task `topic` (6 records) was not trained; it is ignored",
            ]),
        ),
        (
            "an empty dev file",
            corpus_of(20, own, two_stances),
            Some(String::new()),
            Outcome::Error("no dev record in "),
        ),
    ];
    for (name, train, dev, outcome) in cases {
        let train = dir.write("train.jsonl", train);
        let model = dir.path("m.rhetor");
        let _ = std::fs::remove_file(&model);
        let mut cmd = train_cmd(&model, &[&train]);
        cmd.args(FAST);
        if let Some(dev) = dev {
            cmd.arg("--dev").arg(dir.write("dev.jsonl", dev));
        }
        match outcome {
            Outcome::Error(message) => {
                let err = fails(cmd, 2);
                assert!(
                    err.contains(message),
                    "{name}: expected {message:?} in\n{err}"
                );
                assert!(!model.exists(), "{name}: no model on error");
            }
            Outcome::Warnings(warnings) => {
                let out = cmd.output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(out.status.success(), "{name}: failed\n{err}");
                for w in warnings {
                    assert!(err.contains(w), "{name}: expected {w:?} in\n{err}");
                }
                assert!(model.exists(), "{name}: a model");
            }
        }
    }
}

/// Evaluating on records that label a task with the other kind than the model's head: they are
/// left out with a warning; an empty file is an error.
#[test]
fn eval_warns_about_records_of_the_other_kind() {
    let dir = Dir::new();
    let mut data = std::fs::read_to_string(corpus("examples.jsonl")).unwrap();
    data.push_str(
        "{\"text\": \"x\", \"labels\": {\"stance\": [\"critical\"], \"technique\": \"doubt\"}}\n",
    );
    let data = dir.write("other-kind.jsonl", data);
    // Within one file the kinds must agree.
    let mut cmd = rhetor(["eval", "-m"]);
    cmd.arg(tiny_model()).arg(&data);
    assert_contains(&fails(cmd, 2), "task `stance` is multi here but single in");

    let lone = dir.write(
        "lone.jsonl",
        "{\"text\": \"x\", \"labels\": {\"stance\": [\"critical\"], \"technique\": \"doubt\"}}\n",
    );
    let mut cmd = rhetor(["eval", "-m"]);
    cmd.arg(tiny_model()).arg(&lone);
    let err = fails(cmd, 2);
    assert_contains(&err, "warning: task `stance`: 1 record(s) label it as multi-label but the model's head is single-label; they are not evaluated");
    assert_contains(&err, "warning: task `technique`: 1 record(s) label it as single-label but the model's head is multi-label");
    assert_contains(
        &err,
        "no record is labelled for any task of the model (frame, stance, technique)",
    );

    let empty = dir.write("empty.jsonl", "");
    let mut cmd = rhetor(["eval", "-m"]);
    cmd.arg(tiny_model()).arg(&empty);
    assert_contains(
        &fails(cmd, 2),
        "no record is labelled for any task of the model",
    );
}

// ---- Output ----------------------------------------------------------------------------------

/// Writing into a closed pipe (`| head`) ends quietly with status 0, whatever the command and
/// format.
#[test]
fn closed_pipe_ends_quietly() {
    let article = corpus("articles/harbour-herald-congestion-charge.txt");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "score table",
            vec!["score".into(), "--format".into(), "table".into()],
        ),
        (
            "score csv",
            vec!["score".into(), "--format".into(), "csv".into()],
        ),
        (
            "score jsonl",
            vec!["score".into(), "--format".into(), "jsonl".into()],
        ),
        (
            "eval text",
            vec!["eval".into(), "corpus/examples.jsonl".into()],
        ),
        (
            "eval json",
            vec![
                "eval".into(),
                "--format".into(),
                "json".into(),
                "corpus/examples.jsonl".into(),
            ],
        ),
    ];
    for (name, args) in cases {
        let mut cmd = rhetor(&args);
        cmd.arg("-m").arg(tiny_model());
        if args[0] == "score" {
            for _ in 0..200 {
                cmd.arg(&article);
            }
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{name}: {err}");
        // Only the note on corpus/'s headline, byline and boilerplate records may appear.
        let noise: Vec<&str> = err.lines().filter(|l| !l.contains("left out")).collect();
        assert!(noise.is_empty(), "{name}: {err}");
    }
}

/// Output to a full disk (/dev/full) is an error that says what failed.
#[test]
fn full_disk_on_standard_output_is_reported() {
    let article = corpus("articles/harbour-herald-congestion-charge.txt");
    for args in [
        vec!["score", "--format", "table"],
        vec!["score", "--format", "csv"],
        vec!["score", "--format", "jsonl"],
        vec!["eval", "corpus/examples.jsonl"],
    ] {
        let mut cmd = rhetor(&args);
        cmd.arg("-m").arg(tiny_model());
        if args[0] == "score" {
            cmd.arg(&article);
        }
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        cmd.stdout(full);
        let err = fails(cmd, 2);
        assert_contains(
            &err,
            "rhetor: error: writing to standard output: No space left on device",
        );
    }
}

/// Writing the model where it cannot be written: a clear message naming the file, status 2,
/// and no model or temporary file left behind.
#[test]
fn model_write_failures_are_reported_and_leave_nothing_behind() {
    let dir = Dir::new();
    let plain = dir.write("plain-file", b"x");
    let cases: Vec<(PathBuf, &str)> = vec![
        (
            PathBuf::from("/dev/full/m.rhetor"),
            "/dev/full/m.rhetor: Not a directory",
        ),
        (
            PathBuf::from("/dev/full"),
            "/dev/full: exists and is not a regular file; refusing to replace it",
        ),
        (
            plain.join("m.rhetor"),
            "plain-file/m.rhetor: Not a directory",
        ),
        (
            dir.path("missing/m.rhetor"),
            "missing/m.rhetor: No such file or directory",
        ),
    ];
    for (output, message) in cases {
        let mut cmd = train_cmd(&output, &[&corpus("train.jsonl")]);
        cmd.args(FAST);
        let err = fails(cmd, 2);
        assert_contains(&err, "rhetor: error: writing the model: ");
        assert_contains(&err, message);
    }
    assert_eq!(
        std::fs::read_dir(dir.path("")).unwrap().count(),
        1,
        "only plain-file"
    );
}

/// A directory without write permission. Root may write anywhere by its capability
/// CAP_DAC_OVERRIDE, so as root the child process gives that capability up first, and then the
/// permission bits bind it too.
#[test]
fn model_write_into_a_read_only_directory_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = Dir::new();
    let ro = dir.path("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = train_cmd(&ro.join("m.rhetor"), &[&corpus("train.jsonl")]);
    cmd.args(FAST);
    // SAFETY: only system calls between fork and exec.
    unsafe {
        cmd.pre_exec(drop_file_capabilities);
    }
    let out = cmd.output();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            // Only when root may not drop capabilities (no CAP_SETPCAP): nothing to test.
            eprintln!("skipped: root's file capabilities cannot be dropped here ({e})");
            return;
        }
    };
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_contains(&err, "ro/m.rhetor: Permission denied");
    assert_eq!(std::fs::read_dir(&ro).unwrap().count(), 0);
}

/// For root: removes CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from the bounding
/// set, so that the program this process executes runs without them (on exec, root's
/// capabilities are refilled from the bounding set). Other users do not hold them anyway.
fn drop_file_capabilities() -> std::io::Result<()> {
    // SAFETY: geteuid and prctl(PR_CAPBSET_DROP) have no memory-safety preconditions.
    unsafe {
        if libc::geteuid() != 0 {
            return Ok(());
        }
        for cap in [1, 2, 3] {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The disk fills up while the model is written (a file-size limit, which binds root too):
/// the error names the file, the old model is untouched and no partial file is left.
#[test]
fn disk_full_during_the_model_write_keeps_the_old_model() {
    use std::os::unix::process::CommandExt;
    let dir = Dir::new();
    let model = dir.path("m.rhetor");
    std::fs::write(&model, b"the old model").unwrap();
    let mut cmd = train_cmd(&model, &[&corpus("train.jsonl")]);
    cmd.args(FAST);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Past the limit a write fails with EFBIG instead of the process being killed.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 64 << 10,
                rlim_max: 64 << 10,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let err = fails(cmd, 2);
    assert_contains(&err, &format!("writing the model: {}: ", model.display()));
    assert_contains(&err, "File too large");
    assert_eq!(std::fs::read(&model).unwrap(), b"the old model");
    assert_eq!(
        std::fs::read_dir(dir.path("")).unwrap().count(),
        1,
        "no temporary file"
    );
}

/// Training stopped by Ctrl-C leaves no model and no temporary file (the model is written
/// only at the end, through a temporary file and a rename).
#[test]
fn interrupted_training_leaves_nothing_behind() {
    use std::os::unix::process::ExitStatusExt;
    let dir = Dir::new();
    let mut cmd = train_cmd(&dir.path("m.rhetor"), &[&corpus("train.jsonl")]);
    cmd.args(["--folds", "5", "--threads", "1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: sending a signal to our own child process.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    assert_eq!(sent, 0, "SIGINT sent");
    let status = child.wait().unwrap();
    assert!(
        status.signal() == Some(libc::SIGINT) || status.code() == Some(130) || status.success(),
        "{status:?}"
    );
    if !status.success() {
        assert_eq!(
            std::fs::read_dir(dir.path("")).unwrap().count(),
            0,
            "nothing left"
        );
    }
}
