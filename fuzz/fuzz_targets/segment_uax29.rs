//! Differential: `rhetor::text::segment` against its documented reference, UAX #29 word
//! segmentation of the whole text (unicode-segmentation's `split_word_bound_indices`) followed
//! by the documented kind filter (a segment with a letter is a word; with a digit and no letter a
//! number; `?`, `!` or one quotation mark a punct; anything else dropped).
//!
//! `segment`'s doc comment says its result *is* that of UAX #29 followed by the kind filter,
//! computed faster by cutting at ASCII whitespace first; this target checks that claim on
//! arbitrary text (the crate's own proptest only draws from a small alphabet).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::text::{segment, TokenKind};
use unicode_segmentation::UnicodeSegmentation;

fn is_quote(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '“'
            | '”'
            | '„'
            | '‟'
            | '‘'
            | '’'
            | '‚'
            | '‛'
            | '«'
            | '»'
            | '‹'
            | '›'
            | '＂'
    )
}

fn kind_of(seg: &str) -> Option<TokenKind> {
    if seg.chars().any(char::is_alphabetic) {
        return Some(TokenKind::Word);
    }
    if seg.chars().any(char::is_numeric) {
        return Some(TokenKind::Number);
    }
    let mut cs = seg.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) if c == '?' || c == '!' || is_quote(c) => Some(TokenKind::Punct),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let text = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap(),
    };
    let mut spans = Vec::new();
    segment(text, &mut spans);
    let got: Vec<(usize, usize, TokenKind)> =
        spans.iter().map(|s| (s.start, s.end, s.kind)).collect();
    let want: Vec<(usize, usize, TokenKind)> = text
        .split_word_bound_indices()
        .filter_map(|(i, seg)| kind_of(seg).map(|k| (i, i + seg.len(), k)))
        .collect();
    if got != want {
        let show = |v: &[(usize, usize, TokenKind)]| -> Vec<(String, TokenKind)> {
            v.iter().map(|&(a, b, k)| (format!("{:?}@{a}..{b}", &text[a..b]), k)).collect()
        };
        panic!(
            "segment differs from UAX #29 + kind filter on {text:?}:\n  segment: {:?}\n  UAX #29: {:?}",
            show(&got),
            show(&want)
        );
    }
});
