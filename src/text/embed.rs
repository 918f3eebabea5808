//! Subword embeddings: what a text means beyond the n-grams it shares with the training data.
//!
//! N-grams know only the words they saw in training. The input word-piece embeddings of a
//! pretrained sentence encoder (all-MiniLM-L6-v2, compiled in: `embeddings/README.md`) place
//! every word piece of English in one space, where words of like meaning lie close together; the
//! mean vector of a text's pieces carries that meaning to words a training set never had. The
//! table is static (no network runs at scoring time), so embedding a token costs a few hash
//! lookups and one vector addition.
//!
//! Tokens are cut into pieces as BERT's uncased tokenizer does: lowercased, accents stripped,
//! split at punctuation, then WordPiece (longest piece of the vocabulary first, continuations
//! marked `##`); a word the vocabulary cannot spell is left out (BERT's `[UNK]`).
//!
//! The table belongs to the model format: a model trained with embeddings computes them from it,
//! so changing the table needs a new `MODEL_FORMAT_VERSION`.

use std::sync::OnceLock;

use rustc_hash::FxHashMap;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// The table: see `embeddings/README.md` and `contrib/embeddings/build_table.py`.
const TABLE: &[u8] = include_bytes!("embeddings/minilm-l6-v2-128.bin");
const MAGIC: &[u8] = b"RHETOREMB1";

/// Dimensions of a piece's vector.
pub const EMBEDDING_DIM: usize = 128;

/// Longest word (in characters) WordPiece spells; a longer one is left out, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// The word-piece vocabulary and its vectors.
#[derive(Debug)]
pub struct Embeddings {
    /// Piece → id (continuations with their `##`).
    ids: FxHashMap<&'static str, u32>,
    /// Per piece, the scale of its bytes.
    scales: Vec<f32>,
    /// `EMBEDDING_DIM` signed bytes per piece.
    values: &'static [u8],
}

/// The compiled-in table, parsed on first use.
pub fn embeddings() -> &'static Embeddings {
    static TABLE_PARSED: OnceLock<Embeddings> = OnceLock::new();
    TABLE_PARSED.get_or_init(|| Embeddings::parse(TABLE).expect("the compiled-in table is valid"))
}

impl Embeddings {
    /// Parses the table format of `build_table.py`.
    fn parse(bytes: &'static [u8]) -> Result<Embeddings, &'static str> {
        let rest = bytes.strip_prefix(MAGIC).ok_or("bad magic")?;
        let u32_at = |b: &[u8], at: usize| -> Result<u32, &'static str> {
            let four = b.get(at..at + 4).ok_or("truncated")?;
            Ok(u32::from_le_bytes(four.try_into().expect("4 bytes")))
        };
        let n = u32_at(rest, 0)? as usize;
        if u32_at(rest, 4)? as usize != EMBEDDING_DIM {
            return Err("unexpected dimension");
        }
        let rest = &rest[8..];
        let scales_bytes = rest.get(..4 * n).ok_or("truncated scales")?;
        let scales = scales_bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect();
        let rest = &rest[4 * n..];
        let values = rest.get(..n * EMBEDDING_DIM).ok_or("truncated values")?;
        let rest = &rest[n * EMBEDDING_DIM..];
        let vocab_len = u32_at(rest, 0)? as usize;
        let vocab = rest.get(4..4 + vocab_len).ok_or("truncated vocabulary")?;
        let vocab = std::str::from_utf8(vocab).map_err(|_| "vocabulary is not UTF-8")?;
        let ids: FxHashMap<&'static str, u32> = vocab
            .lines()
            .enumerate()
            .map(|(i, piece)| (piece, i as u32))
            .collect();
        if vocab.lines().count() != n {
            return Err("vocabulary size differs from the table's");
        }
        Ok(Embeddings {
            ids,
            scales,
            values,
        })
    }

    /// Number of word pieces.
    pub fn n_pieces(&self) -> usize {
        self.scales.len()
    }

    /// The id of a piece (`##`-prefixed for a continuation), if in the vocabulary.
    pub fn id(&self, piece: &str) -> Option<u32> {
        self.ids.get(piece).copied()
    }

    /// Adds `weight` times the vector of piece `id` to `acc` (`EMBEDDING_DIM` long).
    #[inline]
    pub fn add(&self, id: u32, weight: f32, acc: &mut [f32]) {
        let i = id as usize;
        let w = weight * self.scales[i];
        let row = &self.values[i * EMBEDDING_DIM..(i + 1) * EMBEDDING_DIM];
        for (a, &b) in acc.iter_mut().zip(row) {
            *a += w * f32::from(b as i8);
        }
    }

    /// Calls `f` with the id of every word piece of one token as written (`surface`), in order:
    /// BERT's uncased basic tokenizer (lowercase, accents stripped, punctuation and CJK
    /// characters on their own) then WordPiece. `buf` and `key` are scratch space.
    pub fn for_each_piece(
        &self,
        surface: &str,
        buf: &mut String,
        key: &mut String,
        mut f: impl FnMut(u32),
    ) {
        buf.clear();
        for c in surface.chars().flat_map(char::to_lowercase).nfd() {
            if !is_combining_mark(c) && !c.is_control() {
                buf.push(c);
            }
        }
        // Runs of word characters, and every punctuation or CJK character alone.
        let mut start = 0;
        for (at, c) in buf.char_indices() {
            if is_split(c) {
                self.word_pieces(&buf[start..at], key, &mut f);
                self.word_pieces(&buf[at..at + c.len_utf8()], key, &mut f);
                start = at + c.len_utf8();
            }
        }
        self.word_pieces(&buf[start..], key, &mut f);
    }

    /// WordPiece on one word: the longest vocabulary piece from the start, then the longest
    /// `##` continuation, and so on; a word that cannot be spelt gives nothing.
    fn word_pieces(&self, word: &str, key: &mut String, f: &mut impl FnMut(u32)) {
        if word.is_empty() {
            return;
        }
        if let Some(id) = self.id(word) {
            // The usual case: the whole word is a piece.
            f(id);
            return;
        }
        if word.chars().count() > MAX_WORD_CHARS {
            return;
        }
        let bounds: Vec<usize> = word
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(word.len()))
            .collect();
        let mut found: [u32; 32] = [0; 32];
        let mut n_found = 0;
        let mut from = 0;
        while from + 1 < bounds.len() {
            let mut hit = None;
            for to in (from + 1..bounds.len()).rev() {
                key.clear();
                if from > 0 {
                    key.push_str("##");
                }
                key.push_str(&word[bounds[from]..bounds[to]]);
                if let Some(id) = self.id(key) {
                    hit = Some((id, to));
                    break;
                }
            }
            let Some((id, to)) = hit else {
                return;
            };
            if n_found == found.len() {
                return;
            }
            found[n_found] = id;
            n_found += 1;
            from = to;
        }
        found[..n_found].iter().for_each(|&id| f(id));
    }
}

/// Whether BERT's basic tokenizer cuts a character out on its own: ASCII punctuation, the
/// punctuation of Latin-1, General Punctuation and CJK Symbols (dashes, quotation marks,
/// guillemets, ellipses...; symbols such as `£` stay in their word, as in BERT), and CJK
/// ideographs.
fn is_split(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c,
        '¡' | '§' | '«' | '¶' | '·' | '»' | '¿'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}' | '\u{3001}'..='\u{3003}'
        | '\u{3008}'..='\u{3011}'
        | '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(surface: &str) -> Vec<String> {
        let e = embeddings();
        let vocab: Vec<&str> = {
            let mut v = vec![""; e.n_pieces()];
            for (p, &i) in &e.ids {
                v[i as usize] = p;
            }
            v
        };
        let mut out = Vec::new();
        e.for_each_piece(surface, &mut String::new(), &mut String::new(), |id| {
            out.push(vocab[id as usize].to_string())
        });
        out
    }

    #[test]
    fn table_loads() {
        let e = embeddings();
        assert_eq!(e.n_pieces(), 30522);
        assert_eq!(e.id("[PAD]"), Some(0));
        assert_eq!(e.id("[CLS]"), Some(101));
        assert_eq!(e.id("the"), Some(1996));
        assert!(e.scales.iter().all(|s| s.is_finite() && *s > 0.0));
    }

    /// Word pieces as Hugging Face's `BertTokenizer` (all-MiniLM-L6-v2's `vocab.txt`, uncased)
    /// cuts the same tokens (its `[CLS]`/`[SEP]` aside).
    #[test]
    fn word_pieces_match_bert_uncased() {
        let table: &[(&str, &[&str])] = &[
            ("Council", &["council"]),
            ("unaffordable", &["una", "##ff", "##ord", "##able"]),
            ("council's", &["council", "'", "s"]),
            ("Café", &["cafe"]),
            ("Naïve", &["naive"]),
            ("1990s", &["1990s"]),
            ("?", &["?"]),
            ("\u{201c}", &["\u{201c}"]),
            ("U.S.", &["u", ".", "s", "."]),
            ("£8", &["£", "##8"]),
            ("Köln", &["koln"]),
            ("\u{2014}", &["\u{2014}"]),
            ("don't", &["don", "'", "t"]),
            (
                "supercalifragilistic",
                &["super", "##cal", "##if", "##rag", "##ilis", "##tic"],
            ),
            ("", &[]),
        ];
        for (surface, want) in table {
            assert_eq!(pieces(surface), *want, "{surface:?}");
        }
    }

    #[test]
    fn vectors_add_up() {
        let e = embeddings();
        let id = e.id("tax").unwrap();
        let mut once = vec![0.0f32; EMBEDDING_DIM];
        e.add(id, 1.0, &mut once);
        let mut twice = vec![0.0f32; EMBEDDING_DIM];
        e.add(id, 0.5, &mut twice);
        e.add(id, 1.5, &mut twice);
        assert!(once.iter().any(|v| *v != 0.0));
        for (a, b) in once.iter().zip(&twice) {
            assert!((2.0 * a - b).abs() < 1e-5);
        }
    }
}
