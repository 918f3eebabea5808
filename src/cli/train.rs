//! `rhetor train FILE... -o MODEL [--dev FILE] [--task NAME]...`

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rhetor::corpus::TaskKinds;
use rhetor::features::{DocFreq, TfIdfParams};
use rhetor::model::{
    describe_vocabulary, train, ClassWeight, EncoderChoice, Estimator, FinalModel, HeadBody,
    SearchGrid, SelectMetric, TrainParams, SEARCH_C_GRID,
};
use rhetor::text::encoder::Encoder;
use rhetor::text::{AnalyzerParams, Language};

use super::{note, read_corpus, set_threads, Outcome};

/// An n-gram range written `MIN-MAX` or `N`.
fn parse_range(s: &str) -> Result<(usize, usize), String> {
    let parse = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{s}` is not a range like 1-3"))
    };
    match s.split_once('-') {
        Some((a, b)) => Ok((parse(a)?, parse(b)?)),
        None => parse(s).map(|n| (n, n)),
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum EstimatorName {
    /// Logistic regression by dual coordinate descent on sparse rows (rhetor's, in linfa's
    /// framework; fast).
    Logistic,
    /// linfa-logistic: L-BFGS logistic regression on dense selected features (slow).
    LinfaLogistic,
    /// linfa-ftrl: FTRL-Proximal, online, on dense selected features.
    LinfaFtrl,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum MetricName {
    /// Macro-averaged F1.
    MacroF1,
    /// Accuracy.
    Accuracy,
    /// Mean F1 of `favor` and `against` (SemEval-2016 stance).
    FAvg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FinalModelName {
    Auto,
    FoldAverage,
    Refit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OnOff {
    Off,
    On,
}

/// A character n-gram range in a grid: `none` or `MIN-MAX`.
#[derive(Debug, Clone, Copy)]
struct CharRange(Option<(usize, usize)>);

fn parse_char_range(s: &str) -> Result<CharRange, String> {
    if s == "none" {
        Ok(CharRange(None))
    } else {
        parse_range(s).map(|r| CharRange(Some(r)))
    }
}

/// A target-features value in a grid: `none` or a context window.
#[derive(Debug, Clone, Copy)]
struct TargetOption(Option<usize>);

fn parse_target_option(s: &str) -> Result<TargetOption, String> {
    if s == "none" {
        return Ok(TargetOption(None));
    }
    s.parse::<usize>()
        .map(|w| TargetOption(Some(w)))
        .map_err(|_| format!("`{s}` is neither `none` nor a window size"))
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ClassWeightName {
    Balanced,
    None,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Labelled JSONL files (see README: one record per line).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Where to write the model.
    #[arg(short, long)]
    output: PathBuf,
    /// Dev files: multi-label thresholds are tuned on them and their metrics are stored.
    #[arg(long)]
    dev: Vec<PathBuf>,
    /// Train only these tasks (repeatable; default: every task in the labels).
    #[arg(long = "task")]
    tasks: Vec<String>,
    /// Stemming language (`none` to disable).
    #[arg(long, default_value = "english")]
    language: Language,
    /// Word n-gram sizes, e.g. 1-3.
    #[arg(long, default_value = "1-2", value_parser = parse_range)]
    word_ngrams: (usize, usize),
    /// Character n-gram sizes inside words, e.g. 2-5 (default: none).
    #[arg(long, value_parser = parse_range)]
    char_ngrams: Option<(usize, usize)>,
    /// Replace mentions of each record's `target` by one placeholder token.
    #[arg(long)]
    target_mask: bool,
    /// Also use the N words on each side of a target mention as side-tagged features.
    #[arg(long, default_value_t = 0, value_name = "N")]
    target_window: usize,
    /// Rhetoric cues as features: words in capitals, intensifiers, second person.
    #[arg(long)]
    rhetoric: bool,
    /// Sentiment cues as features: the polarity of words in the VADER sentiment lexicon
    /// (English), flipped after a negator, and side-tagged near a target with --target-window.
    #[arg(long)]
    sentiment: bool,
    /// Who the target is as features: the target's words, and its last word.
    #[arg(long)]
    target_identity: bool,
    /// The context of target mentions as a feature block of its own: every token of the text,
    /// side-tagged and weighted by 1/distance to the nearest mention (and, with --sentiment,
    /// the lexicon's polarity the same way).
    #[arg(long)]
    target_context: bool,
    /// Subword embeddings as features (the word pieces of a pretrained sentence encoder,
    /// compiled in): the text's mean embedding, and beside a target mention the mean embeddings
    /// of the words before and after it, each scaled to this norm (0: off; 0.5 is a good start).
    #[arg(long, default_value_t = 0.0, value_name = "NORM")]
    embeddings: f32,
    /// Word categories as features (English): each of the Empath lexicon's 194 categories'
    /// share of the text's words (crime, economics, law, health, family...), standardised over
    /// the training texts, the block scaled to this norm (0: off; 0.25 is a good start).
    #[arg(long, default_value_t = 0.0, value_name = "NORM")]
    lexicon: f32,
    /// A contextual sentence encoder as features: a Hugging Face model directory (config.json,
    /// model.safetensors, vocab.txt) of a BERT-uncased encoder such as all-MiniLM-L6-v2
    /// (`python3 contrib/encoder/fetch.py DIR` downloads it). Its vector of each text is a feature block,
    /// and the model file carries the encoder's weights (about 45 MB for MiniLM). Scoring then
    /// runs the encoder on every text: far slower than n-grams alone.
    #[arg(long, value_name = "DIR")]
    encoder: Option<PathBuf>,
    /// The L2 norm of the encoder block (standardised dimensions; the smaller, the more the
    /// encoder model is regularised) [default: 1; with --search, --encoder-grid decides].
    #[arg(long, value_name = "NORM")]
    encoder_norm: Option<f32>,
    /// Each model's blend: an n-gram model and an encoder model are fitted apart, and the
    /// encoder model's logits weigh this much, the n-gram model's the rest.
    #[arg(long, default_value_t = 0.5, value_name = "W")]
    encoder_weight: f32,
    /// With --encoder, the block also holds the encoder's vector of each record's target
    /// mentions (the mean of its last hidden states there): how the sentence speaks of that
    /// target. A record without a target, or whose target is not mentioned, repeats its text
    /// vector.
    #[arg(long)]
    encoder_target: bool,
    /// Minimum document frequency: a count (2) or a fraction (0.001).
    #[arg(long, default_value = "2")]
    min_df: DocFreq,
    /// Maximum document frequency: a count or a fraction (1.0 = no limit).
    #[arg(long, default_value = "1.0")]
    max_df: DocFreq,
    /// Keep only the N most frequent terms.
    #[arg(long)]
    max_features: Option<usize>,
    /// Features each model keeps (chi-square top-K).
    #[arg(long, default_value_t = 5000)]
    features_per_head: usize,
    /// Estimator.
    #[arg(long, value_enum, default_value = "logistic")]
    estimator: EstimatorName,
    /// Inverse regularisation strength (scikit-learn's C) of the logistic estimator for
    /// multi-label heads (single-label heads search --c-grid).
    #[arg(long = "c", default_value_t = 1.0)]
    c: f32,
    /// logistic: stopping tolerance on the dual projected gradient.
    #[arg(long, default_value_t = 0.1)]
    eps: f32,
    /// logistic: passes over the data at most.
    #[arg(long, default_value_t = 1000)]
    max_epochs: usize,
    /// linfa-logistic: L-BFGS iteration limit.
    #[arg(long, default_value_t = 100)]
    max_iter: u64,
    /// linfa-logistic: tolerance on the gradient of the mean loss.
    #[arg(long, default_value_t = 1e-3)]
    tol: f32,
    /// Values of C for single-label heads, chosen by cross-validation on the training data
    /// (comma-separated; one value: no search) [default: 0.3,1,3,10; with --search
    /// 0.3,1,3,10,30,100,300].
    #[arg(long, value_delimiter = ',')]
    c_grid: Option<Vec<f32>>,
    /// What the C search maximises.
    #[arg(long, value_enum, default_value = "macro-f1")]
    select_metric: MetricName,
    /// linfa-ftrl: learning-rate scale.
    #[arg(long, default_value_t = 0.1)]
    ftrl_alpha: f32,
    /// linfa-ftrl: L2 strength.
    #[arg(long, default_value_t = 1.0)]
    ftrl_l2: f32,
    /// linfa-ftrl: passes over the data.
    #[arg(long, default_value_t = 3)]
    epochs: usize,
    /// Class weighting.
    #[arg(long, value_enum, default_value = "balanced")]
    class_weight: ClassWeightName,
    /// Cross-validation folds, grouped by document, for calibration, thresholds and every search.
    #[arg(long, visible_alias = "cv", default_value_t = 5)]
    folds: usize,
    /// Cross-validations every search candidate is scored on, each on the folds reshuffled
    /// (the score is their mean; scikit-learn's RepeatedKFold). 0: auto, enough repeats to hold
    /// out 2000 predictions in all, at most 5: 5 for 351 records, 1 from 2000 records on
    #[arg(long, default_value_t = 0)]
    repeats: usize,
    /// Each head's final model: the average of the cross-validation fold models, one model
    /// fitted again on all rows, or auto (average for multi-label heads, refit for single-label).
    #[arg(long, value_enum, default_value = "auto")]
    final_model: FinalModelName,
    /// NB-SVM: scale each binary model's features by their naive-Bayes log-count ratio.
    #[arg(long)]
    nb: bool,
    /// Choose the vocabulary and every head's settings by cross-validation on the training data
    /// over the grids below (and --c-grid for every head).
    #[arg(long)]
    search: bool,
    /// Search grid: word n-gram ranges.
    #[arg(long, value_delimiter = ',', value_parser = parse_range, default_value = "1-2,1-3")]
    word_ngrams_grid: Vec<(usize, usize)>,
    /// Search grid: character n-gram ranges (`none` for none).
    #[arg(long, value_delimiter = ',', value_parser = parse_char_range, default_value = "none,2-5")]
    char_ngrams_grid: Vec<CharRange>,
    /// Search grid: minimum document frequencies.
    #[arg(long, value_delimiter = ',', default_value = "2,3")]
    min_df_grid: Vec<DocFreq>,
    /// Search grid: target features (`none`, or N: mentions masked with N words of context;
    /// searched only when records have a target).
    #[arg(long, value_delimiter = ',', value_parser = parse_target_option, default_value = "none,0,3,6")]
    target_grid: Vec<TargetOption>,
    /// Search grid: rhetoric cues.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    rhetoric_grid: Vec<OnOff>,
    /// Search grid: sentiment cues.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    sentiment_grid: Vec<OnOff>,
    /// Search grid: target identity features (searched only when records have a target).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    target_identity_grid: Vec<OnOff>,
    /// Search grid: target context block (searched only when records have a target).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    target_context_grid: Vec<OnOff>,
    /// Search grid: embedding norms (0: no embeddings).
    #[arg(long, value_delimiter = ',', default_value = "0,0.5,1")]
    embeddings_grid: Vec<f32>,
    /// Search grid: word-category block norms (0: no word categories; off unless asked, e.g.
    /// 0,0.25).
    #[arg(long, value_delimiter = ',', default_value = "0")]
    lexicon_grid: Vec<f32>,
    /// Search grid: encoder block norms (0: no encoder block; searched only with --encoder).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2")]
    encoder_grid: Vec<f32>,
    /// Search grid: target pooling in the encoder block (searched only with an encoder block
    /// and records with a target).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    encoder_target_grid: Vec<OnOff>,
    /// Search grid: encoder model weights in the blend (searched only with an encoder block).
    #[arg(long, value_delimiter = ',', default_value = "0.25,0.5,0.75")]
    encoder_weight_grid: Vec<f32>,
    /// Search grid: features per model.
    #[arg(long, value_delimiter = ',', default_value = "2000,5000,10000")]
    features_grid: Vec<usize>,
    /// Search grid: class weightings.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "balanced,none"
    )]
    class_weight_grid: Vec<ClassWeightName>,
    /// Search grid: NB-SVM scaling.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "off,on")]
    nb_grid: Vec<OnOff>,
    /// Random seed (folds, FTRL order).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Records a stance target needs for its own model (0: one model for all targets).
    #[arg(long, default_value_t = 200)]
    min_target_records: usize,
    /// Rename a label while reading, TASK:FROM=TO (repeatable), e.g. stance:positive=supportive.
    #[arg(long, value_name = "TASK:FROM=TO")]
    map_label: Vec<rhetor::corpus::LabelMap>,
    /// Skip malformed records instead of stopping; they are counted per reason and listed.
    #[arg(long)]
    skip_bad: bool,
    /// Worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress messages.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(a: Args) -> Result<Outcome> {
    set_threads(a.threads)?;
    let estimator = match a.estimator {
        EstimatorName::Logistic => Estimator::Logistic {
            c: a.c,
            eps: a.eps,
            max_epochs: a.max_epochs,
        },
        EstimatorName::LinfaLogistic => Estimator::LinfaLogistic {
            c: a.c,
            max_iter: a.max_iter,
            tol: a.tol,
        },
        EstimatorName::LinfaFtrl => Estimator::LinfaFtrl {
            alpha: a.ftrl_alpha,
            beta: 1.0,
            l1: 0.0,
            l2: a.ftrl_l2,
            epochs: a.epochs,
        },
    };
    let params = TrainParams {
        analyzer: AnalyzerParams {
            language: a.language,
            word_ngrams: a.word_ngrams,
            char_ngrams: a.char_ngrams,
            target_mask: a.target_mask,
            target_window: a.target_window,
            rhetoric: a.rhetoric,
            sentiment: a.sentiment,
            target_identity: a.target_identity,
            target_context: a.target_context,
            embeddings: a.embeddings,
            encoder: match (a.encoder_norm, &a.encoder) {
                (Some(norm), _) => norm,
                (None, Some(_)) if !a.search => 1.0,
                (None, _) => 0.0,
            },
            encoder_target: a.encoder_target,
            lexicon: a.lexicon,
        },
        tfidf: TfIdfParams {
            min_df: a.min_df,
            max_df: a.max_df,
            max_features: a.max_features,
            ..TfIdfParams::default()
        },
        estimator,
        features_per_head: a.features_per_head,
        class_weight: match a.class_weight {
            ClassWeightName::Balanced => ClassWeight::Balanced,
            ClassWeightName::None => ClassWeight::None,
        },
        folds: a.folds,
        repeats: a.repeats,
        seed: a.seed,
        min_target_records: a.min_target_records,
        c_grid: match &a.c_grid {
            Some(grid) => grid.clone(),
            None if a.search => SEARCH_C_GRID.to_vec(),
            None => TrainParams::default().c_grid,
        },
        nb: a.nb,
        final_model: match a.final_model {
            FinalModelName::Auto => FinalModel::Auto,
            FinalModelName::FoldAverage => FinalModel::FoldAverage,
            FinalModelName::Refit => FinalModel::Refit,
        },
        search: a.search.then(|| SearchGrid {
            word_ngrams: a.word_ngrams_grid.clone(),
            char_ngrams: a.char_ngrams_grid.iter().map(|c| c.0).collect(),
            min_df: a.min_df_grid.clone(),
            target: a.target_grid.iter().map(|t| t.0).collect(),
            rhetoric: a.rhetoric_grid.iter().map(|o| *o == OnOff::On).collect(),
            sentiment: a.sentiment_grid.iter().map(|o| *o == OnOff::On).collect(),
            target_identity: a
                .target_identity_grid
                .iter()
                .map(|o| *o == OnOff::On)
                .collect(),
            target_context: a
                .target_context_grid
                .iter()
                .map(|o| *o == OnOff::On)
                .collect(),
            embeddings: a.embeddings_grid.clone(),
            lexicon: a.lexicon_grid.clone(),
            encoder: a.encoder_grid.clone(),
            encoder_target: a
                .encoder_target_grid
                .iter()
                .map(|o| *o == OnOff::On)
                .collect(),
            encoder_weights: a.encoder_weight_grid.clone(),
            features: a.features_grid.clone(),
            class_weights: a
                .class_weight_grid
                .iter()
                .map(|c| match c {
                    ClassWeightName::Balanced => ClassWeight::Balanced,
                    ClassWeightName::None => ClassWeight::None,
                })
                .collect(),
            nb: a.nb_grid.iter().map(|o| *o == OnOff::On).collect(),
        }),
        select_metric: match a.select_metric {
            MetricName::MacroF1 => SelectMetric::MacroF1,
            MetricName::Accuracy => SelectMetric::Accuracy,
            MetricName::FAvg => SelectMetric::FAvg,
        },
        tasks: a.tasks.clone(),
        encoder_weight: a.encoder_weight,
        encoder: match &a.encoder {
            Some(dir) => Some(EncoderChoice(Arc::new(
                Encoder::from_dir(dir).with_context(|| {
                    format!("reading the sentence encoder in {}", dir.display())
                })?,
            ))),
            None => None,
        },
    }
    .check()?;

    let clock = Instant::now();
    let mut kinds = TaskKinds::new();
    let corpus = read_corpus(&a.files, a.skip_bad, &a.map_label, &mut kinds)?;
    let (train_records, train_info) = (corpus.records, corpus.files);
    if train_records.is_empty() {
        bail!("no training record in {}", display_paths(&a.files));
    }
    let (dev_records, dev_info) = if a.dev.is_empty() {
        (None, Vec::new())
    } else {
        let dev = read_corpus(&a.dev, a.skip_bad, &a.map_label, &mut kinds)?;
        if dev.records.is_empty() {
            bail!("no dev record in {}", display_paths(&a.dev));
        }
        (Some(dev.records), dev.files)
    };
    note(
        a.quiet,
        &format!(
            "read {} training records{}",
            train_records.len(),
            dev_records
                .as_ref()
                .map(|d| format!(" and {} dev records", d.len()))
                .unwrap_or_default()
        ),
    );
    let quiet = a.quiet;
    let progress = move |msg: &str| note(quiet, msg);
    let (model, report) = train(
        &params,
        &train_records,
        dev_records.as_deref(),
        train_info,
        dev_info,
        &progress,
    )?;
    for w in &report.warnings {
        eprintln!("rhetor: warning: {w}");
    }
    model.save(&a.output).context("writing the model")?;

    if !a.quiet {
        let meta = &model.data().meta;
        eprintln!(
            "\nmodel written to {} ({} features, {} heads, {:.1} s)",
            a.output.display(),
            model.tfidf().n_features(),
            model.heads().len(),
            clock.elapsed().as_secs_f64()
        );
        eprintln!("thresholds from: {}", meta.thresholds_from);
        let params = &meta.settings;
        if params.repeats > 1 {
            eprintln!(
                "cross-validated scores: the mean of {} cross-validations of {} folds, reshuffled",
                params.repeats, params.folds
            );
        }
        eprintln!(
            "vocabulary: {}",
            describe_vocabulary(&params.analyzer, &params.tfidf)
        );
        if meta.vocabulary_search.len() > 1 {
            eprintln!("  vocabulary candidates (mean cross-validated score over heads):");
            let described: Vec<String> = meta
                .vocabulary_search
                .iter()
                .map(|v| {
                    let tfidf = rhetor::features::TfIdfParams {
                        min_df: v.min_df,
                        ..params.tfidf.clone()
                    };
                    describe_vocabulary(&v.analyzer, &tfidf)
                })
                .collect();
            let width = described.iter().map(String::len).max().unwrap_or(0);
            for (v, text) in meta.vocabulary_search.iter().zip(&described) {
                eprintln!(
                    "    {text:<width$} {:>8} features  {:.4}",
                    v.n_features, v.score
                );
            }
        }
        for (head, hm) in model.heads().iter().zip(&meta.heads) {
            let (kind, measure) = match head.kind() {
                rhetor::corpus::TaskKind::Single => ("single-label", params.select_metric.name()),
                rhetor::corpus::TaskKind::Multi => ("multi-label", "micro-F1"),
            };
            // A stacked head says so (its score is the stacker's).
            let stacked = report
                .stacked
                .iter()
                .find(|(h, _)| *h == head.task)
                .map(|(_, m)| format!(" stacked on {m}"))
                .unwrap_or_default();
            eprintln!(
                "  {:<24} {kind}, {} labels, {} records: {}{stacked}, cross-validated {measure} {:.4}",
                head.task,
                head.labels.len(),
                hm.n_train,
                hm.settings,
                hm.cv_score
            );
            if !hm.search.is_empty() {
                let mut ranked = hm.search.clone();
                ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
                eprintln!("      best of {} candidates:", ranked.len());
                for sp in ranked.iter().take(5) {
                    eprintln!("        {:<50} {:.4}", sp.settings.to_string(), sp.score);
                }
            }
            if let Some(check) = hm.top_label_check {
                let kept = if head.top_label.is_empty() {
                    "not used"
                } else {
                    "used"
                };
                eprintln!(
                    "      top-label calibration {kept}: the predicted label's probability on nested cross-validation, log-loss {:.4} → {:.4}, Brier {:.4} → {:.4}, ECE {:.4} → {:.4}",
                    check.log_loss.0, check.log_loss.1, check.brier.0, check.brier.1, check.ece.0, check.ece.1
                );
            }
            if let HeadBody::Multi { thresholds, .. } = &head.body {
                if let Some(rule) = hm.threshold_rule() {
                    let scores: Vec<String> = hm
                        .threshold_rules
                        .iter()
                        .map(|(r, f1)| format!("{} {f1:.4}", r.describe()))
                        .collect();
                    // Thresholds are tuned on the first cross-validation's scores only.
                    let folds = if params.repeats > 1 {
                        " on the seed's own folds"
                    } else {
                        ""
                    };
                    eprintln!(
                        "      thresholds: {} (cross-fitted micro-F1{folds}: {})",
                        rule.describe(),
                        scores.join(", ")
                    );
                }
                for (l, label) in head.labels.iter().enumerate() {
                    let f1 = hm
                        .threshold_f1
                        .get(l)
                        .map(|f| format!("  (tuning F1 {f:.3})"))
                        .unwrap_or_default();
                    eprintln!("      {label:<40} threshold {:.3}{f1}", thresholds[l]);
                }
            }
        }
        for note in &report.notes {
            eprintln!("  {note}");
        }
        for (stage, secs) in &report.timings {
            eprintln!("  time {stage:<30} {secs:>8.2} s");
        }
        if let Some(dev) = meta.dev_metrics() {
            eprintln!("\ndev metrics:\n{}", dev.to_text());
        }
    }
    Ok(Outcome::Success)
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
