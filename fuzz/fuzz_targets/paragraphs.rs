//! `rhetor::text::paragraphs` and `ParagraphReader` on arbitrary bytes.
//!
//! Valid UTF-8: every paragraph's span is in bounds and on char boundaries, `&s[span] == text`,
//! indices count 0, 1, 2, ..., spans increase without overlapping, texts are trimmed and made of
//! non-blank lines, everything between paragraphs is whitespace; and `ParagraphReader` (fed the
//! same bytes, through the whole slice and through a tiny `BufReader`) yields the same
//! (index, start, end, text) list and ends at position `len`.
//!
//! Invalid UTF-8: `ParagraphReader` returns an `InvalidData` error carrying a `Utf8Error` whose
//! offset is the first invalid byte and whose line is that byte's line, after yielding a prefix
//! of the paragraphs of the valid prefix; it never panics.
//!
//! Lossy mode (`lossy_utf8(true)`), any bytes: no error; the paragraph texts are those of
//! `paragraphs(String::from_utf8_lossy(bytes))`; spans are in bounds, in order and trimmed of
//! whitespace in the input bytes; the replacements counted are the invalid sequences of the
//! input, the first at the first invalid byte.
//!
//! A byte order mark at the very start is skipped, not text.
#![no_main]

use std::io::BufRead;

use libfuzzer_sys::fuzz_target;
use rhetor::text::{paragraphs, OwnedParagraph, ParagraphReader, Replacements, Utf8Error};

type Para = (usize, usize, usize, String);

/// Every paragraph of `reader` until the end or the first error.
fn read_all<R: BufRead>(reader: R) -> (Vec<Para>, Option<std::io::Error>, usize) {
    read_all_with(ParagraphReader::new(reader)).0
}

/// Like `read_all`, from a reader already set up; also gives what it replaced (lossy mode).
fn read_all_with<R: BufRead>(
    mut r: ParagraphReader<R>,
) -> ((Vec<Para>, Option<std::io::Error>, usize), Option<Replacements>) {
    let mut out = Vec::new();
    loop {
        match r.next_paragraph() {
            Ok(Some(OwnedParagraph {
                index,
                start,
                end,
                text,
            })) => out.push((index, start, end, text)),
            Ok(None) => return ((out, None, r.position()), r.replacements()),
            Err(e) => return ((out, Some(e), r.position()), r.replacements()),
        }
    }
}

/// The in-memory splitter's paragraphs, with its contract checked.
fn split_checked(s: &str) -> Vec<Para> {
    let mut out: Vec<Para> = Vec::new();
    // A leading byte order mark is not text.
    let mut prev_end = if s.starts_with('\u{feff}') { 3 } else { 0 };
    for (i, p) in paragraphs(s).enumerate() {
        assert_eq!(p.index, i, "paragraph indices must count up by one");
        assert!(p.start <= p.end && p.end <= s.len(), "span {:?} out of bounds", p.span());
        assert!(
            s.is_char_boundary(p.start) && s.is_char_boundary(p.end),
            "span {:?} not on char boundaries",
            p.span()
        );
        assert_eq!(&s[p.span()], p.text, "text is not the span");
        assert!(p.start < p.end, "empty paragraph {i}");
        if i > 0 {
            assert!(p.start > prev_end, "paragraph {i} overlaps or touches the previous one");
        }
        assert!(
            s[prev_end..p.start].trim().is_empty(),
            "non-whitespace text between paragraphs was dropped: {:?}",
            &s[prev_end..p.start]
        );
        assert_eq!(p.text.trim(), p.text, "paragraph text is not trimmed");
        for line in p.text.split('\n') {
            assert!(!line.trim().is_empty(), "paragraph {i} holds a blank line");
        }
        prev_end = p.end;
        out.push((p.index, p.start, p.end, p.text.to_string()));
    }
    assert!(s[prev_end..].trim().is_empty(), "non-whitespace text after the last paragraph was dropped");
    out
}

fuzz_target!(|data: &[u8]| {
    // A tiny buffer makes lines cross buffer boundaries; vary it with the input length.
    let cap = 1 + data.len() % 5;
    let whole = read_all(data);
    let small = read_all(std::io::BufReader::with_capacity(cap, data));
    match std::str::from_utf8(data) {
        Ok(s) => {
            let want = split_checked(s);
            for (name, (got, err, pos)) in [("slice", whole), ("BufReader", small)] {
                assert!(err.is_none(), "{name} reader failed on valid UTF-8: {err:?}");
                assert_eq!(got, want, "{name} reader differs from paragraphs()");
                assert_eq!(pos, data.len(), "{name} reader did not consume the input");
            }
        }
        Err(e) => {
            let bad_at = e.valid_up_to();
            // The valid prefix is UTF-8 by definition.
            let prefix = std::str::from_utf8(&data[..bad_at]).unwrap();
            let of_prefix = split_checked(prefix);
            for (name, (got, err, _)) in [("slice", whole), ("BufReader", small)] {
                let err = err.unwrap_or_else(|| panic!("{name} reader accepted invalid UTF-8"));
                assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{name}: {err}");
                let utf8 = err
                    .get_ref()
                    .and_then(|e| e.downcast_ref::<Utf8Error>())
                    .unwrap_or_else(|| panic!("{name}: not a Utf8Error: {err:?}"));
                assert_eq!(utf8.offset, bad_at, "{name}: wrong offset of the bad byte");
                let line = 1 + data[..bad_at].iter().filter(|&&b| b == b'\n').count();
                assert_eq!(utf8.line, line, "{name}: wrong line of the bad byte");
                assert!(
                    got.len() <= of_prefix.len() && got[..] == of_prefix[..got.len()],
                    "{name}: paragraphs before the error {got:?} are not a prefix of {of_prefix:?}"
                );
            }
        }
    }

    // Lossy mode takes any bytes.
    let lossy = String::from_utf8_lossy(data);
    let want_texts: Vec<&str> = paragraphs(&lossy).map(|p| p.text).collect();
    let invalid: Vec<usize> = {
        let mut at = 0;
        let mut starts = Vec::new();
        for chunk in data.utf8_chunks() {
            at += chunk.valid().len();
            if !chunk.invalid().is_empty() {
                starts.push(at);
            }
            at += chunk.invalid().len();
        }
        starts
    };
    {
        let reader =
            ParagraphReader::new(std::io::BufReader::with_capacity(cap, data)).lossy_utf8(true);
        let ((got, err, pos), replaced) = read_all_with(reader);
        assert!(err.is_none(), "lossy reader failed: {err:?}");
        assert_eq!(pos, data.len(), "lossy reader did not consume the input");
        let texts: Vec<&str> = got.iter().map(|p| p.3.as_str()).collect();
        assert_eq!(texts, want_texts, "lossy texts differ from paragraphs() of the lossy string");
        let mut prev_end = 0;
        for (i, (index, start, end, _)) in got.iter().enumerate() {
            assert_eq!(*index, i);
            assert!(prev_end <= *start && start < end && *end <= data.len(), "lossy span {start}..{end}");
            assert!(!data[*start].is_ascii_whitespace() && !data[*end - 1].is_ascii_whitespace());
            prev_end = *end;
        }
        match (replaced, invalid.first()) {
            (None, None) => {}
            (Some(r), Some(&first)) => {
                assert_eq!(r.count, invalid.len(), "replacements counted");
                assert_eq!(r.first.offset, first, "offset of the first replacement");
            }
            (r, first) => panic!("replacements {r:?} but first invalid byte at {first:?}"),
        }
    }
});
