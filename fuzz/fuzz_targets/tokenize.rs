//! `rhetor::text::segment`, `tokenize` and `Analyzer::for_each_term` on arbitrary text.
//!
//! Input: the first byte picks the stemming language (`Language::NAMES[b % len]`); the rest,
//! cut at its first invalid UTF-8 byte, is the text. Word n-grams (1, 3), char n-grams (2, 5).
//!
//! Checks: no panic; token spans non-empty, in bounds, on char boundaries, in order and not
//! overlapping; kinds as documented (a word holds a letter, a number digits and no letter, a
//! punct is `?`, `!` or one quotation mark); tokenize's tokens are segment's spans; normal forms
//! are those of `lower_into` / `normalize_into`; numbers normalise to `<num>`, puncts to `?`,
//! `!` or `"`; term sources point at valid token indices (word n-grams of 1 to 3 tokens, char
//! n-grams inside one word token, prefixed with `CHAR_GRAM_PREFIX`, word n-grams never); and
//! tokenizing is deterministic (a fresh buffer, a reused one, one last used for another language).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rhetor::text::{
    lower_into, normalize_into, segment, AnalyzerParams, Language, Scratch, TokenKind, Tokens,
    CHAR_GRAM_PREFIX, NUMBER,
};

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

type Snapshot = Vec<(usize, usize, TokenKind, String, String)>;

fn snapshot(t: &Tokens) -> Snapshot {
    (0..t.len())
        .map(|i| {
            let tok = t.tokens()[i];
            (tok.start, tok.end, tok.kind, t.lower(i).to_string(), t.norm(i).to_string())
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&lang_byte, rest)) = data.split_first() else {
        return;
    };
    let text = match std::str::from_utf8(rest) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap(),
    };
    let names = Language::NAMES;
    let language: Language = names[usize::from(lang_byte) % names.len()]
        .parse()
        .expect("every name in Language::NAMES parses");

    // Segmentation.
    let mut spans = Vec::new();
    segment(text, &mut spans);
    let mut prev_end = 0;
    for (i, s) in spans.iter().enumerate() {
        assert!(s.start < s.end && s.end <= text.len(), "span {i} {s:?} out of bounds");
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "span {i} {s:?} not on char boundaries"
        );
        assert!(s.start >= prev_end, "span {i} {s:?} overlaps the previous one");
        prev_end = s.end;
        let seg = &text[s.start..s.end];
        match s.kind {
            TokenKind::Word => {
                assert!(seg.chars().any(char::is_alphabetic), "word without a letter: {seg:?}")
            }
            TokenKind::Number => assert!(
                seg.chars().any(char::is_numeric) && !seg.chars().any(char::is_alphabetic),
                "bad number token {seg:?}"
            ),
            TokenKind::Punct => {
                let mut cs = seg.chars();
                let c = cs.next().unwrap();
                assert!(
                    cs.next().is_none() && (c == '?' || c == '!' || is_quote(c)),
                    "bad punct token {seg:?}"
                );
            }
        }
    }
    // Segmenting again into a used buffer gives the same spans.
    let mut again = Vec::new();
    segment("leftover words", &mut again);
    segment(text, &mut again);
    assert_eq!(again, spans, "segment is not deterministic");

    // Tokenizing.
    let analyzer = AnalyzerParams {
        language,
        word_ngrams: (1, 3),
        char_ngrams: Some((2, 5)),
        // Any other (newer) settings at their defaults.
        ..AnalyzerParams::default()
    }
    .check()
    .unwrap()
    .build();
    let mut tokens = Tokens::default();
    analyzer.tokenize(text, &mut tokens);
    assert_eq!(tokens.len(), spans.len(), "tokenize and segment disagree on the count");
    let mut buf = String::new();
    for (i, (t, s)) in tokens.tokens().iter().zip(&spans).enumerate() {
        assert_eq!((t.start, t.end, t.kind), (s.start, s.end, s.kind), "token {i}");
        let surface = &text[t.start..t.end];
        buf.clear();
        lower_into(surface, t.kind, &mut buf);
        assert_eq!(tokens.lower(i), buf, "token {i} {surface:?}: lower form");
        buf.clear();
        normalize_into(surface, t.kind, analyzer.stemmer(), &mut buf);
        assert_eq!(tokens.norm(i), buf, "token {i} {surface:?}: normal form");
        match t.kind {
            TokenKind::Number => assert_eq!(tokens.norm(i), NUMBER),
            TokenKind::Punct => assert!(matches!(tokens.norm(i), "?" | "!" | "\"")),
            TokenKind::Word => {}
        }
    }
    let first = snapshot(&tokens);

    // Determinism: the same buffer again (stem cache warm), a fresh one, and one last used for
    // another language.
    analyzer.tokenize(text, &mut tokens);
    assert_eq!(snapshot(&tokens), first, "re-tokenizing with a warm cache differs");
    let mut fresh = Tokens::default();
    analyzer.tokenize(text, &mut fresh);
    assert_eq!(snapshot(&fresh), first, "tokenizing with a fresh buffer differs");
    let other = if language == Language::None {
        Language::English
    } else {
        Language::None
    };
    let other_analyzer = AnalyzerParams {
        language: other,
        ..AnalyzerParams::default()
    }
    .check()
    .unwrap()
    .build();
    let mut switched = Tokens::default();
    other_analyzer.tokenize(text, &mut switched);
    analyzer.tokenize(text, &mut switched);
    assert_eq!(snapshot(&switched), first, "stem cache leaked across languages");

    // Terms: first every word n-gram (by size, then position), then the char n-grams.
    let n_tok = first.len();
    let n_word_grams: usize = (1..=3.min(n_tok)).map(|n| n_tok - n + 1).sum();
    let mut scratch = Scratch::default();
    let mut terms = Vec::new();
    analyzer.for_each_term(text, &mut scratch, |term, src| {
        terms.push((term.to_string(), src.first, src.last))
    });
    assert!(terms.len() >= n_word_grams, "{} terms, fewer than the {n_word_grams} word n-grams", terms.len());
    for (k, (term, a, b)) in terms.iter().enumerate() {
        let (a, b) = (*a, *b);
        assert!(a <= b && b < n_tok, "term {term:?}: source {a}..={b} with {n_tok} tokens");
        if k < n_word_grams {
            assert!(
                !term.starts_with(CHAR_GRAM_PREFIX),
                "word n-gram {term:?} collides with the char n-gram prefix"
            );
            let n = b - a + 1;
            assert!((1..=3).contains(&n), "word n-gram {term:?} of {n} tokens");
            let joined: Vec<&str> = first[a..=b].iter().map(|t| t.4.as_str()).collect();
            assert_eq!(*term, joined.join(" "), "word n-gram is not its tokens' normal forms");
        } else {
            assert!(term.starts_with(CHAR_GRAM_PREFIX), "char n-gram {term:?} without prefix");
            assert_eq!(a, b, "char n-gram {term:?} spans several tokens");
            assert_eq!(first[a].2, TokenKind::Word, "char n-gram {term:?} of a non-word");
            let n = term.chars().count() - 1;
            assert!((1..=5).contains(&n), "char n-gram {term:?} of {n} chars");
        }
    }
    // Same terms the second time, with the scratch reused.
    let mut terms2 = Vec::new();
    analyzer.for_each_term(text, &mut scratch, |term, src| {
        terms2.push((term.to_string(), src.first, src.last))
    });
    assert_eq!(terms, terms2, "for_each_term is not deterministic");
});
