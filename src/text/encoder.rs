//! A contextual sentence encoder: a BERT-uncased transformer (all-MiniLM-L6-v2 and its kin)
//! that turns a text into one unit vector, in pure Rust on ndarray.
//!
//! The subword embeddings of [`super::embeddings`] are the *input* layer of such a model: they
//! know what a word piece means, not what it means in its sentence. This module runs the whole
//! encoder, so "not good" and "good" no longer add up to the same thing.
//!
//! # The model
//!
//! Made for sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0): MiniLM (Wang et al. 2020,
//! "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained
//! Transformers"), 6 layers, hidden size 384, 12 heads, fine-tuned as a Sentence-BERT
//! (Reimers & Gurevych 2019) on a billion sentence pairs. Any BERT-uncased encoder of the same
//! form loads: post-LayerNorm, exact (erf) GELU, absolute positions, BERT's 30,522-piece uncased
//! vocabulary. [`Encoder::from_dir`] reads a Hugging Face model directory (`config.json`,
//! `model.safetensors`, `vocab.txt`).
//!
//! # From text to vector
//!
//! 1. Word pieces as BERT's uncased tokenizer makes them: the text split on whitespace, then
//!    each part lowercased, stripped of accents, split at punctuation and cut by WordPiece
//!    ([`super::Embeddings::for_each_piece`]); punctuation is kept, as the encoder saw it in
//!    training. The model's `vocab.txt` must be exactly that compiled-in vocabulary.
//! 2. Chunks: the n pieces are cut into c = ⌈n / 254⌉ consecutive windows of near-equal length
//!    (the first n mod c one piece longer); each chunk is `[CLS] window [SEP]`, at most 256
//!    positions (and never more than the model's `max_position_embeddings`).
//! 3. Forward pass of each chunk (standard BERT; one sequence, so no padding or mask):
//!    word + position + token-type-0 embeddings, LayerNorm, then per layer self-attention and a
//!    GELU feed-forward block, each followed by a residual LayerNorm.
//! 4. Pooling: a chunk's vector is the mean of its last hidden states over all its positions,
//!    `[CLS]` and `[SEP]` included (as sentence-transformers' mean pooling does), L2-normalised;
//!    the text's vector is the mean of its chunk vectors, L2-normalised. A text without a word
//!    piece gives all zeros.
//! 5. Target pooling ([`Encoder::encode_with_target`]): for a text about a target (a person, a
//!    proposition), a second vector, the mean of the last hidden states at the pieces that
//!    mention the target, L2-normalised. A mention is every occurrence of the target's whole
//!    piece sequence and, for a target of several words whose last word is capitalised (a
//!    name), of that last word's pieces ("Clinton" for "Hillary Clinton"), as the analyzer's
//!    target features find them. These states have read the whole sentence from the mention's
//!    seat, which is how target-dependent sentiment models (BERT-TD, Gao et al. 2019) tell two
//!    people in one sentence apart. Without a target, or when no mention is found, the second
//!    vector repeats the first.
//!
//! # Why hand-written
//!
//! A six-layer encoder's forward pass is a few dozen lines over ndarray, which rhetor already
//! uses (its matrix products are matrixmultiply's); a second tensor library would bring a far
//! larger dependency for the same arithmetic. There is no threading inside: a text's vector does
//! not depend on the thread count, and callers parallelise over texts (rayon), each thread with
//! its own [`EncoderScratch`].
//!
//! # Storage
//!
//! Weights are f32 in memory, but every weight is rounded to f16 when it is loaded, so what a
//! model file stores (f16, little-endian, one byte blob) and what is in memory are the same
//! numbers: a saved and reloaded encoder gives bit-identical vectors. The blob holds the tensors
//! in this order, each row-major (Hugging Face names; linear weights are (out, in)):
//!
//! * `embeddings.word_embeddings.weight` (vocab_size, hidden),
//!   `embeddings.position_embeddings.weight` (max_positions, hidden), row 0 of
//!   `embeddings.token_type_embeddings.weight` (hidden), `embeddings.LayerNorm.{weight,bias}`;
//! * per layer `encoder.layer.{i}.`: `attention.self.{query,key,value}.{weight,bias}`,
//!   `attention.output.dense.{weight,bias}`, `attention.output.LayerNorm.{weight,bias}`,
//!   `intermediate.dense.{weight,bias}`, `output.dense.{weight,bias}`,
//!   `output.LayerNorm.{weight,bias}`.
//!
//! `contrib/encoder/reference.py` is a numpy copy of the whole path; `make_tiny.py` beside it
//! writes the tiny random model of the tests (`tests/fixtures/encoder-tiny/`).

use std::fmt;
use std::path::{Path, PathBuf};

use half::f16;
use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView2, ArrayViewD, ArrayViewMut2, Axis};
use safetensors::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::embeddings;

/// Word pieces in one chunk, besides its `[CLS]` and `[SEP]`.
const WINDOW: usize = 254;

/// Shape of a BERT encoder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EncoderConfig {
    /// Width of the hidden states (`hidden_size`).
    pub hidden: usize,
    /// Transformer layers (`num_hidden_layers`).
    pub layers: usize,
    /// Attention heads per layer (`num_attention_heads`); divides `hidden`.
    pub heads: usize,
    /// Width of the feed-forward block (`intermediate_size`).
    pub intermediate: usize,
    /// Rows of the position embeddings (`max_position_embeddings`), at least 3.
    pub max_positions: usize,
    /// Rows of the word embeddings (`vocab_size`): the compiled-in vocabulary's size.
    pub vocab_size: usize,
    /// Epsilon of every LayerNorm (`layer_norm_eps`).
    pub layer_norm_eps: f32,
}

impl EncoderConfig {
    /// The first setting that cannot be run, as (`config.json` field, reason).
    fn check(&self) -> Result<(), (&'static str, String)> {
        let n_pieces = embeddings().n_pieces();
        let positive = [
            ("hidden_size", self.hidden),
            ("num_hidden_layers", self.layers),
            ("num_attention_heads", self.heads),
            ("intermediate_size", self.intermediate),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err((field, "is 0".into()));
            }
        }
        if !self.hidden.is_multiple_of(self.heads) {
            return Err((
                "num_attention_heads",
                format!("{} does not divide hidden_size {}", self.heads, self.hidden),
            ));
        }
        if self.max_positions < 3 {
            return Err((
                "max_position_embeddings",
                format!("is {}, fewer than 3", self.max_positions),
            ));
        }
        if self.vocab_size != n_pieces {
            return Err((
                "vocab_size",
                format!(
                    "is {}, not the {n_pieces} pieces of BERT's uncased vocabulary",
                    self.vocab_size
                ),
            ));
        }
        if !(self.layer_norm_eps.is_finite() && self.layer_norm_eps > 0.0) {
            return Err((
                "layer_norm_eps",
                format!("is {}, not a positive number", self.layer_norm_eps),
            ));
        }
        Ok(())
    }

    /// Name and shape of every stored tensor, in blob order (see the module doc).
    fn tensors(&self) -> Vec<(String, Vec<usize>)> {
        let (h, i) = (self.hidden, self.intermediate);
        let mut out = vec![
            (
                "embeddings.word_embeddings.weight".to_string(),
                vec![self.vocab_size, h],
            ),
            (
                "embeddings.position_embeddings.weight".to_string(),
                vec![self.max_positions, h],
            ),
            (TOKEN_TYPE.to_string(), vec![h]),
            ("embeddings.LayerNorm.weight".to_string(), vec![h]),
            ("embeddings.LayerNorm.bias".to_string(), vec![h]),
        ];
        for layer in 0..self.layers {
            let parts: [(&str, usize, usize); 8] = [
                ("attention.self.query", h, h),
                ("attention.self.key", h, h),
                ("attention.self.value", h, h),
                ("attention.output.dense", h, h),
                ("attention.output.LayerNorm", h, 0),
                ("intermediate.dense", i, h),
                ("output.dense", h, i),
                ("output.LayerNorm", h, 0),
            ];
            for (part, rows, cols) in parts {
                let name = format!("encoder.layer.{layer}.{part}");
                let weight = if cols == 0 {
                    vec![rows]
                } else {
                    vec![rows, cols]
                };
                out.push((format!("{name}.weight"), weight));
                out.push((format!("{name}.bias"), vec![rows]));
            }
        }
        out
    }

    /// Number of stored weights.
    fn n_weights(&self) -> usize {
        self.tensors()
            .iter()
            .map(|(_, shape)| shape.iter().product::<usize>())
            .sum()
    }
}

/// The token-type embeddings, of which row 0 (the only segment) is kept.
const TOKEN_TYPE: &str = "embeddings.token_type_embeddings.weight";

/// The tensors of [`EncoderConfig::tensors`] with their values, taken in blob order.
struct Tensors<I>(I);

impl<I: Iterator<Item = (Vec<usize>, Vec<f32>)>> Tensors<I> {
    fn matrix(&mut self) -> Array2<f32> {
        let (shape, values) = self.0.next().expect("one tensor per name");
        Array2::from_shape_vec((shape[0], shape[1]), values).expect("a 2-D tensor")
    }

    fn vector(&mut self) -> Array1<f32> {
        let (shape, values) = self.0.next().expect("one tensor per name");
        debug_assert_eq!(shape, [values.len()]);
        Array1::from_vec(values)
    }

    fn linear(&mut self) -> Linear {
        Linear {
            weight: self.matrix(),
            bias: self.vector(),
        }
    }

    fn norm(&mut self) -> Norm {
        Norm {
            weight: self.vector(),
            bias: self.vector(),
        }
    }
}

/// A linear map `x W^T + b`, `W` stored (out, in).
#[derive(Clone)]
struct Linear {
    weight: Array2<f32>,
    bias: Array1<f32>,
}

impl Linear {
    /// `out = x W^T + b`.
    fn apply(&self, x: &ArrayView2<f32>, out: &mut ArrayViewMut2<f32>) {
        out.assign(&self.bias.broadcast(out.raw_dim()).expect("bias fits a row"));
        general_mat_mul(1.0, x, &self.weight.t(), 1.0, out);
    }
}

/// A LayerNorm over the last axis.
#[derive(Clone)]
struct Norm {
    weight: Array1<f32>,
    bias: Array1<f32>,
}

impl Norm {
    /// Normalises every row of `x` in place.
    fn apply(&self, x: &mut ArrayViewMut2<f32>, eps: f32) {
        let n = x.ncols() as f32;
        for mut row in x.rows_mut() {
            let mean = row.sum() / n;
            let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
            let inv = 1.0 / (var + eps).sqrt();
            for ((v, g), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
                *v = (*v - mean) * inv * g + b;
            }
        }
    }
}

/// One transformer layer.
#[derive(Clone)]
struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    output: Linear,
    output_norm: Norm,
}

/// A BERT-style sentence encoder with its weights (kept in f32 memory, but every weight is
/// rounded to f16 on load so that what is saved (f16) and what is in memory are the same
/// numbers).
///
/// Serialised through a private data struct: the config, the name, the SHA-256 of the source
/// `model.safetensors`, and all weights as one little-endian f16 byte blob (module doc). Reading
/// checks the blob's length against the config, so a damaged file is an error, not a panic.
#[derive(Clone, Deserialize)]
#[serde(try_from = "EncoderData")]
pub struct Encoder {
    config: EncoderConfig,
    name: String,
    sha256: String,
    word: Array2<f32>,
    position: Array2<f32>,
    /// Row 0 of the token-type embeddings.
    token_type: Array1<f32>,
    embedding_norm: Norm,
    layers: Vec<Layer>,
    cls: u32,
    sep: u32,
}

/// Errors of [`Encoder::from_dir`]; each names the file involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncoderError {
    /// A file of the model directory is not there.
    #[error("{}: no such file", path.display())]
    MissingFile {
        /// The file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `config.json` is not JSON, or a field is missing or unusable.
    #[error("{}: {field} {reason}", path.display())]
    BadConfig {
        /// The config file.
        path: PathBuf,
        /// The field (or `JSON` for the whole file).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `hidden_act` is not `gelu`, the only activation implemented.
    #[error("{}: hidden_act {activation:?} is not supported (only \"gelu\")", path.display())]
    UnsupportedActivation {
        /// The config file.
        path: PathBuf,
        /// The activation named there.
        activation: String,
    },
    /// `model.safetensors` cannot be parsed.
    #[error("{}: not a safetensors file: {message}", path.display())]
    BadSafetensors {
        /// The weights file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A tensor the encoder needs is not in `model.safetensors`.
    #[error("{}: tensor {name} is missing", path.display())]
    MissingTensor {
        /// The weights file.
        path: PathBuf,
        /// The tensor (without the optional `bert.` prefix).
        name: String,
    },
    /// A tensor has the wrong shape for the config.
    #[error("{}: tensor {name} has shape {found:?}, expected {expected:?}", path.display())]
    TensorShape {
        /// The weights file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// The shape the config implies.
        expected: Vec<usize>,
        /// The shape in the file.
        found: Vec<usize>,
    },
    /// A tensor is neither F32 nor F16.
    #[error("{}: tensor {name} is {dtype}, expected F32 or F16", path.display())]
    TensorDtype {
        /// The weights file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its type in the file.
        dtype: String,
    },
    /// `vocab.txt` is not rhetor's compiled-in BERT uncased vocabulary.
    #[error("{}: differs from rhetor's compiled-in BERT uncased vocabulary: {reason}", path.display())]
    Vocabulary {
        /// The vocabulary file.
        path: PathBuf,
        /// The first difference.
        reason: String,
    },
}

/// What a vector pools: the text's states alone, or also those of a target's mentions.
#[derive(Debug, Clone, Copy)]
enum Pooling<'t> {
    Text,
    TextAndTarget(Option<&'t str>),
}

/// Per-thread buffers of [`Encoder::encode`], reused across calls.
#[derive(Debug, Default, Clone)]
pub struct EncoderScratch {
    buf: String,
    key: String,
    /// The text's word pieces.
    ids: Vec<u32>,
    /// One chunk: `[CLS]`, pieces, `[SEP]`.
    chunk: Vec<u32>,
    /// A chunk's pooled vector.
    pooled: Vec<f32>,
    /// The target's word pieces, and those of its last word.
    target_ids: Vec<u32>,
    last_ids: Vec<u32>,
    /// Per piece of the text: whether it mentions the target.
    mention: Vec<bool>,
    work: Work,
}

/// Activations of one forward pass, row-major, grown as needed.
#[derive(Debug, Default, Clone)]
struct Work {
    /// Hidden states (T, hidden).
    x: Vec<f32>,
    q: Vec<f32>,
    k: Vec<f32>,
    v: Vec<f32>,
    /// Attention output before its dense layer (T, hidden).
    ctx: Vec<f32>,
    /// A sublayer's output plus its residual (T, hidden).
    sum: Vec<f32>,
    /// Feed-forward activations (T, intermediate).
    inner: Vec<f32>,
    /// One head's attention weights (T, T).
    scores: Vec<f32>,
}

/// A (rows, cols) view of the first rows × cols values of `buf`, grown if needed.
fn matrix(buf: &mut Vec<f32>, rows: usize, cols: usize) -> ArrayViewMut2<'_, f32> {
    if buf.len() < rows * cols {
        buf.resize(rows * cols, 0.0);
    }
    ArrayViewMut2::from_shape((rows, cols), &mut buf[..rows * cols]).expect("sized above")
}

/// GELU, exact form.
fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// Scales `v` to unit L2 norm (a zero vector stays zero).
fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Rounds to the nearest f16.
fn round_f16(x: f32) -> f32 {
    f16::from_f32(x).to_f32()
}

impl Encoder {
    /// Reads a Hugging Face model directory: `config.json`, `model.safetensors`, `vocab.txt`.
    ///
    /// Tensors may be F32 or F16, named as in all-MiniLM-L6-v2 with or without a `bert.`
    /// prefix; every weight is rounded to f16.
    ///
    /// # Errors
    /// An [`EncoderError`] naming the file: missing or unreadable, a bad or unsupported
    /// `config.json` field, a missing tensor or one of the wrong shape or type, or a
    /// `vocab.txt` that is not the compiled-in vocabulary.
    pub fn from_dir(dir: &Path) -> Result<Encoder, EncoderError> {
        let config_path = dir.join("config.json");
        let config = read_config(&config_path)?;
        let vocab_path = dir.join("vocab.txt");
        check_vocabulary(&vocab_path, &read(&vocab_path)?)?;
        let model_path = dir.join("model.safetensors");
        let bytes = read(&model_path)?;
        let sha256 = format!("{:x}", Sha256::digest(&bytes));
        let file = SafeTensors::deserialize(&bytes).map_err(|e| EncoderError::BadSafetensors {
            path: model_path.clone(),
            message: e.to_string(),
        })?;
        let tensors = config
            .tensors()
            .into_iter()
            .map(|(name, shape)| read_tensor(&file, &model_path, &name, &shape))
            .collect::<Result<Vec<_>, _>>()?;
        // The directory's name (`_name_or_path` of a fine-tuned model's config names the model
        // it started from, not the model itself).
        let name = std::fs::canonicalize(dir)
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| dir.display().to_string());
        let encoder = Encoder::assemble(config, name, sha256, tensors);
        debug_assert!(encoder.is_consistent());
        Ok(encoder)
    }

    /// Builds the encoder from its tensors in blob order (already rounded to f16).
    fn assemble(
        config: EncoderConfig,
        name: String,
        sha256: String,
        tensors: Vec<Vec<f32>>,
    ) -> Encoder {
        let shapes = config.tensors();
        assert_eq!(shapes.len(), tensors.len(), "one vector per tensor");
        let mut next = Tensors(shapes.into_iter().map(|(_, shape)| shape).zip(tensors));
        let word = next.matrix();
        let position = next.matrix();
        let token_type = next.vector();
        let embedding_norm = next.norm();
        let layers = (0..config.layers)
            .map(|_| Layer {
                query: next.linear(),
                key: next.linear(),
                value: next.linear(),
                attention_out: next.linear(),
                attention_norm: next.norm(),
                intermediate: next.linear(),
                output: next.linear(),
                output_norm: next.norm(),
            })
            .collect();
        let table = embeddings();
        Encoder {
            config,
            name,
            sha256,
            word,
            position,
            token_type,
            embedding_norm,
            layers,
            cls: table.id("[CLS]").expect("BERT's vocabulary has [CLS]"),
            sep: table.id("[SEP]").expect("BERT's vocabulary has [SEP]"),
        }
    }

    /// Shape of the encoder.
    pub fn config(&self) -> &EncoderConfig {
        &self.config
    }

    /// Dimensions of a text's vector: the hidden size.
    pub fn dim(&self) -> usize {
        self.config.hidden
    }

    /// The model's name: the last component of its directory.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Hex SHA-256 of the `model.safetensors` the weights were read from.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    /// The values of a vector: [`Encoder::dim`], twice that with the target mentions' vector.
    pub fn width(&self, with_target: bool) -> usize {
        self.dim() * (1 + usize::from(with_target))
    }

    /// [`Encoder::encode_with_target`] with `with_target`, [`Encoder::encode`] (which ignores
    /// `target`) without: [`Encoder::width`] values.
    pub fn encode_record(
        &self,
        text: &str,
        target: Option<&str>,
        with_target: bool,
        scratch: &mut EncoderScratch,
        out: &mut Vec<f32>,
    ) {
        let pooling = if with_target {
            Pooling::TextAndTarget(target)
        } else {
            Pooling::Text
        };
        self.encode_pooled(text, pooling, scratch, out);
    }

    /// The text's vector: unit L2 norm, [`Encoder::dim`] values written into `out` (cleared
    /// and resized). A text with no word piece gives all zeros.
    pub fn encode(&self, text: &str, scratch: &mut EncoderScratch, out: &mut Vec<f32>) {
        self.encode_pooled(text, Pooling::Text, scratch, out);
    }

    /// The text's vector ([`Encoder::encode`]) followed by the vector of its mentions of
    /// `target` (module doc, step 5): `2 · dim()` values written into `out`. The second half
    /// repeats the first when `target` is `None` or not mentioned.
    pub fn encode_with_target(
        &self,
        text: &str,
        target: Option<&str>,
        scratch: &mut EncoderScratch,
        out: &mut Vec<f32>,
    ) {
        self.encode_pooled(text, Pooling::TextAndTarget(target), scratch, out);
    }

    /// [`Encoder::encode`] or [`Encoder::encode_with_target`], as `pooling` says.
    fn encode_pooled(
        &self,
        text: &str,
        pooling: Pooling<'_>,
        scratch: &mut EncoderScratch,
        out: &mut Vec<f32>,
    ) {
        let dim = self.dim();
        out.clear();
        out.resize(
            self.width(matches!(pooling, Pooling::TextAndTarget(_))),
            0.0,
        );
        self.pieces(text, scratch);
        let n = scratch.ids.len();
        if n == 0 {
            return;
        }
        let mentions = match pooling {
            Pooling::TextAndTarget(Some(target)) => self.mark_mentions(target, scratch),
            _ => 0,
        };
        let (text_out, mention_out) = out.split_at_mut(dim);
        let window = WINDOW.min(self.config.max_positions - 2);
        let chunks = n.div_ceil(window);
        let (base, longer) = (n / chunks, n % chunks);
        let mut start = 0;
        for c in 0..chunks {
            let end = start + base + usize::from(c < longer);
            scratch.chunk.clear();
            scratch.chunk.push(self.cls);
            scratch.chunk.extend_from_slice(&scratch.ids[start..end]);
            scratch.chunk.push(self.sep);
            scratch.pooled.clear();
            scratch.pooled.resize(dim, 0.0);
            self.forward(&scratch.chunk, &mut scratch.work, &mut scratch.pooled);
            normalise(&mut scratch.pooled);
            text_out
                .iter_mut()
                .zip(&scratch.pooled)
                .for_each(|(o, p)| *o += p);
            // The last hidden states of this chunk's mention pieces (position 0 is [CLS]).
            if mentions > 0 {
                for i in (start..end).filter(|&i| scratch.mention[i]) {
                    let row = &scratch.work.x[(1 + i - start) * dim..(2 + i - start) * dim];
                    mention_out.iter_mut().zip(row).for_each(|(o, h)| *o += h);
                }
            }
            start = end;
        }
        normalise(text_out);
        match (pooling, mentions) {
            (Pooling::Text, _) => {}
            (Pooling::TextAndTarget(_), 0) => mention_out.copy_from_slice(text_out),
            (Pooling::TextAndTarget(_), _) => normalise(mention_out),
        }
    }

    /// Marks in `scratch.mention` the pieces of `scratch.ids` that mention `target` (module
    /// doc, step 5) and returns how many were marked.
    fn mark_mentions(&self, target: &str, scratch: &mut EncoderScratch) -> usize {
        let table = embeddings();
        let n = scratch.ids.len();
        scratch.mention.clear();
        scratch.mention.resize(n, false);
        scratch.target_ids.clear();
        scratch.last_ids.clear();
        // The target's pieces, and those of its last word (no allocation per record).
        let (mut n_words, mut last_capitalised) = (0, false);
        let mut words = target.split_whitespace().peekable();
        while let Some(word) = words.next() {
            let is_last = words.peek().is_none();
            n_words += 1;
            last_capitalised = word.chars().next().is_some_and(char::is_uppercase);
            let (ids, last) = (&mut scratch.target_ids, &mut scratch.last_ids);
            table.for_each_piece(word, &mut scratch.buf, &mut scratch.key, |id| {
                ids.push(id);
                if is_last {
                    last.push(id);
                }
            });
        }
        let name = n_words > 1 && last_capitalised;
        let (ids, mention) = (&scratch.ids, &mut scratch.mention);
        let mut mark = |pattern: &[u32]| {
            let m = pattern.len();
            if m == 0 || m > n {
                return;
            }
            for start in 0..=n - m {
                if ids[start..start + m] == *pattern {
                    mention[start..start + m].iter_mut().for_each(|b| *b = true);
                }
            }
        };
        mark(&scratch.target_ids);
        if name {
            mark(&scratch.last_ids);
        }
        scratch.mention.iter().filter(|&&b| b).count()
    }

    /// The word pieces of `text` into `scratch.ids`.
    fn pieces(&self, text: &str, scratch: &mut EncoderScratch) {
        let table = embeddings();
        scratch.ids.clear();
        let ids = &mut scratch.ids;
        for word in text.split_whitespace() {
            table.for_each_piece(word, &mut scratch.buf, &mut scratch.key, |id| ids.push(id));
        }
    }

    /// Mean of the last hidden states of one sequence of ids into `pooled` (`dim()` long);
    /// the states themselves stay in `work.x`, (T, hidden) row-major.
    fn forward(&self, ids: &[u32], work: &mut Work, pooled: &mut [f32]) {
        let (t, h) = (ids.len(), self.config.hidden);
        let heads = self.config.heads;
        let d = h / heads;
        let eps = self.config.layer_norm_eps;
        let scale = 1.0 / (d as f32).sqrt();
        let mut x = matrix(&mut work.x, t, h);
        for (pos, (mut row, &id)) in x.rows_mut().into_iter().zip(ids).enumerate() {
            let word = self.word.row(id as usize);
            let position = self.position.row(pos);
            for (((v, w), p), tt) in row.iter_mut().zip(word).zip(position).zip(&self.token_type) {
                *v = w + p + tt;
            }
        }
        self.embedding_norm.apply(&mut x, eps);
        let mut q = matrix(&mut work.q, t, h);
        let mut k = matrix(&mut work.k, t, h);
        let mut v = matrix(&mut work.v, t, h);
        let mut ctx = matrix(&mut work.ctx, t, h);
        let mut sum = matrix(&mut work.sum, t, h);
        let mut inner = matrix(&mut work.inner, t, self.config.intermediate);
        let mut scores = matrix(&mut work.scores, t, t);
        for layer in &self.layers {
            layer.query.apply(&x.view(), &mut q);
            layer.key.apply(&x.view(), &mut k);
            layer.value.apply(&x.view(), &mut v);
            for head in 0..heads {
                let cols = s![.., head * d..(head + 1) * d];
                let k_head = k.slice(cols);
                general_mat_mul(scale, &q.slice(cols), &k_head.t(), 0.0, &mut scores);
                for mut row in scores.rows_mut() {
                    let max = row.fold(f32::NEG_INFINITY, |m, &s| m.max(s));
                    row.mapv_inplace(|s| (s - max).exp());
                    let total = row.sum();
                    row.mapv_inplace(|s| s / total);
                }
                general_mat_mul(1.0, &scores, &v.slice(cols), 0.0, &mut ctx.slice_mut(cols));
            }
            layer.attention_out.apply(&ctx.view(), &mut sum);
            sum += &x;
            layer.attention_norm.apply(&mut sum, eps);
            x.assign(&sum);
            layer.intermediate.apply(&x.view(), &mut inner);
            inner.mapv_inplace(gelu);
            layer.output.apply(&inner.view(), &mut sum);
            sum += &x;
            layer.output_norm.apply(&mut sum, eps);
            x.assign(&sum);
        }
        let mean = x.mean_axis(Axis(0)).expect("a chunk has positions");
        pooled.copy_from_slice(mean.as_slice().expect("standard layout"));
    }

    /// The weights in blob order.
    fn arrays(&self) -> Vec<ArrayViewD<'_, f32>> {
        let mut out = vec![
            self.word.view().into_dyn(),
            self.position.view().into_dyn(),
            self.token_type.view().into_dyn(),
            self.embedding_norm.weight.view().into_dyn(),
            self.embedding_norm.bias.view().into_dyn(),
        ];
        for layer in &self.layers {
            for linear in [&layer.query, &layer.key, &layer.value, &layer.attention_out] {
                out.push(linear.weight.view().into_dyn());
                out.push(linear.bias.view().into_dyn());
            }
            out.push(layer.attention_norm.weight.view().into_dyn());
            out.push(layer.attention_norm.bias.view().into_dyn());
            for linear in [&layer.intermediate, &layer.output] {
                out.push(linear.weight.view().into_dyn());
                out.push(linear.bias.view().into_dyn());
            }
            out.push(layer.output_norm.weight.view().into_dyn());
            out.push(layer.output_norm.bias.view().into_dyn());
        }
        out
    }

    /// Whether the shapes agree with the config (for model files read from disk).
    pub(crate) fn is_consistent(&self) -> bool {
        let shapes = self.config.tensors();
        let arrays = self.arrays();
        self.config.check().is_ok()
            && self.layers.len() == self.config.layers
            && shapes.len() == arrays.len()
            && shapes.iter().zip(&arrays).all(|((_, s), a)| a.shape() == s)
            && (self.cls as usize) < self.config.vocab_size
            && (self.sep as usize) < self.config.vocab_size
    }
}

impl fmt::Debug for Encoder {
    /// The identity and shape, not the millions of weights.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("name", &self.name)
            .field("sha256", &self.sha256)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The serialised form of an [`Encoder`].
#[derive(Deserialize)]
struct EncoderData {
    config: EncoderConfig,
    name: String,
    sha256: String,
    /// Every weight as a little-endian f16, in blob order.
    #[serde(with = "serde_bytes")]
    weights: Vec<u8>,
}

/// [`EncoderData`] borrowed, so that saving does not copy the f32 weights.
#[derive(Serialize)]
struct EncoderDataRef<'a> {
    config: &'a EncoderConfig,
    name: &'a str,
    sha256: &'a str,
    #[serde(with = "serde_bytes")]
    weights: &'a [u8],
}

impl Serialize for Encoder {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut weights = Vec::with_capacity(2 * self.config.n_weights());
        for array in self.arrays() {
            for &value in array.iter() {
                weights.extend_from_slice(&f16::from_f32(value).to_le_bytes());
            }
        }
        EncoderDataRef {
            config: &self.config,
            name: &self.name,
            sha256: &self.sha256,
            weights: &weights,
        }
        .serialize(serializer)
    }
}

impl TryFrom<EncoderData> for Encoder {
    type Error = String;

    fn try_from(data: EncoderData) -> Result<Encoder, String> {
        data.config
            .check()
            .map_err(|(field, reason)| format!("bad encoder config: {field} {reason}"))?;
        let n = data.config.n_weights();
        if data.weights.len() != 2 * n {
            return Err(format!(
                "encoder weights are {} bytes, expected {} for {n} f16 values",
                data.weights.len(),
                2 * n
            ));
        }
        let mut values = data
            .weights
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32());
        let tensors = data
            .config
            .tensors()
            .iter()
            .map(|(_, shape)| values.by_ref().take(shape.iter().product()).collect())
            .collect();
        let encoder = Encoder::assemble(data.config, data.name, data.sha256, tensors);
        debug_assert!(encoder.is_consistent());
        Ok(encoder)
    }
}

/// The bytes of a file of the model directory.
fn read(path: &Path) -> Result<Vec<u8>, EncoderError> {
    std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => EncoderError::MissingFile {
            path: path.to_path_buf(),
        },
        _ => EncoderError::Io {
            path: path.to_path_buf(),
            source,
        },
    })
}

/// The config of `config.json`.
fn read_config(path: &Path) -> Result<EncoderConfig, EncoderError> {
    let bad = |field: &str, reason: String| EncoderError::BadConfig {
        path: path.to_path_buf(),
        field: field.to_string(),
        reason,
    };
    let json: serde_json::Value = serde_json::from_slice(&read(path)?)
        .map_err(|e| bad("JSON", format!("cannot be parsed: {e}")))?;
    let field = |name: &str| -> Result<&serde_json::Value, EncoderError> {
        json.get(name).ok_or_else(|| bad(name, "is missing".into()))
    };
    let size = |name: &str| -> Result<usize, EncoderError> {
        let value = field(name)?;
        value
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| bad(name, format!("is {value}, not a size")))
    };
    match json.get("hidden_act") {
        Some(serde_json::Value::String(act)) if act == "gelu" => {}
        Some(act) => {
            return Err(EncoderError::UnsupportedActivation {
                path: path.to_path_buf(),
                activation: act.as_str().map_or_else(|| act.to_string(), str::to_string),
            })
        }
        None => return Err(bad("hidden_act", "is missing".into())),
    }
    if let Some(kind) = json.get("position_embedding_type") {
        if kind != "absolute" {
            return Err(bad(
                "position_embedding_type",
                format!("is {kind}, only \"absolute\" is supported"),
            ));
        }
    }
    let eps = match json.get("layer_norm_eps") {
        // BERT's default.
        None => 1e-12,
        Some(value) => value
            .as_f64()
            .ok_or_else(|| bad("layer_norm_eps", format!("is {value}, not a number")))?
            as f32,
    };
    let config = EncoderConfig {
        hidden: size("hidden_size")?,
        layers: size("num_hidden_layers")?,
        heads: size("num_attention_heads")?,
        intermediate: size("intermediate_size")?,
        max_positions: size("max_position_embeddings")?,
        vocab_size: size("vocab_size")?,
        layer_norm_eps: eps,
    };
    config
        .check()
        .map_err(|(field, reason)| bad(field, reason))?;
    Ok(config)
}

/// Checks that `vocab.txt` (its `bytes`) is the compiled-in vocabulary, piece by piece.
fn check_vocabulary(path: &Path, bytes: &[u8]) -> Result<(), EncoderError> {
    let differs = |reason: String| EncoderError::Vocabulary {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| differs(format!("not UTF-8 ({e})")))?;
    let table = embeddings();
    let mut count = 0;
    for (i, piece) in text.lines().enumerate() {
        if table.id(piece) != Some(i as u32) {
            return Err(differs(format!(
                "line {} is {piece:?}, which is not piece {i}",
                i + 1
            )));
        }
        count += 1;
    }
    if count != table.n_pieces() {
        return Err(differs(format!(
            "{count} pieces instead of {}",
            table.n_pieces()
        )));
    }
    Ok(())
}

/// Tensor `name` (or `bert.name`) of `file`, of the given shape, as f32 rounded to f16. The
/// token-type embeddings give their row 0.
fn read_tensor(
    file: &SafeTensors<'_>,
    path: &Path,
    name: &str,
    shape: &[usize],
) -> Result<Vec<f32>, EncoderError> {
    let tensor = file
        .tensor(name)
        .or_else(|_| file.tensor(&format!("bert.{name}")))
        .map_err(|_| EncoderError::MissingTensor {
            path: path.to_path_buf(),
            name: name.to_string(),
        })?;
    let found = tensor.shape();
    let shape_ok = if name == TOKEN_TYPE {
        found.len() == 2 && found[0] >= 1 && found[1] == shape[0]
    } else {
        found == shape
    };
    if !shape_ok {
        let expected = if name == TOKEN_TYPE {
            vec![2, shape[0]]
        } else {
            shape.to_vec()
        };
        return Err(EncoderError::TensorShape {
            path: path.to_path_buf(),
            name: name.to_string(),
            expected,
            found: found.to_vec(),
        });
    }
    let n: usize = shape.iter().product();
    let data = tensor.data();
    let values: Vec<f32> = match tensor.dtype() {
        Dtype::F32 => data
            .chunks_exact(4)
            .take(n)
            .map(|b| round_f16(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
            .collect(),
        Dtype::F16 => data
            .chunks_exact(2)
            .take(n)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        other => {
            return Err(EncoderError::TensorDtype {
                path: path.to_path_buf(),
                name: name.to_string(),
                dtype: format!("{other:?}"),
            })
        }
    };
    if values.len() != n {
        return Err(EncoderError::BadSafetensors {
            path: path.to_path_buf(),
            message: format!("tensor {name} holds {} values, not {n}", values.len()),
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::fs;

    use safetensors::tensor::TensorView;

    /// The tiny random BERT of `contrib/encoder/make_tiny.py`.
    fn tiny_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/encoder-tiny")
    }

    fn tiny() -> Encoder {
        Encoder::from_dir(&tiny_dir()).expect("the fixture loads")
    }

    fn encode(encoder: &Encoder, text: &str) -> Vec<f32> {
        let mut out = Vec::new();
        encoder.encode(text, &mut EncoderScratch::default(), &mut out);
        out
    }

    /// One text of `expected.json`.
    #[derive(Deserialize)]
    struct Expected {
        text: String,
        ids: Vec<u32>,
        vector: Vec<f32>,
    }

    fn expected() -> Vec<Expected> {
        let json = fs::read_to_string(tiny_dir().join("expected.json")).unwrap();
        serde_json::from_str(&json).unwrap()
    }

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    #[test]
    fn tiny_model_loads_with_its_config() {
        let encoder = tiny();
        let want = EncoderConfig {
            hidden: 8,
            layers: 2,
            heads: 2,
            intermediate: 16,
            max_positions: 300,
            vocab_size: 30522,
            layer_norm_eps: 1e-12,
        };
        assert_eq!(encoder.config(), &want);
        assert_eq!(encoder.dim(), 8);
        assert_eq!(encoder.name(), "encoder-tiny");
        let bytes = fs::read(tiny_dir().join("model.safetensors")).unwrap();
        assert_eq!(encoder.sha256(), format!("{:x}", Sha256::digest(&bytes)));
        assert_eq!(encoder.sha256().len(), 64);
        assert!(encoder.is_consistent());
    }

    /// Checks the pieces of `case` and encodes it into `got`.
    fn pieces_then_encode(
        encoder: &Encoder,
        case: &Expected,
        scratch: &mut EncoderScratch,
        got: &mut Vec<f32>,
    ) {
        encoder.pieces(&case.text, scratch);
        assert_eq!(scratch.ids, case.ids, "pieces of {:?}", case.text);
        encoder.encode(&case.text, scratch, got);
    }

    /// Pieces and vectors as `contrib/encoder/reference.py` computes them (numpy, float64).
    #[test]
    fn matches_the_numpy_reference() {
        let encoder = tiny();
        let cases = expected();
        // The empty text, "!!!", two sentences, and one of 640 pieces (3 chunks).
        assert!(cases.iter().any(|c| c.ids.is_empty()));
        assert!(cases.iter().any(|c| c.ids.len() > 2 * WINDOW));
        let mut scratch = EncoderScratch::default();
        let mut got = Vec::new();
        for case in &cases {
            pieces_then_encode(&encoder, case, &mut scratch, &mut got);
            assert_eq!(got.len(), case.vector.len());
            for (i, (g, w)) in got.iter().zip(&case.vector).enumerate() {
                assert!(
                    (g - w).abs() < 1e-4,
                    "{:?}: value {i} is {g}, the reference {w}\n got {got:?}\nwant {:?}",
                    case.text,
                    case.vector
                );
            }
        }
    }

    /// One text of `expected_targets.json`.
    #[derive(Deserialize)]
    struct ExpectedTarget {
        text: String,
        target: Option<String>,
        ids: Vec<u32>,
        vector: Vec<f32>,
    }

    /// Text and target-mention vectors as `contrib/encoder/reference.py` computes them: a
    /// mention, a name's last word alone, two people of one sentence, no mention, no target,
    /// and a mention in the last chunk of a long text.
    #[test]
    fn target_pooling_matches_the_numpy_reference() {
        let encoder = tiny();
        let json = fs::read_to_string(tiny_dir().join("expected_targets.json")).unwrap();
        let cases: Vec<ExpectedTarget> = serde_json::from_str(&json).unwrap();
        assert!(cases.iter().any(|c| c.ids.len() > 2 * WINDOW));
        let mut scratch = EncoderScratch::default();
        let mut got = Vec::new();
        for case in &cases {
            let target = case.target.as_deref();
            encoder.encode_with_target(&case.text, target, &mut scratch, &mut got);
            assert_eq!(scratch.ids, case.ids, "pieces of {:?}", case.text);
            assert_eq!(got.len(), 2 * encoder.dim());
            for (i, (g, w)) in got.iter().zip(&case.vector).enumerate() {
                assert!(
                    (g - w).abs() < 1e-4,
                    "{:?} about {target:?}: value {i} is {g}, the reference {w}",
                    case.text,
                );
            }
            // The first half is the text's own vector.
            assert_eq!(got[..encoder.dim()], encode(&encoder, &case.text)[..]);
        }
    }

    /// | target | what the second half is |
    /// |---|---|
    /// | none | the text vector |
    /// | not mentioned | the text vector |
    /// | each of two people in one sentence | a unit vector of its own |
    #[test]
    fn target_vectors_tell_two_people_apart() {
        let encoder = tiny();
        let text = "Smith praised the plan, but Jones attacked Smith.";
        let mut scratch = EncoderScratch::default();
        let mut with = |target: Option<&str>| {
            let mut out = Vec::new();
            encoder.encode_with_target(text, target, &mut scratch, &mut out);
            let (own, mention) = out.split_at(encoder.dim());
            (own.to_vec(), mention.to_vec())
        };
        for target in [None, Some("Brown")] {
            let (own, mention) = with(target);
            assert_eq!(own, mention, "{target:?}");
        }
        let (own, smith) = with(Some("Smith"));
        let (_, jones) = with(Some("Jones"));
        assert!((norm(&smith) - 1.0).abs() < 1e-5 && (norm(&jones) - 1.0).abs() < 1e-5);
        assert_ne!(smith, jones);
        assert_ne!(smith, own);
        // A scratch used for a target, then for plain encoding, gives the plain vector.
        let mut out = Vec::new();
        encoder.encode(text, &mut scratch, &mut out);
        assert_eq!(out, own);
    }

    #[test]
    fn vectors_are_unit_norm_and_deterministic() {
        let encoder = tiny();
        let long = "voters ".repeat(600);
        let texts = ["Critics slammed the plan", long.as_str(), "!!!", "a", ""];
        // One scratch reused across lengths, long then short, against a fresh one per text.
        let mut scratch = EncoderScratch::default();
        let mut out = Vec::new();
        for text in texts {
            encoder.encode(text, &mut scratch, &mut out);
            assert_eq!(out, encode(&encoder, text), "{text:?}");
            let want = if text.is_empty() { 0.0 } else { 1.0 };
            assert!((norm(&out) - want).abs() < 1e-5, "{text:?}: {}", norm(&out));
        }
        // Whitespace alone has no piece; punctuation has pieces, as in BERT.
        assert_eq!(encode(&encoder, " \t\n "), vec![0.0; 8]);
        assert!((norm(&encode(&encoder, " , ; ")) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn chunks_have_near_equal_windows() {
        // (pieces, chunk lengths without [CLS]/[SEP]) for the 254-piece window.
        let cases: &[(usize, &[usize])] = &[
            (1, &[1]),
            (254, &[254]),
            (255, &[128, 127]),
            (508, &[254, 254]),
            (640, &[214, 213, 213]),
        ];
        for &(n, want) in cases {
            let chunks = n.div_ceil(WINDOW);
            let (base, longer) = (n / chunks, n % chunks);
            let got: Vec<usize> = (0..chunks)
                .map(|c| base + usize::from(c < longer))
                .collect();
            assert_eq!(got, want, "{n} pieces");
        }
        // A long text is not the vector of its first chunk.
        let encoder = tiny();
        let first = "housing ".repeat(254);
        let long = format!("{first}{}", "protest ".repeat(254));
        assert_ne!(encode(&encoder, &first), encode(&encoder, &long));
    }

    #[test]
    fn serde_round_trip_keeps_the_vectors() {
        let encoder = tiny();
        let bytes = postcard::to_stdvec(&encoder).unwrap();
        let back: Encoder = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back.config(), encoder.config());
        assert_eq!(
            (back.name(), back.sha256()),
            (encoder.name(), encoder.sha256())
        );
        for case in expected() {
            assert_eq!(encode(&back, &case.text), encode(&encoder, &case.text));
        }
        // The weights are one raw f16 blob: 2 bytes a weight, and little else.
        let n_weights = 30522 * 8
            + 300 * 8
            + 8
            + 2 * 8
            + 2 * (4 * (8 * 8 + 8) + 2 * 8 + (16 * 8 + 16) + (8 * 16 + 8) + 2 * 8);
        let data: EncoderData = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(data.weights.len(), 2 * n_weights);
        assert!(
            bytes.len() - data.weights.len() < 200,
            "{} bytes",
            bytes.len()
        );
        // Loaded weights were already f16: saving again gives the same bytes.
        assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
    }

    #[test]
    fn damaged_blob_is_an_error() {
        let encoder = tiny();
        let mut data: EncoderData =
            postcard::from_bytes(&postcard::to_stdvec(&encoder).unwrap()).unwrap();
        data.weights.pop();
        let short = postcard::to_stdvec(&EncoderDataRef {
            config: &data.config,
            name: &data.name,
            sha256: &data.sha256,
            weights: &data.weights,
        })
        .unwrap();
        assert!(postcard::from_bytes::<Encoder>(&short).is_err());
        // A config that cannot run, with a blob of its size, is refused too.
        let mut config = data.config.clone();
        config.heads = 3;
        let odd = postcard::to_stdvec(&EncoderDataRef {
            config: &config,
            name: "odd",
            sha256: "",
            weights: &vec![0; 2 * config.n_weights()],
        })
        .unwrap();
        assert!(postcard::from_bytes::<Encoder>(&odd).is_err());
        // postcard's errors carry no message; serde_json's show the reasons.
        let odd_data = EncoderDataRef {
            config: &config,
            name: "odd",
            sha256: "",
            weights: &[0; 4],
        };
        let err = serde_json::from_str::<Encoder>(&serde_json::to_string(&odd_data).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("num_attention_heads 3 does not divide hidden_size 8"),
            "{err}"
        );
        let short_data = EncoderDataRef {
            config: &data.config,
            weights: &[0; 4],
            ..odd_data
        };
        let err = serde_json::from_str::<Encoder>(&serde_json::to_string(&short_data).unwrap())
            .unwrap_err()
            .to_string();
        let want = format!(
            "encoder weights are 4 bytes, expected {}",
            2 * data.config.n_weights()
        );
        assert!(err.contains(&want), "{err}");
        // Cut anywhere, the file does not load.
        let bytes = postcard::to_stdvec(&encoder).unwrap();
        for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(
                postcard::from_bytes::<Encoder>(&bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
    }

    /// A copy of the fixture in a temporary directory, changed by `change`.
    fn changed_copy(change: impl FnOnce(&Path)) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for file in ["config.json", "model.safetensors", "vocab.txt"] {
            fs::copy(tiny_dir().join(file), dir.path().join(file)).unwrap();
        }
        change(dir.path());
        dir
    }

    /// Rewrites `model.safetensors` in `dir` with `edit` applied to its (name, tensor) list.
    fn edit_tensors(dir: &Path, edit: impl FnOnce(&mut Vec<(String, TensorView<'_>)>)) {
        let path = dir.join("model.safetensors");
        let bytes = fs::read(&path).unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let mut tensors = file.tensors();
        edit(&mut tensors);
        fs::write(&path, safetensors::serialize(tensors, None).unwrap()).unwrap();
    }

    fn edit_config(dir: &Path, key: &str, value: serde_json::Value) {
        let path = dir.join("config.json");
        let mut json: serde_json::Value =
            serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        json[key] = value;
        fs::write(&path, json.to_string()).unwrap();
    }

    /// Rewrites `vocab.txt` with `change` applied to its lines.
    fn edit_vocab(dir: &Path, change: impl FnOnce(&mut Vec<&str>)) {
        let vocab = fs::read_to_string(dir.join("vocab.txt")).unwrap();
        let mut lines: Vec<&str> = vocab.lines().collect();
        change(&mut lines);
        fs::write(dir.join("vocab.txt"), lines.join("\n")).unwrap();
    }

    #[test]
    fn from_dir_errors_name_the_file() {
        type Change = Box<dyn FnOnce(&Path)>;
        /// Eight f32 or i32 zeros.
        static ZEROS: [u8; 32] = [0; 32];
        // (case, change to the fixture copy, file named, variant matches, message part)
        type Case = (
            &'static str,
            Change,
            &'static str,
            fn(&EncoderError) -> bool,
            &'static str,
        );
        let cases: Vec<Case> = vec![
            (
                "no config.json",
                Box::new(|d| fs::remove_file(d.join("config.json")).unwrap()),
                "config.json",
                |e| matches!(e, EncoderError::MissingFile { .. }),
                "no such file",
            ),
            (
                "no vocab.txt",
                Box::new(|d| fs::remove_file(d.join("vocab.txt")).unwrap()),
                "vocab.txt",
                |e| matches!(e, EncoderError::MissingFile { .. }),
                "no such file",
            ),
            (
                "relu",
                Box::new(|d| edit_config(d, "hidden_act", "relu".into())),
                "config.json",
                |e| matches!(e, EncoderError::UnsupportedActivation { .. }),
                "hidden_act \"relu\" is not supported",
            ),
            (
                "heads do not divide hidden",
                Box::new(|d| edit_config(d, "num_attention_heads", 3.into())),
                "config.json",
                |e| matches!(e, EncoderError::BadConfig { field, .. } if field == "num_attention_heads"),
                "3 does not divide hidden_size 8",
            ),
            (
                "hidden size missing",
                Box::new(|d| edit_config(d, "hidden_size", serde_json::Value::Null)),
                "config.json",
                |e| matches!(e, EncoderError::BadConfig { field, .. } if field == "hidden_size"),
                "hidden_size is null, not a size",
            ),
            (
                "two pieces swapped",
                Box::new(|d| edit_vocab(d, |lines| lines.swap(1996, 1997))),
                "vocab.txt",
                |e| matches!(e, EncoderError::Vocabulary { .. }),
                "line 1997 is \"of\", which is not piece 1996",
            ),
            (
                "vocabulary cut short",
                Box::new(|d| edit_vocab(d, |lines| lines.truncate(30000))),
                "vocab.txt",
                |e| matches!(e, EncoderError::Vocabulary { .. }),
                "30000 pieces instead of 30522",
            ),
            (
                "tensor missing",
                Box::new(|d| {
                    edit_tensors(d, |t| {
                        t.retain(|(n, _)| n != "encoder.layer.1.output.dense.bias")
                    })
                }),
                "model.safetensors",
                |e| matches!(e, EncoderError::MissingTensor { name, .. } if name == "encoder.layer.1.output.dense.bias"),
                "tensor encoder.layer.1.output.dense.bias is missing",
            ),
            (
                "tensor of the wrong shape",
                Box::new(|d| {
                    edit_tensors(d, |t| {
                        let view = TensorView::new(Dtype::F32, vec![2, 4], &ZEROS).unwrap();
                        t.retain(|(n, _)| n != "embeddings.LayerNorm.bias");
                        t.push(("embeddings.LayerNorm.bias".into(), view));
                    })
                }),
                "model.safetensors",
                |e| matches!(e, EncoderError::TensorShape { found, .. } if found == &[2, 4]),
                "has shape [2, 4], expected [8]",
            ),
            (
                "tensor of integers",
                Box::new(|d| {
                    edit_tensors(d, |t| {
                        let view = TensorView::new(Dtype::I32, vec![8], &ZEROS).unwrap();
                        t.retain(|(n, _)| n != "embeddings.LayerNorm.bias");
                        t.push(("embeddings.LayerNorm.bias".into(), view));
                    })
                }),
                "model.safetensors",
                |e| matches!(e, EncoderError::TensorDtype { .. }),
                "is I32, expected F32 or F16",
            ),
            (
                "not a safetensors file",
                Box::new(|d| fs::write(d.join("model.safetensors"), b"nonsense").unwrap()),
                "model.safetensors",
                |e| matches!(e, EncoderError::BadSafetensors { .. }),
                "not a safetensors file",
            ),
        ];
        for (case, change, file, is_variant, message) in cases {
            let dir = changed_copy(change);
            let err = Encoder::from_dir(dir.path()).unwrap_err();
            let text = err.to_string();
            assert!(is_variant(&err), "{case}: wrong variant {err:?}");
            let path = dir.path().join(file);
            assert!(text.contains(&path.display().to_string()), "{case}: {text}");
            assert!(text.contains(message), "{case}: {text:?} lacks {message:?}");
        }
        // A directory that is not there: its config.json is missing.
        let err = Encoder::from_dir(Path::new("/no/such/model")).unwrap_err();
        assert!(
            matches!(err, EncoderError::MissingFile { ref path } if path.ends_with("model/config.json"))
        );
    }

    #[test]
    fn bert_prefix_f16_tensors_and_directory_name_load_alike() {
        let plain = tiny();
        // `bert.`-prefixed F16 tensors: the same numbers; the name is the directory's.
        let dir = changed_copy(|d| {
            let path = d.join("model.safetensors");
            let bytes = fs::read(&path).unwrap();
            let file = SafeTensors::deserialize(&bytes).unwrap();
            let halves: Vec<(String, Vec<usize>, Vec<u8>)> = file
                .tensors()
                .into_iter()
                .map(|(name, view)| {
                    let data = view
                        .data()
                        .chunks_exact(4)
                        .flat_map(|b| {
                            f16::from_f32(f32::from_le_bytes(b.try_into().unwrap())).to_le_bytes()
                        })
                        .collect();
                    (format!("bert.{name}"), view.shape().to_vec(), data)
                })
                .collect();
            let views = halves.iter().map(|(name, shape, data)| {
                (
                    name.clone(),
                    TensorView::new(Dtype::F16, shape.clone(), data).unwrap(),
                )
            });
            fs::write(&path, safetensors::serialize(views, None).unwrap()).unwrap();
            let config = d.join("config.json");
            let mut json: serde_json::Value =
                serde_json::from_slice(&fs::read(&config).unwrap()).unwrap();
            json.as_object_mut().unwrap().remove("_name_or_path");
            fs::write(&config, json.to_string()).unwrap();
        });
        let halves = Encoder::from_dir(dir.path()).unwrap();
        let last = dir.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(halves.name(), last);
        assert_ne!(halves.sha256(), plain.sha256());
        for case in expected() {
            assert_eq!(
                encode(&halves, &case.text),
                encode(&plain, &case.text),
                "{:?}",
                case.text
            );
        }
    }

    #[test]
    fn encoder_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Encoder>();
        assert_send_sync::<EncoderScratch>();
    }

    /// Parity with the numpy reference on a real model, and the time of one 256-position chunk:
    /// `RHETOR_ENCODER_DIR=<model dir> RHETOR_ENCODER_EXPECTED=<reference.py output> cargo test
    /// --release --lib encoder -- --ignored --nocapture`.
    #[test]
    #[ignore = "needs a model directory and reference.py's output"]
    fn real_model_parity_and_speed() {
        let dir = PathBuf::from(std::env::var("RHETOR_ENCODER_DIR").unwrap());
        let started = std::time::Instant::now();
        let encoder = Encoder::from_dir(&dir).unwrap();
        println!(
            "{} ({}) loaded in {:.2?}",
            encoder.name(),
            encoder.sha256(),
            started.elapsed()
        );
        let json = fs::read_to_string(std::env::var("RHETOR_ENCODER_EXPECTED").unwrap()).unwrap();
        let cases: Vec<Expected> = serde_json::from_str(&json).unwrap();
        let mut scratch = EncoderScratch::default();
        let mut got = Vec::new();
        for case in &cases {
            pieces_then_encode(&encoder, case, &mut scratch, &mut got);
            let cosine: f32 = got.iter().zip(&case.vector).map(|(a, b)| a * b).sum();
            let head: Vec<String> = got.iter().take(5).map(|v| format!("{v:.4}")).collect();
            println!(
                "{:4} pieces  cosine {cosine:.7}  [{}]  {:?}",
                case.ids.len(),
                head.join(", "),
                case.text.chars().take(40).collect::<String>()
            );
            assert!(cosine >= 0.999, "{:?}: cosine {cosine}", case.text);
        }
        // 254 pieces: one chunk of 256 positions.
        let text = "word ".repeat(WINDOW);
        encoder.encode(&text, &mut scratch, &mut got);
        let rounds = 10;
        let started = std::time::Instant::now();
        for _ in 0..rounds {
            encoder.encode(&text, &mut scratch, &mut got);
        }
        println!("one 256-position chunk: {:.1?}", started.elapsed() / rounds);
    }
}
