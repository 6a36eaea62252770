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

/// A value that parsed but breaks a rule, pointed at the line where the id it is about is written
/// (the top of the file when the id is not in it).
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {problem}", origin.display())]
pub struct InvalidValue {
    pub origin: PathBuf,
    pub line: usize,
    pub column: usize,
    pub problem: String,
}

/// Why a data file (the item catalog, the shop) could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum DataFileError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Syntax(#[from] TomlError),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

/// Reads the data file at `path` (`what` it is, for messages), or `shipped` (named `shipped_origin`)
/// when the file is absent, then checks it: `check` names the id a problem is about.
pub(crate) fn load_data_file<T: DeserializeOwned>(
    path: &Path,
    what: &'static str,
    shipped: &str,
    shipped_origin: &str,
    check: impl FnOnce(&T) -> Result<(), (String, String)>,
) -> Result<T, DataFileError> {
    if !path.is_file() {
        return parse_data(shipped, Path::new(shipped_origin), check);
    }
    let text = read_text(path, what)?;
    parse_data(&text, path, check)
}

/// Parses `text` (from `origin`) and checks it: see [`load_data_file`].
pub(crate) fn parse_data<T: DeserializeOwned>(
    text: &str,
    origin: &Path,
    check: impl FnOnce(&T) -> Result<(), (String, String)>,
) -> Result<T, DataFileError> {
    let value: T = parse_toml(text, origin)?;
    check(&value).map_err(|(id, problem)| {
        let offset = text.find(&format!("\"{id}\"")).unwrap_or(0);
        let (line, column) = line_and_column(text, offset);
        InvalidValue {
            origin: origin.to_owned(),
            line,
            column,
            problem,
        }
    })?;
    Ok(value)
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
