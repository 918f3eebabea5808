//! `rhetor::text::paragraphs` and `ParagraphReader` on arbitrary bytes.
//!
//! Valid UTF-8: every paragraph's span is in bounds and on char boundaries, `&s[span] == text`,
//! indices count 0, 1, 2, ..., spans increase without overlapping, texts are trimmed and made of
//! non-blank lines, everything between paragraphs is whitespace; and `ParagraphReader` (fed the
//! same bytes, through the whole slice and through a tiny `BufReader`) yields the same
//! (index, start, end, text) list and ends at position `len`.
//!
//! Invalid UTF-8: `ParagraphReader` returns an `InvalidData` error carrying a `Utf8Error` whose
//! offset is the first invalid byte, after yielding a prefix of the paragraphs of the valid
//! prefix; it never panics.
#![no_main]

use std::io::BufRead;

use libfuzzer_sys::fuzz_target;
use rhetor::text::{paragraphs, OwnedParagraph, ParagraphReader, Utf8Error};

type Para = (usize, usize, usize, String);

/// Every paragraph of `reader` until the end or the first error.
fn read_all<R: BufRead>(reader: R) -> (Vec<Para>, Option<std::io::Error>, usize) {
    let mut r = ParagraphReader::new(reader);
    let mut out = Vec::new();
    loop {
        match r.next_paragraph() {
            Ok(Some(OwnedParagraph {
                index,
                start,
                end,
                text,
            })) => out.push((index, start, end, text)),
            Ok(None) => return (out, None, r.position()),
            Err(e) => return (out, Some(e), r.position()),
        }
    }
}

/// The in-memory splitter's paragraphs, with its contract checked.
fn split_checked(s: &str) -> Vec<Para> {
    let mut out: Vec<Para> = Vec::new();
    let mut prev_end = 0;
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
                assert!(
                    got.len() <= of_prefix.len() && got[..] == of_prefix[..got.len()],
                    "{name}: paragraphs before the error {got:?} are not a prefix of {of_prefix:?}"
                );
            }
        }
    }
});
