//! Reports that group scored paragraphs by document (the terminal table and the HTML page):
//! each document's rows, then its summary.
//!
//! The scoring stage hands over owned rows in input order; [`Grouper`] cuts them into
//! documents and tallies each document's [`DocSummary`]. A document's rows are passed on in
//! pieces of at most [`PIECE`] rows, so memory stays bounded even for a "document" of millions
//! of paragraphs.

use std::io::{self, Write};
use std::sync::Arc;

use rhetor::model::{LabelEvidence, TaskScores};
use rhetor::summary::{DocSummary, Schema};
use rhetor::text::Role;

/// One scored paragraph, owned.
pub struct ScoredRow {
    pub doc: Arc<str>,
    pub paragraph: usize,
    pub start: usize,
    pub end: usize,
    pub role: Role,
    pub text: String,
    pub words: usize,
    /// One entry per head; empty for paragraphs that are not body text.
    pub scores: Vec<TaskScores>,
    /// Evidence for every predicted label (empty without explanations).
    pub evidence: Vec<LabelEvidence>,
}

/// Rows per piece handed to a report.
pub const PIECE: usize = 2048;

/// A report rendered one document at a time.
pub trait Report {
    /// Consecutive rows of one document; `first` is true for the document's first piece.
    fn rows(&mut self, out: &mut dyn Write, rows: &[ScoredRow], first: bool) -> io::Result<()>;
    /// The end of a document, with its summary.
    fn end_document(&mut self, out: &mut dyn Write, summary: &DocSummary) -> io::Result<()>;
    /// The end of the output.
    fn finish(&mut self, out: &mut dyn Write) -> io::Result<()>;
}

/// Cuts a stream of rows into documents for a [`Report`].
pub struct Grouper<R> {
    pub report: R,
    schema: Schema,
    current: Option<(Arc<str>, DocSummary)>,
    pending: Vec<ScoredRow>,
    first_piece: bool,
}

impl<R: Report> Grouper<R> {
    pub fn new(report: R, schema: Schema) -> Self {
        Grouper {
            report,
            schema,
            current: None,
            pending: Vec::new(),
            first_piece: true,
        }
    }

    /// Adds a row; rows of one document must come together, in order.
    pub fn push(&mut self, out: &mut dyn Write, row: ScoredRow) -> io::Result<()> {
        let same = matches!(&self.current, Some((doc, _)) if **doc == *row.doc);
        if !same {
            self.end_document(out)?;
            self.current = Some((row.doc.clone(), DocSummary::new(&*row.doc, &self.schema)));
        }
        let (_, summary) = self.current.as_mut().expect("set above");
        summary.add(row.paragraph, row.role, row.words, &row.scores);
        self.pending.push(row);
        if self.pending.len() >= PIECE {
            self.flush_rows(out)?;
        }
        Ok(())
    }

    fn flush_rows(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if !self.pending.is_empty() {
            self.report.rows(out, &self.pending, self.first_piece)?;
            self.first_piece = false;
            self.pending.clear();
        }
        Ok(())
    }

    fn end_document(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.flush_rows(out)?;
        if let Some((_, summary)) = self.current.take() {
            self.report.end_document(out, &summary)?;
        }
        self.first_piece = true;
        Ok(())
    }

    /// Ends the last document and the report.
    pub fn finish(&mut self, out: &mut dyn Write) -> io::Result<()> {
        self.end_document(out)?;
        self.report.finish(out)
    }
}
