//! Unusual texts go through splitting, tokenizing and scoring without a panic and with sane
//! output: spans inside the text and on character boundaries, probabilities in [0, 1], one
//! label per single-label task.

use rhetor::model::{HeadBody, Model, ScoreScratch};
use rhetor::text::{paragraphs, tokenize, Language, Stemmer, TokenKind, Tokens};
use serde_json::Value;

use crate::util::*;

/// (name, text, paragraphs expected, words expected in the first paragraph at least)
fn texts() -> Vec<(&'static str, String, usize, usize)> {
    vec![
        ("empty", String::new(), 0, 0),
        (
            "whitespace only",
            " \t\n\r\n  \u{a0}\u{3000}\n".into(),
            0,
            0,
        ),
        (
            "punctuation only",
            "!!! ... ??? --- «» “” ;:,.".into(),
            1,
            0,
        ),
        (
            "Chinese without spaces",
            "市议会昨天宣布征收拥堵费。商店老板们说这将毁掉他们的生意。".into(),
            1,
            10,
        ),
        (
            "Japanese without spaces",
            "市議会は昨日、渋滞税の導入を発表した。商店主たちは反対している。".into(),
            1,
            5,
        ),
        (
            "Arabic, right to left",
            "أعلن المجلس البلدي فرض رسوم الازدحام، وقال التجار إنها ستدمر أعمالهم.".into(),
            1,
            8,
        ),
        (
            "Hebrew with direction marks and digits",
            "\u{202b}מועצת העיר הודיעה על אגרת גודש של 15 שקלים\u{202c}\u{200f}".into(),
            1,
            6,
        ),
        (
            "emoji, ZWJ sequences, flags, skin tones",
            "Great news 🎉🎉 for 👩\u{200d}👩\u{200d}👧 families 🇬🇧 👍🏽 🔥🔥🔥".into(),
            1,
            3,
        ),
        ("NUL bytes", "tax\0on\0\0cars\0".into(), 1, 1),
        (
            "Windows line endings",
            "Headline\r\n\r\nFirst line\r\nsecond line\r\n\r\n\r\nLast.\r\n".into(),
            3,
            1,
        ),
        (
            "combining marks and zero-width characters",
            "e\u{301}\u{301}\u{301} \u{200b}\u{200b} a\u{300}b\u{feff}c \u{301}".into(),
            1,
            1,
        ),
        (
            "control characters",
            "\u{1}\u{2}\u{7f}\u{1b}[31mred\u{1b}[0m\u{85}".into(),
            1,
            1,
        ),
        ("one long word", "a".repeat(1 << 20), 1, 1),
        (
            "a 10 MB paragraph",
            "The council will tax every car, and shops will close. ".repeat((10 << 20) / 54 + 1),
            1,
            10,
        ),
    ]
}

/// Checks a model's scores of one text: one result per head, probabilities in [0, 1], single-
/// label probabilities summing to one with one label predicted, multi-label predictions at or
/// above their thresholds.
fn assert_sane_scores(model: &Model, name: &str, text: &str, scratch: &mut ScoreScratch) {
    let scores = model.score(text, None, scratch);
    assert_eq!(
        scores.len(),
        model.heads().len(),
        "{name}: one result per head"
    );
    for (head, s) in model.heads().iter().zip(&scores) {
        assert_eq!(s.probs.len(), head.labels.len(), "{name}: {}", head.task);
        assert!(
            s.probs
                .iter()
                .all(|p| p.is_finite() && (0.0..=1.0).contains(p)),
            "{name}: {}: probabilities {:?}",
            head.task,
            s.probs
        );
        match &head.body {
            HeadBody::Single { .. } => {
                assert_eq!(s.predicted.len(), 1, "{name}: {}", head.task);
                let total: f32 = s.probs.iter().sum();
                assert!(
                    (total - 1.0).abs() < 1e-3,
                    "{name}: {}: sum {total}",
                    head.task
                );
            }
            HeadBody::Multi { thresholds, .. } => {
                let expected: Vec<usize> = (0..head.labels.len())
                    .filter(|&i| s.probs[i] >= thresholds[i])
                    .collect();
                assert_eq!(s.predicted, expected, "{name}: {}", head.task);
            }
        }
    }
}

#[test]
fn unusual_texts_split_tokenize_and_score_sanely() {
    let model = Model::load(tiny_model()).unwrap();
    let stemmer = Stemmer::new(Language::English);
    let mut tokens = Tokens::default();
    let mut scratch = ScoreScratch::default();
    for (name, text, n_paragraphs, min_words) in texts() {
        let ps: Vec<_> = paragraphs(&text).collect();
        assert_eq!(ps.len(), n_paragraphs, "{name}: paragraphs");
        for (i, p) in ps.iter().enumerate() {
            assert!(
                p.start < p.end
                    && p.end <= text.len()
                    && text.is_char_boundary(p.start)
                    && text.is_char_boundary(p.end),
                "{name}: paragraph {i} span {}..{}",
                p.start,
                p.end
            );
            assert_eq!(&text[p.span()], p.text, "{name}: paragraph {i}");
            assert_eq!(p.text.trim(), p.text, "{name}: paragraph {i} is trimmed");

            tokenize(p.text, &stemmer, &mut tokens);
            let mut last = 0;
            for t in tokens.tokens() {
                assert!(
                    last <= t.start
                        && t.start < t.end
                        && t.end <= p.text.len()
                        && p.text.is_char_boundary(t.start)
                        && p.text.is_char_boundary(t.end),
                    "{name}: token span {}..{} after {last}",
                    t.start,
                    t.end
                );
                last = t.end;
            }
            if i == 0 {
                let words = tokens
                    .tokens()
                    .iter()
                    .filter(|t| t.kind == TokenKind::Word)
                    .count();
                assert!(
                    words >= min_words,
                    "{name}: {words} words, expected {min_words} or more"
                );
            }
            assert_sane_scores(&model, name, p.text, &mut scratch);
        }
        // The whole text as one record, whatever it holds (when that is not the paragraph).
        if ps.len() != 1 || ps[0].text != text {
            assert_sane_scores(&model, name, &text, &mut scratch);
        }
    }
}

/// The same texts through `rhetor score`, as plain-text articles and as JSONL records (with
/// CRLF line endings and a byte order mark): exit status 0, one row per paragraph, spans that
/// cut the paragraph out of the input.
#[test]
fn unusual_texts_through_the_command_line() {
    let dir = Dir::new();
    let texts = texts();
    let mut cmd = rhetor(["score", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model());
    for (i, (_, text, ..)) in texts.iter().enumerate() {
        cmd.arg(dir.write(&format!("{i}.txt"), text));
    }
    let out = ok(cmd);
    let rows: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole JSON rows"))
        .collect();
    for (i, (name, text, n_paragraphs, _)) in texts.iter().enumerate() {
        let doc = dir.path(&format!("{i}.txt")).display().to_string();
        let mine: Vec<&Value> = rows.iter().filter(|r| r["doc"] == doc.as_str()).collect();
        assert_eq!(mine.len(), *n_paragraphs, "{name}: rows");
        for (p, row) in paragraphs(text).zip(&mine) {
            assert_eq!(
                (row["start"].as_u64(), row["end"].as_u64()),
                (Some(p.start as u64), Some(p.end as u64)),
                "{name}"
            );
        }
    }

    // JSONL: CRLF line endings, a byte order mark, the texts as JSON strings (NUL escaped).
    let mut jsonl = String::from("\u{feff}");
    for (i, (_, text, ..)) in texts.iter().enumerate() {
        let record = serde_json::json!({"id": format!("r{i}"), "text": text});
        jsonl.push_str(&record.to_string());
        jsonl.push_str("\r\n");
    }
    let input = dir.write("texts.jsonl", jsonl);
    let mut cmd = rhetor(["score", "--input", "jsonl", "--format", "jsonl", "-m"]);
    cmd.arg(tiny_model()).arg(&input);
    let out = ok(cmd);
    let rows: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole JSON rows"))
        .collect();
    for (i, (name, _, n_paragraphs, _)) in texts.iter().enumerate() {
        let n = rows
            .iter()
            .filter(|r| r["id"] == format!("r{i}").as_str())
            .count();
        assert_eq!(n, *n_paragraphs, "{name}: rows from the JSONL record");
    }
}
