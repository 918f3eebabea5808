//! Error messages name the file and line, and the exit status is 2.

use crate::util::*;

#[test]
fn bad_corpus_lines_name_file_and_line() {
    let dir = Dir::new();
    let cases: &[(&str, &str)] = &[
        ("{\"text\": \"ok\", \"labels\": {\"s\": \"a\"}}\n{\"text\": \"x\", \"labels\": {\"s\": 3}}\n", ":2: label of task `s` must be a string or a list of strings, found a number"),
        ("{\"labels\": {}}\n", ":1: missing `text`"),
        ("{\"text\": \"a\"\n", ":1: invalid JSON"),
        ("{\"text\": \"a\", \"labels\": {\"s\": \"x\"}}\n{\"text\": \"b\", \"labels\": {\"s\": [\"x\"]}}\n", ":2: task `s` is multi here but single in "),
    ];
    for (i, (content, message)) in cases.iter().enumerate() {
        let file = dir.write(&format!("bad{i}.jsonl"), content);
        let mut cmd = rhetor(["train", "-q", "-o"]);
        cmd.arg(dir.path("m.rhetor")).arg(&file);
        let err = fails(cmd, 2);
        assert_contains(&err, &format!("{}{message}", file.display()));
        assert!(!dir.path("m.rhetor").exists(), "no model written on error");
    }
}

#[test]
fn skip_bad_reports_and_continues() {
    let dir = Dir::new();
    let good = std::fs::read_to_string(corpus("train.jsonl")).unwrap();
    let file = dir.write("mixed.jsonl", format!("not json\n{good}"));
    let mut cmd = rhetor(["train", "-q", "--skip-bad", "-o"]);
    cmd.arg(dir.path("m.rhetor")).arg(&file).args(FAST);
    let out = ok(cmd);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_contains(&err, "skipped 1 malformed line(s)");
    assert_contains(&err, &format!("{}:1: invalid JSON", file.display()));
}

#[test]
fn damaged_or_foreign_model_files_name_the_file() {
    let dir = Dir::new();
    let good = std::fs::read(tiny_model()).unwrap();
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    let mut future = good.clone();
    future[8..12].copy_from_slice(&99u32.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.rhetor",
            truncated,
            "model file is damaged (the header announces",
        ),
        (
            "flipped.rhetor",
            flipped,
            "model file is damaged (checksum mismatch)",
        ),
        (
            "future.rhetor",
            future,
            "model format version 99 is not supported (this build reads version 5)",
        ),
        ("text.rhetor", b"hello".to_vec(), "not a rhetor model file"),
    ];
    for (name, bytes, message) in cases {
        let path = dir.write(name, bytes);
        let mut cmd = rhetor(["score", "-m"]);
        cmd.arg(&path)
            .arg(corpus("articles/meridian-wire-hospital-funding.txt"));
        let err = fails(cmd, 2);
        assert_contains(&err, &format!("{}: {message}", path.display()));
    }
    let mut cmd = rhetor(["score", "-m", "no-such-model.rhetor", "x.txt"]);
    cmd.current_dir(dir.path(""));
    assert_contains(
        &fails(cmd, 2),
        "no-such-model.rhetor: No such file or directory",
    );
}

#[test]
fn invalid_utf8_article_is_an_error_with_its_offset() {
    let dir = Dir::new();
    let path = dir.write("latin1.txt", b"Caf\xe9 society\n");
    let mut cmd = rhetor(["score", "-m"]);
    cmd.arg(tiny_model()).arg(&path);
    assert_contains(
        &fails(cmd, 2),
        &format!(
            "{}:1: invalid UTF-8 at byte 3 (use --lossy-utf8",
            path.display()
        ),
    );
}
