//! Per-document summaries of scored paragraphs.
//!
//! A [`DocSummary`] tallies one document's scored paragraphs: how many there are of each role,
//! and over the body paragraphs (the argument; headlines, bylines and boilerplate are counted
//! apart and never tallied as argument) the paragraphs carrying each label, the sum of each
//! label's probability, the words, and the paragraphs most loaded with labels. It is what
//! `rhetor score` prints after an article's rows and the unit `rhetor compare` resamples.
//!
//! Summaries know tasks only through a [`Schema`] (task names, kinds and label names), taken
//! from a model or from scored output, so they work for any corpus's label sets.

use serde::Serialize;
use unicode_segmentation::UnicodeSegmentation;

use crate::corpus::TaskKind;
use crate::model::{Head, TaskScores};
use crate::text::Role;

/// One task of a [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TaskSchema {
    /// Task name.
    pub task: String,
    /// Single- or multi-label.
    pub kind: TaskKind,
    /// Label names, in the order of [`TaskScores::probs`].
    pub labels: Vec<String>,
}

/// The tasks whose scores a summary tallies, in the order of the scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Schema {
    /// One entry per task.
    pub tasks: Vec<TaskSchema>,
}

impl Schema {
    /// The schema of a model's heads.
    pub fn of_heads(heads: &[Head]) -> Schema {
        Schema {
            tasks: heads
                .iter()
                .map(|h| TaskSchema {
                    task: h.task.clone(),
                    kind: h.kind(),
                    labels: h.labels.clone(),
                })
                .collect(),
        }
    }
}

/// Words of a text: Unicode words (UAX #29) that contain a letter or digit.
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

/// One label's tally over a document's body paragraphs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LabelTally {
    /// Body paragraphs given the label.
    pub paragraphs: u32,
    /// Sum over body paragraphs of the label's probability.
    pub prob_sum: f64,
}

/// A paragraph ranked by how many labels of a multi-label task it carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Loaded {
    /// Paragraph index in the document.
    pub paragraph: usize,
    /// Labels predicted.
    pub labels: Vec<usize>,
    /// Sum of the predicted labels' probabilities (breaks ties).
    pub prob_sum: f64,
}

/// Paragraphs kept per multi-label task in [`TaskTally::most_loaded`].
pub const MOST_LOADED: usize = 3;

/// One task's tally over a document's body paragraphs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TaskTally {
    /// Per label, in schema order.
    pub labels: Vec<LabelTally>,
    /// Body paragraphs with at least one label (multi-label tasks).
    pub labelled_paragraphs: u32,
    /// Labels given in all (multi-label tasks: a paragraph with two labels counts two).
    pub total_labels: u32,
    /// Multi-label tasks: the body paragraphs with the most labels, most first (ties: higher
    /// probability sum, then earlier paragraph), at most [`MOST_LOADED`].
    pub most_loaded: Vec<Loaded>,
}

/// Paragraph counts by role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RoleCounts {
    /// Headlines.
    pub headline: u32,
    /// Bylines and datelines.
    pub byline: u32,
    /// Boilerplate (sign-up, cookie, share lines...).
    pub boilerplate: u32,
    /// Body paragraphs.
    pub body: u32,
}

/// The summary of one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocSummary {
    /// Document name.
    pub doc: String,
    /// Paragraphs of every role.
    pub roles: RoleCounts,
    /// Words in body paragraphs.
    pub body_words: u64,
    /// One tally per schema task.
    pub tasks: Vec<TaskTally>,
}

impl DocSummary {
    /// An empty summary for `doc` over the tasks of `schema`.
    pub fn new(doc: impl Into<String>, schema: &Schema) -> DocSummary {
        DocSummary {
            doc: doc.into(),
            roles: RoleCounts::default(),
            body_words: 0,
            tasks: schema
                .tasks
                .iter()
                .map(|t| TaskTally {
                    labels: vec![LabelTally::default(); t.labels.len()],
                    ..TaskTally::default()
                })
                .collect(),
        }
    }

    /// Paragraphs of every role.
    pub fn paragraphs(&self) -> u32 {
        let r = &self.roles;
        r.headline + r.byline + r.boilerplate + r.body
    }

    /// Body paragraphs.
    pub fn body_paragraphs(&self) -> u32 {
        self.roles.body
    }

    /// Adds one paragraph. Only body paragraphs are tallied by label; `scores` (one entry per
    /// schema task, as [`crate::model::Model::score`] gives them) may be empty for the others.
    pub fn add(&mut self, paragraph: usize, role: Role, words: usize, scores: &[TaskScores]) {
        let r = &mut self.roles;
        match role {
            Role::Headline => r.headline += 1,
            Role::Byline => r.byline += 1,
            Role::Boilerplate => r.boilerplate += 1,
            Role::Body => r.body += 1,
        }
        if !role.is_body() {
            return;
        }
        self.body_words += words as u64;
        for (tally, s) in self.tasks.iter_mut().zip(scores) {
            for (l, &p) in tally.labels.iter_mut().zip(&s.probs) {
                l.prob_sum += f64::from(p);
            }
            for &i in &s.predicted {
                if let Some(l) = tally.labels.get_mut(i) {
                    l.paragraphs += 1;
                }
            }
            tally.total_labels += s.predicted.len() as u32;
            tally.labelled_paragraphs += u32::from(!s.predicted.is_empty());
            if !s.predicted.is_empty() {
                let loaded = Loaded {
                    paragraph,
                    labels: s.predicted.clone(),
                    prob_sum: s.predicted.iter().map(|&i| f64::from(s.probs[i])).sum(),
                };
                insert_ranked(&mut tally.most_loaded, loaded);
            }
        }
    }

    /// Share of body paragraphs given label `label` of task `task` (0 with no body paragraph).
    pub fn share(&self, task: usize, label: usize) -> f64 {
        ratio(
            f64::from(self.tasks[task].labels[label].paragraphs),
            f64::from(self.roles.body),
        )
    }

    /// Mean probability of a label over the body paragraphs.
    pub fn mean_prob(&self, task: usize, label: usize) -> f64 {
        ratio(
            self.tasks[task].labels[label].prob_sum,
            f64::from(self.roles.body),
        )
    }

    /// Paragraphs given a label per 100 body paragraphs.
    pub fn per_100_paragraphs(&self, task: usize, label: usize) -> f64 {
        100.0 * self.share(task, label)
    }

    /// Paragraphs given a label per 1,000 body words.
    pub fn per_1000_words(&self, task: usize, label: usize) -> f64 {
        1000.0
            * ratio(
                f64::from(self.tasks[task].labels[label].paragraphs),
                self.body_words as f64,
            )
    }

    /// Labels of a task given per 100 body paragraphs (a paragraph with two counts two).
    pub fn total_per_100_paragraphs(&self, task: usize) -> f64 {
        100.0
            * ratio(
                f64::from(self.tasks[task].total_labels),
                f64::from(self.roles.body),
            )
    }

    /// Labels of a task given per 1,000 body words.
    pub fn total_per_1000_words(&self, task: usize) -> f64 {
        1000.0
            * ratio(
                f64::from(self.tasks[task].total_labels),
                self.body_words as f64,
            )
    }

    /// The labels of a task ranked by share of body paragraphs, then by mean probability
    /// (labels no paragraph was given are left out).
    pub fn ranked(&self, task: usize) -> Vec<usize> {
        let tally = &self.tasks[task];
        let mut idx: Vec<usize> = (0..tally.labels.len())
            .filter(|&l| tally.labels[l].paragraphs > 0)
            .collect();
        idx.sort_by(|&a, &b| {
            let (x, y) = (&tally.labels[a], &tally.labels[b]);
            y.paragraphs
                .cmp(&x.paragraphs)
                .then(y.prob_sum.total_cmp(&x.prob_sum))
                .then(a.cmp(&b))
        });
        idx
    }

    /// The document's labels of a multi-label task: those given to at least `min_share` of
    /// its body paragraphs (and to at least one), ranked as [`DocSummary::ranked`].
    pub fn document_labels(&self, task: usize, min_share: f64) -> Vec<usize> {
        self.ranked(task)
            .into_iter()
            .filter(|&l| self.share(task, l) >= min_share)
            .collect()
    }
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 {
        num / den
    } else {
        0.0
    }
}

fn insert_ranked(list: &mut Vec<Loaded>, item: Loaded) {
    let before = |a: &Loaded, b: &Loaded| {
        a.labels.len() > b.labels.len()
            || (a.labels.len() == b.labels.len() && a.prob_sum > b.prob_sum)
    };
    let at = list
        .iter()
        .position(|x| before(&item, x))
        .unwrap_or(list.len());
    if at < MOST_LOADED {
        list.insert(at, item);
        list.truncate(MOST_LOADED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema() -> Schema {
        Schema {
            tasks: vec![
                TaskSchema {
                    task: "stance".into(),
                    kind: TaskKind::Single,
                    labels: vec!["against".into(), "favor".into()],
                },
                TaskSchema {
                    task: "frame".into(),
                    kind: TaskKind::Multi,
                    labels: vec!["a".into(), "b".into(), "c".into()],
                },
            ],
        }
    }

    fn scores(stance: (usize, [f32; 2]), frames: &[usize], probs: [f32; 3]) -> Vec<TaskScores> {
        vec![
            TaskScores {
                probs: stance.1.to_vec(),
                predicted: vec![stance.0],
            },
            TaskScores {
                probs: probs.to_vec(),
                predicted: frames.to_vec(),
            },
        ]
    }

    /// A document worked by hand: a headline, three body paragraphs (10, 20 and 30 words) and
    /// a boilerplate line.
    #[test]
    fn tallies_a_document_by_hand() {
        let mut s = DocSummary::new("d", &schema());
        s.add(0, Role::Headline, 8, &[]);
        s.add(
            1,
            Role::Body,
            10,
            &scores((0, [0.8, 0.2]), &[0], [0.9, 0.1, 0.2]),
        );
        s.add(
            2,
            Role::Body,
            20,
            &scores((1, [0.3, 0.7]), &[0, 2], [0.6, 0.2, 0.7]),
        );
        s.add(
            3,
            Role::Body,
            30,
            &scores((0, [0.6, 0.4]), &[], [0.3, 0.1, 0.2]),
        );
        s.add(4, Role::Boilerplate, 5, &[]);

        assert_eq!(s.paragraphs(), 5);
        assert_eq!(s.body_paragraphs(), 3);
        assert_eq!(s.body_words, 60);
        // (task, label, share, mean probability, per 1,000 words)
        let table = [
            (0, 0, 2.0 / 3.0, (0.8 + 0.3 + 0.6) / 3.0, 2000.0 / 60.0),
            (0, 1, 1.0 / 3.0, (0.2 + 0.7 + 0.4) / 3.0, 1000.0 / 60.0),
            (1, 0, 2.0 / 3.0, (0.9 + 0.6 + 0.3) / 3.0, 2000.0 / 60.0),
            (1, 1, 0.0, (0.1 + 0.2 + 0.1) / 3.0, 0.0),
            (1, 2, 1.0 / 3.0, (0.2 + 0.7 + 0.2) / 3.0, 1000.0 / 60.0),
        ];
        for (t, l, share, mean, per_k) in table {
            assert!((s.share(t, l) - share).abs() < 1e-9, "share {t}/{l}");
            assert!((s.mean_prob(t, l) - mean).abs() < 1e-6, "mean {t}/{l}");
            assert!(
                (s.per_1000_words(t, l) - per_k).abs() < 1e-9,
                "per k {t}/{l}"
            );
            assert!((s.per_100_paragraphs(t, l) - 100.0 * share).abs() < 1e-9);
        }
        let frames = &s.tasks[1];
        assert_eq!((frames.total_labels, frames.labelled_paragraphs), (3, 2));
        assert!((s.total_per_100_paragraphs(1) - 100.0).abs() < 1e-9);
        assert!((s.total_per_1000_words(1) - 50.0).abs() < 1e-9);
        assert_eq!(s.ranked(1), vec![0, 2]);
        assert_eq!(s.document_labels(1, 0.5), vec![0]);
        let loaded: Vec<usize> = frames.most_loaded.iter().map(|l| l.paragraph).collect();
        assert_eq!(loaded, vec![2, 1]);
    }

    #[test]
    fn most_loaded_keeps_the_top_three_in_order() {
        let mut s = DocSummary::new("d", &schema());
        // (paragraph, labels, probabilities)
        let rows: [(usize, &[usize], [f32; 3]); 5] = [
            (0, &[0], [0.5, 0.0, 0.0]),
            (1, &[0, 1], [0.6, 0.6, 0.0]),
            (2, &[2], [0.0, 0.0, 0.9]),
            (3, &[0, 1, 2], [0.5, 0.5, 0.5]),
            (4, &[0, 1], [0.9, 0.9, 0.0]),
        ];
        for (p, labels, probs) in rows {
            s.add(p, Role::Body, 10, &scores((0, [1.0, 0.0]), labels, probs));
        }
        let order: Vec<usize> = s.tasks[1].most_loaded.iter().map(|l| l.paragraph).collect();
        assert_eq!(order, vec![3, 4, 1]);
    }

    #[test]
    fn empty_documents_give_zeros_not_nan() {
        let s = DocSummary::new("d", &schema());
        assert_eq!(s.share(1, 0), 0.0);
        assert_eq!(s.mean_prob(0, 1), 0.0);
        assert_eq!(s.per_1000_words(1, 2), 0.0);
        assert!(s.ranked(1).is_empty());
    }

    #[test]
    fn words_are_unicode_words() {
        for (text, n) in [
            ("", 0),
            ("Hello, world!", 2),
            ("It's 4.5 per cent", 4),
            ("  --  ", 0),
        ] {
            assert_eq!(word_count(text), n, "{text:?}");
        }
    }
}
