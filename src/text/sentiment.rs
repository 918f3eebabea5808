//! Sentiment cues: words of the VADER sentiment lexicon (Hutto & Gilbert 2014, MIT licence;
//! `lexicon/vader.tsv`) as pseudo-terms, one of four polarity bins per word, flipped when a
//! negator comes shortly before.
//!
//! N-grams learn the polarity of the words they saw in training; the lexicon also knows the
//! 7,209 words they did not see, or saw too rarely to weigh. Both the analyzer's term path and
//! the vocabulary's fast path call [`for_each_cue`], so the two agree by construction.
//!
//! The lexicon is compiled into rhetor and belongs to the model format: a model trained with
//! sentiment cues computes them from this list, so changing the list or the bins needs a new
//! `MODEL_FORMAT_VERSION`.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// The lexicon: comment lines start with `#`, entries are `word<TAB>valence`.
const LEXICON_TSV: &str = include_str!("lexicon/vader.tsv");

/// The polarity bins' pseudo-terms, indexed by [`sentiment_bin`]: valence ≤ −2, below 0,
/// below 2, and ≥ 2 (the lexicon's scale runs from −4 to +4).
pub const SENTIMENT_TERMS: [&str; 4] = [
    "\u{2}very-negative",
    "\u{2}negative",
    "\u{2}positive",
    "\u{2}very-positive",
];

/// How far a negator reaches: the next this many words (VADER's rule).
pub const NEGATION_SCOPE: u32 = 3;

/// A negated word's valence is multiplied by minus this (VADER's `N_SCALAR`).
const NEGATION_SCALAR: f32 = 0.74;

/// Negators (lowercased) besides any word ending in `n't`: VADER's list without its
/// apostrophe forms.
const NEGATORS: &[&str] = &[
    "aint", "arent", "cannot", "cant", "couldnt", "darent", "despite", "didnt", "doesnt", "dont",
    "hadnt", "hasnt", "havent", "isnt", "mightnt", "mustnt", "neednt", "neither", "never", "none",
    "nope", "nor", "not", "nothing", "nowhere", "oughtnt", "rarely", "seldom", "shant", "shouldnt",
    "wasnt", "werent", "without", "wont", "wouldnt",
];

fn lexicon() -> &'static FxHashMap<&'static str, i8> {
    static LEXICON: OnceLock<FxHashMap<&'static str, i8>> = OnceLock::new();
    LEXICON.get_or_init(|| {
        LEXICON_TSV
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (word, value) = l.split_once('\t')?;
                let value: f32 = value.parse().ok()?;
                Some((word, (value * 10.0).round() as i8))
            })
            .collect()
    })
}

/// The lexicon valence of a lowercased word in tenths (−40 to +40), or 0 when the word is not
/// in the lexicon.
pub fn valence_tenths(lower: &str) -> i8 {
    lexicon().get(lower).copied().unwrap_or(0)
}

/// Whether a lowercased word negates the words after it.
pub fn is_negator(lower: &str) -> bool {
    lower.ends_with("n't") || lower.ends_with("n\u{2019}t") || NEGATORS.contains(&lower)
}

/// The valence of a word (in tenths, from [`valence_tenths`]) in its place: flipped and damped
/// when negated; `None` for 0 (not in the lexicon).
pub fn valence(tenths: i8, negated: bool) -> Option<f32> {
    if tenths == 0 {
        return None;
    }
    let v = f32::from(tenths) / 10.0;
    Some(if negated { v * -NEGATION_SCALAR } else { v })
}

/// The bin of [`SENTIMENT_TERMS`] of a valence (as [`valence`] gives it).
pub fn sentiment_bin(v: f32) -> usize {
    if v <= -2.0 {
        0
    } else if v < 0.0 {
        1
    } else if v < 2.0 {
        2
    } else {
        3
    }
}

/// What the cues need to know of one token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CueToken {
    /// A word (numbers and punctuation neither carry valence nor count towards the scope).
    pub word: bool,
    /// [`valence_tenths`] of its lowercased form.
    pub tenths: i8,
    /// [`is_negator`] of its lowercased form.
    pub negator: bool,
}

impl CueToken {
    /// The token of a lowercased word.
    pub fn of_word(lower: &str) -> CueToken {
        CueToken {
            word: true,
            tenths: valence_tenths(lower),
            negator: is_negator(lower),
        }
    }
}

/// Calls `f(i, bin, v)` for every token `i` in the lexicon, with its valence `v` (−4 to +4),
/// negated when one of the [`NEGATION_SCOPE`] words before it is a negator, and the bin of
/// [`SENTIMENT_TERMS`] of that valence.
pub fn for_each_cue(tokens: &[CueToken], mut f: impl FnMut(usize, usize, f32)) {
    // Words since the last negator (saturating; large when there was none).
    let mut since = u32::MAX;
    for (i, t) in tokens.iter().enumerate() {
        if !t.word {
            continue;
        }
        since = since.saturating_add(1);
        if let Some(v) = valence(t.tenths, since <= NEGATION_SCOPE) {
            f(i, sentiment_bin(v), v);
        }
        if t.negator {
            since = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(words: &str) -> Vec<(usize, &'static str)> {
        let tokens: Vec<CueToken> = words.split(' ').map(CueToken::of_word).collect();
        let mut out = Vec::new();
        for_each_cue(&tokens, |i, bin, _| {
            out.push((i, &SENTIMENT_TERMS[bin][1..]))
        });
        out
    }

    #[test]
    fn lexicon_loads_every_entry() {
        let entries = LEXICON_TSV
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .count();
        assert_eq!(entries, 7209);
        assert_eq!(
            lexicon().len(),
            entries,
            "no word twice, every value parsed"
        );
        assert!(lexicon()
            .values()
            .all(|v| *v != 0 && (-40..=40).contains(v)));
    }

    #[test]
    fn bins_and_negation_table() {
        // (words, expected (token, bin) pairs)
        let table: &[(&str, &[(usize, &str)])] = &[
            ("a good plan", &[(1, "positive")]),
            ("a great plan", &[(1, "very-positive")]),
            ("a weak plan", &[(1, "negative")]),
            ("a terrible plan", &[(1, "very-negative")]),
            ("not a good plan", &[(2, "negative")]),
            ("not a great plan", &[(2, "very-negative")]),
            ("isn't weak", &[(1, "positive")]),
            ("isn\u{2019}t weak", &[(1, "positive")]),
            ("never said that terrible", &[(3, "positive")]),
            ("never said it was terrible", &[(4, "very-negative")]),
            ("the table", &[]),
        ];
        for (words, want) in table {
            assert_eq!(cues(words), *want, "{words:?}");
        }
    }

    #[test]
    fn non_words_are_outside_the_scope() {
        let mut tokens: Vec<CueToken> = "not good".split(' ').map(CueToken::of_word).collect();
        tokens.insert(1, CueToken::default());
        tokens.insert(1, CueToken::default());
        tokens.insert(1, CueToken::default());
        let mut out = Vec::new();
        for_each_cue(&tokens, |i, bin, _| out.push((i, bin)));
        assert_eq!(
            out,
            [(4, 1)],
            "punctuation does not use up the negator's reach"
        );
    }
}
