//! Keyed lines: a part's many small entries packed into one text column, so a login reads one value
//! per player rather than a row per entry, while [`Store::part_owners`] can still find who holds a
//! key. Each entry is a newline, its key, a space and the rest of the entry:
//! `"\nmedkit 3 consumable\nrifle #7:1 primary"`. A key never holds white space.
//!
//! [`Store::part_owners`]: crate::persistence::Store::part_owners

use std::fmt::{Display, Write};

/// A keyed-lines text being written.
#[derive(Debug, Default)]
pub struct KeyedLines(String);

impl KeyedLines {
    pub fn with_capacity(bytes: usize) -> Self {
        Self(String::with_capacity(bytes))
    }

    /// Appends the entry `key rest`.
    pub fn push(&mut self, key: &str, rest: impl Display) {
        debug_assert!(
            !key.is_empty() && !key.contains(char::is_whitespace),
            "a line key holds no white space: {key:?}"
        );
        // Writing into a String cannot fail.
        let _ = write!(self.0, "\n{key} {rest}");
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The `(key, rest)` entries of `text`, in order; an entry without a key and a rest is an error.
pub fn entries(text: &str) -> impl Iterator<Item = Result<(&str, &str), String>> {
    // Split on bytes: a login reads millions of lines, and '\n' and ' ' are ASCII, so every cut
    // falls on a character boundary.
    let bytes = text.as_bytes();
    let starts = memchr::memchr_iter(b'\n', bytes).map(|newline| newline + 1);
    let ends = memchr::memchr_iter(b'\n', bytes)
        .skip(1)
        .chain(std::iter::once(bytes.len()));
    let first = text.split('\n').next().filter(|before| !before.is_empty());
    let stray = first.map(|before| Err(format!("text before the first line: {before:?}")));
    stray
        .into_iter()
        .chain(starts.zip(ends).map(move |(start, end)| {
            let line = &text[start..end];
            match split_word(line) {
                ("", _) | (_, None) => Err(format!("a line without a key and a value: {line:?}")),
                (key, Some(rest)) => Ok((key, rest)),
            }
        }))
}

/// `text` up to its first space, and what follows that space, if there is one.
pub fn split_word(text: &str) -> (&str, Option<&str>) {
    match memchr::memchr(b' ', text.as_bytes()) {
        Some(space) => (&text[..space], Some(&text[space + 1..])),
        None => (text, None),
    }
}

/// What a text holding an entry keyed `key` contains.
pub(crate) fn key_needle(key: &str) -> String {
    format!("\n{key} ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_what_was_pushed_in_order() {
        let mut lines = KeyedLines::default();
        lines.push("medkit", "3 consumable");
        lines.push("rifle", format_args!("#{}:{}", 7, 1));
        let text = lines.into_string();
        assert_eq!(text, "\nmedkit 3 consumable\nrifle #7:1");
        let read: Vec<_> = entries(&text).collect();
        assert_eq!(
            read,
            vec![Ok(("medkit", "3 consumable")), Ok(("rifle", "#7:1"))]
        );
        assert_eq!(entries("").count(), 0);
    }

    #[test]
    fn malformed_text_is_an_error_not_a_silent_skip() {
        assert!(entries("medkit 3").any(|entry| entry.is_err()));
        assert!(entries("\nmedkit").any(|entry| entry.is_err()));
        assert!(entries("\n 3").any(|entry| entry.is_err()));
    }

    #[test]
    fn a_key_is_found_only_as_a_whole_key() {
        let mut lines = KeyedLines::default();
        lines.push("material_10", 5);
        let text = lines.into_string();
        assert!(text.contains(&key_needle("material_10")));
        assert!(!text.contains(&key_needle("material_1")));
        assert!(!text.contains(&key_needle("10")));
    }
}
