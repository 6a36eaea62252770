//! Reading TOML files with errors an operator can act on: `file:line:column: what is wrong`.

use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

/// Text that is not valid TOML, or not the shape the file must have (unknown key, wrong type).
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", origin.display())]
pub struct TomlError {
    pub origin: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A file (or directory) that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot read the {what}: {source}", path.display())]
pub struct ReadError {
    /// What the file is, for the message: "config file", "map", …
    pub what: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

impl ReadError {
    pub(crate) fn new(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self { what, path, source }
    }
}

/// The text of the file at `path`.
pub(crate) fn read_text(path: &Path, what: &'static str) -> Result<String, ReadError> {
    std::fs::read_to_string(path).map_err(ReadError::new(what, path))
}

/// Parses `text` (read from `origin`, named in errors) as a `T`.
pub(crate) fn parse_toml<T: DeserializeOwned>(text: &str, origin: &Path) -> Result<T, TomlError> {
    toml::from_str(text).map_err(|error| {
        let (line, column) = line_and_column(text, error.span().map_or(0, |span| span.start));
        TomlError {
            origin: origin.to_owned(),
            line,
            column,
            message: error.message().trim_end().to_owned(),
        }
    })
}

/// 1-based line and column (in characters) of a byte offset in `text`.
pub(crate) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "a = 1\n[server]\ntick_rate_hz = 0\n";
        assert_eq!(line_and_column(text, 0), (1, 1));
        let offset = text.find('0').expect("literal contains 0");
        assert_eq!(line_and_column(text, offset), (3, 16));
    }
}
