//! Articles to paragraphs.
//!
//! Contract: a paragraph is a maximal run of lines that are not blank; a blank line is one made
//! only of whitespace (so `\n\n`, `\r\n\r\n` and `\n   \n` all separate paragraphs). Each
//! [`Paragraph`] carries its 0-based index among the article's paragraphs and the byte span of its
//! text in the article, with leading and trailing whitespace trimmed, so `&article[p.span()]` is
//! exactly `p.text`. Lines inside a paragraph keep their line breaks. A byte order mark at the
//! start of the article (as Windows editors write) is skipped: it is not text.

use std::borrow::Cow;
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

/// The byte order mark.
const BOM: char = '\u{feff}';

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
        pos: if article.starts_with(BOM) {
            BOM.len_utf8()
        } else {
            0
        },
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

/// Invalid UTF-8 in a stream: where the first bad byte is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 at byte {offset}")]
pub struct Utf8Error {
    /// Byte offset in the stream.
    pub offset: usize,
    /// 1-based line number in the stream.
    pub line: usize,
}

/// What a [`ParagraphReader`] in lossy mode replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replacements {
    /// Invalid sequences replaced by U+FFFD (each maximal invalid sequence counts once, as
    /// [`String::from_utf8_lossy`] replaces it).
    pub count: usize,
    /// Where the first one was.
    pub first: Utf8Error,
}

/// Reads paragraphs from a byte stream one at a time, with the same paragraphs, indices and
/// spans as [`paragraphs`] over the whole text, in memory bounded by the longest paragraph.
///
/// Invalid UTF-8 is an error ([`Utf8Error`]) unless [`ParagraphReader::lossy_utf8`] is set; then
/// each invalid sequence becomes U+FFFD in the text and is counted ([`ParagraphReader::replacements`]).
/// Spans stay byte offsets into the stream, so in a paragraph with replacements
/// `end - start` is not the text's length.
#[derive(Debug)]
pub struct ParagraphReader<R> {
    reader: R,
    pos: usize,
    line_no: usize,
    index: usize,
    line: Vec<u8>,
    done: bool,
    lossy: bool,
    replacements: Option<Replacements>,
}

impl<R: std::io::BufRead> ParagraphReader<R> {
    /// Reads paragraphs from `reader`.
    pub fn new(reader: R) -> Self {
        ParagraphReader {
            reader,
            pos: 0,
            line_no: 0,
            index: 0,
            line: Vec::new(),
            done: false,
            lossy: false,
            replacements: None,
        }
    }

    /// Replace invalid UTF-8 with U+FFFD instead of failing.
    pub fn lossy_utf8(mut self, lossy: bool) -> Self {
        self.lossy = lossy;
        self
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Invalid UTF-8 replaced so far (lossy mode only).
    pub fn replacements(&self) -> Option<Replacements> {
        self.replacements
    }

    /// The next paragraph, `Ok(None)` at the end of the stream.
    ///
    /// # Errors
    /// An I/O error from the reader, or (unless lossy) [`Utf8Error`] (as `InvalidData`) naming
    /// the line and offset of the first byte that is not UTF-8.
    pub fn next_paragraph(&mut self) -> std::io::Result<Option<OwnedParagraph>> {
        let mut text = String::new();
        let mut start = None;
        let mut end = 0;
        // Bytes of the paragraph so far, including trailing whitespace not yet known to be
        // inside it (it is, if another non-blank line follows).
        let mut pending = String::new();
        while !self.done {
            self.line.clear();
            let mut n = self.reader.read_until(b'\n', &mut self.line)?;
            if n == 0 {
                self.done = true;
                break;
            }
            self.line_no += 1;
            if self.pos == 0 && self.line.starts_with("\u{feff}".as_bytes()) {
                let bom = BOM.len_utf8();
                self.line.drain(..bom);
                self.pos = bom;
                n -= bom;
            }
            let line: Cow<str> = match std::str::from_utf8(&self.line) {
                Ok(line) => Cow::Borrowed(line),
                Err(e) => {
                    let first = Utf8Error {
                        offset: self.pos + e.valid_up_to(),
                        line: self.line_no,
                    };
                    if !self.lossy {
                        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, first));
                    }
                    let count = self
                        .line
                        .utf8_chunks()
                        .filter(|c| !c.invalid().is_empty())
                        .count();
                    let r = self
                        .replacements
                        .get_or_insert(Replacements { count: 0, first });
                    r.count += count;
                    String::from_utf8_lossy(&self.line)
                }
            };
            let line_start = self.pos;
            self.pos += n;
            let lead = line.len() - line.trim_start().len();
            if lead == line.len() {
                if start.is_some() {
                    break;
                }
                continue;
            }
            let body = line.trim_end();
            // Offsets are taken in the stream's bytes: leading and trailing whitespace are the
            // same bytes in the stream as in `line`, the body may not be (lossy replacement).
            let trail = line.len() - body.len();
            if start.is_none() {
                start = Some(line_start + lead);
                text.push_str(&body[lead..]);
            } else {
                text.push_str(&pending);
                pending.clear();
                text.push_str(body);
            }
            pending.push_str(&line[body.len()..]);
            end = line_start + n - trail;
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

    fn read_all(bytes: &[u8], lossy: bool) -> std::io::Result<Vec<OwnedParagraph>> {
        let mut r =
            ParagraphReader::new(std::io::BufReader::with_capacity(3, bytes)).lossy_utf8(lossy);
        let mut got = Vec::new();
        while let Some(p) = r.next_paragraph()? {
            got.push(p);
        }
        Ok(got)
    }

    #[test]
    fn reader_reports_the_line_and_offset_of_invalid_utf8() {
        let mut r = ParagraphReader::new(&b"ok line\n\nbad \xff here"[..]);
        assert_eq!(r.next_paragraph().unwrap().unwrap().text, "ok line");
        let err = r.next_paragraph().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(err.to_string(), "invalid UTF-8 at byte 13");
        let inner = err.get_ref().and_then(|e| e.downcast_ref::<Utf8Error>());
        assert_eq!(
            inner,
            Some(&Utf8Error {
                offset: 13,
                line: 3
            })
        );
    }

    #[test]
    fn lossy_reader_replaces_and_counts_keeping_stream_offsets() {
        // (input, paragraphs as (start, end, text), replaced sequences, first (line, offset))
        type Case<'a> = (
            &'a [u8],
            &'a [(usize, usize, &'a str)],
            usize,
            Option<(usize, usize)>,
        );
        let cases: &[Case] = &[
            (b"clean", &[(0, 5, "clean")], 0, None),
            (
                b"Caf\xe9 society",
                &[(0, 12, "Caf\u{fffd} society")],
                1,
                Some((1, 3)),
            ),
            (
                b"a\n\n\xff\xfe x \xc3\n\n \xe2\x82 ",
                &[
                    (0, 1, "a"),
                    (3, 9, "\u{fffd}\u{fffd} x \u{fffd}"),
                    (12, 14, "\u{fffd}"),
                ],
                4,
                Some((3, 3)),
            ),
            // Trailing whitespace after a replaced byte is still trimmed from the span.
            (b"x\xff  \r\n", &[(0, 2, "x\u{fffd}")], 1, Some((1, 1))),
        ];
        for (input, expected, count, first) in cases {
            let mut r = ParagraphReader::new(*input).lossy_utf8(true);
            let mut got = Vec::new();
            while let Some(p) = r.next_paragraph().unwrap() {
                got.push((p.start, p.end, p.text));
            }
            let want: Vec<(usize, usize, String)> = expected
                .iter()
                .map(|(s, e, t)| (*s, *e, t.to_string()))
                .collect();
            assert_eq!(got, want, "input {input:?}");
            let rep = r
                .replacements()
                .map(|x| (x.count, x.first.line, x.first.offset));
            assert_eq!(rep, first.map(|(l, o)| (*count, l, o)), "input {input:?}");
            assert_eq!(r.position(), input.len());
        }
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let text = "\u{feff}Title\r\n\r\nBody";
        let got: Vec<_> = paragraphs(text).map(|p| (p.start, p.end, p.text)).collect();
        assert_eq!(got, [(3, 8, "Title"), (12, 16, "Body")]);
        let read = read_all(text.as_bytes(), false).unwrap();
        let read: Vec<_> = read
            .iter()
            .map(|p| (p.start, p.end, p.text.as_str()))
            .collect();
        assert_eq!(read, got);
        // Only at the start: elsewhere it is text.
        assert_eq!(
            paragraphs("a\n\n\u{feff}b").nth(1).unwrap().text,
            "\u{feff}b"
        );
    }

    proptest::proptest! {
        /// Spans are in bounds, on character boundaries, in order, trimmed, and the reader
        /// (fed in small pieces) gives the same paragraphs as the in-memory splitter.
        #[test]
        fn paragraph_spans_are_sound(text in "(\\PC|[ \t\r\n\u{feff}\u{0}\u{85}\u{2028}]){0,80}") {
            let mut last_end = 0;
            let ps: Vec<Paragraph> = paragraphs(&text).collect();
            for (i, p) in ps.iter().enumerate() {
                proptest::prop_assert_eq!(p.index, i);
                proptest::prop_assert!(p.start < p.end && p.end <= text.len());
                proptest::prop_assert!(p.start >= last_end);
                proptest::prop_assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
                proptest::prop_assert_eq!(&text[p.span()], p.text);
                proptest::prop_assert_eq!(p.text.trim(), p.text);
                last_end = p.end;
            }
            let read = read_all(text.as_bytes(), false).unwrap();
            let want: Vec<OwnedParagraph> = ps.iter().map(|p| OwnedParagraph {
                index: p.index, start: p.start, end: p.end, text: p.text.to_string(),
            }).collect();
            proptest::prop_assert_eq!(read, want);
        }

        /// Any bytes: the lossy reader never fails or panics, its texts are those of the lossy
        /// string, and its spans are in bounds.
        #[test]
        fn lossy_reader_takes_any_bytes(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let ps = read_all(&bytes, true).unwrap();
            let lossy = String::from_utf8_lossy(&bytes);
            let texts: Vec<&str> = ps.iter().map(|p| p.text.as_str()).collect();
            let want: Vec<&str> = paragraphs(&lossy).map(|p| p.text).collect();
            proptest::prop_assert_eq!(texts, want);
            let mut last_end = 0;
            for p in &ps {
                proptest::prop_assert!(last_end <= p.start && p.start < p.end && p.end <= bytes.len());
                last_end = p.end;
            }
            // Valid UTF-8 reads as the strict reader does.
            if let Ok(text) = std::str::from_utf8(&bytes) {
                proptest::prop_assert_eq!(ps, read_all(text.as_bytes(), false).unwrap());
            }
        }
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
