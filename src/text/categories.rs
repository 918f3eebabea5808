//! Word categories: how much of a text speaks of crime, money, law, health, family... by the
//! 194 categories of the Empath lexicon (Fast, Chen & Bernstein 2016, MIT licence;
//! `lexicon/empath.tsv`).
//!
//! N-grams see each word on its own and learn only the words a training set has. A category
//! pools the words of one topic, so a text about an event the training articles never covered
//! still shows how much it speaks of, say, `crime` or `economics`. Frames are such topics.
//!
//! A text's value for a category is its share of words in that category (a word in several
//! categories counts in each); the feature stage standardises these shares over the training
//! texts and scales the block to the analyzer's `lexicon` norm
//! ([`crate::features::FittedTfIdf`]).
//!
//! The lexicon is compiled into rhetor and belongs to the model format: a model trained with
//! categories computes them from this list, so changing it needs a new `MODEL_FORMAT_VERSION`.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;

/// The lexicon: comment lines start with `#`; then `category<TAB>word<TAB>word...`, categories
/// in lexicographic order.
const LEXICON_TSV: &str = include_str!("lexicon/empath.tsv");

/// Prefix of the category features' names (`⟨category⟩:crime`).
pub const CATEGORY_TERM: &str = "\u{2}category";

/// The parsed lexicon.
#[derive(Debug)]
pub struct Categories {
    /// Category names, in file order (their ids).
    names: Vec<&'static str>,
    /// Lowercased word → the ids of its categories.
    of_word: FxHashMap<&'static str, Vec<u16>>,
}

/// The compiled-in lexicon, parsed on first use.
pub fn categories() -> &'static Categories {
    static PARSED: OnceLock<Categories> = OnceLock::new();
    PARSED.get_or_init(|| Categories::parse(LEXICON_TSV))
}

impl Categories {
    fn parse(tsv: &'static str) -> Categories {
        let mut names = Vec::new();
        let mut of_word: FxHashMap<&'static str, Vec<u16>> = FxHashMap::default();
        for line in tsv.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let mut fields = line.split('\t');
            let Some(name) = fields.next() else { continue };
            let id = names.len() as u16;
            names.push(name);
            for word in fields.filter(|w| !w.is_empty()) {
                let ids = of_word.entry(word).or_default();
                if ids.last() != Some(&id) {
                    ids.push(id);
                }
            }
        }
        Categories { names, of_word }
    }

    /// The number of categories.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no categories.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The name of category `id`.
    pub fn name(&self, id: usize) -> &'static str {
        self.names[id]
    }

    /// The categories of a lowercased word (none for a word outside the lexicon).
    pub fn of(&self, lower: &str) -> &[u16] {
        self.of_word.get(lower).map_or(&[], Vec::as_slice)
    }

    /// Fills `shares` (resized to [`Categories::len`]) with each category's share of `words`
    /// (lowercased); leaves it empty when there are no words.
    pub fn shares<'w>(&self, words: impl Iterator<Item = &'w str>, shares: &mut Vec<f32>) {
        shares.clear();
        shares.resize(self.len(), 0.0);
        let mut n = 0u32;
        for w in words {
            n += 1;
            self.count(w, shares);
        }
        to_shares(shares, n);
    }

    /// Adds 1 to the count of every category of a lowercased word in `counts`
    /// ([`Categories::len`] long).
    #[inline]
    pub fn count(&self, lower: &str, counts: &mut [f32]) {
        for &c in self.of(lower) {
            counts[c as usize] += 1.0;
        }
    }
}

/// Turns the category counts of a text of `n_words` words into shares; a text without words
/// has none (`counts` is emptied), which a text whose words are in no category (all shares 0)
/// is not.
pub fn to_shares(counts: &mut Vec<f32>, n_words: u32) {
    if n_words == 0 {
        counts.clear();
        return;
    }
    let inv = 1.0 / n_words as f32;
    counts.iter_mut().for_each(|s| *s *= inv);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_lexicon_has_empaths_categories() {
        let c = categories();
        assert_eq!(c.len(), 194);
        assert_eq!(c.name(0), "achievement");
        let names: Vec<&str> = (0..c.len()).map(|i| c.name(i)).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "ids follow the names' order");
        for name in [
            "crime",
            "economics",
            "law",
            "health",
            "family",
            "government",
        ] {
            assert!(names.contains(&name), "{name}");
        }
    }

    #[test]
    fn words_and_their_categories() {
        let c = categories();
        let named = |w: &str| -> Vec<&str> { c.of(w).iter().map(|&i| c.name(i.into())).collect() };
        // (word, a category it must have, a category it must not have)
        let table = [
            ("prison", "crime", "music"),
            ("lawyer", "law", "weather"),
            ("economy", "economics", "animal"),
            ("doctor", "health", "sports"),
        ];
        for (word, has, lacks) in table {
            let cats = named(word);
            assert!(cats.contains(&has), "{word}: {cats:?}");
            assert!(!cats.contains(&lacks), "{word}: {cats:?}");
        }
        assert!(c.of("the").is_empty());
        assert!(c.of("Prison").is_empty(), "lookups take lowercased words");
    }

    #[test]
    fn shares_are_per_word() {
        let c = categories();
        let crime = (0..c.len()).find(|&i| c.name(i) == "crime").unwrap();
        let mut shares = vec![9.0];
        c.shares(["the", "prison", "was", "full"].into_iter(), &mut shares);
        assert_eq!(shares.len(), 194);
        assert_eq!(shares[crime], 0.25);
        c.shares(["the", "of", "and"].into_iter(), &mut shares);
        assert_eq!(shares, vec![0.0; 194], "words, but none in a category");
        c.shares(std::iter::empty(), &mut shares);
        assert!(shares.is_empty(), "no words, no shares");
    }
}
