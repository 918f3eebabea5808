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
}

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

/// Tokenizes `text` into `out` (cleared first), stemming words with `stemmer`.
pub fn tokenize(text: &str, stemmer: &Stemmer, out: &mut Tokens) {
    out.clear();
    for (start, seg) in text.split_word_bound_indices() {
        let mut has_alpha = false;
        let mut has_digit = false;
        for c in seg.chars() {
            if c.is_alphabetic() {
                has_alpha = true;
                break;
            }
            has_digit |= c.is_numeric();
        }
        let arena = &mut out.arena;
        let lower_start = arena_pos(arena);
        let kind = if has_alpha {
            let mut in_digits = false;
            for c in seg.chars() {
                if c.is_numeric() {
                    if !in_digits {
                        arena.push('0');
                    }
                    in_digits = true;
                    continue;
                }
                in_digits = false;
                match c {
                    '’' | '‘' | 'ʼ' => arena.push('\''),
                    c if c.is_ascii() => arena.push(c.to_ascii_lowercase()),
                    c => arena.extend(c.to_lowercase()),
                }
            }
            TokenKind::Word
        } else if has_digit {
            arena.push_str(NUMBER);
            TokenKind::Number
        } else {
            let mut chars = seg.chars();
            match (chars.next(), chars.next()) {
                (Some(c @ ('?' | '!')), None) => arena.push(c),
                (Some(c), None) if is_quote(c) => arena.push('"'),
                _ => continue,
            }
            TokenKind::Punct
        };
        let lower_end = arena_pos(arena);
        let norm = if kind == TokenKind::Word {
            // Stem a copy so that the lowercased form stays available for character n-grams.
            arena.extend_from_within(lower_start as usize..lower_end as usize);
            stemmer.stem_tail(arena, lower_end as usize);
            (lower_end, arena_pos(arena))
        } else {
            (lower_start, lower_end)
        };
        out.tokens.push(Token {
            start,
            end: start + seg.len(),
            kind,
            lower: (lower_start, lower_end),
            norm,
        });
    }
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

    #[test]
    fn lower_form_is_unstemmed() {
        let mut toks = Tokens::default();
        tokenize("Governments", &Stemmer::new(Language::English), &mut toks);
        assert_eq!(toks.lower(0), "governments");
        assert_eq!(toks.norm(0), "govern");
    }
}
