//! What a paragraph is in its article: a headline, a byline, boilerplate, or body text.
//!
//! Only body paragraphs carry argument; headlines are compressed and often written by someone
//! else, bylines name the author, and boilerplate (share prompts, newsletter sign-ups, cookie
//! notices, photo credits, copyright lines) is outlet furniture. Scoring them as argument would
//! distort every per-paragraph statistic, so they are recognised and marked instead (see the
//! codebook, section 4).
//!
//! The rules are deliberately conservative: a paragraph is body text unless it is short and
//! matches one of the patterns below, so a real paragraph is almost never dropped.
//!
//! * **Headline**: the first paragraph of an article with more paragraphs after it, on one line,
//!   at most [`HEADLINE_MAX_WORDS`] words, not ending in a full stop.
//! * **Byline**: among the first four paragraphs, on one line, at most
//!   [`BYLINE_MAX_WORDS`] words: "By …", "From our … correspondent", a name followed by a job
//!   title ("Political Editor", "Staff reporter"), or a dateline ("Published 3 March 2026").
//! * **Boilerplate**: anywhere, at most [`BOILERPLATE_MAX_WORDS`] words, starting with (or,
//!   for a few markers such as `©`, containing) one of the outlet-furniture phrases, and with no
//!   clause that carries news ("Sign up for updates *as the council votes* on Thursday." is
//!   body text).

use serde::{Deserialize, Serialize};

/// The role of a paragraph in its article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The article's title.
    Headline,
    /// The author line or a dateline.
    Byline,
    /// Outlet furniture: share prompts, sign-ups, credits, notices.
    Boilerplate,
    /// Text that carries the article's content: the only role that is scored.
    Body,
}

impl Role {
    /// The role's name as written in outputs and in `corpus/` (`headline`, `byline`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Headline => "headline",
            Role::Byline => "byline",
            Role::Boilerplate => "boilerplate",
            Role::Body => "body",
        }
    }

    /// The role of a name written by [`Role::as_str`].
    pub fn parse(name: &str) -> Option<Role> {
        [Role::Headline, Role::Byline, Role::Boilerplate, Role::Body]
            .into_iter()
            .find(|r| r.as_str() == name)
    }

    /// Whether the paragraph is scored.
    pub fn is_body(self) -> bool {
        self == Role::Body
    }
}

/// Longest headline, in words.
pub const HEADLINE_MAX_WORDS: usize = 30;
/// Longest byline, in words.
pub const BYLINE_MAX_WORDS: usize = 14;
/// Longest boilerplate paragraph, in words.
pub const BOILERPLATE_MAX_WORDS: usize = 25;

/// Phrases that make a short paragraph boilerplate when it starts with them (compared in
/// lowercase, as whole words): notices and credits, whatever follows.
const NOTICE_STARTS: &[&str] = &[
    "©",
    "(c) ",
    "copyright ©",
    "copyright (c)",
    "all rights reserved",
    "we use cookies",
    "this site uses cookies",
    "this website uses cookies",
    "cookie settings",
    "cookie policy",
    "photograph:",
    "photograph by",
    "photo:",
    "photo by",
    "photos:",
    "image:",
    "image credit",
    "images:",
    "picture:",
    "pictured:",
    "credit:",
    "main image:",
    "top image:",
    "listen to this article",
    "comments are closed",
    "comments have been closed",
    "this article was amended",
    "this article was updated",
    "this article was corrected",
    "this article was first published",
    "this article is more than",
    "this story was updated",
    "this story has been updated",
    "correction:",
    "clarification:",
    "topics:",
    "tags:",
    "reporting by",
    "additional reporting",
    "editing by",
    "most read",
    "most popular",
    "related:",
    "related articles",
    "related stories",
    "more on this story",
    "recommended:",
    "skip to",
    "our comment policy",
];

/// Calls to action: boilerplate when the paragraph starts with one and has no clause that
/// carries news ("Sign up for updates *as the council votes* on Thursday." is body text).
const CALL_STARTS: &[&str] = &[
    "share this",
    "share on",
    "share:",
    "sign up",
    "subscribe to",
    "subscribe for",
    "subscribe now",
    "subscribe today",
    "follow us",
    "read more",
    "read next",
    "read our",
    "more from",
    "click here",
    "tap here",
    "get the latest",
    "get our",
    "download our",
    "download the",
    "support our",
    "support independent",
    "donate to",
    "print this",
    "email this",
    "view comments",
    "join the conversation",
    "watch:",
    "video:",
    "listen:",
    "don't miss",
    "you may also like",
    "continue reading",
    "enjoyed this article",
    "got a story",
    "contact us",
];

/// Paragraphs that are boilerplate when they are nothing but this (ignoring punctuation).
const WHOLE: &[&str] = &[
    "advertisement",
    "sponsored",
    "sponsored content",
    "share",
    "comments",
    "related",
    "subscribe",
    "menu",
];

/// Markers that make a short paragraph boilerplate wherever they appear.
const ANYWHERE: &[&str] = &[
    "©",
    "all rights reserved",
    "getty images",
    "shutterstock",
    "/ reuters",
    "/ afp",
    "/ pa wire",
];

/// Words that open a clause carrying news.
const CLAUSE_WORDS: &[&str] = &[
    "as", "after", "when", "because", "while", "before", "since", "until", "where", "who", "which",
    "that",
];

/// Job titles of bylines (compared in lowercase, as whole words).
const BYLINE_TITLES: &[&str] = &[
    "correspondent",
    "reporter",
    "editor",
    "columnist",
    "writer",
    "journalist",
    "staff",
    "contributor",
    "analyst",
    "critic",
    "commentator",
    "producer",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Words of a paragraph, split on whitespace.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
}

/// `words(text).take(limit).count()`, fast: this runs on every paragraph scored.
///
/// Over ASCII text, word starts are counted byte by byte at ASCII whitespace, which is all of
/// its whitespace. A non-ASCII character may be Unicode whitespace (a no-break space), so once
/// one appears before the count reaches `limit`, the exact count is taken instead.
fn count_words_up_to(text: &str, limit: usize) -> usize {
    let mut n = 0;
    let mut prev_space = true;
    // Bits of every byte seen: one >= 0x80 means a non-ASCII character.
    let mut seen = 0u8;
    // Blocks of 64 bytes, without a branch per byte: word starts are counted as
    // space-to-non-space transitions.
    for block in text.as_bytes().chunks(64) {
        for &b in block {
            // `char::is_whitespace` on ASCII: space and \t \n \x0B \x0C \r.
            let space = b == b' ' || (b'\t'..=b'\r').contains(&b);
            n += usize::from(prev_space & !space);
            prev_space = space;
            seen |= b;
        }
        if seen >= 0x80 {
            return words(text).take(limit).count();
        }
        if n >= limit {
            return limit;
        }
    }
    n
}

fn one_line(text: &str) -> bool {
    !text.contains('\n')
}

const WEEKDAYS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// "Published 3 March 2026", "March 3, 2026", "Rome, August 22, 2018".
fn is_dateline(lower: &str) -> bool {
    let starts = [
        "published",
        "updated",
        "posted",
        "last updated",
        "first published",
    ];
    if starts.iter().any(|s| starts_with_phrase(lower, s)) {
        return true;
    }
    let ws: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has_month = ws.iter().any(|w| MONTHS.contains(w));
    let first_is_date = ws.first().is_some_and(|w| {
        MONTHS.contains(w) || WEEKDAYS.contains(w) || w.chars().all(|c| c.is_ascii_digit())
    });
    let ends_with_year = ws
        .last()
        .is_some_and(|w| w.len() == 4 && w.chars().all(|c| c.is_ascii_digit()));
    let has_digit = lower.contains(|c: char| c.is_ascii_digit());
    has_month && has_digit && ws.len() <= 6 && (first_is_date || ends_with_year)
}

fn is_byline(text: &str, lower: &str, n_words: usize) -> bool {
    if n_words > BYLINE_MAX_WORDS || !one_line(text) || text.ends_with(['?', '!', ':', '.']) {
        return false;
    }
    if let Some(rest) = text
        .strip_prefix("By ")
        .or_else(|| text.strip_prefix("BY "))
    {
        return rest.starts_with(char::is_uppercase);
    }
    if starts_with_phrase(lower, "from our") || starts_with_phrase(lower, "staff reporter") {
        return true;
    }
    if is_dateline(lower) {
        return true;
    }
    // "Mara Lindqvist, Transport Correspondent", "Political Editor Sam Hale": a job title among
    // the first or last two words, mostly capitalised words, no figures.
    let ws: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let k = ws.len();
    let title_at_edge = ws
        .iter()
        .enumerate()
        .any(|(i, w)| (i < 2 || i + 2 >= k) && BYLINE_TITLES.contains(w));
    let capitalised = words(text)
        .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
        .count();
    title_at_edge && capitalised * 2 >= n_words && !text.contains(|c: char| c.is_ascii_digit())
}

/// Whether `lower` starts with `phrase` as whole words.
fn starts_with_phrase(lower: &str, phrase: &str) -> bool {
    // The first bytes first: most phrases differ there, and this runs for ~100 phrases on
    // every short paragraph.
    lower.as_bytes().first() == phrase.as_bytes().first()
        && lower.starts_with(phrase)
        && (phrase.ends_with(|c: char| !c.is_alphanumeric())
            || !lower[phrase.len()..].starts_with(char::is_alphanumeric))
}

/// Whether `lower` contains one of [`ANYWHERE`] (one pass over the text for all of them).
fn contains_anywhere_marker(lower: &str) -> bool {
    static MARKERS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    MARKERS
        .get_or_init(|| {
            aho_corasick::AhoCorasick::new(ANYWHERE).expect("a few short literal patterns")
        })
        .is_match(lower)
}

fn is_boilerplate(text: &str, lower: &str, n_words: usize) -> bool {
    if n_words > BOILERPLATE_MAX_WORDS {
        return false;
    }
    let bare = lower.trim_matches(|c: char| !c.is_alphanumeric());
    if WHOLE.contains(&bare)
        || NOTICE_STARTS.iter().any(|p| starts_with_phrase(lower, p))
        || contains_anywhere_marker(lower)
    {
        return true;
    }
    // "Follow Meridian Wire for live updates", not "Follow the money".
    let follow_outlet = text
        .strip_prefix("Follow ")
        .is_some_and(|rest| rest.starts_with(char::is_uppercase));
    if !(follow_outlet || CALL_STARTS.iter().any(|p| starts_with_phrase(lower, p))) {
        return false;
    }
    let has_clause = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| CLAUSE_WORDS.contains(&w));
    !has_clause
}

/// The role of paragraph `index` of an article, `text` trimmed; `more_follow` says whether the
/// article has paragraphs after this one (a lone paragraph is never a headline).
///
/// ```
/// use rhetor::text::{paragraph_role, Role};
/// assert_eq!(paragraph_role("Council backs congestion charge", 0, true), Role::Headline);
/// assert_eq!(paragraph_role("Council backs congestion charge", 0, false), Role::Body);
/// assert_eq!(paragraph_role("By Mara Lindqvist, Transport Correspondent", 1, true), Role::Byline);
/// assert_eq!(paragraph_role("Sign up for our morning newsletter.", 9, false), Role::Boilerplate);
/// assert_eq!(
///     paragraph_role("Sign up for updates as the council votes on Thursday.", 9, false),
///     Role::Body
/// );
/// ```
pub fn paragraph_role(text: &str, index: usize, more_follow: bool) -> Role {
    let n_words = count_words_up_to(text, HEADLINE_MAX_WORDS + 1);
    // Only short paragraphs can be anything but body text: decide that before lowercasing.
    if n_words > HEADLINE_MAX_WORDS || n_words == 0 {
        return Role::Body;
    }
    let may_be_boilerplate = n_words <= BOILERPLATE_MAX_WORDS;
    let may_be_byline = index <= 3 && n_words <= BYLINE_MAX_WORDS;
    if may_be_boilerplate || may_be_byline {
        let lower = text.to_lowercase();
        if may_be_boilerplate && is_boilerplate(text, &lower, n_words) {
            return Role::Boilerplate;
        }
        if may_be_byline && is_byline(text, &lower, n_words) {
            return Role::Byline;
        }
    }
    if index == 0 && more_follow && one_line(text) && !text.trim_end().ends_with('.') {
        return Role::Headline;
    }
    Role::Body
}

/// The roles of every paragraph of an article.
pub fn paragraph_roles<'a>(paragraphs: impl IntoIterator<Item = &'a str>) -> Vec<Role> {
    let texts: Vec<&str> = paragraphs.into_iter().collect();
    let n = texts.len();
    texts
        .iter()
        .enumerate()
        .map(|(i, t)| paragraph_role(t, i, i + 1 < n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any text, any limit: the fast count is `split_whitespace`'s, capped at the limit.
        /// (Texts drawn from a mix of words, ASCII and Unicode spaces, and other characters.)
        #[test]
        fn word_counts_agree_with_split_whitespace_on_any_text(
            text in "([a-z]{1,8}|[ \t\n\x0b\x0c\r]|\u{a0}|\u{2003}|\u{3000}|\u{85}|é|“|—){0,120}",
            limit in 1usize..40,
        ) {
            proptest::prop_assert_eq!(
                count_words_up_to(&text, limit),
                words(&text).take(limit).count()
            );
        }
    }

    #[test]
    fn word_counts_agree_with_split_whitespace() {
        let texts = [
            "",
            "   ",
            "one",
            " two  words ",
            "tab\tand\nnewline\x0bvertical\x0cfeed\rreturn",
            "no\u{a0}break space",
            "\u{a0} \u{a0} \u{a0}\t\u{a0}",
            "em\u{2003}space and café",
            "ASCII first, then é",
            "a b c d e f g h i j k l m n o p q r s t u v w x y z a b c d e f g h",
        ];
        for text in texts {
            for limit in [1, 3, HEADLINE_MAX_WORDS + 1] {
                assert_eq!(
                    count_words_up_to(text, limit),
                    words(text).take(limit).count(),
                    "{text:?} limit {limit}"
                );
            }
        }
    }

    #[test]
    fn roles_table() {
        use Role::*;
        // (text, index, more paragraphs follow, role)
        let cases = [
            (
                "Portmere congestion charge comes into force",
                0,
                true,
                Headline,
            ),
            ("Is the price cap working?", 0, true, Headline),
            ("Is the price cap working?", 0, false, Body),
            (
                "Drivers now pay a daily charge of £9 after the scheme came in.",
                0,
                true,
                Body,
            ),
            ("Headline\nwith two lines", 0, true, Body),
            (
                "By Mara Lindqvist, Transport Correspondent",
                1,
                true,
                Byline,
            ),
            ("BY MARA LINDQVIST", 1, true, Byline),
            ("By the end of the year, fares will rise.", 1, true, Body),
            ("Staff reporter", 1, true, Byline),
            ("Political Editor Sam Hale", 1, true, Byline),
            ("Published 3 March 2026", 2, true, Byline),
            ("Published 3 March 2026", 8, true, Body),
            ("Rome, August 22, 2018", 1, true, Byline),
            ("His latest book, published May 9, is", 1, true, Body),
            ("In December 2017:", 1, true, Body),
            ("May God save His Church", 1, true, Body),
            (
                "Facebook Lifts Frontpage Editor Jamie Glazov's 9/11 Ban",
                1,
                true,
                Body,
            ),
            ("As commentator Sean Davis tweeted:", 1, true, Body),
            ("Share this article", 10, false, Boilerplate),
            (
                "Sign up for the Harbour Herald morning briefing.",
                11,
                false,
                Boilerplate,
            ),
            (
                "Follow Meridian Wire for live updates on education policy.",
                11,
                false,
                Boilerplate,
            ),
            (
                "Sign up for updates as the council votes on Thursday.",
                5,
                true,
                Body,
            ),
            ("Photograph: Alamy", 3, true, Boilerplate),
            (
                "© 2026 Valley Courier. All rights reserved.",
                12,
                false,
                Boilerplate,
            ),
            (
                "We use cookies to improve your experience.",
                12,
                false,
                Boilerplate,
            ),
            (
                "This article was amended on 4 May to correct a figure.",
                12,
                false,
                Boilerplate,
            ),
            (
                "Follow the money, critics say, and you find the developers.",
                4,
                true,
                Body,
            ),
            (
                "Subscribers will pay £2 more a month from April.",
                4,
                true,
                Body,
            ),
            ("Copyright law was never meant for this.", 4, true, Body),
            (
                "The council's newsletter promised cleaner air.",
                4,
                true,
                Body,
            ),
            ("Advertisement", 6, true, Boilerplate),
            (
                "Reporting by Ana Ruiz; editing by Tom Bell",
                9,
                false,
                Boilerplate,
            ),
            ("", 0, true, Body),
        ];
        for (text, index, more, want) in cases {
            assert_eq!(
                paragraph_role(text, index, more),
                want,
                "{text:?} at {index}"
            );
        }
    }

    #[test]
    fn long_paragraphs_are_always_body() {
        let long = "Share this ".repeat(40);
        assert_eq!(paragraph_role(&long, 5, true), Role::Body);
    }

    /// Every paragraph of the project's labelled articles gets the role its record gives.
    #[test]
    fn corpus_roles_are_recognised() {
        use std::collections::BTreeMap;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/corpus");
        let mut checked = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let mut docs: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
            for line in std::fs::read_to_string(&path).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                let (Some(doc), Some(text), Some(role)) =
                    (v["doc"].as_str(), v["text"].as_str(), v["role"].as_str())
                else {
                    continue;
                };
                docs.entry(doc.to_string())
                    .or_default()
                    .push((text.to_string(), role.to_string()));
            }
            for (doc, paras) in docs {
                if paras.len() < 2 {
                    continue; // single-paragraph records: no article structure
                }
                let roles = paragraph_roles(paras.iter().map(|(t, _)| t.as_str()));
                for ((text, want), got) in paras.iter().zip(roles) {
                    assert_eq!(got.as_str(), want, "{doc}: {text:?}");
                    checked += 1;
                }
            }
        }
        assert!(checked >= 94, "only {checked} paragraphs checked");
    }
}
