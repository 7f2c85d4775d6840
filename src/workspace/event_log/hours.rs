//! Hours spent: read in the spellings people use, written as `2.5 h`.

use std::sync::LazyLock;

use regex::Regex;

/// Hours from `2.5`, `2.5 h`, `2 hours`, `90 min`, `1h 30m`.
pub fn parse_hours(text: &str) -> Option<f64> {
    static PART: LazyLock<Regex> = LazyLock::new(|| {
        // A fixed pattern, checked by the tests: compiling it cannot fail.
        #[allow(clippy::expect_used)]
        Regex::new(r"(?i)(\d+(?:\.\d+)?)\s*(h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?)?\b")
            .expect("hours pattern compiles")
    });
    let mut total = 0.0;
    let mut found = false;
    for c in PART.captures_iter(text) {
        let value: f64 = c[1].parse().ok()?;
        let minutes = c
            .get(2)
            .is_some_and(|unit| unit.as_str().to_ascii_lowercase().starts_with('m'));
        total += if minutes { value / 60.0 } else { value };
        found = true;
    }
    found.then_some(total)
}

/// `2.5 h`, `3 h`: rounded to two decimals, no trailing `.0`.
pub(super) fn format_hours(hours: f64) -> String {
    let rounded = (hours * 100.0).round() / 100.0;
    if rounded.fract() == 0.0 {
        format!("{rounded:.0} h")
    } else {
        format!("{rounded} h")
    }
}
