//! Snowball stemming through rust-stemmers.
//!
//! [`Language`] is plain `Copy` data stored in the analyzer configuration (and so in model files);
//! the `rust_stemmers::Stemmer` itself is created when an analyzer is built. Stemmers expect
//! lowercased input: the tokenizer lowercases before stemming.

use std::fmt;
use std::str::FromStr;

use rust_stemmers::Algorithm;
use serde::{Deserialize, Serialize};

use crate::error::TextError;

macro_rules! languages {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Stemming language: every language rust-stemmers has, or `None` for no stemming.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
        #[serde(rename_all = "lowercase")]
        pub enum Language {
            /// Do not stem.
            None,
            $(
                #[doc = concat!("Snowball stemmer for ", $name, ".")]
                $variant,
            )*
            /// Snowball's English (Porter 2) stemmer; the default.
            #[default]
            English,
        }

        impl Language {
            /// Every accepted name, as used on the command line and in model files.
            pub const NAMES: &'static [&'static str] = &["none", "english", $($name),*];

            /// The name of the language, as accepted by [`FromStr`].
            pub fn name(self) -> &'static str {
                match self {
                    Language::None => "none",
                    Language::English => "english",
                    $(Language::$variant => $name,)*
                }
            }

            pub(crate) fn algorithm(self) -> Option<Algorithm> {
                match self {
                    Language::None => None,
                    Language::English => Some(Algorithm::English),
                    $(Language::$variant => Some(Algorithm::$variant),)*
                }
            }
        }

        impl FromStr for Language {
            type Err = TextError;
            fn from_str(s: &str) -> Result<Self, TextError> {
                match s.to_ascii_lowercase().as_str() {
                    "none" => Ok(Language::None),
                    "english" | "en" => Ok(Language::English),
                    $($name => Ok(Language::$variant),)*
                    _ => Err(TextError::UnknownLanguage(s.to_string())),
                }
            }
        }
    };
}

languages! {
    Arabic => "arabic",
    Danish => "danish",
    Dutch => "dutch",
    Finnish => "finnish",
    French => "french",
    German => "german",
    Greek => "greek",
    Hungarian => "hungarian",
    Italian => "italian",
    Norwegian => "norwegian",
    Portuguese => "portuguese",
    Romanian => "romanian",
    Russian => "russian",
    Spanish => "spanish",
    Swedish => "swedish",
    Tamil => "tamil",
    Turkish => "turkish",
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A stemmer for one language; `Send + Sync`, so one instance serves every thread.
pub struct Stemmer {
    language: Language,
    inner: Option<rust_stemmers::Stemmer>,
}

impl Stemmer {
    /// Creates the stemmer for `language` (a no-op for [`Language::None`]).
    pub fn new(language: Language) -> Self {
        Stemmer {
            language,
            inner: language.algorithm().map(rust_stemmers::Stemmer::create),
        }
    }

    /// The language it stems.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Replaces the lowercased word at `buf[from..]` by its stem, allocating only when the
    /// stemmer changes the word.
    pub fn stem_tail(&self, buf: &mut String, from: usize) {
        let Some(stemmer) = &self.inner else { return };
        let stem = stemmer.stem(&buf[from..]);
        if let std::borrow::Cow::Owned(stem) = stem {
            buf.truncate(from);
            buf.push_str(&stem);
        }
    }
}

impl fmt::Debug for Stemmer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stemmer")
            .field("enabled", &self.inner.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_itself() {
        for name in Language::NAMES {
            let lang: Language = name.parse().unwrap();
            assert_eq!(lang.name(), *name);
        }
        assert_eq!(
            Language::NAMES.len(),
            19,
            "18 rust-stemmers languages + none"
        );
        assert!("klingon".parse::<Language>().is_err());
    }

    #[test]
    fn stems_per_language() {
        // Expected stems from the Python `snowballstemmer` package (same Snowball algorithms).
        let cases = [
            (Language::English, "running", "run"),
            (Language::English, "governments", "govern"),
            (Language::French, "gouvernements", "gouvern"),
            (Language::German, "regierungen", "regier"),
            (Language::Spanish, "gobiernos", "gobi"),
            (Language::None, "running", "running"),
        ];
        for (lang, word, expected) in cases {
            let mut buf = format!("x {word}");
            Stemmer::new(lang).stem_tail(&mut buf, 2);
            assert_eq!(&buf[2..], expected, "{lang}: {word}");
            assert_eq!(&buf[..2], "x ", "prefix kept");
        }
    }
}
