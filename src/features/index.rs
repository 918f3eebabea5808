//! Looking up feature ids fast: by token ids rather than by n-gram strings.
//!
//! A word n-gram term is its tokens' normal forms joined by spaces (normal forms never contain a
//! space). [`TermIndex`] numbers every normal form that occurs in some vocabulary term, and maps
//! unigrams through a table, bigrams through a `u64` key and longer n-grams through their token
//! id sequence. Scoring a paragraph then hashes each token once (and, with the per-thread
//! [`WordCache`], usually hashes only the token's surface form, skipping lowercasing and
//! stemming), instead of building and hashing a string per n-gram.

use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::text::{CueToken, CHAR_GRAM_PREFIX};

/// Marks "no such token / feature".
pub const NONE: u32 = u32::MAX;

static NEXT_INDEX_ID: AtomicU64 = AtomicU64::new(1);

/// Feature ids of a vocabulary, keyed by token ids.
#[derive(Debug, Clone)]
pub struct TermIndex {
    /// Distinguishes indexes, so that a [`WordCache`] filled for one is never used for another.
    id: u64,
    tokens: FxHashMap<Box<str>, u32>,
    unigram: Vec<u32>,
    bigram: FxHashMap<u64, u32>,
    longer: FxHashMap<Box<[u32]>, u32>,
    chars: FxHashMap<Box<str>, u32>,
}

fn pair(a: u32, b: u32) -> u64 {
    (u64::from(a) << 32) | u64::from(b)
}

impl TermIndex {
    /// Indexes `terms` (feature id = position).
    pub fn new<'a>(terms: impl IntoIterator<Item = &'a str>) -> TermIndex {
        let mut index = TermIndex {
            id: NEXT_INDEX_ID.fetch_add(1, Ordering::Relaxed),
            tokens: FxHashMap::default(),
            unigram: Vec::new(),
            bigram: FxHashMap::default(),
            longer: FxHashMap::default(),
            chars: FxHashMap::default(),
        };
        let mut parts = Vec::new();
        for (f, term) in terms.into_iter().enumerate() {
            let f = f as u32;
            if term.starts_with(CHAR_GRAM_PREFIX) {
                index.chars.insert(term.into(), f);
                continue;
            }
            parts.clear();
            for part in term.split(' ') {
                let next = index.tokens.len() as u32;
                let t = *index.tokens.entry(part.into()).or_insert(next);
                if t == next {
                    index.unigram.push(NONE);
                }
                parts.push(t);
            }
            match parts[..] {
                [t] => index.unigram[t as usize] = f,
                [a, b] => {
                    index.bigram.insert(pair(a, b), f);
                }
                _ => {
                    index.longer.insert(parts.as_slice().into(), f);
                }
            }
        }
        index
    }

    /// The token id of a normal form, or [`NONE`] when no vocabulary term uses it.
    pub fn token(&self, norm: &str) -> u32 {
        self.tokens.get(norm).copied().unwrap_or(NONE)
    }

    /// The feature id of the word n-gram made of these token ids, or [`NONE`].
    pub fn ngram(&self, ids: &[u32]) -> u32 {
        if ids.contains(&NONE) {
            return NONE;
        }
        match *ids {
            [t] => self.unigram[t as usize],
            [a, b] => self.bigram.get(&pair(a, b)).copied().unwrap_or(NONE),
            _ => self.longer.get(ids).copied().unwrap_or(NONE),
        }
    }

    /// The feature id of a character n-gram term (with its prefix), or [`NONE`].
    pub fn char_gram(&self, term: &str) -> u32 {
        self.chars.get(term).copied().unwrap_or(NONE)
    }

    /// Whether the vocabulary has character n-grams.
    pub fn has_char_grams(&self) -> bool {
        !self.chars.is_empty()
    }

    /// The feature id of any term, as written in the vocabulary.
    pub fn term(&self, term: &str) -> Option<u32> {
        let f = if term.starts_with(CHAR_GRAM_PREFIX) {
            self.char_gram(term)
        } else {
            let ids: Vec<u32> = term.split(' ').map(|p| self.token(p)).collect();
            self.ngram(&ids)
        };
        (f != NONE).then_some(f)
    }

    /// Number of indexed terms.
    pub fn len(&self) -> usize {
        self.unigram.iter().filter(|&&f| f != NONE).count()
            + self.bigram.len()
            + self.longer.len()
            + self.chars.len()
    }

    /// True when no term is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Entries a [`WordCache`] holds before it starts over (bounds memory on endless input).
const CACHE_LIMIT: usize = 1 << 18;

/// A word of up to 15 bytes stored inline (first byte: length), so that a cache probe compares
/// 16 bytes in the table instead of following a pointer to the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortKey([u8; 16]);

impl ShortKey {
    fn new(s: &str) -> Option<ShortKey> {
        let b = s.as_bytes();
        if b.len() > 15 {
            return None;
        }
        let mut k = [0u8; 16];
        k[0] = b.len() as u8;
        k[1..=b.len()].copy_from_slice(b);
        Some(ShortKey(k))
    }
}

/// What the cache knows of a surface form: its token id, its rhetoric flags and its
/// sentiment cue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CachedWord {
    /// Token id in the index, or [`NONE`].
    pub token: u32,
    /// Bit set of [`CachedWord::CAPS`], [`CachedWord::INTENSIFIER`], [`CachedWord::YOU`].
    pub flags: u8,
    /// What the sentiment cues need to know of it.
    pub cue: CueToken,
    /// Its word pieces (for embeddings): `pieces` of the cache's piece arena from `first_piece`
    /// on ([`WordCache::pieces`]).
    pub first_piece: u32,
    /// How many word pieces it has.
    pub pieces: u16,
}

impl CachedWord {
    /// Written in capitals.
    pub const CAPS: u8 = 1;
    /// An intensifier.
    pub const INTENSIFIER: u8 = 2;
    /// A second-person pronoun.
    pub const YOU: u8 = 4;
}

/// A per-thread cache from a token's surface form to its token id in one [`TermIndex`] (and
/// its rhetoric flags), so that a word seen before is neither lowercased nor stemmed again.
#[derive(Debug, Default, Clone)]
pub struct WordCache {
    index_id: u64,
    short: FxHashMap<ShortKey, CachedWord>,
    long: FxHashMap<Box<str>, CachedWord>,
    /// The word pieces of the cached words, one run per word.
    pieces: Vec<u32>,
}

impl std::fmt::Debug for ShortKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = usize::from(self.0[0]);
        f.debug_tuple("ShortKey")
            .field(&String::from_utf8_lossy(&self.0[1..=len]))
            .finish()
    }
}

impl WordCache {
    /// What is known of `surface` in `index`, computed with `normalize` on a miss; `normalize`
    /// may append the word's pieces to the arena it is given (they are then the word's
    /// `first_piece` and `pieces`, read back with [`WordCache::pieces`]).
    pub fn get_or_insert(
        &mut self,
        index: &TermIndex,
        surface: &str,
        normalize: impl FnOnce(&mut Vec<u32>) -> CachedWord,
    ) -> CachedWord {
        if self.index_id != index.id
            || self.short.len() + self.long.len() >= CACHE_LIMIT
            || self.pieces.len() >= PIECES_LIMIT
        {
            self.short.clear();
            self.long.clear();
            self.pieces.clear();
            self.index_id = index.id;
        }
        let pieces = &mut self.pieces;
        let fill = || {
            let first = pieces.len();
            let mut w = normalize(pieces);
            w.first_piece = first as u32;
            w.pieces = (pieces.len() - first).min(usize::from(u16::MAX)) as u16;
            w
        };
        match ShortKey::new(surface) {
            Some(k) => *self.short.entry(k).or_insert_with(fill),
            None => {
                if let Some(&t) = self.long.get(surface) {
                    return t;
                }
                let t = fill();
                self.long.insert(surface.into(), t);
                t
            }
        }
    }

    /// The word pieces of a word this cache returned.
    pub fn pieces(&self, word: &CachedWord) -> &[u32] {
        let first = word.first_piece as usize;
        &self.pieces[first..first + usize::from(word.pieces)]
    }
}

/// Word pieces a [`WordCache`] holds before it starts over.
const PIECES_LIMIT: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_up_terms_by_token_ids() {
        let terms = [
            "bad",
            "bad news",
            "news",
            "very bad news",
            "\u{1} ne",
            "the",
        ];
        let index = TermIndex::new(terms);
        for (f, t) in terms.iter().enumerate() {
            assert_eq!(index.term(t), Some(f as u32), "{t:?}");
        }
        let (bad, news, very) = (index.token("bad"), index.token("news"), index.token("very"));
        assert_eq!(index.ngram(&[bad]), 0);
        assert_eq!(index.ngram(&[bad, news]), 1);
        assert_eq!(index.ngram(&[very, bad, news]), 3);
        assert_eq!(
            index.ngram(&[very]),
            NONE,
            "a token of a longer term, not a term itself"
        );
        assert_eq!(index.ngram(&[news, bad]), NONE);
        assert_eq!(index.token("zebra"), NONE);
        assert_eq!(index.ngram(&[bad, NONE]), NONE);
        assert_eq!(index.char_gram("\u{1} ne"), 4);
        assert_eq!(index.term("good news"), None);
        assert_eq!(index.len(), terms.len());
    }

    #[test]
    fn word_cache_is_tied_to_its_index() {
        let a = TermIndex::new(["x"]);
        let b = TermIndex::new(["y", "x"]);
        let mut cache = WordCache::default();
        let word = |token| CachedWord {
            token,
            ..CachedWord::default()
        };
        let cached = |_: &mut Vec<u32>| -> CachedWord { unreachable!("cached") };
        assert_eq!(
            cache.get_or_insert(&a, "X", |_| word(a.token("x"))),
            word(0)
        );
        assert_eq!(cache.get_or_insert(&a, "X", cached), word(0));
        let again = cache.get_or_insert(&b, "X", |_| word(b.token("x")));
        assert_eq!(again, word(1), "another index: recomputed");
        let long = "Antidisestablishmentarianism";
        assert_eq!(cache.get_or_insert(&b, long, |_| word(7)), word(7));
        assert_eq!(cache.get_or_insert(&b, long, cached), word(7));
        assert_eq!(
            cache.get_or_insert(&b, "fifteen-bytes!!", |_| word(3)),
            word(3)
        );
        assert_eq!(cache.get_or_insert(&b, "fifteen-bytes!!", cached), word(3));
        // Pieces appended while normalizing belong to the word.
        let w = cache.get_or_insert(&b, "pieces", |arena| {
            arena.extend([7, 8, 9]);
            word(2)
        });
        assert_eq!(cache.pieces(&w), [7, 8, 9]);
        let again = cache.get_or_insert(&b, "pieces", cached);
        assert_eq!(cache.pieces(&again), [7, 8, 9]);
    }
}
