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

#[cfg(test)]
mod tests {
    use super::*;

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
