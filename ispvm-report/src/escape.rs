//! Escaping of untrusted text for HTML/SVG and for Graphviz DOT.
//!
//! Entity ids, incident summaries, reasons and timeline text come from devices, files and the
//! network: every byte of them that reaches the report goes through one of these functions.

use std::fmt::Write as _;

/// Appends `s` to `out`, escaped for HTML text *and* double- or single-quoted attribute values
/// (the same escaping is valid in both places, in HTML and in inline SVG).
///
/// Control characters other than tab and newline (never valid in a document) become U+FFFD.
pub(crate) fn html_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' => out.push(c),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// `s` escaped for HTML text and attribute values; see [`html_into`].
pub(crate) fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    html_into(&mut out, s);
    out
}

/// `s` as a Graphviz double-quoted string, quotes included, escaped so that it reads back as
/// `s` when used as a label (`escString`): `"` and `\` are backslash-escaped, a newline becomes
/// the `\n` escape, other control characters become U+FFFD.
///
/// Used for node ids too: as long as every occurrence of an id is quoted the same way, the
/// node names match, and a trailing backslash can never swallow the closing quote.
pub(crate) fn dot_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    dot_into(&mut out, s);
    out.push('"');
    out
}

/// Appends `s` escaped for the inside of a DOT double-quoted string (see [`dot_quoted`]).
pub(crate) fn dot_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

/// At most `max` characters of `s`; longer text is cut and ends with `…`.
pub(crate) fn truncate_chars(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.chars().count() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    std::borrow::Cow::Owned(out)
}

/// A number for display: integers without a fraction, others with at most 3 decimals.
pub(crate) fn number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let mut s = String::new();
    let _ = write!(s, "{v:.3}");
    let trimmed = s.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_every_markup_character() {
        assert_eq!(
            html(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(html("agg/1 ünï 😀"), "agg/1 ünï 😀");
        assert_eq!(html("a\u{0}b\u{1b}c\td\ne"), "a\u{FFFD}b\u{FFFD}c\td\ne");
        assert_eq!(html("&amp;"), "&amp;amp;");
    }

    #[test]
    fn dot_quotes_and_backslashes_are_escaped() {
        assert_eq!(dot_quoted("agg1"), r#""agg1""#);
        assert_eq!(dot_quoted(r#"a"b"#), r#""a\"b""#);
        assert_eq!(dot_quoted("trailing\\"), r#""trailing\\""#);
        assert_eq!(dot_quoted("core/ge-0/0/1 ü"), r#""core/ge-0/0/1 ü""#);
        assert_eq!(dot_quoted("two\nlines\r"), "\"two\\nlines\u{FFFD}\"");
        assert_eq!(dot_quoted(r"\N"), r#""\\N""#);
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("agg1", 4), "agg1");
        assert_eq!(truncate_chars("ünïcødé", 4), "ünï…");
        assert_eq!(truncate_chars("abc", 0), "…");
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(3200.0), "3200");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(0.625), "0.625");
        assert_eq!(number(1.0 / 3.0), "0.333");
        assert_eq!(number(-2.0), "-2");
        assert_eq!(number(f64::NAN), "NaN");
    }
}
