//! Training: a labelled corpus in, a [`Model`] out.
//!
//! 1. Every task in the labels (or the ones asked for) gets a head.
//! 2. The analyzer and TF-IDF are fitted once on the training texts. With a search grid, every
//!    vocabulary candidate (word and character n-gram ranges, `min_df`, target features, cues,
//!    embeddings) is fitted and scored first: the mean over tasks of each head's
//!    cross-validated score at its base settings.
//! 3. Each head is trained by [`heads::train_head`]: its candidate settings (C, features per
//!    model, class weights, NB scaling, per-target models) are cross-validated with folds
//!    grouped by document (on a small corpus, averaged over cross-validations on reshuffled
//!    folds: [`TrainParams::repeats_for`]), the best is fitted on all rows, and its first
//!    cross-validation's out-of-fold logits give the Platt calibration of every output and,
//!    for multi-label heads, thresholds that maximise micro-F1 by the rule ([`ThresholdRule`])
//!    that does best cross-fitted (on the dev records instead, when given). Single-label heads
//!    of three or more labels also get top-label maps fitted on nested cross-validation, kept
//!    when they lower the held-out log-loss.
//! 4. A binary head over the same records as a multi-label head (`persuasion` and `technique`)
//!    may be stacked on that head's label logits, when nested cross-validation finds the
//!    stacker clearly better; the stacked model is folded into one linear model ([`stack`]).
//!
//! Nothing is chosen on data that is measured afterwards: only cross-validation over the
//! training records, or the dev records when the user passes them. Every step is deterministic
//! for a given seed, whatever the number of threads.

mod heads;
mod stack;
mod thresholds;

pub use heads::{repeat_seed, HeadSettings, SearchPoint, TopLabelCheck};
pub use thresholds::{best_threshold, tune_thresholds, ThresholdRule};

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use self::heads::{
    clearly_better, cv_assessment, has_target_groups, task_data, train_head, Coordinate, TaskData,
};
use self::thresholds::label_f1s;
use super::estimator::Estimator;
use super::{Head, HeadBody, Model, ModelData, TaskScores};
use crate::corpus::{discover_tasks, LabelValue, Record, TaskInfo, TaskKind};
use crate::error::{Error, TrainError};
use crate::eval::EvalReport;
use crate::features::{
    CsrMatrix, DocFreq, EncodedTexts, FittedTfIdf, TfIdfParams, TfIdfValidParams,
};
use crate::text::encoder::Encoder;
use crate::text::{AnalyzerConfig, AnalyzerParams};

/// How classes are weighted in training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ClassWeight {
    /// Every record counts once.
    None,
    /// Each class weighs n / (k · n_class), as scikit-learn's `class_weight="balanced"`.
    #[default]
    Balanced,
}

/// What a head's final model is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum FinalModel {
    /// Fold average for multi-label heads, refit for single-label heads. Measured on the dev
    /// splits: averaging raises multi-label micro-F1 (SemEval-2023 techniques 0.334 → 0.343,
    /// PTC 0.316 → 0.320) at no cost in calibration, but leaves single-label heads
    /// underconfident (NewsMTSC ECE 0.049 → 0.068), because the average's logits are less
    /// spread than the single fold models' logits the calibration was fitted on.
    #[default]
    Auto,
    /// Fitted again on all training rows, with C scaled by (k − 1) / k for k folds (the
    /// penalty per record of the fold models the calibration was fitted on).
    Refit,
    /// The average of the cross-validation fold models (a linear model too): the models the
    /// thresholds were tuned on, and less variance than one fit.
    FoldAverage,
}

/// The cross-validated measure that chooses C for single-label heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum SelectMetric {
    /// Macro-averaged F1 over the labels.
    #[default]
    MacroF1,
    /// Accuracy.
    Accuracy,
    /// Mean F1 of `favor` and `against` (SemEval-2016 stance); needs both labels.
    FAvg,
}

impl SelectMetric {
    /// Name as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SelectMetric::MacroF1 => "macro-F1",
            SelectMetric::Accuracy => "accuracy",
            SelectMetric::FAvg => "F_avg",
        }
    }
}

/// The values of C a search tries for every head. Wider than the default single-label grid:
/// short texts (GVFC headlines) want little regularisation, and cross-validation on train chose
/// the largest C offered for GVFC `relevance` while the grid ended at 10 or 100 (its
/// cross-validated macro-F1 0.829 at C ≤ 10, 0.846 at C = 100, 0.848 at C = 300). The default
/// training keeps its four values to stay fast.
pub const SEARCH_C_GRID: [f32; 7] = [0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0];

/// The values searched with `--search`, by coordinate ascent: first the vocabulary (word and
/// character n-gram ranges, `min_df`, target features when records have targets, rhetoric
/// cues, sentiment cues; one round), each candidate scored by the mean over tasks of the heads'
/// cross-validated scores; then each head (C from `c_grid`, features, class weights, NB
/// scaling, per-target models; rounds until one changes nothing, C tried in increasing order
/// until the score falls twice in a row). A value replaces the current one only when it is better by more than the
/// standard error of the paired per-fold differences (the one-standard-error rule), so settings
/// move on clear evidence only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchGrid {
    /// Word n-gram ranges.
    pub word_ngrams: Vec<(usize, usize)>,
    /// Character n-gram ranges (`None`: no character n-grams).
    pub char_ngrams: Vec<Option<(usize, usize)>>,
    /// Minimum document frequencies.
    pub min_df: Vec<DocFreq>,
    /// Target features: `None` off, `Some(w)` mentions masked and `w` words of side-tagged
    /// context (searched only when training records have targets).
    pub target: Vec<Option<usize>>,
    /// Rhetoric cues off / on.
    pub rhetoric: Vec<bool>,
    /// Sentiment cues off / on.
    pub sentiment: Vec<bool>,
    /// Target identity terms off / on (searched only when training records have targets).
    pub target_identity: Vec<bool>,
    /// Target context block off / on (searched only when training records have targets).
    pub target_context: Vec<bool>,
    /// Norms of the subword embedding blocks (0: off).
    pub embeddings: Vec<f32>,
    /// Norms of the word-category block (0: off; only 0 by default, so the search offers the
    /// block only when asked: see `--lexicon-grid`).
    pub lexicon: Vec<f32>,
    /// Norms of the sentence encoder block (0: off; searched only with an encoder).
    pub encoder: Vec<f32>,
    /// Target pooling in the encoder block off / on (searched only with an encoder block and
    /// training records with targets).
    pub encoder_target: Vec<bool>,
    /// The encoder models' shares of the blend (searched only with an encoder block).
    pub encoder_weights: Vec<f32>,
    /// Features per model.
    pub features: Vec<usize>,
    /// Class weightings.
    pub class_weights: Vec<ClassWeight>,
    /// NB-SVM scaling off / on.
    pub nb: Vec<bool>,
}

/// Sets the norm of one feature block of the analyzer settings.
type NormSetter = fn(&mut AnalyzerParams, f32);

impl SearchGrid {
    /// The grids of the feature blocks' norms (embeddings, word categories, encoder), each
    /// with the setting it moves.
    fn norm_grids(&self) -> [(&[f32], NormSetter); 3] {
        [
            (&self.embeddings, |a, v| a.embeddings = v),
            (&self.lexicon, |a, v| a.lexicon = v),
            (&self.encoder, |a, v| a.encoder = v),
        ]
    }
}

impl Default for SearchGrid {
    fn default() -> Self {
        SearchGrid {
            word_ngrams: vec![(1, 2), (1, 3)],
            char_ngrams: vec![None, Some((2, 5))],
            min_df: vec![DocFreq::Count(2), DocFreq::Count(3)],
            target: vec![None, Some(0), Some(3), Some(6)],
            rhetoric: vec![false, true],
            sentiment: vec![false, true],
            target_identity: vec![false, true],
            target_context: vec![false, true],
            embeddings: vec![0.0, 0.5, 1.0],
            lexicon: vec![0.0],
            encoder: vec![0.0, 1.0, 2.0],
            encoder_target: vec![false, true],
            encoder_weights: vec![0.25, 0.5, 0.75],
            features: vec![2000, 5000, 10000],
            class_weights: vec![ClassWeight::Balanced, ClassWeight::None],
            nb: vec![false, true],
        }
    }
}

/// Training settings.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `analyzer` | see [`AnalyzerParams`] | tokens, stemming, n-grams | |
/// | `tfidf` | see [`TfIdfParams`] | vocabulary and weighting | |
/// | `estimator` | logistic, C = 1 | the linfa estimator | see [`Estimator`] |
/// | `features_per_head` | 5000 | chi-square top-K features per model | >= 1 |
/// | `class_weight` | balanced | class imbalance | |
/// | `folds` | 5 | cross-validation folds for thresholds (grouped by document) | >= 2 |
/// | `repeats` | 0 (auto) | cross-validations, each on reshuffled folds, whose mean scores every candidate | 0 (auto) or any count |
/// | `seed` | 42 | folds and any randomised estimator | |
/// | `min_target_records` | 200 | records a stance target needs for its own model (0: never) | |
/// | `c_grid` | 0.3, 1, 3, 10 | C values searched by cross-validation (single-label heads; every head with `search`, where the command line offers [`SEARCH_C_GRID`]) | each > 0 |
/// | `select_metric` | macro-F1 | what single-label searches maximise | |
/// | `nb` | off | NB-SVM log-count-ratio scaling | |
/// | `search` | none | the grids searched by cross-validation | see [`SearchGrid`] |
/// | `tasks` | all | tasks to train | names in the labels |
/// | `encoder` | none | the sentence encoder of the encoder block (`analyzer.encoder` > 0) | |
/// | `encoder_weight` | 0.5 | the encoder models' share of each head's blend | `0 < w <= 1` |
///
/// # Errors
/// [`TrainParams::check`] returns the analyzer's, the TF-IDF's or a
/// [`TrainError::BadParam`] error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Text stage.
    pub analyzer: AnalyzerParams,
    /// Feature stage.
    pub tfidf: TfIdfParams,
    /// Estimator.
    pub estimator: Estimator,
    /// Features each model keeps (chi-square top-K).
    pub features_per_head: usize,
    /// Class weighting.
    pub class_weight: ClassWeight,
    /// Cross-validation folds.
    pub folds: usize,
    /// How many times every candidate of a search (C grid, head and vocabulary settings; the
    /// head's one setting without a search) is cross-validated, each time on the folds
    /// reshuffled; its score is the mean. 0: auto, see
    /// [`TrainParams::repeats_for`]. Calibration, thresholds and the final model come from the
    /// first repeat, on the seed's own folds. A trained model records the number resolved.
    pub repeats: usize,
    /// Random seed.
    pub seed: u64,
    /// Records a target needs for its own single-label model; 0 disables per-target models.
    pub min_target_records: usize,
    /// Candidate values of C for single-label heads, chosen by cross-validation (logistic
    /// estimator; one value or none: no search, the estimator's C is used).
    pub c_grid: Vec<f32>,
    /// The measure that chooses single-label settings.
    pub select_metric: SelectMetric,
    /// NB-SVM log-count-ratio scaling of binary models' features.
    pub nb: bool,
    /// Settings searched by cross-validation, if any.
    pub search: Option<SearchGrid>,
    /// Each head's final model.
    pub final_model: FinalModel,
    /// Tasks to train (empty: every task in the labels).
    pub tasks: Vec<String>,
    /// The sentence encoder whose vectors form the encoder block (needed when
    /// `analyzer.encoder` > 0 or the search grid has an encoder norm above 0). Not written into
    /// the settings a model file records: the model's vocabulary carries the encoder itself.
    #[serde(skip)]
    pub encoder: Option<EncoderChoice>,
    /// The encoder models' share of each head's blend (see
    /// [`HeadSettings::encoder_weight`]).
    pub encoder_weight: f32,
}

/// A sentence encoder for training; two compare equal when their weights' checksums do.
#[derive(Debug, Clone)]
pub struct EncoderChoice(pub Arc<Encoder>);

impl PartialEq for EncoderChoice {
    fn eq(&self, other: &Self) -> bool {
        self.0.sha256() == other.0.sha256()
    }
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            analyzer: AnalyzerParams::default(),
            tfidf: TfIdfParams::default(),
            estimator: Estimator::default(),
            features_per_head: 5000,
            class_weight: ClassWeight::Balanced,
            folds: 5,
            repeats: 0,
            seed: 42,
            min_target_records: 200,
            c_grid: vec![0.3, 1.0, 3.0, 10.0],
            select_metric: SelectMetric::MacroF1,
            nb: false,
            search: None,
            final_model: FinalModel::Auto,
            tasks: Vec::new(),
            encoder: None,
            encoder_weight: 0.5,
        }
    }
}

/// Checked training settings; only [`TrainParams::check`] makes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidTrainParams {
    params: TrainParams,
    analyzer: AnalyzerConfig,
    tfidf: TfIdfValidParams,
}

/// With `repeats` at 0 (auto), searches repeat their cross-validation until candidates are
/// scored on at least this many held-out predictions in all ...
pub const AUTO_REPEAT_ROWS: usize = 2000;
/// ... but at most this many times.
pub const MAX_AUTO_REPEATS: usize = 5;

impl TrainParams {
    /// The cross-validations a search averages on `records` training records: `repeats`, or
    /// with 0 (auto) enough that they hold out [`AUTO_REPEAT_ROWS`] predictions in all, at most
    /// [`MAX_AUTO_REPEATS`]. On a few hundred records one split's score moves by about ±0.01
    /// with the shuffle (SemEval-2023 frames, 351 articles: 0.681–0.703 over 8 fold seeds at
    /// the same settings), more than most settings differ; averaging over reshuffled folds
    /// keeps the search from choosing on that noise. On larger corpora one split is enough,
    /// and the repeats would multiply the search's cost.
    pub fn repeats_for(&self, records: usize) -> usize {
        if self.repeats > 0 {
            self.repeats
        } else {
            AUTO_REPEAT_ROWS
                .div_ceil(records.max(1))
                .clamp(1, MAX_AUTO_REPEATS)
        }
    }

    /// Validates every setting.
    pub fn check(self) -> Result<ValidTrainParams, Error> {
        let analyzer = self.analyzer.clone().check()?;
        let tfidf = self.tfidf.clone().check()?;
        self.estimator.check().map_err(TrainError::BadParam)?;
        if self.features_per_head == 0 {
            return Err(TrainError::BadParam("features per head must be at least 1".into()).into());
        }
        if let Some(c) = self.c_grid.iter().find(|c| !(c.is_finite() && **c > 0.0)) {
            return Err(TrainError::BadParam(format!(
                "every C in the grid must be a finite number > 0 (got {c})"
            ))
            .into());
        }
        if let Some(g) = &self.search {
            for &w in &g.word_ngrams {
                for &c in &g.char_ngrams {
                    AnalyzerParams {
                        word_ngrams: w,
                        char_ngrams: c,
                        ..self.analyzer.clone()
                    }
                    .check()?;
                }
            }
            for (values, set) in g.norm_grids() {
                for &v in values {
                    let mut a = self.analyzer.clone();
                    set(&mut a, v);
                    a.check()?;
                }
            }
            for &m in &g.min_df {
                TfIdfParams {
                    min_df: m,
                    ..self.tfidf.clone()
                }
                .check()?;
            }
            if g.features.contains(&0) {
                return Err(
                    TrainError::BadParam("features per head must be at least 1".into()).into(),
                );
            }
            if [
                g.word_ngrams.is_empty(),
                g.char_ngrams.is_empty(),
                g.min_df.is_empty(),
                g.features.is_empty(),
                g.class_weights.is_empty(),
                g.nb.is_empty(),
                g.rhetoric.is_empty(),
                g.sentiment.is_empty(),
                g.target_identity.is_empty(),
                g.target_context.is_empty(),
                g.embeddings.is_empty(),
                g.lexicon.is_empty(),
                g.encoder.is_empty(),
                g.encoder_weights.is_empty(),
            ]
            .contains(&true)
            {
                return Err(TrainError::BadParam(
                    "every search grid needs at least one value".into(),
                )
                .into());
            }
        }
        let weights = self.search.iter().flat_map(|g| &g.encoder_weights);
        if let Some(w) = std::iter::once(&self.encoder_weight)
            .chain(weights)
            .find(|w| !(**w > 0.0 && **w <= 1.0))
        {
            return Err(TrainError::BadParam(format!(
                "an encoder weight must be in (0, 1] (got {w})"
            ))
            .into());
        }
        if self.analyzer.encoder > 0.0 && self.encoder.is_none() {
            return Err(TrainError::BadParam(format!(
                "an encoder norm of {} needs a sentence encoder (--encoder DIR)",
                self.analyzer.encoder
            ))
            .into());
        }
        if self.analyzer.encoder_target && self.encoder.is_none() {
            return Err(TrainError::BadParam(
                "target pooling (--encoder-target) needs a sentence encoder (--encoder DIR)".into(),
            )
            .into());
        }
        if self.folds < 2 {
            return Err(TrainError::BadParam(format!(
                "cross-validation needs at least 2 folds (got {})",
                self.folds
            ))
            .into());
        }
        Ok(ValidTrainParams {
            params: self,
            analyzer,
            tfidf,
        })
    }
}

impl ValidTrainParams {
    /// The settings.
    pub fn params(&self) -> &TrainParams {
        &self.params
    }
}

/// A data file a model was trained or tuned on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataFileInfo {
    /// The path as given.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Records read from it.
    pub records: usize,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
}

impl DataFileInfo {
    /// Hashes a file (streaming).
    pub fn of_file(path: &Path, records: usize) -> std::io::Result<DataFileInfo> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            bytes += n as u64;
            hasher.update(&buf[..n]);
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(DataFileInfo {
            path: path.display().to_string(),
            bytes,
            records,
            sha256,
        })
    }
}

/// Facts about one trained head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadMeta {
    /// Task name.
    pub task: String,
    /// Training records labelled for the task.
    pub n_train: usize,
    /// Training records per label.
    pub label_counts: BTreeMap<String, usize>,
    /// Targets with their own model.
    pub targets: Vec<String>,
    /// The settings the head was fitted with.
    pub settings: HeadSettings,
    /// Cross-validated score of those settings (micro-F1 for multi-label heads, the selection
    /// measure for single-label ones), out of fold, after calibration.
    pub cv_score: f64,
    /// Every candidate tried, when there was more than one.
    pub search: Vec<SearchPoint>,
    /// For multi-label heads: the out-of-fold (or dev) F1 each label's threshold reached.
    pub threshold_f1: Vec<f32>,
    /// For multi-label heads: each threshold rule's cross-fitted micro-F1 on the out-of-fold
    /// scores; the best ([`HeadMeta::threshold_rule`]) set the thresholds.
    pub threshold_rules: Vec<(ThresholdRule, f32)>,
    /// For single-label heads with three or more labels: the expected calibration error and
    /// log-loss of the predicted label's probability on nested cross-validation predictions,
    /// without and with top-label maps (each fold's maps fitted on the other folds). The maps
    /// are kept when they lower the log-loss.
    pub top_label_check: Option<TopLabelCheck>,
}

impl HeadMeta {
    /// The rule that set a multi-label head's thresholds (none for a single-label head).
    pub fn threshold_rule(&self) -> Option<ThresholdRule> {
        ThresholdRule::best(&self.threshold_rules)
    }
}

/// One vocabulary candidate of a search and its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VocabularyPoint {
    /// The analyzer settings.
    pub analyzer: AnalyzerParams,
    /// Minimum document frequency.
    pub min_df: DocFreq,
    /// Size of the vocabulary.
    pub n_features: usize,
    /// Mean over tasks of the heads' cross-validated scores.
    pub score: f64,
}

/// The vocabulary settings a search moves.
#[derive(Debug, Clone, PartialEq)]
struct VocabularySettings {
    analyzer: AnalyzerParams,
    tfidf: TfIdfParams,
}

/// One vocabulary setting searched by coordinate ascent, with its values.
enum VocabularyCoordinate {
    Word(Vec<(usize, usize)>),
    Char(Vec<Option<(usize, usize)>>),
    MinDf(Vec<DocFreq>),
    Target(Vec<Option<usize>>),
    /// An on/off analyzer setting (rhetoric or sentiment cues, target identity or context),
    /// with the function that sets it.
    Switch(Vec<bool>, fn(&mut AnalyzerParams, bool)),
    /// The norm of a feature block (embeddings, word categories, encoder; 0: off), with the
    /// function that sets it.
    Norm(Vec<f32>, NormSetter),
    /// Target pooling in the encoder block: moves only when there is a block.
    EncoderTarget(Vec<bool>),
}

impl VocabularyCoordinate {
    fn variants(&self, v: &VocabularySettings) -> Vec<VocabularySettings> {
        let with = |f: &dyn Fn(&mut VocabularySettings)| {
            let mut n = v.clone();
            f(&mut n);
            n
        };
        match self {
            VocabularyCoordinate::Word(values) => values
                .iter()
                .map(|&w| with(&|n| n.analyzer.word_ngrams = w))
                .collect(),
            VocabularyCoordinate::Char(values) => values
                .iter()
                .map(|&c| with(&|n| n.analyzer.char_ngrams = c))
                .collect(),
            VocabularyCoordinate::MinDf(values) => values
                .iter()
                .map(|&m| with(&|n| n.tfidf.min_df = m))
                .collect(),
            VocabularyCoordinate::Target(values) => values
                .iter()
                .map(|&t| {
                    with(&|n| {
                        n.analyzer.target_mask = t.is_some();
                        n.analyzer.target_window = t.unwrap_or(0);
                    })
                })
                .collect(),
            VocabularyCoordinate::Switch(values, set) => values
                .iter()
                .map(|&on| with(&|n| set(&mut n.analyzer, on)))
                .collect(),
            VocabularyCoordinate::Norm(values, set) => values
                .iter()
                .map(|&e| with(&|n| set(&mut n.analyzer, e)))
                .collect(),
            VocabularyCoordinate::EncoderTarget(_) if v.analyzer.encoder <= 0.0 => {
                vec![v.clone()]
            }
            VocabularyCoordinate::EncoderTarget(values) => values
                .iter()
                .map(|&on| with(&|n| n.analyzer.encoder_target = on))
                .collect(),
        }
    }
}

/// How a model was trained: stored in the model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingMeta {
    /// rhetor version that trained it.
    pub rhetor_version: String,
    /// The settings.
    pub settings: TrainParams,
    /// Training files.
    pub train_files: Vec<DataFileInfo>,
    /// Dev files (thresholds were tuned on them).
    pub dev_files: Vec<DataFileInfo>,
    /// Training records used.
    pub n_train_records: usize,
    /// Where the multi-label thresholds come from.
    pub thresholds_from: String,
    /// Per head.
    pub heads: Vec<HeadMeta>,
    /// Vocabulary candidates scored by the search (empty without one).
    pub vocabulary_search: Vec<VocabularyPoint>,
    /// Metrics on the dev files, as the JSON of an [`EvalReport`].
    pub dev_metrics_json: Option<String>,
}

impl TrainingMeta {
    /// The dev metrics, if the model was trained with dev files.
    pub fn dev_metrics(&self) -> Option<EvalReport> {
        self.dev_metrics_json
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
    }
}

/// What happened during training, for the person who asked.
#[derive(Debug, Clone, Default)]
pub struct TrainReport {
    /// Things the user should know (skipped tasks, rare labels...).
    pub warnings: Vec<String>,
    /// (stage, seconds).
    pub timings: Vec<(String, f64)>,
    /// Decisions taken after the heads' searches (stacking), one line each.
    pub notes: Vec<String>,
    /// (head, the multi-label head it is stacked on), for each stacked head.
    pub stacked: Vec<(String, String)>,
}

/// Per-label (probability, is gold) pairs of `head` over the records labelled for it.
fn label_scores(
    head: &Head,
    head_idx: usize,
    records: &[Record],
    scored: &[Vec<TaskScores>],
) -> Vec<Vec<(f32, bool)>> {
    let labelled: Vec<(&Record, &[f32])> = records
        .iter()
        .zip(scored)
        .filter(|(r, _)| r.labels.contains_key(&head.task))
        .map(|(r, s)| (r, s[head_idx].probs.as_slice()))
        .collect();
    (0..head.labels.len())
        .map(|l| {
            labelled
                .iter()
                .map(|(r, p)| {
                    let gold = r.labels[&head.task].labels().any(|g| g == head.labels[l]);
                    (p[l], gold)
                })
                .collect()
        })
        .collect()
}

/// The base settings of a head (what the vocabulary search scores every head with).
fn base_settings(params: &TrainParams, x: &CsrMatrix) -> HeadSettings {
    HeadSettings {
        c: params.estimator.c(),
        features: params.features_per_head,
        class_weight: params.class_weight,
        nb: params.nb,
        per_target: false,
        encoder_weight: x.has_encoder().then_some(params.encoder_weight),
    }
}

/// The settings a head searches, in order: C from `c_grid` for single-label heads (every head
/// when searching), then with a search grid its features, class weights and NB scaling, and
/// per-target models on or off when the task has targets with enough records.
fn head_coordinates(
    params: &TrainParams,
    kind: TaskKind,
    has_targets: bool,
    has_encoder: bool,
) -> Vec<Coordinate> {
    let mut coords = Vec::new();
    let search_c = params.search.is_some() || kind == TaskKind::Single;
    if params.estimator.c().is_some() && search_c && params.c_grid.len() > 1 {
        coords.push(Coordinate::C(params.c_grid.clone()));
    }
    if let Some(g) = &params.search {
        coords.push(Coordinate::Features(g.features.clone()));
        coords.push(Coordinate::ClassWeight(g.class_weights.clone()));
        coords.push(Coordinate::Nb(g.nb.clone()));
        if has_encoder {
            coords.push(Coordinate::EncoderWeight(g.encoder_weights.clone()));
        }
    }
    if kind == TaskKind::Single && has_targets {
        coords.push(Coordinate::PerTarget(vec![false, true]));
    }
    coords.retain(|c| match c {
        Coordinate::C(v) => v.len() > 1,
        Coordinate::Features(v) => v.len() > 1,
        Coordinate::ClassWeight(v) => v.len() > 1,
        Coordinate::Nb(v) | Coordinate::PerTarget(v) => v.len() > 1,
        Coordinate::EncoderWeight(v) => v.len() > 1,
    });
    coords
}

/// A task that can be trained, or why not.
fn trainable<'a>(
    info: &'a TaskInfo,
    train: &'a [Record],
    record_rows: &[Option<usize>],
) -> Result<TaskData<'a>, String> {
    let data = task_data(info, train, record_rows);
    if data.labels.len() < 2 && info.kind == TaskKind::Single {
        return Err(format!(
            "task `{}` skipped: it has a single label ({}) in the training data",
            info.name,
            data.labels.join(", ")
        ));
    }
    if data.labels.is_empty() {
        return Err(format!(
            "task `{}` skipped: no record carries any of its labels",
            info.name
        ));
    }
    let mut docs = data.docs.clone();
    docs.sort_unstable();
    docs.dedup();
    if docs.len() < 2 {
        return Err(format!(
            "task `{}` skipped: all its {} records come from one document (`{}`), and cross-validation needs at least 2 (folds never split a document)",
            info.name,
            data.rows.len(),
            docs.first().copied().unwrap_or_default()
        ));
    }
    Ok(data)
}

/// Warnings about a trainable task's data: too few documents or records for the folds, a
/// multi-label label that no record goes without.
fn data_warnings(info: &TaskInfo, data: &TaskData, folds: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut docs = data.docs.clone();
    docs.sort_unstable();
    docs.dedup();
    if docs.len() < folds {
        out.push(format!(
            "task `{}`: its records come from {} documents, fewer than the {folds} folds (folds never split a document); cross-validation runs on {} folds only",
            info.name,
            docs.len(),
            docs.len()
        ));
    }
    for (label, &count) in &info.label_counts {
        if count < folds {
            out.push(format!(
                "task `{}`: label `{label}` has {count} training record{}, fewer than the {folds} folds; its calibration{} unreliable",
                info.name,
                if count == 1 { "" } else { "s" },
                if info.kind == TaskKind::Multi { " and threshold are" } else { " is" }
            ));
        }
        if info.kind == TaskKind::Multi && count == info.n_records {
            out.push(format!(
                "task `{}`: label `{label}` is on every one of its {count} training records, so the model cannot learn when it is absent",
                info.name
            ));
        }
    }
    out
}

/// Warnings about dev records the model cannot score as labelled: labels of a trained task
/// that the training data lacks, and tasks that were not trained.
fn dev_warnings(heads: &[Head], dev: &[Record]) -> Vec<String> {
    let mut out = Vec::new();
    let dev_tasks = match discover_tasks(dev) {
        Ok(t) => t,
        Err(e) => return vec![format!("dev: {e}")],
    };
    for (name, info) in &dev_tasks {
        let Some(head) = heads.iter().find(|h| &h.task == name) else {
            out.push(format!(
                "dev: task `{name}` ({} records) was not trained; it is ignored",
                info.n_records
            ));
            continue;
        };
        for (label, count) in &info.label_counts {
            if !head.labels.contains(label) {
                out.push(format!(
                    "dev: task `{name}`: label `{label}` ({count} records, first in {}) is not in the training data; the model never predicts it",
                    dev.iter()
                        .find(|r| r.labels.get(name).is_some_and(|v| v.labels().any(|l| l == label)))
                        .map_or_else(String::new, |r| r.origin.to_string())
                ));
            }
        }
    }
    out
}

/// A vocabulary's settings in a few words (as printed by `rhetor train`).
pub fn describe_vocabulary(a: &AnalyzerParams, t: &TfIdfParams) -> String {
    let mut out = format!(
        "word {}-{}, char {}, min_df {}",
        a.word_ngrams.0,
        a.word_ngrams.1,
        a.char_ngrams
            .map_or("none".to_string(), |(x, y)| format!("{x}-{y}")),
        t.min_df
    );
    if a.target_mask {
        out.push_str(&format!(", target mask window {}", a.target_window));
    } else if a.target_window > 0 {
        out.push_str(&format!(", target window {}", a.target_window));
    }
    if a.rhetoric {
        out.push_str(", rhetoric");
    }
    if a.sentiment {
        out.push_str(", sentiment");
    }
    if a.target_identity {
        out.push_str(", target identity");
    }
    if a.target_context {
        out.push_str(", target context");
    }
    if a.embeddings > 0.0 {
        out.push_str(&format!(", embeddings {}", a.embeddings));
    }
    if a.lexicon > 0.0 {
        out.push_str(&format!(", word categories {}", a.lexicon));
    }
    if a.encoder > 0.0 {
        out.push_str(&format!(", encoder {}", a.encoder));
        if a.encoder_target {
            out.push_str(" with target");
        }
    }
    out
}

/// Fits the vocabulary candidate and scores it: the mean over tasks of each head's
/// cross-validated score at its base settings, overall and per fold.
#[allow(clippy::too_many_arguments)]
fn score_vocabulary(
    params: &TrainParams,
    analyzer: &AnalyzerConfig,
    tfidf: &TfIdfValidParams,
    texts: &[(&str, Option<&str>)],
    encoded: Option<&EncodedTexts>,
    tasks: &[&TaskInfo],
    train: &[Record],
    record_rows: &[Option<usize>],
) -> Result<(FittedTfIdf, CsrMatrix, f64, Vec<f64>), Error> {
    let (fitted, x) = tfidf.fit_transform_encoded(&analyzer.build(), texts, encoded)?;
    let base = base_settings(params, &x);
    let mut n = 0usize;
    let mut total = 0.0;
    let mut folds = vec![0.0; params.folds * params.repeats.max(1)];
    for info in tasks {
        if let Ok(data) = trainable(info, train, record_rows) {
            let a = cv_assessment(&data, &x, params, &base)?;
            total += a.score;
            folds
                .iter_mut()
                .zip(&a.fold_scores)
                .for_each(|(f, s)| *f += s);
            n += 1;
        }
    }
    let n = n.max(1) as f64;
    folds.iter_mut().for_each(|f| *f /= n);
    Ok((fitted, x, total / n, folds))
}

/// Trains a model on `train`; with `dev`, thresholds are tuned on it and its metrics stored.
///
/// `train_files` and `dev_files` describe where the records came from (stored in the model).
/// `progress` receives a line per stage.
pub fn train(
    params: &ValidTrainParams,
    train: &[Record],
    dev: Option<&[Record]>,
    train_files: Vec<DataFileInfo>,
    dev_files: Vec<DataFileInfo>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<(Model, TrainReport), Error> {
    let mut p = params.params.clone();
    let mut report = TrainReport::default();
    let clock = Instant::now();
    let all_tasks = discover_tasks(train)?;
    let tasks: Vec<&TaskInfo> = if p.tasks.is_empty() {
        all_tasks.values().collect()
    } else {
        p.tasks
            .iter()
            .map(|t| {
                all_tasks.get(t).ok_or_else(|| TrainError::UnknownTask {
                    task: t.clone(),
                    found: all_tasks.keys().cloned().collect::<Vec<_>>().join(", "),
                })
            })
            .collect::<Result<_, _>>()?
    };
    if tasks.is_empty() {
        return Err(TrainError::NoLabels.into());
    }

    // Texts (with their stance targets) of the records labelled for at least one trained task.
    let mut record_rows = vec![None; train.len()];
    let mut texts = Vec::new();
    for (i, r) in train.iter().enumerate() {
        if tasks.iter().any(|t| r.labels.contains_key(&t.name)) {
            record_rows[i] = Some(texts.len());
            texts.push((r.text.as_str(), r.target.as_deref()));
        }
    }
    p.repeats = p.repeats_for(texts.len());
    if p.repeats > 1 {
        progress(&format!(
            "searches average {} cross-validations on reshuffled folds ({} records)",
            p.repeats,
            texts.len()
        ));
    }

    // The sentence encoder's vectors of the texts, once for every vocabulary candidate.
    // (Only if some candidate uses the block.)
    let wanted = p.analyzer.encoder > 0.0
        || p.search
            .as_ref()
            .is_some_and(|g| g.encoder.iter().any(|&n| n > 0.0));
    // With the target mentions' vectors too, if some record has a target and some candidate
    // pools them.
    let has_targets = train.iter().any(|r| r.target.is_some());
    let with_target = p.analyzer.encoder_target
        || has_targets
            && p.search
                .as_ref()
                .is_some_and(|g| g.encoder_target.contains(&true));
    let encoded = p.encoder.as_ref().filter(|_| wanted).map(|e| {
        progress(&format!(
            "encoding {} records with {}",
            texts.len(),
            e.0.name()
        ));
        // A line per tenth of the records at most.
        let tenth = texts.len().div_ceil(10).max(1);
        let reported = std::sync::atomic::AtomicUsize::new(0);
        let encoded = EncodedTexts::compute(Arc::clone(&e.0), &texts, with_target, |done| {
            let step = done / tenth;
            if done == texts.len() || step > reported.swap(step, Ordering::Relaxed) {
                progress(&format!("encoded {done} of {}", texts.len()));
            }
        });
        report
            .timings
            .push(("encoder".into(), clock.elapsed().as_secs_f64()));
        encoded
    });
    let encoded = encoded.as_ref();

    // The vocabulary: the one asked for, or the best of the search grid's candidates.
    let mut vocabulary_search = Vec::new();
    let (analyzer, tfidf, x) = match p.search.clone() {
        None => {
            progress(&format!("fitting TF-IDF on {} records", texts.len()));
            let (tfidf, x) =
                params
                    .tfidf
                    .fit_transform_encoded(&params.analyzer.build(), &texts, encoded)?;
            (params.analyzer.clone(), tfidf, x)
        }
        Some(grid) => {
            let mut coordinates = vec![
                VocabularyCoordinate::Word(grid.word_ngrams.clone()),
                VocabularyCoordinate::Char(grid.char_ngrams.clone()),
                VocabularyCoordinate::MinDf(grid.min_df.clone()),
            ];
            if has_targets {
                coordinates.push(VocabularyCoordinate::Target(grid.target.clone()));
            }
            // On/off settings: (values, setter, whether they apply to this corpus).
            type Setter = fn(&mut AnalyzerParams, bool);
            let switches: [(&Vec<bool>, Setter, bool); 4] = [
                (&grid.rhetoric, |a, on| a.rhetoric = on, true),
                (&grid.sentiment, |a, on| a.sentiment = on, true),
                (
                    &grid.target_identity,
                    |a, on| a.target_identity = on,
                    has_targets,
                ),
                (
                    &grid.target_context,
                    |a, on| a.target_context = on,
                    has_targets,
                ),
            ];
            coordinates.extend(
                switches
                    .into_iter()
                    .filter(|s| s.2)
                    .map(|(values, set, _)| VocabularyCoordinate::Switch(values.clone(), set)),
            );
            let norm = |(values, set): (&[f32], NormSetter)| {
                VocabularyCoordinate::Norm(values.to_vec(), set)
            };
            let [embeddings, lexicon, encoder] = grid.norm_grids();
            coordinates.extend([norm(embeddings), norm(lexicon)]);
            if encoded.is_some() {
                coordinates.push(norm(encoder));
                if with_target && has_targets {
                    coordinates.push(VocabularyCoordinate::EncoderTarget(
                        grid.encoder_target.clone(),
                    ));
                }
            }
            let mut current = VocabularySettings {
                analyzer: p.analyzer.clone(),
                tfidf: p.tfidf.clone(),
            };
            let mut evaluated: Vec<(VocabularySettings, f64, Vec<f64>)> = Vec::new();
            let mut kept: Option<(VocabularySettings, AnalyzerConfig, FittedTfIdf, CsrMatrix)> =
                None;
            for coordinate in &coordinates {
                let variants = coordinate.variants(&current);
                for v in &variants {
                    if evaluated.iter().any(|(e, ..)| e == v) {
                        continue;
                    }
                    let analyzer = v.analyzer.clone().check()?;
                    let tfidf_params = v.tfidf.clone().check()?;
                    let (fitted, x, score, fold_scores) = score_vocabulary(
                        &p,
                        &analyzer,
                        &tfidf_params,
                        &texts,
                        encoded,
                        &tasks,
                        train,
                        &record_rows,
                    )?;
                    progress(&format!(
                        "vocabulary {}: {} features, cross-validated score {score:.4}",
                        describe_vocabulary(&v.analyzer, &v.tfidf),
                        fitted.n_features(),
                    ));
                    vocabulary_search.push(VocabularyPoint {
                        analyzer: v.analyzer.clone(),
                        min_df: v.tfidf.min_df,
                        n_features: fitted.n_features(),
                        score,
                    });
                    evaluated.push((v.clone(), score, fold_scores));
                    // Keep the matrix of the current candidate and of the best one so far
                    // (one of them is the final vocabulary; refit otherwise).
                    let keep = kept.as_ref().is_none_or(|(k, ..)| {
                        let best = evaluated
                            .iter()
                            .find(|(e, ..)| e == k)
                            .map_or(f64::NEG_INFINITY, |e| e.1);
                        score > best + 1e-12
                    });
                    if keep {
                        kept = Some((v.clone(), analyzer, fitted, x));
                    }
                }
                let find = |s: &VocabularySettings| evaluated.iter().find(|(e, ..)| e == s);
                let score = |s: &VocabularySettings| find(s).map_or(f64::NEG_INFINITY, |e| e.1);
                // A value replaces the current one only if clearly better (one-standard-error
                // rule on the per-fold means over heads); among those, the best scoring.
                let mut best = if variants.contains(&current) {
                    current.clone()
                } else {
                    variants[0].clone()
                };
                let anchor = find(&best).map(|e| e.2.clone()).unwrap_or_default();
                for v in &variants {
                    let clear = !variants.contains(&current)
                        || find(v).is_some_and(|e| clearly_better(&e.2, &anchor, p.repeats));
                    if clear && score(v) > score(&best) + 1e-12 {
                        best = v.clone();
                    }
                }
                current = best;
            }
            // The best candidate's matrix is kept; refit only if the search ended elsewhere
            // (a tie kept the earlier settings).
            let (analyzer, fitted, x) = match kept {
                Some((k, analyzer, fitted, x)) if k == current => (analyzer, fitted, x),
                _ => {
                    let analyzer = current.analyzer.clone().check()?;
                    let (fitted, x) = current.tfidf.clone().check()?.fit_transform_encoded(
                        &analyzer.build(),
                        &texts,
                        encoded,
                    )?;
                    (analyzer, fitted, x)
                }
            };
            p.analyzer = current.analyzer;
            p.tfidf = current.tfidf;
            (analyzer, fitted, x)
        }
    };
    report
        .timings
        .push(("vocabulary".into(), clock.elapsed().as_secs_f64()));
    progress(&format!("vocabulary: {} features", tfidf.n_features()));

    let mut heads = Vec::new();
    let mut metas = Vec::new();
    // Per trained head, what stacking needs.
    let mut trained: Vec<TrainedHead> = Vec::new();
    // Why each skipped task was skipped.
    let mut skipped = Vec::new();
    for info in &tasks {
        let start = Instant::now();
        let data = match trainable(info, train, &record_rows) {
            Ok(d) => d,
            Err(reason) => {
                skipped.push(reason);
                continue;
            }
        };
        report.warnings.extend(data_warnings(info, &data, p.folds));
        let has_targets = info.kind == TaskKind::Single && has_target_groups(&data, &p);
        let coordinates = head_coordinates(&p, info.kind, has_targets, x.has_encoder());
        progress(&format!(
            "training `{}` ({}, {} records, {} labels{})",
            info.name,
            info.kind,
            data.rows.len(),
            data.labels.len(),
            if coordinates.is_empty() {
                String::new()
            } else {
                format!(", searching {} settings", coordinates.len())
            }
        ));
        let fit = train_head(&data, &x, &p, base_settings(&p, &x), &coordinates)?;
        let targets = match &fit.body {
            HeadBody::Single { per_target, .. } => {
                per_target.iter().map(|(t, _)| t.clone()).collect()
            }
            HeadBody::Multi { .. } => Vec::new(),
        };
        heads.push(Head {
            task: info.name.clone(),
            labels: data.labels.clone(),
            body: fit.body,
            calibration: fit.calibration,
            offsets: fit.offsets,
            top_label: fit.top_label,
        });
        metas.push(HeadMeta {
            task: info.name.clone(),
            n_train: data.rows.len(),
            label_counts: info.label_counts.clone(),
            targets,
            settings: fit.settings,
            cv_score: fit.cv_score,
            search: fit.search,
            threshold_f1: fit.threshold_f1,
            threshold_rules: fit.threshold_rules,
            top_label_check: fit.top_label_check,
        });
        trained.push(TrainedHead {
            data,
            oof: fit.oof,
            fold_scores: fit.fold_scores,
        });
        report
            .timings
            .push((format!("head {}", info.name), start.elapsed().as_secs_f64()));
    }

    stack_heads(
        &mut heads,
        &mut metas,
        &trained,
        &p,
        &tfidf,
        &mut report,
        progress,
    );

    if heads.is_empty() {
        return Err(TrainError::NoTrainableTask {
            reasons: skipped.join("; "),
        }
        .into());
    }
    report.warnings.splice(0..0, skipped);
    if let Some(dev) = dev {
        report.warnings.extend(dev_warnings(&heads, dev));
    }

    let meta = TrainingMeta {
        rhetor_version: env!("CARGO_PKG_VERSION").to_string(),
        settings: p.clone(),
        train_files,
        dev_files,
        n_train_records: texts.len(),
        thresholds_from: if dev.is_some() {
            "dev".to_string()
        } else {
            format!(
                "cross-validation on train, {} folds grouped by document",
                p.folds
            )
        },
        heads: metas,
        vocabulary_search,
        dev_metrics_json: None,
    };
    let mut model = Model::from_data(ModelData {
        analyzer,
        tfidf,
        heads,
        meta,
    });

    if let Some(dev) = dev {
        progress(&format!("tuning thresholds on {} dev records", dev.len()));
        // Probabilities do not depend on thresholds: every head's come from one pass.
        let scored = model.score_records(dev);
        let mut data = model.data.clone();
        for (h, head) in data.heads.iter_mut().enumerate() {
            if let HeadBody::Multi { thresholds, .. } = &mut head.body {
                let scores = label_scores(&model.heads()[h], h, dev, &scored);
                // The rule cross-validation chose, tuned on the dev records.
                let rule = data.meta.heads[h]
                    .threshold_rule()
                    .unwrap_or(ThresholdRule::PerLabel);
                let (tuned, _) = rule.tune(&scores);
                data.meta.heads[h].threshold_f1 = label_f1s(&scores, &tuned);
                *thresholds = tuned;
            }
        }
        model = Model::from_data(data);
        let metrics = model.evaluate(dev);
        let mut data = model.data.clone();
        data.meta.dev_metrics_json =
            Some(serde_json::to_string(&metrics).expect("metrics serialise"));
        model = Model::from_data(data);
    }
    report
        .timings
        .push(("total".into(), clock.elapsed().as_secs_f64()));
    Ok((model, report))
}

/// What stacking needs of a trained head: its task's records, its out-of-fold logits
/// `[output][row]` and its per-fold scores.
struct TrainedHead<'a> {
    data: TaskData<'a>,
    oof: Vec<Vec<f32>>,
    fold_scores: Vec<f64>,
}

/// Stacks each binary head without per-target models on a multi-label head trained on the
/// same records, when nested cross-validation says the stacker is clearly better (see
/// [`stack`]): the binary head's model becomes the folded stacked model, with the stacker's
/// out-of-fold calibration, threshold and score.
fn stack_heads(
    heads: &mut [Head],
    metas: &mut [HeadMeta],
    trained: &[TrainedHead],
    p: &TrainParams,
    tfidf: &FittedTfIdf,
    report: &mut TrainReport,
    progress: &(dyn Fn(&str) + Sync),
) {
    for h in 0..heads.len() {
        let TrainedHead {
            data,
            oof,
            fold_scores,
        } = &trained[h];
        let info = data.info;
        let binary = matches!(&heads[h].body, HeadBody::Single { per_target, .. } if per_target.is_empty())
            && heads[h].labels.len() == 2;
        if !binary {
            continue;
        }
        for m in 0..heads.len() {
            let m_trained = &trained[m];
            let m_info = m_trained.data.info;
            let HeadBody::Multi { models, .. } = &heads[m].body else {
                continue;
            };
            if m_trained.data.rows != data.rows {
                continue;
            }
            let start = Instant::now();
            let Some(stacked) = stack::stack_binary(data, p, oof, fold_scores, &m_trained.oof)
            else {
                continue;
            };
            let before = metas[h].cv_score;
            let note = format!(
                "{} {} on the label logits of {}: cross-validated {} {before:.4} alone, {:.4} stacked (nested)",
                info.name,
                if stacked.kept {
                    "stacked"
                } else {
                    "not stacked (not clearly better)"
                },
                m_info.name,
                p.select_metric.name(),
                stacked.assessment.score
            );
            progress(&note);
            report.notes.push(note);
            if !stacked.kept {
                continue;
            }
            let HeadBody::Single { general, .. } = &heads[h].body else {
                unreachable!("binary heads are single-label");
            };
            let folded = stack::fold_stacked(general, models, &stacked, tfidf.n_features());
            heads[h].body = HeadBody::Single {
                general: folded,
                per_target: Vec::new(),
            };
            heads[h].calibration = stacked.assessment.calibration;
            heads[h].offsets = stacked.assessment.offsets;
            metas[h].cv_score = stacked.assessment.score;
            report
                .stacked
                .push((info.name.clone(), m_info.name.clone()));
            report.timings.push((
                format!("stack {} on {}", info.name, m_info.name),
                start.elapsed().as_secs_f64(),
            ));
            break;
        }
    }
}

impl Model {
    /// Predicts every record and measures each task the model has and the records label.
    pub fn evaluate(&self, records: &[Record]) -> EvalReport {
        self.evaluate_scored(records, &self.score_records(records), 0, 0)
    }

    /// Scores every record as a whole ([`Model::score_batch`]: in parallel, the result in the
    /// records' order).
    pub fn score_records(&self, records: &[Record]) -> Vec<Vec<super::TaskScores>> {
        let texts: Vec<(&str, Option<&str>)> = records
            .iter()
            .map(|r| (r.text.as_str(), r.target.as_deref()))
            .collect();
        self.score_batch(&texts)
    }

    /// [`Model::evaluate`] of records already scored by [`Model::score_records`] (`preds[i]`
    /// belongs to `records[i]`), with bootstrap intervals of each task's headline figures over
    /// `resamples` resamples of the records' documents drawn from `seed` (0 resamples: none;
    /// see [`crate::eval::TaskOutcomes::intervals`]).
    pub fn evaluate_scored(
        &self,
        records: &[Record],
        preds: &[Vec<super::TaskScores>],
        resamples: usize,
        seed: u64,
    ) -> EvalReport {
        let mut doc_ids: HashMap<&str, usize> = HashMap::new();
        let docs: Vec<usize> = records
            .iter()
            .map(|r| {
                let next = doc_ids.len();
                *doc_ids.entry(r.doc.as_str()).or_insert(next)
            })
            .collect();
        let mut tasks = BTreeMap::new();
        for (h, head) in self.heads().iter().enumerate() {
            let evaluated: Vec<(usize, &LabelValue, &super::TaskScores)> = records
                .iter()
                .zip(preds)
                .enumerate()
                .filter_map(|(i, (r, p))| {
                    let gold = r.labels.get(&head.task)?;
                    (gold.kind() == head.kind()).then_some((i, gold, &p[h]))
                })
                .collect();
            if evaluated.is_empty() {
                continue;
            }
            let pairs = evaluated
                .iter()
                .map(|(_, gold, s)| {
                    let pred = s
                        .predicted
                        .iter()
                        .map(|&i| head.labels[i].clone())
                        .collect();
                    (gold.labels().map(str::to_string).collect(), pred)
                })
                .collect();
            // Calibration pairs: every label's probability (multi-label) or the predicted
            // label's probability (single-label), with whether it was right.
            let calibration = evaluated
                .iter()
                .map(|(_, gold, s)| -> Vec<(f64, bool)> {
                    match head.kind() {
                        TaskKind::Multi => head
                            .labels
                            .iter()
                            .zip(&s.probs)
                            .map(|(l, &p)| (f64::from(p), gold.labels().any(|g| g == l)))
                            .collect(),
                        TaskKind::Single => {
                            let c = s.predicted[0];
                            vec![(
                                f64::from(s.probs[c]),
                                gold.labels().any(|g| g == head.labels[c]),
                            )]
                        }
                    }
                })
                .collect();
            let outcomes = crate::eval::TaskOutcomes {
                kind: head.kind(),
                model_labels: head.labels.clone(),
                pairs,
                calibration,
                docs: evaluated.iter().map(|&(i, ..)| docs[i]).collect(),
            };
            let mut report = outcomes.report();
            report.intervals = outcomes.intervals(resamples, seed);
            tasks.insert(head.task.clone(), report);
        }
        EvalReport { tasks }
    }
}
