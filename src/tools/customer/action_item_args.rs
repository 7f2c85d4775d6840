//! What the action item tools share: reading an `AI-NNN` id and a due date
//! from the model's arguments, with errors that name the field, and the item
//! as the model reads it back.

use crate::tools::ToolError;
use crate::workspace::action_items::TrackedItem;

/// The number of an id written `AI-007`, `ai-7` or `7`.
pub(super) fn item_number(id: &str) -> Result<u32, ToolError> {
    let text = id.trim();
    let digits = text
        .get(..3)
        .filter(|p| p.eq_ignore_ascii_case("ai-"))
        .map_or(text, |_| &text[3..]);
    digits.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
        ToolError::BadArguments(format!("id: {id:?} is not an action item id like AI-007"))
    })
}

/// A due date as `YYYY-MM-DD`.
pub(super) fn due_date(due: &str) -> Result<String, ToolError> {
    due.trim()
        .parse::<jiff::civil::Date>()
        .map(|d| d.to_string())
        .map_err(|_| ToolError::BadArguments(format!("due: {due:?} is not a date (YYYY-MM-DD)")))
}

/// Text that must not be blank.
pub(super) fn required(field: &str, text: &str) -> Result<String, ToolError> {
    if text.trim().is_empty() {
        Err(ToolError::BadArguments(format!(
            "{field} must not be empty"
        )))
    } else {
        Ok(text.trim().to_string())
    }
}

/// The error for an id no item has.
pub(super) fn unknown(id: &str) -> ToolError {
    ToolError::BadArguments(format!(
        "id: there is no action item {id:?} for this customer; the open ones are in the context"
    ))
}

/// `AI-007 "task" (owner X, due D, Status)`.
pub(super) fn describe(item: &TrackedItem) -> String {
    format!(
        "{} \"{}\" (owner {}, due {}, {})",
        item.id, item.item, item.owner, item.due, item.status
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_dates_name_their_field_when_wrong() {
        assert_eq!(item_number("AI-007").ok(), Some(7));
        assert_eq!(item_number(" ai-12").ok(), Some(12));
        assert_eq!(item_number("3").ok(), Some(3));
        assert!(item_number("AI-x").is_err_and(|e| e.to_string().contains("id:")));
        assert!(item_number("AI-0").is_err());
        assert_eq!(due_date("2026-12-01").ok().as_deref(), Some("2026-12-01"));
        assert!(due_date("Friday").is_err_and(|e| e.to_string().contains("due:")));
        assert!(required("task", " ").is_err_and(|e| e.to_string().contains("task")));
    }
}
