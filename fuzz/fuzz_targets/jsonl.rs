//! JSONL corpus reading on arbitrary bytes.
//!
//! Checks: `read_records(bytes, "fuzz.jsonl", OnBad::Skip, ..)` never panics, never fails (the
//! reader is a slice: no I/O error), and accounts for every non-blank line exactly once (a record
//! or a skipped error, in line order, each record's origin the right line); every error names
//! `fuzz.jsonl:<line>`. For each line that is valid UTF-8, `ScoreRecord::parse` never panics, its
//! errors name the file and line too, and when both `Record::parse` and `ScoreRecord::parse`
//! accept the line they agree on text, id, doc and target.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use rhetor::corpus::{read_records, OnBad, Origin, Record, ScoreRecord};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.jsonl");
    let mut skipped = Vec::new();
    let records = read_records(data, path, OnBad::Skip, &mut skipped)
        .unwrap_or_else(|e| panic!("read_records failed with OnBad::Skip on a slice: {e}"));
    for e in &skipped {
        let msg = e.to_string();
        assert!(msg.starts_with("fuzz.jsonl:"), "error without the file name: {msg}");
    }

    // The same lines as read_records: split after each '\n', 1-based numbers.
    let mut n_lines_kept = 0;
    let mut rec_iter = records.iter();
    for (i, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let origin = Origin {
            path: Arc::from(path),
            line: line_no,
        };
        let prefix = format!("fuzz.jsonl:{line_no}: ");
        let Ok(line) = std::str::from_utf8(line) else {
            n_lines_kept += 1;
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        n_lines_kept += 1;
        let rec = Record::parse(line, origin.clone());
        if let Err(e) = &rec {
            let msg = e.to_string();
            assert!(msg.starts_with(&prefix), "Record::parse error without {prefix:?}: {msg}");
        }
        let score = ScoreRecord::parse(line, &origin);
        if let Err(e) = &score {
            let msg = e.to_string();
            assert!(msg.starts_with(&prefix), "ScoreRecord::parse error without {prefix:?}: {msg}");
        }
        if let Ok(r) = &rec {
            // read_records kept this record, in order.
            let kept = rec_iter.next().expect("read_records lost a record");
            assert_eq!(kept, r, "read_records' record differs from Record::parse's");
            assert_eq!(kept.origin.line, line_no);
        }
        if let (Ok(r), Ok(s)) = (&rec, &score) {
            assert_eq!(r.text, s.text, "text differs on {line:?}");
            assert_eq!(r.id, s.id, "id differs on {line:?}");
            assert_eq!(r.doc, s.doc, "doc differs on {line:?}");
            assert_eq!(r.target.as_deref(), s.target.as_deref(), "target differs on {line:?}");
        }
    }
    assert!(rec_iter.next().is_none(), "read_records returned a record for no line");
    assert_eq!(
        records.len() + skipped.len(),
        n_lines_kept,
        "every non-blank line must give a record or an error"
    );
});
