//! Helpers for tests that run the real `rhetor` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository root (where `corpus/` lives).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the project's own corpus.
pub fn corpus(rel: &str) -> PathBuf {
    root().join("corpus").join(rel)
}

/// A temporary directory removed when dropped.
pub struct Dir {
    dir: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, content).expect("write test file");
        p
    }
}

/// `rhetor` with arguments, run in the repository root.
pub fn rhetor<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rhetor"));
    cmd.current_dir(root()).args(args);
    cmd
}

/// Runs the command and asserts it succeeded, printing its stderr otherwise.
pub fn ok(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run rhetor");
    assert!(
        out.status.success(),
        "expected success, got {:?}\n--- stderr ---\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs the command and asserts it failed with `code`; returns its stderr.
pub fn fails(mut cmd: Command, code: i32) -> String {
    let out = cmd.output().expect("run rhetor");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit code {code}\n--- stderr ---\n{stderr}"
    );
    stderr
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("utf-8 stdout")
}

/// Asserts that `haystack` contains `needle`, showing both otherwise.
pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find\n  {needle:?}\nin\n---\n{haystack}\n---"
    );
}

/// Training settings that keep the tiny corpus fast to train in tests.
pub const FAST: [&str; 6] = ["--folds", "3", "--c-grid", "1", "--min-df", "1"];

/// Trains a model on `corpus/train.jsonl` with [`FAST`] settings and `extra` flags.
fn train_tiny(name: &str, extra: &[&str]) -> (Dir, PathBuf) {
    let dir = Dir::new();
    let model = dir.path(name);
    let mut cmd = rhetor(["train", "corpus/train.jsonl", "-q", "-o"]);
    cmd.arg(&model).args(FAST).args(extra);
    ok(cmd);
    (dir, model)
}

/// A model trained once per test run on `corpus/train.jsonl` (stance, frame, technique).
pub fn tiny_model() -> &'static Path {
    static MODEL: OnceLock<(Dir, PathBuf)> = OnceLock::new();
    &MODEL.get_or_init(|| train_tiny("tiny.rhetor", &[])).1
}

/// The tiny random sentence encoder of `tests/fixtures/encoder-tiny` (BERT's vocabulary, 8
/// dimensions; made by `contrib/encoder/make_tiny.py`).
pub const TINY_ENCODER: &str = "tests/fixtures/encoder-tiny";

/// Like [`tiny_model`], with the tiny encoder's block (norm 1) beside the n-grams.
pub fn tiny_encoder_model() -> &'static Path {
    static MODEL: OnceLock<(Dir, PathBuf)> = OnceLock::new();
    &MODEL
        .get_or_init(|| train_tiny("tiny-encoder.rhetor", &["--encoder", TINY_ENCODER]))
        .1
}

/// Like [`tiny_model`], with every feature of the records' stance targets (mask, window,
/// identity, context), sentiment cues, subword embeddings and word categories.
pub fn tiny_target_model() -> &'static Path {
    static MODEL: OnceLock<(Dir, PathBuf)> = OnceLock::new();
    &MODEL
        .get_or_init(|| {
            train_tiny(
                "tiny-target.rhetor",
                &[
                    "--target-mask",
                    "--target-window",
                    "2",
                    "--target-identity",
                    "--target-context",
                    "--sentiment",
                    "--embeddings",
                    "0.5",
                    "--lexicon",
                    "0.25",
                ],
            )
        })
        .1
}
