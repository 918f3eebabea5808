//! Integration tests: the library's public API and the `rhetor` binary, on the project's own
//! corpus (`corpus/`). None of them needs `../shared`.

mod browser;
mod util;

mod cli_compare;
mod cli_errors;
mod cli_eval;
mod cli_score;
mod cli_train;
mod determinism;
mod explain;
mod html_report;
mod model_file;
mod texts;
