//! Why a config could not be loaded, with the place in the file an operator has to fix.

use crate::toml_file::{ReadError, TomlError};
use arbiter_components::config::InvalidSetting;
use std::path::PathBuf;

/// A config that was refused. Its `Display` starts with `file:line:column` where that is known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, permissions, …).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error(transparent)]
    Syntax(#[from] TomlError),
    /// A well-formed value outside its accepted range, located in the file.
    #[error("{}:{line}:{column}: {setting}", origin.display())]
    InvalidInFile {
        origin: PathBuf,
        line: usize,
        column: usize,
        setting: InvalidSetting,
    },
    /// A value outside its accepted range that the file does not spell out (a default, or an
    /// environment override).
    #[error("{}: {setting}{}", origin.display(), from_env.map(|var| format!(" (set by {var})")).unwrap_or_default())]
    Invalid {
        origin: PathBuf,
        from_env: Option<&'static str>,
        setting: InvalidSetting,
    },
    /// An environment override that does not parse.
    #[error("environment variable {var}: {message}")]
    Env { var: &'static str, message: String },
}
