//! Dates the model passes: YYYY-MM-DD, or today when left out.

use crate::tools::ToolError;

/// `date` checked as YYYY-MM-DD, or `today`.
pub(crate) fn date_or_today(
    date: Option<&str>,
    today: jiff::civil::Date,
) -> Result<String, ToolError> {
    match date.map(str::trim).filter(|d| !d.is_empty()) {
        Some(date) => date
            .parse::<jiff::civil::Date>()
            .map(|d| d.to_string())
            .map_err(|_| ToolError::BadArguments(format!("date {date:?} is not YYYY-MM-DD"))),
        None => Ok(today.to_string()),
    }
}

/// An error when any of `texts` is blank.
pub(crate) fn require_text(texts: &[(&str, &str)]) -> Result<(), ToolError> {
    let blank: Vec<&str> = texts
        .iter()
        .filter(|(_, text)| text.trim().is_empty())
        .map(|(name, _)| *name)
        .collect();
    if blank.is_empty() {
        Ok(())
    } else {
        Err(ToolError::BadArguments(format!(
            "{} must not be empty",
            blank.join(", ")
        )))
    }
}
