//! Paragraph text to tokens.
//!
//! Contract: tokens follow Unicode word boundaries (UAX #29). A segment holding a letter is a
//! [`TokenKind::Word`]; one holding digits but no letter is a [`TokenKind::Number`]; `?` and `!`
//! and quotation marks (straight, curly, guillemets, low-9) are kept as [`TokenKind::Punct`]
//! because they carry rhetoric; every other segment (spaces, other punctuation, symbols) is
//! dropped. Each token keeps the byte span of its segment in the input, so
//! `&text[t.start..t.end]` is the original spelling.
//!
//! Normal forms: words are lowercased, curly apostrophes become `'`, digit runs inside words
//! become `0` (`1990s` → `0s`) and then the word is stemmed; a number token's normal form is
//! [`NUMBER`]; every quotation mark normalises to `"`.

use rustc_hash::FxHashMap;
use unicode_segmentation::UnicodeSegmentation;

use super::stem::Stemmer;

/// Normal form of every number token.
pub const NUMBER: &str = "<num>";

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A word (holds a letter).
    Word,
    /// A number (digits, maybe with separators, no letter).
    Number,
    /// `?`, `!` or a quotation mark.
    Punct,
}

/// One token: where it is in the text and where its normal forms are in [`Tokens`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the token in the input text.
    pub start: usize,
    /// Byte offset one past the token in the input text.
    pub end: usize,
    /// What the token is.
    pub kind: TokenKind,
    lower: (u32, u32),
    norm: (u32, u32),
}

/// The tokens of one text, with their normal forms kept in one reusable buffer so that
/// tokenizing allocates nothing per token once the buffers have grown.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    arena: String,
    tokens: Vec<Token>,
    spans: Vec<Span>,
    /// Lowercased word → stem, for the language in `stems_language`: stemming is the costliest
    /// step of tokenizing and words repeat.
    stems: FxHashMap<Box<str>, Box<str>>,
    stems_language: Option<super::Language>,
}

/// Stems a [`Tokens`] buffer remembers before it starts over.
const STEM_CACHE_LIMIT: usize = 1 << 17;

impl Tokens {
    /// Empties the buffers, keeping their capacity.
    pub fn clear(&mut self) {
        self.arena.clear();
        self.tokens.clear();
    }

    /// The tokens in text order.
    pub fn tokens(&self) -> &[Token] {
        &self.tokens
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when there is no token.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The normal form (lowercased, stemmed) of token `i`.
    pub fn norm(&self, i: usize) -> &str {
        let (a, b) = self.tokens[i].norm;
        &self.arena[a as usize..b as usize]
    }

    /// The lowercased, unstemmed form of token `i`.
    pub fn lower(&self, i: usize) -> &str {
        let (a, b) = self.tokens[i].lower;
        &self.arena[a as usize..b as usize]
    }
}

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

fn arena_pos(arena: &str) -> u32 {
    // Texts are capped far below 4 GiB by the callers (a paragraph); saturate rather than wrap.
    u32::try_from(arena.len()).unwrap_or(u32::MAX)
}

/// A token's place in the text and its kind, before normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Byte offset of the token.
    pub start: usize,
    /// Byte offset one past the token.
    pub end: usize,
    /// What the token is.
    pub kind: TokenKind,
}

/// The kind of a word-boundary segment, or `None` when the segment is not kept.
fn kind_of(seg: &str) -> Option<TokenKind> {
    let mut has_digit = false;
    for c in seg.chars() {
        if c.is_alphabetic() {
            return Some(TokenKind::Word);
        }
        has_digit |= c.is_numeric();
    }
    if has_digit {
        return Some(TokenKind::Number);
    }
    let mut chars = seg.chars();
    match (chars.next(), chars.next()) {
        (Some('?' | '!'), None) => Some(TokenKind::Punct),
        (Some(c), None) if is_quote(c) => Some(TokenKind::Punct),
        _ => None,
    }
}

/// Cuts `text` into the spans of its tokens (cleared first), without normalising them.
///
/// The result is that of UAX #29 word segmentation (unicode-segmentation) followed by the kind
/// filter, computed faster: UAX #29 always breaks at ASCII whitespace (rules WB3a/b, WB3d,
/// WB999; no rule joins across it), so each whitespace-delimited chunk is segmented on its own,
/// pure-ASCII chunks by [`ascii_segments`] and the others by unicode-segmentation. The test
/// `segment_matches_unicode_segmentation` checks the equivalence on random mixed text.
pub fn segment(text: &str, out: &mut Vec<Span>) {
    out.clear();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
            continue;
        }
        let start = i;
        let mut ascii = true;
        while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b'\n' | b'\r') {
            ascii &= bytes[i].is_ascii();
            i += 1;
        }
        if ascii {
            ascii_segments(&bytes[start..i], start, out);
        } else {
            unicode_segments(&text[start..i], start, out);
        }
    }
}

/// UAX #29 segmentation of `chunk` (at byte `offset` of the text), keeping token spans.
fn unicode_segments(chunk: &str, offset: usize, out: &mut Vec<Span>) {
    out.extend(chunk.split_word_bound_indices().filter_map(|(start, seg)| {
        kind_of(seg).map(|kind| Span {
            start: offset + start,
            end: offset + start + seg.len(),
            kind,
        })
    }));
}

/// UAX #29 word segmentation restricted to ASCII without whitespace: letters, digits and `_`
/// join (WB5, WB8–WB10, WB13a/b); `:` `.` `'` join letters on both sides (WB6/7); `,` `;` `.`
/// `'` join digits on both sides (WB11/12); every other character stands alone (WB999).
fn ascii_segments(chunk: &[u8], offset: usize, out: &mut Vec<Span>) {
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let n = chunk.len();
    let mut i = 0;
    while i < n {
        let start = i;
        if word(chunk[i]) {
            i += 1;
            while i < n {
                let (prev, cur) = (chunk[i - 1], chunk[i]);
                if word(cur) {
                    i += 1;
                    continue;
                }
                if i + 1 < n {
                    let next = chunk[i + 1];
                    let letters = prev.is_ascii_alphabetic()
                        && next.is_ascii_alphabetic()
                        && matches!(cur, b':' | b'.' | b'\'');
                    let digits = prev.is_ascii_digit()
                        && next.is_ascii_digit()
                        && matches!(cur, b',' | b';' | b'.' | b'\'');
                    if letters || digits {
                        i += 2;
                        continue;
                    }
                }
                break;
            }
        } else {
            i += 1;
        }
        let seg = &chunk[start..i];
        let kind = if seg.iter().any(u8::is_ascii_alphabetic) {
            Some(TokenKind::Word)
        } else if seg.iter().any(u8::is_ascii_digit) {
            Some(TokenKind::Number)
        } else if matches!(seg, [b'?' | b'!' | b'"' | b'\'']) {
            Some(TokenKind::Punct)
        } else {
            None
        };
        if let Some(kind) = kind {
            out.push(Span {
                start: offset + start,
                end: offset + i,
                kind,
            });
        }
    }
}

/// Appends the lowercased form of token `surface` of `kind` to `buf`: words lowercased with
/// curly apostrophes straightened and digit runs replaced by `0`; numbers as [`NUMBER`];
/// `?` and `!` as they are; quotation marks as `"`.
pub fn lower_into(surface: &str, kind: TokenKind, buf: &mut String) {
    match kind {
        TokenKind::Word => {
            let mut in_digits = false;
            for c in surface.chars() {
                if c.is_numeric() {
                    if !in_digits {
                        buf.push('0');
                    }
                    in_digits = true;
                    continue;
                }
                in_digits = false;
                match c {
                    '’' | '‘' | 'ʼ' => buf.push('\''),
                    c if c.is_ascii() => buf.push(c.to_ascii_lowercase()),
                    c => buf.extend(c.to_lowercase()),
                }
            }
        }
        TokenKind::Number => buf.push_str(NUMBER),
        TokenKind::Punct => match surface {
            "?" | "!" => buf.push_str(surface),
            _ => buf.push('"'),
        },
    }
}

/// Appends the normal form of a token to `buf`: [`lower_into`], then stemming for words.
pub fn normalize_into(surface: &str, kind: TokenKind, stemmer: &Stemmer, buf: &mut String) {
    let from = buf.len();
    lower_into(surface, kind, buf);
    if kind == TokenKind::Word {
        stemmer.stem_tail(buf, from);
    }
}

/// Tokenizes `text` into `out` (cleared first), stemming words with `stemmer`.
pub fn tokenize(text: &str, stemmer: &Stemmer, out: &mut Tokens) {
    out.clear();
    if out.stems_language != Some(stemmer.language()) || out.stems.len() >= STEM_CACHE_LIMIT {
        out.stems.clear();
        out.stems_language = Some(stemmer.language());
    }
    let mut spans = std::mem::take(&mut out.spans);
    segment(text, &mut spans);
    for span in &spans {
        let surface = &text[span.start..span.end];
        let arena = &mut out.arena;
        let lower_start = arena_pos(arena);
        lower_into(surface, span.kind, arena);
        let lower_end = arena_pos(arena);
        let norm = if span.kind == TokenKind::Word {
            // Stem a copy so that the lowercased form stays available for character n-grams.
            let lower = &arena[lower_start as usize..lower_end as usize];
            if let Some(stem) = out.stems.get(lower) {
                arena.push_str(stem);
            } else {
                let key: Box<str> = lower.into();
                arena.extend_from_within(lower_start as usize..lower_end as usize);
                stemmer.stem_tail(arena, lower_end as usize);
                out.stems.insert(key, arena[lower_end as usize..].into());
            }
            (lower_end, arena_pos(arena))
        } else {
            (lower_start, lower_end)
        };
        out.tokens.push(Token {
            start: span.start,
            end: span.end,
            kind: span.kind,
            lower: (lower_start, lower_end),
            norm,
        });
    }
    out.spans = spans;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::Language;

    /// Asserts each token's (normal form, kind, original span) in order.
    fn assert_tokens(lang: Language, text: &str, expected: &[(&str, TokenKind, &str)]) {
        let mut toks = Tokens::default();
        tokenize(text, &Stemmer::new(lang), &mut toks);
        let got: Vec<_> = (0..toks.len())
            .map(|i| {
                let t = toks.tokens()[i];
                (toks.norm(i).to_string(), t.kind, &text[t.start..t.end])
            })
            .collect();
        let want: Vec<_> = expected
            .iter()
            .map(|(n, k, s)| (n.to_string(), *k, *s))
            .collect();
        assert_eq!(
            got, want,
            "tokens of {text:?}: expected (norm, kind, span) {want:?} but got {got:?}"
        );
    }

    #[test]
    fn tokenizes_table() {
        use TokenKind::*;
        let en = Language::English;
        type Case<'a> = (Language, &'a str, &'a [(&'a str, TokenKind, &'a str)]);
        let cases: &[Case] = &[
            (en, "", &[]),
            (en, "  ,;- ", &[]),
            (
                en,
                "Governments LIED!",
                &[
                    ("govern", Word, "Governments"),
                    ("lie", Word, "LIED"),
                    ("!", Punct, "!"),
                ],
            ),
            (
                en,
                "Really?! \"Fake\" news",
                &[
                    ("realli", Word, "Really"),
                    ("?", Punct, "?"),
                    ("!", Punct, "!"),
                    ("\"", Punct, "\""),
                    ("fake", Word, "Fake"),
                    ("\"", Punct, "\""),
                    ("news", Word, "news"),
                ],
            ),
            (
                en,
                "“Crisis” «now»",
                &[
                    ("\"", Punct, "“"),
                    ("crisi", Word, "Crisis"),
                    ("\"", Punct, "”"),
                    ("\"", Punct, "«"),
                    ("now", Word, "now"),
                    ("\"", Punct, "»"),
                ],
            ),
            (
                en,
                "In 2019, 3.5% of the 1990s",
                &[
                    ("in", Word, "In"),
                    (NUMBER, Number, "2019"),
                    (NUMBER, Number, "3.5"),
                    ("of", Word, "of"),
                    ("the", Word, "the"),
                    ("0s", Word, "1990s"),
                ],
            ),
            (
                en,
                "don’t can't",
                &[("don't", Word, "don’t"), ("can't", Word, "can't")],
            ),
            (
                Language::None,
                "Running #SemST @user",
                &[
                    ("running", Word, "Running"),
                    ("semst", Word, "SemST"),
                    ("user", Word, "user"),
                ],
            ),
            (
                en,
                "Ünïcode ΣΟΦΙΑ",
                &[("ünïcode", Word, "Ünïcode"), ("σοφια", Word, "ΣΟΦΙΑ")],
            ),
            (
                en,
                "日本語",
                &[("日", Word, "日"), ("本", Word, "本"), ("語", Word, "語")],
            ),
        ];
        for (lang, text, expected) in cases {
            assert_tokens(*lang, text, expected);
        }
    }

    /// The reference: UAX #29 over the whole text, then the kind filter.
    fn reference_segments(text: &str) -> Vec<Span> {
        let mut out = Vec::new();
        unicode_segments(text, 0, &mut out);
        out
    }

    #[test]
    fn segment_table_of_joining_rules() {
        let cases: &[(&str, &[&str])] = &[
            ("can't e.g. U.S. a:b", &["can't", "e.g", "U.S", "a:b"]),
            (
                "3.5 1,000 1;2 3'4 a.1 1.a",
                &["3.5", "1,000", "1;2", "3'4", "a", "1", "1", "a"],
            ),
            (
                "foo_bar _x x_ __ 1a a1 1.5a",
                &["foo_bar", "_x", "x_", "1a", "a1", "1.5a"],
            ),
            (
                "a..b 'tis ?! \"q\" -x- #tag @u",
                &[
                    "a", "b", "'", "tis", "?", "!", "\"", "q", "\"", "x", "tag", "u",
                ],
            ),
            ("“Crisis”—now… don’t", &["“", "Crisis", "”", "now", "don’t"]),
        ];
        for (text, expected) in cases {
            let mut spans = Vec::new();
            segment(text, &mut spans);
            let got: Vec<&str> = spans.iter().map(|s| &text[s.start..s.end]).collect();
            assert_eq!(&got, expected, "{text:?}");
            assert_eq!(spans, reference_segments(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn segment_matches_unicode_segmentation(
            text in "[a-zA-Z0-9_.,;:'!?\"#() \t\r\n\u{0b}\u{0c}é’“”—\u{a0}\u{301}日本ß-]{0,40}"
        ) {
            let mut spans = Vec::new();
            segment(&text, &mut spans);
            proptest::prop_assert_eq!(spans, reference_segments(&text));
        }
    }

    proptest::proptest! {
        /// Any string: no panic; tokens in order, non-empty, inside the text and on character
        /// boundaries; a reused buffer (with its stem cache) gives the same tokens as a fresh one.
        #[test]
        fn tokenize_takes_any_string(
            text in "(\\PC|\\s|[\u{0}-\u{1f}\u{7f}\u{85}\u{200b}-\u{200f}\u{202a}-\u{202e}\u{2028}\u{feff}\u{301}\u{fffd}])*"
        ) {
            let mut reused = Tokens::default();
            for language in [Language::English, Language::None, Language::English] {
                let stemmer = Stemmer::new(language);
                tokenize(&text, &stemmer, &mut reused);
                let mut fresh = Tokens::default();
                tokenize(&text, &stemmer, &mut fresh);
                proptest::prop_assert_eq!(reused.tokens(), fresh.tokens());
                let mut last = 0;
                for (i, t) in reused.tokens().iter().enumerate() {
                    proptest::prop_assert!(last <= t.start && t.start < t.end && t.end <= text.len());
                    proptest::prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
                    proptest::prop_assert!(!reused.lower(i).is_empty());
                    proptest::prop_assert_eq!(reused.norm(i), fresh.norm(i));
                    last = t.end;
                }
            }
        }
    }

    #[test]
    fn normalize_into_matches_tokenize() {
        let text = "Governments LIED in 2019 about the 1990s! “Really?” don’t";
        let stemmer = Stemmer::new(Language::English);
        let mut toks = Tokens::default();
        tokenize(text, &stemmer, &mut toks);
        let mut spans = Vec::new();
        segment(text, &mut spans);
        assert_eq!(spans.len(), toks.len());
        for (i, span) in spans.iter().enumerate() {
            let mut buf = String::from("prefix");
            normalize_into(&text[span.start..span.end], span.kind, &stemmer, &mut buf);
            assert_eq!(&buf["prefix".len()..], toks.norm(i), "token {i}");
        }
    }

    #[test]
    fn stem_cache_follows_the_language() {
        let mut toks = Tokens::default();
        tokenize("gouvernements", &Stemmer::new(Language::French), &mut toks);
        assert_eq!(toks.norm(0), "gouvern");
        tokenize("gouvernements", &Stemmer::new(Language::None), &mut toks);
        assert_eq!(
            toks.norm(0),
            "gouvernements",
            "not the French stem from the cache"
        );
        tokenize(
            "running running",
            &Stemmer::new(Language::English),
            &mut toks,
        );
        assert_eq!((toks.norm(0), toks.norm(1)), ("run", "run"));
    }

    #[test]
    fn lower_form_is_unstemmed() {
        let mut toks = Tokens::default();
        tokenize("Governments", &Stemmer::new(Language::English), &mut toks);
        assert_eq!(toks.lower(0), "governments");
        assert_eq!(toks.norm(0), "govern");
    }
}
