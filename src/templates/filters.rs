//! The rendering environment and its filters, which keep field text from
//! breaking the document's structure.

use minijinja::{Environment, UndefinedBehavior};

/// The rendering environment: strict about undefined names, with filters that
/// keep field text from breaking the document's structure. Field values are data:
/// minijinja never evaluates them, so `{{ x }}` in a value renders literally.
pub(super) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.add_filter("cell", cell);
    env.add_filter("line", line);
    env.add_filter("money", money);
    env
}

/// The value as text; none and undefined as empty.
fn display(value: &minijinja::Value) -> String {
    if value.is_none() || value.is_undefined() {
        String::new()
    } else {
        value.to_string()
    }
}

/// A table cell: one line, pipes escaped, empty shown as a dash.
fn cell(value: minijinja::Value) -> String {
    let text = display(&value);
    let text = text.trim();
    if text.is_empty() {
        return "—".to_string();
    }
    text.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace('\n', "<br>")
}

/// A single line (headings, bold fields, list items, paragraphs): whitespace
/// folded, and a leading `#` escaped so a value cannot become a heading.
fn line(value: minijinja::Value) -> String {
    let text = display(&value)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.starts_with('#') {
        format!("\\{text}")
    } else {
        text
    }
}

/// A money amount: `12500` → `12,500`, `99.5` → `99.50`.
fn money(value: minijinja::Value) -> String {
    let Ok(amount) = f64::try_from(value.clone()) else {
        return display(&value);
    };
    let cents = (amount.abs() * 100.0).round() as u64;
    let (whole, frac) = (cents / 100, cents % 100);
    let sign = if amount < 0.0 { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{}", grouped(whole))
    } else {
        format!("{sign}{}.{frac:02}", grouped(whole))
    }
}

/// `1234567` → `1,234,567`.
fn grouped(whole: u64) -> String {
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_keep_values_inside_their_cells() {
        assert_eq!(cell("a | b\nc".into()), "a \\| b<br>c");
        assert_eq!(cell(minijinja::Value::from(())), "—");
        assert_eq!(line("  two\n lines ".into()), "two lines");
        assert_eq!(line("## not a heading".into()), "\\## not a heading");
        assert_eq!(money(12500.into()), "12,500");
        assert_eq!(money(1234567.5.into()), "1,234,567.50");
        assert_eq!(money((-300).into()), "-300");
    }
}
