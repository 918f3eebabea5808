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

mod categories;
mod embed;
pub mod encoder;
mod paragraph;
mod role;
mod sentiment;
mod stem;
mod tokenize;

pub use categories::{categories, to_shares, Categories, CATEGORY_TERM};
pub use embed::{embeddings, Embeddings, EMBEDDING_DIM};
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

/// Prefix of the term naming the whole target (`target_identity`).
pub const TARGET_IS: &str = "\u{2}target-is:";
/// Prefix of the term naming the target's last word (`target_identity`).
pub const TARGET_LAST: &str = "\u{2}target-last:";
/// Prefix of a context term before its nearest target mention (`target_context`).
pub const NEAR_LEFT: &str = "\u{2}near-left:";
/// Prefix of a context term after its nearest target mention (`target_context`).
pub const NEAR_RIGHT: &str = "\u{2}near-right:";
/// Context term of positive lexicon words near the target (`target_context` with `sentiment`).
pub const NEAR_POSITIVE: &str = "\u{2}near:\u{2}positive";
/// Context term of negative lexicon words near the target (`target_context` with `sentiment`).
pub const NEAR_NEGATIVE: &str = "\u{2}near:\u{2}negative";

/// Second-person pronouns (lowercased).
pub const SECOND_PERSON: &[&str] = &["you", "your", "yours", "yourself", "yourselves", "y'all"];

/// Largest word n-gram size accepted.
pub const MAX_WORD_NGRAM: usize = 6;
/// Largest character n-gram size accepted.
pub const MAX_CHAR_NGRAM: usize = 10;
/// Largest target context window accepted.
pub const MAX_TARGET_WINDOW: usize = 20;
/// Largest norm of the embedding blocks accepted.
pub const MAX_EMBEDDING_NORM: f32 = 10.0;
/// Tokens before and after a target mention whose pieces make the side embeddings.
pub const EMBEDDING_WINDOW: usize = 6;

/// The feature blocks of the subword embeddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingBlock {
    /// The whole text.
    Text = 0,
    /// The tokens before a target mention.
    Left = 1,
    /// The tokens after a target mention.
    Right = 2,
}

impl EmbeddingBlock {
    /// Every block, in feature order.
    pub const ALL: [EmbeddingBlock; 3] = [
        EmbeddingBlock::Text,
        EmbeddingBlock::Left,
        EmbeddingBlock::Right,
    ];

    /// The pseudo-term that names the block in explanations.
    pub fn term(self) -> &'static str {
        match self {
            EmbeddingBlock::Text => "\u{2}embedding",
            EmbeddingBlock::Left => "\u{2}left-embedding",
            EmbeddingBlock::Right => "\u{2}right-embedding",
        }
    }
}

/// What [`Analyzer::analyze`] finds in a text, handed over as it goes.
pub trait Sink {
    /// A counted term: word or character n-gram, cue, target term.
    fn term(&mut self, term: &str, source: TermSource);
    /// A weighted target-context term (`target_context`).
    fn context(&mut self, _term: &str, _weight: f32, _source: TermSource) {}
    /// A word piece (its id in [`embeddings`]) of a token, for one embedding block
    /// (`embeddings`).
    fn piece(&mut self, _block: EmbeddingBlock, _piece: u32, _source: TermSource) {}
    /// Each word category's share of the text's words (`lexicon`; [`Categories::shares`]),
    /// once per text.
    fn category_shares(&mut self, _shares: &[f32]) {}
}

/// A [`Sink`] that takes counted terms only.
struct TermsOnly<F>(F);

impl<F: FnMut(&str, TermSource)> Sink for TermsOnly<F> {
    fn term(&mut self, term: &str, source: TermSource) {
        (self.0)(term, source)
    }
}

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
/// | `target_identity` | off | the target's words as pseudo-terms | |
/// | `target_context` | off | distance-weighted context of target mentions (own feature block) | |
/// | `embeddings` | 0 (off) | norm of the subword embedding blocks | `0 <= x <= 10` |
/// | `encoder` | 0 (off) | norm of the sentence encoder block | `0 <= x <= 10` |
/// | `encoder_target` | off | the encoder block also pools the target's mentions | |
/// | `lexicon` | 0 (off) | norm of the word-category block (English) | `0 <= x <= 10` |
///
/// # Errors
/// [`AnalyzerParams::check`] returns [`TextError::BadNgramRange`] or
/// [`TextError::NgramTooLong`] for a bad range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// Who the target is: two terms per record with a target, [`TARGET_IS`] followed by the
    /// target's words and [`TARGET_LAST`] followed by its last word (`⟨target-is⟩donald
    /// trump`, `⟨target-last⟩trump`), so a model can learn how the people and things it sees
    /// again tend to be written about.
    pub target_identity: bool,
    /// The context of the target mentions, weighted by distance: every other token of the text
    /// gives a context term ([`NEAR_LEFT`] or [`NEAR_RIGHT`] followed by the token, by the side
    /// of its nearest mention) weighing `1 / d` at `d` tokens from that mention; with
    /// `sentiment`, every lexicon word also adds `|valence| / 4 · 1 / d` to [`NEAR_POSITIVE`] or
    /// [`NEAR_NEGATIVE`]. These terms form a feature block of their own
    /// ([`crate::features`]: no IDF, their own norm).
    pub target_context: bool,
    /// Subword embeddings ([`embeddings`]): the word pieces of every token give the text's mean
    /// embedding and, when the target options are on, the mean embeddings of the
    /// [`EMBEDDING_WINDOW`] tokens before and after the target mentions. Each is a feature
    /// block of [`EMBEDDING_DIM`] dimensions scaled to this L2 norm (0: no embeddings).
    pub embeddings: f32,
    /// The text's vector from a contextual sentence encoder ([`encoder::Encoder`], which the
    /// model file then carries): a feature block of the encoder's dimensions scaled to this L2
    /// norm (0: no encoder block). The analyzer itself does not compute it: the feature stage
    /// does, with the encoder it was fitted with.
    pub encoder: f32,
    /// With `encoder`, the block also holds the encoder's vector of the record's target
    /// mentions ([`encoder::Encoder::encode_with_target`]): how the sentence speaks of its
    /// target, not only what it says.
    pub encoder_target: bool,
    /// Word categories ([`categories`]): each category's share of the text's words, a feature
    /// block of [`Categories::len`] dimensions, standardised over the training texts and scaled
    /// to this L2 norm (0: no category block).
    pub lexicon: f32,
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
            target_identity: false,
            target_context: false,
            embeddings: 0.0,
            encoder: 0.0,
            encoder_target: false,
            lexicon: 0.0,
        }
    }
}

/// Checked analyzer settings: the form stored in model files. Only [`AnalyzerParams::check`]
/// makes one, so an `AnalyzerConfig` always holds valid ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
        let norms = [
            ("embedding", self.embeddings),
            ("encoder", self.encoder),
            ("lexicon", self.lexicon),
        ];
        if let Some((block, norm)) = norms
            .into_iter()
            .find(|(_, n)| !(0.0..=MAX_EMBEDDING_NORM).contains(n))
        {
            return Err(TextError::BadBlockNorm {
                block,
                norm: norm.to_string(),
                limit: MAX_EMBEDDING_NORM.to_string(),
            });
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

/// Where a term came from: the tokens it spans (inclusive range of token indices), or
/// [`TermSource::TARGET`] for the terms of the record's target itself (`target_identity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TermSource {
    /// Index of the first token.
    pub first: usize,
    /// Index of the last token.
    pub last: usize,
}

impl TermSource {
    /// The source of terms that describe the record's target rather than a place in its text.
    pub const TARGET: TermSource = TermSource {
        first: usize::MAX,
        last: usize::MAX,
    };

    /// Whether the term comes from tokens of the text (not [`TermSource::TARGET`]).
    pub fn in_text(self) -> bool {
        self != TermSource::TARGET
    }
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
    /// Per token: distance to the nearest target mention, and whether that mention is after it.
    near: Vec<(usize, bool)>,
    piece_key: String,
    /// The word categories' shares of the last analysed text (`lexicon`).
    shares: Vec<f32>,
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
        let p = &self.config.0;
        p.target_mask || p.target_window > 0 || p.target_identity || p.target_context
    }

    /// The embedding blocks of every text (none without `embeddings`; the side blocks only
    /// when the target options are on).
    pub fn embedding_blocks(&self) -> &'static [EmbeddingBlock] {
        match (self.config.0.embeddings > 0.0, self.uses_target()) {
            (false, _) => &[],
            (true, false) => &EmbeddingBlock::ALL[..1],
            (true, true) => &EmbeddingBlock::ALL,
        }
    }

    /// [`Analyzer::for_each_term`] for a text whose stance is toward `target`: with
    /// `target_mask`, its mentions become [`TARGET_TOKEN`]; with `target_window`, the words
    /// around them also give side-tagged terms; with `target_identity`, the target's words give
    /// two terms of their own. Without a target, or with the target options off, the terms are
    /// those of [`Analyzer::for_each_term`]. The weighted context terms of `target_context` are
    /// not among them: [`Analyzer::analyze`] gives both kinds.
    pub fn for_each_term_with_target(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut Scratch,
        f: impl FnMut(&str, TermSource),
    ) {
        self.analyze(text, target, scratch, &mut TermsOnly(f));
    }

    /// Everything the features of a text toward `target` are made of, handed to `sink`: the
    /// counted terms of [`Analyzer::for_each_term_with_target`]; with `target_context`, the
    /// weighted context terms of the target mentions, one call per token (the same term may
    /// come several times, and its weights add up); with `embeddings`, the word pieces of each
    /// embedding block.
    pub fn analyze(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut Scratch,
        sink: &mut impl Sink,
    ) {
        let mut f = |term: &str, source: TermSource| sink.term(term, source);
        let params = &self.config.0;
        self.tokenize(text, &mut scratch.tokens);
        let toks = &scratch.tokens;
        let n_tok = toks.len();
        let target = target.filter(|_| self.uses_target());
        let has_mentions = match target {
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
            for_each_cue(cues, |i, bin, _| {
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
        if let Some(range) = params.char_ngrams {
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
        if params.target_identity && target.is_some() {
            // `mark_mentions` left the target's tokens in `scratch.target`.
            let words = &scratch.target;
            let is_word = |i: &usize| words.tokens()[*i].kind == TokenKind::Word;
            let term = &mut scratch.term;
            term.clear();
            term.push_str(TARGET_IS);
            for (k, i) in (0..words.len()).filter(is_word).enumerate() {
                if k > 0 {
                    term.push(' ');
                }
                term.push_str(words.norm(i));
            }
            if term.len() > TARGET_IS.len() {
                f(term, TermSource::TARGET);
                let last = (0..words.len()).rev().find(is_word).expect("a word");
                term.clear();
                term.push_str(TARGET_LAST);
                term.push_str(words.norm(last));
                f(term, TermSource::TARGET);
            }
        }
        if has_mentions && params.target_context {
            self.context_terms(scratch, sink);
        }
        if params.embeddings > 0.0 {
            self.embedding_pieces(text, has_mentions, scratch, sink);
        }
        if params.lexicon > 0.0 {
            let toks = &scratch.tokens;
            let words = (0..toks.len())
                .filter(|&i| toks.tokens()[i].kind == TokenKind::Word)
                .map(|i| toks.lower(i));
            categories().shares(words, &mut scratch.shares);
            sink.category_shares(&scratch.shares);
        }
    }

    /// The word pieces of every token for the text's embedding block and, near target
    /// mentions, for the side blocks.
    fn embedding_pieces(
        &self,
        text: &str,
        has_mentions: bool,
        scratch: &mut Scratch,
        sink: &mut impl Sink,
    ) {
        let table = embeddings();
        let toks = &scratch.tokens;
        let mention = &scratch.mention;
        for (i, tok) in toks.tokens().iter().enumerate() {
            let source = TermSource { first: i, last: i };
            let [(_, left), (_, right)] = if has_mentions && !mention[i] {
                context_sides(mention, i, EMBEDDING_WINDOW)
            } else {
                [("", false), ("", false)]
            };
            table.for_each_piece(
                &text[tok.start..tok.end],
                &mut scratch.term,
                &mut scratch.piece_key,
                |piece| {
                    sink.piece(EmbeddingBlock::Text, piece, source);
                    if left {
                        sink.piece(EmbeddingBlock::Left, piece, source);
                    }
                    if right {
                        sink.piece(EmbeddingBlock::Right, piece, source);
                    }
                },
            );
        }
    }

    /// The weighted context terms of the target mentions marked in `scratch.mention`, for the
    /// text whose tokens are in `scratch.tokens` (see [`AnalyzerParams::target_context`]).
    fn context_terms(&self, scratch: &mut Scratch, sink: &mut impl Sink) {
        let toks = &scratch.tokens;
        let mention = &scratch.mention;
        // Distance to the nearest mention and whether it is to the right (the token is left
        // context), by one pass each way; a tie counts as left context.
        let n = toks.len();
        let near = &mut scratch.near;
        near.clear();
        near.resize(n, (usize::MAX, false));
        let mut last = None;
        for i in (0..n).rev() {
            if mention[i] {
                last = Some(i);
            } else if let Some(m) = last {
                near[i] = (m - i, true);
            }
        }
        let mut last = None;
        for i in 0..n {
            if mention[i] {
                last = Some(i);
            } else if let Some(m) = last {
                if i - m < near[i].0 {
                    near[i] = (i - m, false);
                }
            }
        }
        let term = &mut scratch.term;
        for (i, &(d, left)) in near.iter().enumerate() {
            if mention[i] || d == usize::MAX {
                continue;
            }
            term.clear();
            term.push_str(if left { NEAR_LEFT } else { NEAR_RIGHT });
            term.push_str(toks.norm(i));
            sink.context(term, 1.0 / d as f32, TermSource { first: i, last: i });
        }
        if !self.config.0.sentiment {
            return;
        }
        // The sentiment cues of the same text: `analyze` has just filled `scratch.cues`.
        debug_assert_eq!(scratch.cues.len(), n);
        for_each_cue(&scratch.cues, |i, _, v| {
            let d = near[i].0;
            if mention[i] || d == usize::MAX {
                return;
            }
            let term = if v > 0.0 {
                NEAR_POSITIVE
            } else {
                NEAR_NEGATIVE
            };
            sink.context(
                term,
                v.abs() / 4.0 / d as f32,
                TermSource { first: i, last: i },
            );
        });
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
        // (embedding norm, message)
        for (norm, message) in [
            (-0.5, "the embedding norm -0.5 is outside 0..=10"),
            (11.0, "the embedding norm 11 is outside 0..=10"),
            (f32::NAN, "the embedding norm NaN is outside 0..=10"),
        ] {
            let params = AnalyzerParams {
                embeddings: norm,
                ..AnalyzerParams::default()
            };
            assert_eq!(params.check().unwrap_err().to_string(), message);
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

    /// The counted terms and the weighted context terms of a text toward a target.
    #[derive(Default)]
    struct Collect {
        terms: Vec<String>,
        context: Vec<(String, f32)>,
        pieces: Vec<(EmbeddingBlock, u32, usize)>,
    }

    impl Sink for Collect {
        fn term(&mut self, term: &str, _: TermSource) {
            self.terms.push(display_term(term));
        }
        fn context(&mut self, term: &str, weight: f32, _: TermSource) {
            self.context.push((display_term(term), weight));
        }
        fn piece(&mut self, block: EmbeddingBlock, piece: u32, source: TermSource) {
            self.pieces.push((block, piece, source.first));
        }
    }

    fn collect(params: AnalyzerParams, text: &str, target: Option<&str>) -> Collect {
        let analyzer = params.check().unwrap().build();
        let mut out = Collect::default();
        analyzer.analyze(text, target, &mut Scratch::default(), &mut out);
        out
    }

    /// The counted terms and the weighted context terms of a text toward a target.
    fn analyzed(
        params: AnalyzerParams,
        text: &str,
        target: &str,
    ) -> (Vec<String>, Vec<(String, f32)>) {
        let c = collect(params, text, Some(target));
        (c.terms, c.context)
    }

    #[test]
    fn embedding_pieces_cover_the_text_and_the_target_sides() {
        let params = AnalyzerParams {
            word_ngrams: (1, 1),
            target_mask: true,
            embeddings: 0.5,
            ..AnalyzerParams::default()
        };
        let table = embeddings();
        let id = |p: &str| table.id(p).unwrap();
        // "Critics slammed Clinton's plan": the text block has every piece; the mention
        // ("clinton") is in no side block; "critics", "slammed" are before it, "'s plan" after.
        let c = collect(
            params.clone(),
            "Critics slammed Clinton's plan",
            Some("Clinton"),
        );
        let of = |b: EmbeddingBlock| -> Vec<(u32, usize)> {
            c.pieces
                .iter()
                .filter(|p| p.0 == b)
                .map(|p| (p.1, p.2))
                .collect()
        };
        let text = of(EmbeddingBlock::Text);
        assert_eq!(text.first(), Some(&(id("critics"), 0)));
        assert!(text.contains(&(id("clinton"), 2)));
        assert_eq!(
            of(EmbeddingBlock::Left),
            [(id("critics"), 0), (id("slammed"), 1)]
        );
        assert_eq!(of(EmbeddingBlock::Right).last(), Some(&(id("plan"), 3)));
        assert!(!of(EmbeddingBlock::Right).iter().any(|p| p.1 == 2));
        // Without a target, the text block only.
        let c = collect(params, "Critics slammed Clinton's plan", None);
        assert!(c.pieces.iter().all(|p| p.0 == EmbeddingBlock::Text));
        assert!(!c.pieces.is_empty());
    }

    #[test]
    fn target_identity_and_context_table() {
        let params = AnalyzerParams {
            word_ngrams: (1, 1),
            target_mask: true,
            sentiment: true,
            target_identity: true,
            target_context: true,
            ..AnalyzerParams::default()
        };
        // (text, target, counted terms, context terms with their weights)
        type Case<'a> = (&'a str, &'a str, &'a [&'a str], &'a [(&'a str, f32)]);
        let cases: &[Case] = &[
            (
                // Weights 1/d by the side of the nearest mention; lexicon words also add
                // |valence| / 4 / d to the polarity's context term ("critics" −1.2,
                // "great" +3.1).
                "Critics slammed Clinton, a great leader",
                "Hillary Clinton",
                &[
                    "critic",
                    "slam",
                    "⟨target⟩",
                    "a",
                    "great",
                    "leader",
                    "⟨negative⟩",
                    "⟨very-positive⟩",
                    "⟨target-is⟩hillari clinton",
                    "⟨target-last⟩clinton",
                ],
                &[
                    ("⟨near-left⟩critic", 0.5),
                    ("⟨near-left⟩slam", 1.0),
                    ("⟨near-right⟩a", 1.0),
                    ("⟨near-right⟩great", 0.5),
                    ("⟨near-right⟩leader", 1.0 / 3.0),
                    ("⟨near⟩⟨negative⟩", 1.2 / 4.0 / 2.0),
                    ("⟨near⟩⟨positive⟩", 3.1 / 4.0 / 2.0),
                ],
            ),
            (
                // Equally near two mentions: left context of the later one.
                "Clinton and Clinton",
                "Clinton",
                &[
                    "⟨target⟩",
                    "and",
                    "⟨target⟩",
                    "⟨target-is⟩clinton",
                    "⟨target-last⟩clinton",
                ],
                &[("⟨near-left⟩and", 1.0)],
            ),
            (
                // A negated lexicon word counts with its flipped, damped valence.
                "Clinton is not great",
                "Clinton",
                &[
                    "⟨target⟩",
                    "is",
                    "not",
                    "great",
                    "⟨very-negative⟩",
                    "⟨target-is⟩clinton",
                    "⟨target-last⟩clinton",
                ],
                &[
                    ("⟨near-right⟩is", 1.0),
                    ("⟨near-right⟩not", 0.5),
                    ("⟨near-right⟩great", 1.0 / 3.0),
                    ("⟨near⟩⟨negative⟩", 3.1 * 0.74 / 4.0 / 3.0),
                ],
            ),
            // Not mentioned: who the target is, but no context.
            (
                "Voters met",
                "Hillary Clinton",
                &[
                    "voter",
                    "met",
                    "⟨target-is⟩hillari clinton",
                    "⟨target-last⟩clinton",
                ],
                &[],
            ),
            // A target without words has no identity terms.
            ("Voters met", "?", &["voter", "met"], &[]),
        ];
        for (text, target, want_terms, want_context) in cases {
            let (terms, context) = analyzed(params.clone(), text, target);
            assert_eq!(terms, *want_terms, "{text:?} / {target:?}");
            assert_eq!(context.len(), want_context.len(), "{text:?}: {context:?}");
            for ((term, w), (want, want_w)) in context.iter().zip(*want_context) {
                assert_eq!(term, want, "{text:?}");
                assert!(
                    (w - want_w).abs() < 1e-6,
                    "{text:?} {term}: {w} vs {want_w}"
                );
            }
        }
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
