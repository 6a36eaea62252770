//! Why a config could not be loaded, with the place in the file an operator has to fix.

use arbiter_components::config::InvalidSetting;
use std::path::PathBuf;

/// A config that was refused. Its `Display` starts with `file:line:column` where that is known.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, permissions, …).
    #[error("{}: cannot read the config file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not valid TOML, an unknown key, or a value of the wrong type.
    #[error("{}:{line}:{column}: {message}", origin.display())]
    Syntax {
        origin: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
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
