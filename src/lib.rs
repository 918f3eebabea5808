//! rhetor labels every paragraph of a news or opinion article by stance, framing and persuasion
//! technique.
#![warn(missing_docs)]

pub mod atomic_file;
pub mod compare;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod features;
pub mod model;
pub mod stats;
pub mod summary;
pub mod text;

pub use error::{Error, Result};
