//! The error a settings check returns, and the range check most settings use.

use core::fmt::Display;
use core::ops::RangeInclusive;

/// A setting whose value is outside what the server accepts.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("`{key}` {problem}")]
pub struct InvalidSetting {
    /// Dotted path of the setting, as written in the file: `server.tick_rate_hz`.
    pub key: &'static str,
    /// What is wrong with it, with the accepted range.
    pub problem: String,
}

impl InvalidSetting {
    pub fn new(key: &'static str, problem: impl Into<String>) -> Self {
        Self {
            key,
            problem: problem.into(),
        }
    }
}

/// Refuses `value` unless it lies in `range` (NaN never does).
pub fn check_range<T: PartialOrd + Display>(
    key: &'static str,
    value: T,
    range: RangeInclusive<T>,
) -> Result<(), InvalidSetting> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(InvalidSetting::new(
            key,
            format!(
                "is {value}; it must be between {} and {}",
                range.start(),
                range.end()
            ),
        ))
    }
}
