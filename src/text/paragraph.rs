//! Articles to paragraphs.
//!
//! Contract: a paragraph is a maximal run of lines that are not blank; a blank line is one made
//! only of whitespace (so `\n\n`, `\r\n\r\n` and `\n   \n` all separate paragraphs). Each
//! [`Paragraph`] carries its 0-based index among the article's paragraphs and the byte span of its
//! text in the article, with leading and trailing whitespace trimmed, so `&article[p.span()]` is
//! exactly `p.text`. Lines inside a paragraph keep their line breaks.

use std::ops::Range;

/// One paragraph of an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paragraph<'a> {
    /// 0-based index among the article's paragraphs.
    pub index: usize,
    /// Byte offset of the first byte of the paragraph in the article.
    pub start: usize,
    /// Byte offset one past the last byte of the paragraph in the article.
    pub end: usize,
    /// The paragraph text, trimmed.
    pub text: &'a str,
}

impl Paragraph<'_> {
    /// The paragraph's byte range in the article.
    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

/// Splits an article into paragraphs on blank lines; see the module documentation.
///
/// ```
/// use rhetor::text::paragraphs;
/// let article = "Title\r\n\r\nFirst line\r\nsame paragraph.\r\n  \r\nLast.";
/// let ps: Vec<_> = paragraphs(article).collect();
/// assert_eq!(ps.len(), 3);
/// assert_eq!(ps[1].text, "First line\r\nsame paragraph.");
/// assert_eq!(&article[ps[2].span()], "Last.");
/// ```
pub fn paragraphs(article: &str) -> Paragraphs<'_> {
    Paragraphs {
        text: article,
        pos: 0,
        index: 0,
    }
}

/// Iterator over the paragraphs of an article, made by [`paragraphs`].
#[derive(Debug, Clone)]
pub struct Paragraphs<'a> {
    text: &'a str,
    pos: usize,
    index: usize,
}

impl<'a> Iterator for Paragraphs<'a> {
    type Item = Paragraph<'a>;

    fn next(&mut self) -> Option<Paragraph<'a>> {
        let text = self.text;
        let mut start = None;
        let mut end = 0;
        while self.pos < text.len() {
            let line_end = text[self.pos..]
                .find('\n')
                .map_or(text.len(), |i| self.pos + i + 1);
            let line = &text[self.pos..line_end];
            let trimmed_start = line.len() - line.trim_start().len();
            let is_blank = trimmed_start == line.len();
            if is_blank {
                if start.is_some() {
                    self.pos = line_end;
                    break;
                }
            } else {
                if start.is_none() {
                    start = Some(self.pos + trimmed_start);
                }
                end = self.pos + line.trim_end().len();
            }
            self.pos = line_end;
        }
        let start = start?;
        let index = self.index;
        self.index += 1;
        Some(Paragraph {
            index,
            start,
            end,
            text: &text[start..end],
        })
    }
}

/// A paragraph read from a stream, owning its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedParagraph {
    /// 0-based index among the document's paragraphs.
    pub index: usize,
    /// Byte offset of the paragraph in the stream.
    pub start: usize,
    /// Byte offset one past the paragraph in the stream.
    pub end: usize,
    /// The paragraph text, trimmed.
    pub text: String,
}

/// Invalid UTF-8 in a stream: the byte offset of the first bad byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {offset}")]
pub struct Utf8Error {
    /// Byte offset in the stream.
    pub offset: usize,
}

/// Reads paragraphs from a byte stream one at a time, with the same paragraphs, indices and
/// spans as [`paragraphs`] over the whole text, in memory bounded by the longest paragraph.
#[derive(Debug)]
pub struct ParagraphReader<R> {
    reader: R,
    pos: usize,
    index: usize,
    line: Vec<u8>,
    done: bool,
}

impl<R: std::io::BufRead> ParagraphReader<R> {
    /// Reads paragraphs from `reader`.
    pub fn new(reader: R) -> Self {
        ParagraphReader {
            reader,
            pos: 0,
            index: 0,
            line: Vec::new(),
            done: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next paragraph, `Ok(None)` at the end of the stream.
    ///
    /// # Errors
    /// An I/O error from the reader, or [`Utf8Error`] (as `InvalidData`) naming the offset of
    /// the first byte that is not UTF-8.
    pub fn next_paragraph(&mut self) -> std::io::Result<Option<OwnedParagraph>> {
        let mut text = String::new();
        let mut start = None;
        let mut end = 0;
        // Bytes of the paragraph so far, including trailing whitespace not yet known to be
        // inside it (it is, if another non-blank line follows).
        let mut pending = String::new();
        while !self.done {
            self.line.clear();
            let n = self.reader.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                self.done = true;
                break;
            }
            let line = std::str::from_utf8(&self.line).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    Utf8Error {
                        offset: self.pos + e.valid_up_to(),
                    },
                )
            })?;
            let line_start = self.pos;
            self.pos += n;
            let lead = line.len() - line.trim_start().len();
            if lead == line.len() {
                if start.is_some() {
                    break;
                }
                continue;
            }
            if start.is_none() {
                start = Some(line_start + lead);
                text.push_str(line[lead..].trim_end());
                pending.push_str(&line[lead + line[lead..].trim_end().len()..]);
            } else {
                text.push_str(&pending);
                pending.clear();
                let body = line.trim_end();
                text.push_str(body);
                pending.push_str(&line[body.len()..]);
            }
            end = line_start + line.trim_end().len();
        }
        let Some(start) = start else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        Ok(Some(OwnedParagraph {
            index,
            start,
            end,
            text,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_matches_the_in_memory_splitter() {
        let cases = [
            "",
            "one",
            "one\ntwo",
            "one\n\ntwo",
            "one\r\n\r\ntwo\r\n",
            "  one  \n \t \n\n  two",
            "\n\nлюди\n\n\n日本語\n",
            "a\r\nb\r\n\r\nc",
            "a  \n  b\t\n\n\nc\r\n d \r\n",
        ];
        for text in cases {
            // A tiny buffer, so that lines cross buffer boundaries.
            let mut r = ParagraphReader::new(std::io::BufReader::with_capacity(2, text.as_bytes()));
            let mut got = Vec::new();
            while let Some(p) = r.next_paragraph().unwrap() {
                got.push(p);
            }
            let want: Vec<OwnedParagraph> = paragraphs(text)
                .map(|p| OwnedParagraph {
                    index: p.index,
                    start: p.start,
                    end: p.end,
                    text: p.text.to_string(),
                })
                .collect();
            assert_eq!(got, want, "{text:?}");
            assert_eq!(r.position(), text.len());
        }
    }

    #[test]
    fn reader_reports_the_offset_of_invalid_utf8() {
        let mut r = ParagraphReader::new(&b"ok line\n\nbad \xff here"[..]);
        assert_eq!(r.next_paragraph().unwrap().unwrap().text, "ok line");
        let err = r.next_paragraph().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "invalid UTF-8 at byte 13");
    }

    /// (article, expected paragraphs as (start, end, text))
    #[test]
    fn splits_on_blank_lines() {
        type Case<'a> = (&'a str, &'a [(usize, usize, &'a str)]);
        let cases: &[Case] = &[
            ("", &[]),
            ("   \n\t\n", &[]),
            ("one", &[(0, 3, "one")]),
            ("one\ntwo", &[(0, 7, "one\ntwo")]),
            ("one\n\ntwo", &[(0, 3, "one"), (5, 8, "two")]),
            ("one\r\n\r\ntwo\r\n", &[(0, 3, "one"), (7, 10, "two")]),
            ("  one  \n \t \n\n  two", &[(2, 5, "one"), (15, 18, "two")]),
            (
                "\n\nлюди\n\n\n日本語\n",
                &[(2, 10, "люди"), (13, 22, "日本語")],
            ),
            ("a\r\nb\r\n\r\nc", &[(0, 4, "a\r\nb"), (8, 9, "c")]),
        ];
        for (article, expected) in cases {
            let got: Vec<_> = paragraphs(article).collect();
            assert_eq!(
                got.len(),
                expected.len(),
                "article {article:?}: expected {expected:?} but got {got:?}"
            );
            for (i, (p, (s, e, t))) in got.iter().zip(expected.iter()).enumerate() {
                assert_eq!(
                    (p.index, p.start, p.end, p.text),
                    (i, *s, *e, *t),
                    "article {article:?}, paragraph {i}"
                );
                assert_eq!(&article[p.span()], p.text);
            }
        }
    }
}
