//! The text stage: articles → paragraphs → tokens → feature terms.
//!
//! * [`paragraphs`] splits an article on blank lines, with byte spans.
//! * [`tokenize`] cuts a paragraph on Unicode word boundaries, lowercases, normalises numbers,
//!   keeps `?`, `!` and quotation marks, and stems words.
//! * [`Analyzer`] turns tokens into feature terms: word n-grams over the normalised tokens and,
//!   optionally, character n-grams inside each word.
//!
//! An analyzer is built from an [`AnalyzerConfig`], which is plain data stored in model files, so
//! a loaded model analyses text exactly as it did when it was trained.

mod paragraph;
mod role;
mod sentiment;
mod stem;
mod tokenize;

pub use paragraph::{
    paragraphs, OwnedParagraph, Paragraph, ParagraphReader, Paragraphs, Replacements, Utf8Error,
};
pub use role::{paragraph_role, paragraph_roles, Role};
pub use sentiment::{for_each_cue, CueToken, SENTIMENT_TERMS};
pub use stem::{Language, Stemmer};
pub use tokenize::{
    lower_into, normalize_into, segment, tokenize, Span, Token, TokenKind, Tokens, NUMBER,
};

use serde::{Deserialize, Serialize};

use crate::error::TextError;

/// Prefix of character n-gram terms, so that they can never collide with word n-grams (a word
/// token never holds a control character).
pub const CHAR_GRAM_PREFIX: char = '\u{1}';

/// Prefix of the analyzer's own pseudo-terms (target placeholders, context, rhetoric cues).
pub const SPECIAL_PREFIX: char = '\u{2}';
/// Token that replaces a mention of the record's stance target (`target_mask`).
pub const TARGET_TOKEN: &str = "\u{2}target";
/// Emitted for every word written in capitals (two letters or more) (`rhetoric`).
pub const CAPS_TERM: &str = "\u{2}caps";
/// Emitted for every intensifier of [`INTENSIFIERS`] (`rhetoric`).
pub const INTENSIFIER_TERM: &str = "\u{2}intensifier";
/// Emitted for every second-person pronoun (`rhetoric`).
pub const YOU_TERM: &str = "\u{2}you";

/// English intensifiers and absolutes, whose density marks loaded and exaggerated writing
/// (lowercased; matched before stemming).
pub const INTENSIFIERS: &[&str] = &[
    "absolutely",
    "always",
    "completely",
    "deeply",
    "definitely",
    "enormous",
    "entirely",
    "extremely",
    "highly",
    "hugely",
    "incredibly",
    "massive",
    "never",
    "outrageous",
    "particularly",
    "really",
    "so",
    "totally",
    "truly",
    "utterly",
    "very",
];

/// Second-person pronouns (lowercased).
pub const SECOND_PERSON: &[&str] = &["you", "your", "yours", "yourself", "yourselves", "y'all"];

/// Largest word n-gram size accepted.
pub const MAX_WORD_NGRAM: usize = 6;
/// Largest character n-gram size accepted.
pub const MAX_CHAR_NGRAM: usize = 10;
/// Largest target context window accepted.
pub const MAX_TARGET_WINDOW: usize = 20;

/// Settings of the text stage.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `language` | `english` | Snowball stemmer, or `none` | any of [`Language::NAMES`] |
/// | `word_ngrams` | `(1, 2)` | sizes of word n-grams | `1 <= min <= max <= 6` |
/// | `char_ngrams` | `None` | sizes of character n-grams inside words | `1 <= min <= max <= 10` |
/// | `target_mask` | off | mentions of the stance target become one placeholder token | |
/// | `target_window` | 0 | side-tagged context words around target mentions | `<= 20` |
/// | `rhetoric` | off | capitals, intensifiers and second person as pseudo-terms | |
/// | `sentiment` | off | polarity of sentiment-lexicon words as pseudo-terms (English) | |
///
/// # Errors
/// [`AnalyzerParams::check`] returns [`TextError::BadNgramRange`] or
/// [`TextError::NgramTooLong`] for a bad range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerParams {
    /// Stemming language.
    pub language: Language,
    /// Inclusive range of word n-gram sizes.
    pub word_ngrams: (usize, usize),
    /// Inclusive range of character n-gram sizes, or `None` for no character n-grams.
    pub char_ngrams: Option<(usize, usize)>,
    /// Replace mentions of the record's stance target by [`TARGET_TOKEN`] in word n-grams.
    pub target_mask: bool,
    /// Words up to this many tokens before / after a target mention also give the terms
    /// `⟨left⟩word` / `⟨right⟩word` (0: off).
    pub target_window: usize,
    /// Rhetoric cues as pseudo-terms: words in capitals, intensifiers, second person.
    pub rhetoric: bool,
    /// Sentiment cues as pseudo-terms: every word of the VADER sentiment lexicon gives one of
    /// [`SENTIMENT_TERMS`] by its polarity, flipped after a negator; with `target_window`, the
    /// cues near a target mention are also side-tagged (`⟨left⟩⟨negative⟩`).
    pub sentiment: bool,
}

impl Default for AnalyzerParams {
    fn default() -> Self {
        AnalyzerParams {
            language: Language::English,
            word_ngrams: (1, 2),
            char_ngrams: None,
            target_mask: false,
            target_window: 0,
            rhetoric: false,
            sentiment: false,
        }
    }
}

/// Checked analyzer settings: the form stored in model files. Only [`AnalyzerParams::check`]
/// makes one, so an `AnalyzerConfig` always holds valid ranges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyzerConfig(AnalyzerParams);

fn check_range(
    kind: &'static str,
    (min, max): (usize, usize),
    limit: usize,
) -> Result<(), TextError> {
    if min == 0 || min > max {
        return Err(TextError::BadNgramRange { kind, min, max });
    }
    if max > limit {
        return Err(TextError::NgramTooLong { kind, max, limit });
    }
    Ok(())
}

impl AnalyzerParams {
    /// Validates the settings.
    pub fn check(self) -> Result<AnalyzerConfig, TextError> {
        check_range("word", self.word_ngrams, MAX_WORD_NGRAM)?;
        if self.target_window > MAX_TARGET_WINDOW {
            return Err(TextError::TargetWindowTooWide {
                window: self.target_window,
                limit: MAX_TARGET_WINDOW,
            });
        }
        if let Some(range) = self.char_ngrams {
            check_range("char", range, MAX_CHAR_NGRAM)?;
        }
        Ok(AnalyzerConfig(self))
    }
}

impl AnalyzerConfig {
    /// The settings.
    pub fn params(&self) -> &AnalyzerParams {
        &self.0
    }

    /// Builds the analyzer (creates the stemmer).
    pub fn build(&self) -> Analyzer {
        Analyzer {
            config: self.clone(),
            stemmer: Stemmer::new(self.0.language),
        }
    }

    /// Re-validates a configuration read from a file (model files are checked on load).
    pub(crate) fn revalidate(&self) -> Result<(), TextError> {
        self.0.clone().check().map(|_| ())
    }
}

/// Where a term came from: the tokens it spans (inclusive range of token indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSource {
    /// Index of the first token.
    pub first: usize,
    /// Index of the last token.
    pub last: usize,
}

/// Reusable buffers for [`Analyzer::for_each_term`]; one per thread.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// Tokens of the last analysed text.
    pub tokens: Tokens,
    term: String,
    chars: Vec<char>,
    cues: Vec<CueToken>,
    target: Tokens,
    /// Per token: inside a target mention.
    mention: Vec<bool>,
}

/// Marks the tokens of `toks` that mention `target` (tokenized into `buf`): every occurrence of
/// the target's whole word sequence and, for a multi-word target whose last word is
/// capitalised (a name), every occurrence of that last word alone ("Clinton" for "Hillary
/// Clinton"). Returns whether any token was marked.
fn mark_mentions(
    toks: &Tokens,
    target: &str,
    stemmer: &Stemmer,
    buf: &mut Tokens,
    mention: &mut Vec<bool>,
) -> bool {
    mention.clear();
    mention.resize(toks.len(), false);
    tokenize(target, stemmer, buf);
    let words: Vec<usize> = (0..buf.len())
        .filter(|&i| buf.tokens()[i].kind != TokenKind::Punct)
        .collect();
    if words.is_empty() {
        return false;
    }
    let m = words.len();
    let mut any = false;
    for start in 0..toks.len() {
        if start + m <= toks.len() && (0..m).all(|j| toks.norm(start + j) == buf.norm(words[j])) {
            mention[start..start + m].iter_mut().for_each(|b| *b = true);
            any = true;
        }
    }
    let last = words[m - 1];
    let last_is_name = target[buf.tokens()[last].start..]
        .chars()
        .next()
        .is_some_and(char::is_uppercase);
    if m > 1 && last_is_name {
        for (i, flag) in mention.iter_mut().enumerate().take(toks.len()) {
            if toks.norm(i) == buf.norm(last) {
                *flag = true;
                any = true;
            }
        }
    }
    any
}

/// The side tags of token `i` as context of the target mentions within `w` tokens: a word
/// before a mention is its left context; after one, its right context (or both).
fn context_sides(mention: &[bool], i: usize, w: usize) -> [(&'static str, bool); 2] {
    let before = mention[i + 1..(i + 1 + w).min(mention.len())].contains(&true);
    let after = mention[i.saturating_sub(w)..i].contains(&true);
    [("\u{2}left:", before), ("\u{2}right:", after)]
}

/// Whether a token's original spelling is in capitals (at least two letters, none lowercase).
pub fn is_caps(surface: &str) -> bool {
    let mut letters = 0;
    for c in surface.chars() {
        if c.is_lowercase() {
            return false;
        }
        letters += usize::from(c.is_alphabetic());
    }
    letters >= 2
}

/// Turns text into feature terms. `Send + Sync`: one analyzer serves every thread, each thread
/// bringing its own [`Scratch`].
#[derive(Debug)]
pub struct Analyzer {
    config: AnalyzerConfig,
    stemmer: Stemmer,
}

impl Analyzer {
    /// The configuration this analyzer was built from.
    pub fn config(&self) -> &AnalyzerConfig {
        &self.config
    }

    /// The stemmer.
    pub fn stemmer(&self) -> &Stemmer {
        &self.stemmer
    }

    /// Tokenizes `text` into `tokens`.
    pub fn tokenize(&self, text: &str, tokens: &mut Tokens) {
        tokenize(text, &self.stemmer, tokens);
    }

    /// Calls `f` with every feature term of `text`, in a fixed order: word n-grams by size then
    /// position, then character n-grams by word, size and position. A term may repeat (that is
    /// its term frequency).
    ///
    /// ```
    /// use rhetor::text::AnalyzerParams;
    /// let analyzer = AnalyzerParams::default().check().unwrap().build();
    /// let mut scratch = Default::default();
    /// let mut terms = Vec::new();
    /// analyzer.for_each_term("Taxes rise!", &mut scratch, |t, _| terms.push(t.to_string()));
    /// assert_eq!(terms, ["tax", "rise", "!", "tax rise", "rise !"]);
    /// ```
    pub fn for_each_term(
        &self,
        text: &str,
        scratch: &mut Scratch,
        f: impl FnMut(&str, TermSource),
    ) {
        self.for_each_term_with_target(text, None, scratch, f);
    }

    /// Whether a stance target changes the terms of a text (the target options are on).
    pub fn uses_target(&self) -> bool {
        self.config.0.target_mask || self.config.0.target_window > 0
    }

    /// [`Analyzer::for_each_term`] for a text whose stance is toward `target`: with
    /// `target_mask`, its mentions become [`TARGET_TOKEN`]; with `target_window`, the words
    /// around them also give side-tagged terms. Without a target, or with the target options
    /// off, the terms are those of [`Analyzer::for_each_term`].
    pub fn for_each_term_with_target(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut Scratch,
        mut f: impl FnMut(&str, TermSource),
    ) {
        let params = &self.config.0;
        self.tokenize(text, &mut scratch.tokens);
        let toks = &scratch.tokens;
        let n_tok = toks.len();
        let has_mentions = match target.filter(|_| self.uses_target()) {
            Some(t) => mark_mentions(
                toks,
                t,
                &self.stemmer,
                &mut scratch.target,
                &mut scratch.mention,
            ),
            None => false,
        };
        let mention = &scratch.mention;
        let masked = |i: usize| has_mentions && params.target_mask && mention[i];
        let norm = |i: usize| {
            if masked(i) {
                TARGET_TOKEN
            } else {
                toks.norm(i)
            }
        };
        let (wmin, wmax) = params.word_ngrams;
        for n in wmin..=wmax.min(n_tok) {
            for first in 0..=(n_tok - n) {
                let term = &mut scratch.term;
                term.clear();
                for i in first..first + n {
                    if i > first {
                        term.push(' ');
                    }
                    term.push_str(norm(i));
                }
                f(
                    term,
                    TermSource {
                        first,
                        last: first + n - 1,
                    },
                );
            }
        }
        if has_mentions && params.target_window > 0 {
            let w = params.target_window;
            for i in (0..n_tok).filter(|&i| !mention[i]) {
                let source = TermSource { first: i, last: i };
                for (side, yes) in context_sides(mention, i, w) {
                    if yes {
                        let term = &mut scratch.term;
                        term.clear();
                        term.push_str(side);
                        term.push_str(toks.norm(i));
                        f(term, source);
                    }
                }
            }
        }
        if params.rhetoric {
            for (i, tok) in toks.tokens().iter().enumerate() {
                if tok.kind != TokenKind::Word {
                    continue;
                }
                let source = TermSource { first: i, last: i };
                if is_caps(&text[tok.start..tok.end]) {
                    f(CAPS_TERM, source);
                }
                let lower = toks.lower(i);
                if INTENSIFIERS.contains(&lower) {
                    f(INTENSIFIER_TERM, source);
                }
                if SECOND_PERSON.contains(&lower) {
                    f(YOU_TERM, source);
                }
            }
        }
        if params.sentiment {
            let cues = &mut scratch.cues;
            cues.clear();
            cues.extend(toks.tokens().iter().enumerate().map(|(i, tok)| {
                if tok.kind == TokenKind::Word {
                    CueToken::of_word(toks.lower(i))
                } else {
                    CueToken::default()
                }
            }));
            let window = if has_mentions {
                params.target_window
            } else {
                0
            };
            let term = &mut scratch.term;
            for_each_cue(cues, |i, bin| {
                let source = TermSource { first: i, last: i };
                f(SENTIMENT_TERMS[bin], source);
                if window == 0 || mention[i] {
                    return;
                }
                for (side, yes) in context_sides(mention, i, window) {
                    if yes {
                        term.clear();
                        term.push_str(side);
                        term.push_str(SENTIMENT_TERMS[bin]);
                        f(term, source);
                    }
                }
            });
        }
        let Some(range) = params.char_ngrams else {
            return;
        };
        for (i, tok) in toks.tokens().iter().enumerate() {
            if tok.kind != TokenKind::Word || masked(i) {
                continue;
            }
            let source = TermSource { first: i, last: i };
            for_each_char_gram(
                toks.lower(i),
                range,
                &mut scratch.chars,
                &mut scratch.term,
                |t| f(t, source),
            );
        }
    }
}

/// Calls `f` with the character n-grams of one lowercased word, prefixed with
/// [`CHAR_GRAM_PREFIX`]: like scikit-learn's `char_wb`, the word padded with one space on each
/// side, sizes `min..=max`; a padded word shorter than n yields itself once.
pub fn for_each_char_gram(
    lower: &str,
    (min, max): (usize, usize),
    chars: &mut Vec<char>,
    term: &mut String,
    mut f: impl FnMut(&str),
) {
    chars.clear();
    chars.push(' ');
    chars.extend(lower.chars());
    chars.push(' ');
    for n in min..=max {
        let windows = if chars.len() <= n {
            1
        } else {
            chars.len() - n + 1
        };
        for start in 0..windows {
            term.clear();
            term.push(CHAR_GRAM_PREFIX);
            term.extend(&chars[start..(start + n).min(chars.len())]);
            f(term);
        }
        if chars.len() <= n {
            break;
        }
    }
}

/// A term as a person reads it: character n-grams lose their internal prefix and are shown
/// between brackets with `_` for the word boundary (`[_tax]`); pseudo-terms are shown in angle
/// brackets (`⟨target⟩ said`, `⟨left⟩prais`, `⟨caps⟩`, `⟨left⟩⟨negative⟩`).
pub fn display_term(term: &str) -> String {
    if let Some(gram) = term.strip_prefix(CHAR_GRAM_PREFIX) {
        return format!("[{}]", gram.replace(' ', "_"));
    }
    term.split(' ')
        .map(|part| match part.strip_prefix(SPECIAL_PREFIX) {
            Some(special) => match special.split_once(':') {
                Some((side, word)) => match word.strip_prefix(SPECIAL_PREFIX) {
                    Some(cue) => format!("⟨{side}⟩⟨{cue}⟩"),
                    None => format!("⟨{side}⟩{word}"),
                },
                None => format!("⟨{special}⟩"),
            },
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(params: AnalyzerParams, text: &str) -> Vec<String> {
        let analyzer = params.check().unwrap().build();
        let mut out = Vec::new();
        analyzer.for_each_term(text, &mut Scratch::default(), |t, _| {
            out.push(display_term(t))
        });
        out
    }

    #[test]
    fn word_ngram_table() {
        let cases: &[((usize, usize), &str, &[&str])] = &[
            ((1, 1), "", &[]),
            ((1, 3), "a", &["a"]),
            (
                (1, 2),
                "Cats chase mice",
                &["cat", "chase", "mice", "cat chase", "chase mice"],
            ),
            (
                (2, 3),
                "one two three",
                &["one two", "two three", "one two three"],
            ),
            ((3, 3), "one two", &[]),
        ];
        for (range, text, expected) in cases {
            let params = AnalyzerParams {
                word_ngrams: *range,
                ..AnalyzerParams::default()
            };
            assert_eq!(
                terms(params, text),
                *expected,
                "word n-grams {range:?} of {text:?}"
            );
        }
    }

    #[test]
    fn char_ngrams_match_sklearn_char_wb() {
        // scikit-learn 1.9.1: TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3))
        // .build_analyzer()("ab cde") gives these grams in this order per word.
        let params = AnalyzerParams {
            word_ngrams: (1, 1),
            char_ngrams: Some((2, 3)),
            language: Language::None,
            ..AnalyzerParams::default()
        };
        assert_eq!(
            terms(params, "ab cde"),
            [
                "ab", "cde", "[_a]", "[ab]", "[b_]", "[_ab]", "[ab_]", "[_c]", "[cd]", "[de]",
                "[e_]", "[_cd]", "[cde]", "[de_]"
            ]
        );
        let params = AnalyzerParams {
            word_ngrams: (1, 1),
            char_ngrams: Some((4, 5)),
            language: Language::None,
            ..AnalyzerParams::default()
        };
        // " a " is shorter than 4: yielded once, then the larger sizes are skipped.
        assert_eq!(terms(params, "a"), ["a", "[_a_]"]);
    }

    #[test]
    fn term_sources_point_at_tokens() {
        let analyzer = AnalyzerParams::default().check().unwrap().build();
        let mut got = Vec::new();
        analyzer.for_each_term("big bad wolf", &mut Scratch::default(), |t, s| {
            got.push((t.to_string(), s.first, s.last))
        });
        assert_eq!(got[3], ("big bad".to_string(), 0, 1));
        assert_eq!(got[4], ("bad wolf".to_string(), 1, 2));
    }

    #[test]
    fn bad_ranges_are_typed_errors() {
        let cases = [
            (
                (0, 2),
                None,
                "word n-gram range must satisfy 1 <= min <= max (got min = 0, max = 2)",
            ),
            (
                (3, 2),
                None,
                "word n-gram range must satisfy 1 <= min <= max (got min = 3, max = 2)",
            ),
            (
                (1, 7),
                None,
                "word n-gram size 7 is larger than the supported maximum 6",
            ),
            (
                (1, 1),
                Some((5, 2)),
                "char n-gram range must satisfy 1 <= min <= max (got min = 5, max = 2)",
            ),
            (
                (1, 1),
                Some((1, 11)),
                "char n-gram size 11 is larger than the supported maximum 10",
            ),
        ];
        for (word, chars, message) in cases {
            let params = AnalyzerParams {
                word_ngrams: word,
                char_ngrams: chars,
                ..AnalyzerParams::default()
            };
            let err = params.check().unwrap_err();
            assert_eq!(err.to_string(), message);
        }
    }

    fn terms_with_target(params: AnalyzerParams, text: &str, target: Option<&str>) -> Vec<String> {
        let analyzer = params.check().unwrap().build();
        let mut out = Vec::new();
        analyzer.for_each_term_with_target(text, target, &mut Scratch::default(), |t, _| {
            out.push(display_term(t))
        });
        out
    }

    #[test]
    fn target_mentions_are_masked_and_give_context() {
        let params = AnalyzerParams {
            word_ngrams: (1, 2),
            target_mask: true,
            target_window: 1,
            ..AnalyzerParams::default()
        };
        // (text, target, expected terms)
        let cases: &[(&str, Option<&str>, &[&str])] = &[
            (
                "Critics slammed Clinton today",
                Some("Hillary Clinton"),
                &[
                    "critic",
                    "slam",
                    "⟨target⟩",
                    "today",
                    "critic slam",
                    "slam ⟨target⟩",
                    "⟨target⟩ today",
                    "⟨left⟩slam",
                    "⟨right⟩today",
                ],
            ),
            (
                "Hillary Clinton won",
                Some("Hillary Clinton"),
                &[
                    "⟨target⟩",
                    "⟨target⟩",
                    "won",
                    "⟨target⟩ ⟨target⟩",
                    "⟨target⟩ won",
                    "⟨right⟩won",
                ],
            ),
            // No mention, or no target: the plain terms.
            (
                "Voters won",
                Some("Hillary Clinton"),
                &["voter", "won", "voter won"],
            ),
            ("Clinton won", None, &["clinton", "won", "clinton won"]),
            // A lowercase last word is not taken for a name...
            (
                "the abortion law",
                Some("legalization of abortion"),
                &["the", "abort", "law", "the abort", "abort law"],
            ),
            // ...a capitalised one is, title-case topics included.
            (
                "the abortion law",
                Some("Legalization of Abortion"),
                &[
                    "the",
                    "⟨target⟩",
                    "law",
                    "the ⟨target⟩",
                    "⟨target⟩ law",
                    "⟨left⟩the",
                    "⟨right⟩law",
                ],
            ),
        ];
        for (text, target, expected) in cases {
            assert_eq!(
                terms_with_target(params.clone(), text, *target),
                *expected,
                "{text:?} / {target:?}"
            );
        }
        // With the options off, a target changes nothing.
        assert_eq!(
            terms_with_target(
                AnalyzerParams::default(),
                "Critics slammed Clinton",
                Some("Clinton")
            ),
            terms_with_target(AnalyzerParams::default(), "Critics slammed Clinton", None)
        );
    }

    #[test]
    fn rhetoric_cues_table() {
        let params = AnalyzerParams {
            word_ngrams: (1, 1),
            rhetoric: true,
            ..AnalyzerParams::default()
        };
        let cases: &[(&str, &[&str])] = &[
            (
                "You are TOTALLY WRONG",
                &[
                    "you",
                    "are",
                    "total",
                    "wrong",
                    "⟨you⟩",
                    "⟨caps⟩",
                    "⟨intensifier⟩",
                    "⟨caps⟩",
                ],
            ),
            ("A US plan", &["a", "us", "plan", "⟨caps⟩"]),
            ("I said no", &["i", "said", "no"]),
        ];
        for (text, expected) in cases {
            assert_eq!(terms(params.clone(), text), *expected, "{text:?}");
        }
        assert!(
            is_caps("NATO")
                && is_caps("U.S")
                && !is_caps("I")
                && !is_caps("Nato")
                && !is_caps("2024")
        );
    }

    #[test]
    fn sentiment_cues_table() {
        let plain = AnalyzerParams {
            word_ngrams: (1, 1),
            sentiment: true,
            ..AnalyzerParams::default()
        };
        let near_target = AnalyzerParams {
            target_mask: true,
            target_window: 2,
            ..plain.clone()
        };
        // (settings, text, target, expected terms)
        let cases: &[(&AnalyzerParams, &str, Option<&str>, &[&str])] = &[
            (
                &plain,
                "A GREAT plan, not a good one",
                None,
                &[
                    "a",
                    "great",
                    "plan",
                    "not",
                    "a",
                    "good",
                    "one",
                    "⟨very-positive⟩",
                    "⟨negative⟩",
                ],
            ),
            (&plain, "The table", None, &["the", "tabl"]),
            // Near a mention, a cue is side-tagged as well; far from one, it is not.
            (
                &near_target,
                "Brave Smith hates taxes and the awful weather",
                Some("Smith"),
                &[
                    "brave",
                    "⟨target⟩",
                    "hate",
                    "tax",
                    "and",
                    "the",
                    "aw",
                    "weather",
                    "⟨left⟩brave",
                    "⟨right⟩hate",
                    "⟨right⟩tax",
                    "⟨very-positive⟩",
                    "⟨left⟩⟨very-positive⟩",
                    "⟨negative⟩",
                    "⟨right⟩⟨negative⟩",
                    "⟨very-negative⟩",
                ],
            ),
        ];
        for (params, text, target, expected) in cases {
            assert_eq!(
                terms_with_target((*params).clone(), text, *target),
                *expected,
                "{text:?} / {target:?}"
            );
        }
    }

    #[test]
    fn analyzer_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Analyzer>();
        assert_send_sync::<AnalyzerConfig>();
    }
}
