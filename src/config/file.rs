//! Turning the text of a config file into a validated `ServerConfig`.

use super::ConfigError;
use super::env::{EnvLookup, apply_env_overrides};
use crate::settings::ServerConfig;
use crate::toml_file::{line_and_column, parse_toml, read_text};
use arbiter_components::config::InvalidSetting;
use std::path::{Path, PathBuf};

/// Reads, parses, overrides from the environment and validates the file at `path`.
pub fn load_file(path: &Path, env: EnvLookup<'_>) -> Result<ServerConfig, ConfigError> {
    let text = read_text(path, "config file")?;
    parse_config(&text, path, env)
}

/// Parses `text` (read from `origin`, used in error messages), applies environment overrides and
/// validates the result.
pub fn parse_config(
    text: &str,
    origin: &Path,
    env: EnvLookup<'_>,
) -> Result<ServerConfig, ConfigError> {
    let mut config: ServerConfig = parse_toml(text, origin)?;
    let overridden = apply_env_overrides(&mut config, env)?;
    config
        .validate()
        .map_err(|setting| locate_invalid(text, origin, &overridden, setting))?;
    Ok(config)
}

/// Points a range error at the value in the file, or at the environment variable that set it.
fn locate_invalid(
    text: &str,
    origin: &Path,
    overridden: &[(&'static str, &'static str)],
    setting: InvalidSetting,
) -> ConfigError {
    let from_env = overridden
        .iter()
        .find(|(_, key)| *key == setting.key)
        .map(|(var, _)| *var);
    match value_offset(text, setting.key).filter(|_| from_env.is_none()) {
        Some(offset) => {
            let (line, column) = line_and_column(text, offset);
            ConfigError::InvalidInFile {
                origin: origin.to_owned(),
                line,
                column,
                setting,
            }
        }
        None => ConfigError::Invalid {
            origin: origin.to_owned(),
            from_env,
            setting,
        },
    }
}

/// Byte offset of the value of `section.key` in a TOML document, if the document spells it out.
fn value_offset(text: &str, dotted_key: &str) -> Option<usize> {
    let (section, key) = dotted_key.split_once('.')?;
    let document = toml::de::DeTable::parse(text).ok()?;
    let (_, section_value) = document
        .get_ref()
        .iter()
        .find(|(name, _)| name.get_ref().as_ref() == section)?;
    let toml::de::DeValue::Table(section_table) = section_value.get_ref() else {
        return None;
    };
    let (_, value) = section_table
        .iter()
        .find(|(name, _)| name.get_ref().as_ref() == key)?;
    Some(value.span().start)
}

/// The label used for the built-in defaults in messages.
pub(crate) fn embedded_origin() -> PathBuf {
    PathBuf::from("<embedded defaults>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::toml_file::TomlError;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse(text: &str) -> Result<ServerConfig, ConfigError> {
        parse_config(text, Path::new("server.toml"), &no_env)
    }

    #[test]
    fn a_partial_file_takes_defaults_for_the_rest() {
        let config = parse("[server]\ntick_rate_hz = 128\n").expect("valid");
        assert_eq!(config.server.tick_rate_hz, 128);
        assert_eq!(config.matchmaking, ServerConfig::default().matchmaking);
    }

    #[test]
    fn bad_toml_is_reported_with_line_and_column() {
        let error = parse("[server]\ntick_rate_hz = = 5\n").expect_err("bad toml");
        let ConfigError::Syntax(TomlError { line, column, .. }) = error else {
            panic!("expected a syntax error, got {error:?}")
        };
        assert_eq!((line, column), (2, 16));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_position() {
        let error = parse("[server]\ntick_rate_hz = 60\ntick_rte_hz = 30\n").expect_err("typo");
        let message = error.to_string();
        assert!(message.starts_with("server.toml:3:1:"), "{message}");
        assert!(message.contains("tick_rte_hz"), "{message}");
    }

    #[test]
    fn an_out_of_range_value_is_located_in_the_file() {
        let error = parse("[matchmaking]\n\n  timeout_secs = 0\n").expect_err("out of range");
        assert_eq!(
            error.to_string(),
            "server.toml:3:18: `matchmaking.timeout_secs` is 0; it must be between 1 and 3600"
        );
    }

    #[test]
    fn an_out_of_range_override_blames_the_variable() {
        let env = |var: &str| (var == "ARBITER_REDIS_URL").then(|| "http://nope".to_owned());
        let error =
            parse_config("", Path::new("server.toml"), &env).expect_err("bad redis url scheme");
        let message = error.to_string();
        assert!(message.contains("(set by ARBITER_REDIS_URL)"), "{message}");
    }
}
