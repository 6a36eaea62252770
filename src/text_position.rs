//! Where in a text file something is, for error messages an operator can act on.

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
