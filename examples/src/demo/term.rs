//! Terminal rendering of the narration: colours (ANSI, optional) and wrapping. The analysis
//! itself is rendered by `ispvm_report::text`.

/// ANSI colours, or plain text when off.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Palette {
    on: bool,
}

impl Palette {
    pub(crate) fn new(on: bool) -> Self {
        Self { on }
    }
    fn paint(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }
    pub(crate) fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    pub(crate) fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    pub(crate) fn red(self, s: &str) -> String {
        self.paint("31", s)
    }
    pub(crate) fn green(self, s: &str) -> String {
        self.paint("32", s)
    }
    pub(crate) fn yellow(self, s: &str) -> String {
        self.paint("33", s)
    }
    pub(crate) fn cyan(self, s: &str) -> String {
        self.paint("36", s)
    }
    /// The progress line is rewritten in place only on a terminal (colours on).
    pub(crate) fn is_on(self) -> bool {
        self.on
    }
}

/// Wraps `text` at `width` columns, every line starting with `indent`.
pub(crate) fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// `1234567` as `1,234,567` (the report's, so that narration and summaries agree).
pub(crate) use ispvm_report::text::thousands;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_and_formats() {
        assert_eq!(wrap("a bb ccc dddd", "  ", 8), "  a bb\n  ccc\n  dddd\n");
        assert_eq!(wrap("", "  ", 8), "");
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(3200), "3,200");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(Palette::new(false).red("x"), "x");
        assert_eq!(Palette::new(true).red("x"), "\x1b[31mx\x1b[0m");
    }
}
