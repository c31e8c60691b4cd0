//! Bounded quoting of untrusted input in error text.
//!
//! Errors quote what they refuse (an id, a label, a metric name, a RouterOS word, a value read
//! from a file), and that input can be megabytes long. Every error that quotes input goes
//! through [`bounded`] (or [`bound_quoted`] for messages made by other libraries), so an error
//! line stays short: a quoted value is cut to [`MAX_QUOTED_CHARS`] characters, on a character
//! boundary, and ends with [`ELLIPSIS`] when it was cut.
//!
//! # Examples
//! ```
//! use ispvm_model::quote::{bounded, MAX_QUOTED_CHARS};
//!
//! assert_eq!(bounded("agg1").to_string(), "agg1");
//! assert_eq!(format!("{:?}", bounded("agg1")), "\"agg1\"");
//! let long = "x".repeat(1 << 20);
//! let shown = format!("unknown entity {}", bounded(&long));
//! assert_eq!(shown.chars().count(), "unknown entity ".len() + MAX_QUOTED_CHARS + 1);
//! assert!(shown.ends_with("x…"));
//! ```

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Most characters of one quoted value kept in error text.
pub const MAX_QUOTED_CHARS: usize = 80;

/// Appended to a value that was cut.
pub const ELLIPSIS: char = '…';

/// `s` cut to at most `max` characters (on a character boundary), and whether it was cut.
#[must_use]
pub fn cut(s: &str, max: usize) -> (&str, bool) {
    match s.char_indices().nth(max) {
        Some((end, _)) => (&s[..end], true),
        None => (s, false),
    }
}

/// A view of untrusted text for error messages: [`fmt::Display`] writes at most
/// [`MAX_QUOTED_CHARS`] characters then [`ELLIPSIS`] when cut; [`fmt::Debug`] writes the same,
/// quoted and escaped like `{:?}` of a `str`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Bounded<'a>(&'a str);

/// Wraps `s` for bounded display in an error message.
#[must_use]
pub fn bounded(s: &str) -> Bounded<'_> {
    Bounded(s)
}

impl Bounded<'_> {
    /// The bounded text as a string (the [`fmt::Display`] form).
    #[must_use]
    pub fn to_cow(&self) -> Cow<'_, str> {
        match cut(self.0, MAX_QUOTED_CHARS) {
            (s, false) => Cow::Borrowed(s),
            (s, true) => {
                let mut out = String::with_capacity(s.len() + ELLIPSIS.len_utf8());
                out.push_str(s);
                out.push(ELLIPSIS);
                Cow::Owned(out)
            }
        }
    }
}

impl fmt::Display for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, was_cut) = cut(self.0, MAX_QUOTED_CHARS);
        f.write_str(s)?;
        if was_cut {
            f.write_char(ELLIPSIS)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Bounded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, was_cut) = cut(self.0, MAX_QUOTED_CHARS);
        f.write_char('"')?;
        for c in s.chars() {
            match c {
                // `{:?}` of a str leaves a single quote alone.
                '\'' => f.write_char(c)?,
                c => write!(f, "{}", c.escape_debug())?,
            }
        }
        if was_cut {
            f.write_char(ELLIPSIS)?;
        }
        f.write_char('"')
    }
}

/// Cuts every quoted run (between a pair of `"` or of `` ` ``) longer than
/// [`MAX_QUOTED_CHARS`] characters in a message written by another library (serde, a JSON
/// Schema validator), and caps the whole message at `4 * MAX_QUOTED_CHARS` characters.
///
/// Borrowed when nothing had to be cut.
///
/// # Examples
/// ```
/// use ispvm_model::quote::bound_quoted;
///
/// let msg = format!("unknown variant `{}`, expected `a` or `b`", "z".repeat(500));
/// let short = bound_quoted(&msg);
/// assert!(short.starts_with("unknown variant `zzz"));
/// assert!(short.ends_with("z…`, expected `a` or `b`"));
/// assert_eq!(bound_quoted("no quotes"), "no quotes");
/// ```
#[must_use]
pub fn bound_quoted(message: &str) -> Cow<'_, str> {
    let max_total = 4 * MAX_QUOTED_CHARS;
    let needs_work = message.len() > MAX_QUOTED_CHARS;
    if !needs_work {
        return Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len().min(max_total * 4 + 8));
    let mut rest = message;
    let mut changed = false;
    while let Some(open) = rest.find(['"', '`']) {
        let q = rest.as_bytes()[open] as char;
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(q) else {
            rest = after;
            break;
        };
        let inner = &after[..close];
        let (kept, was_cut) = cut(inner, MAX_QUOTED_CHARS);
        out.push_str(kept);
        if was_cut {
            out.push(ELLIPSIS);
            changed = true;
        }
        out.push(q);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    let (capped, was_cut) = cut(&out, max_total);
    if was_cut {
        let mut c = capped.to_string();
        c.push(ELLIPSIS);
        return Cow::Owned(c);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_values_are_untouched() {
        let s = "a".repeat(MAX_QUOTED_CHARS);
        assert_eq!(bounded(&s).to_string(), s);
        assert_eq!(format!("{:?}", bounded(&s)), format!("{s:?}"));
        assert!(matches!(bounded(&s).to_cow(), Cow::Borrowed(_)));
        assert_eq!(
            format!("{:?}", bounded("a\"b\n'")),
            format!("{:?}", "a\"b\n'")
        );
    }

    #[test]
    fn long_values_are_cut_on_char_boundaries() {
        let s = "é".repeat(MAX_QUOTED_CHARS + 1);
        let shown = bounded(&s).to_string();
        assert_eq!(shown, format!("{}…", "é".repeat(MAX_QUOTED_CHARS)));
        assert_eq!(
            format!("{:?}", bounded(&s)),
            format!("\"{}…\"", "é".repeat(MAX_QUOTED_CHARS))
        );
        assert_eq!(bounded(&s).to_cow(), shown);
    }

    #[test]
    fn messages_of_other_libraries() {
        let long = "q".repeat(1 << 20);
        let msg = format!("\"{long}\" is longer than 256 characters");
        let b = bound_quoted(&msg);
        assert_eq!(
            b,
            format!(
                "\"{}…\" is longer than 256 characters",
                "q".repeat(MAX_QUOTED_CHARS)
            )
        );
        // An unquoted giant (a whole array) is capped as a whole.
        let msg = format!("[{}] is not of type \"object\"", "1,".repeat(100_000));
        assert!(bound_quoted(&msg).chars().count() <= 4 * MAX_QUOTED_CHARS + 1);
        // An unpaired quote keeps the rest.
        assert_eq!(
            bound_quoted(&format!("{} `open", "x".repeat(90))),
            format!("{} `open", "x".repeat(90))
        );
    }

    proptest! {
        #[test]
        fn never_panics_and_respects_bounds(s in any::<String>(), max in 0usize..200) {
            let (kept, was_cut) = cut(&s, max);
            prop_assert!(s.starts_with(kept));
            prop_assert_eq!(was_cut, s.chars().count() > max);
            prop_assert!(kept.chars().count() <= max);
            let shown = bounded(&s).to_string();
            prop_assert!(shown.chars().count() <= MAX_QUOTED_CHARS + 1);
            let _ = format!("{:?}", bounded(&s));
            let msg = bound_quoted(&s);
            prop_assert!(msg.chars().count() <= 4 * MAX_QUOTED_CHARS + 1);
        }

        #[test]
        fn quoted_runs_are_bounded(prefix in "[a-z ]{0,20}", inner in "[^\"`]{0,400}", suffix in "[a-z ]{0,20}") {
            let msg = format!("{prefix}\"{inner}\"{suffix}");
            let b = bound_quoted(&msg);
            prop_assert!(b.chars().count() <= prefix.chars().count() + MAX_QUOTED_CHARS + 3 + suffix.chars().count());
            prop_assert!(b.starts_with(&prefix));
            prop_assert!(b.ends_with(&suffix));
        }
    }
}
