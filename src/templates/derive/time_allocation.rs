//! The Time Allocation Review's table: percentages per work type scaled to
//! total 100, shifts that follow from current vs target, and current shares
//! prefilled from the hours logged.

use serde_json::{Map, Value, json};

use super::{Derived, number};
use crate::templates::fields::{FieldError, object_mut};

/// Work types of the Time Allocation Review, in table order.
pub const WORK_TYPES: [&str; 4] = [
    "tactical",
    "operational",
    "strategic",
    "capability_building",
];

/// [`super::Derivation::TimeAllocation`].
pub(super) fn time_allocation(fields: &mut Value, out: &mut Derived) {
    let Some(table) = object_mut(fields, "time_allocation") else {
        return;
    };
    for column in ["current_pct", "target_pct"] {
        scale_to_100(table, column, out);
    }
    for row in WORK_TYPES {
        if let Some(r) = table.get_mut(row).and_then(Value::as_object_mut) {
            set_shift(row, r, out);
        }
    }
}

/// Scales a column's percentages to whole numbers totalling 100, saying what
/// changed; a column of zeros is an error.
fn scale_to_100(table: &mut Map<String, Value>, column: &str, out: &mut Derived) {
    let values: Vec<f64> = WORK_TYPES
        .iter()
        .map(|row| {
            table
                .get(*row)
                .and_then(Value::as_object)
                .and_then(|r| number(r, column))
                .unwrap_or(0.0)
        })
        .collect();
    let sum: f64 = values.iter().sum();
    if sum <= 0.0 {
        out.errors.push(FieldError::invalid(
            format!("/time_allocation/*/{column}"),
            "the percentages are all zero; give the share of hours per work type",
        ));
        return;
    }
    if (sum - 100.0).abs() < 0.05 {
        return;
    }
    let scaled = largest_remainder(&values, sum);
    let changes: Vec<String> = WORK_TYPES
        .iter()
        .zip(values.iter().zip(&scaled))
        .map(|(row, (before, after))| format!("{row} {before}→{after}"))
        .collect();
    for (row, value) in WORK_TYPES.iter().zip(&scaled) {
        if let Some(r) = table.get_mut(*row).and_then(Value::as_object_mut) {
            r.insert(column.to_string(), json!(value));
        }
    }
    out.corrections.push(format!(
        "Time Allocation {} summed to {sum}; scaled to total 100 ({})",
        column.replace("_pct", " %"),
        changes.join(", ")
    ));
}

/// Sets a row's `shift` from its current and target percentages, noting a
/// given shift that said otherwise.
fn set_shift(row: &str, r: &mut Map<String, Value>, out: &mut Derived) {
    let (Some(current), Some(target)) = (number(r, "current_pct"), number(r, "target_pct")) else {
        return;
    };
    let shift = if target > current {
        "Increase"
    } else if target < current {
        "Reduce"
    } else {
        "Maintain"
    };
    if let Some(given) = r.get("shift").and_then(Value::as_str)
        && given != shift
    {
        out.corrections.push(format!(
                "Time Allocation {row}: shift {given} contradicts {current}% → {target}%; set to {shift}"
            ));
    }
    r.insert("shift".into(), json!(shift));
}

/// Fills the Time Allocation Review's missing `current_pct` values from hours
/// logged per work type (`tactical`, `operational`, `strategic`,
/// `capability_building`), as whole percentages totalling 100. Returns a note
/// when it filled anything.
pub fn prefill_current_allocation(fields: &mut Value, hours: &[(&str, f64)]) -> Option<String> {
    let total: f64 = hours.iter().map(|(_, h)| h).sum();
    if total <= 0.0 {
        return None;
    }
    let object = fields.as_object_mut()?;
    let table = object
        .entry("time_allocation")
        .or_insert_with(|| json!({}))
        .as_object_mut()?;
    let values: Vec<f64> = WORK_TYPES
        .iter()
        .map(|key| {
            hours
                .iter()
                .find(|(k, _)| k == key)
                .map_or(0.0, |(_, h)| *h)
        })
        .collect();
    let percent = largest_remainder(&values, total);
    let mut filled = false;
    for (key, pct) in WORK_TYPES.iter().zip(percent) {
        let row = table.entry(*key).or_insert_with(|| json!({}));
        if let Some(row) = row.as_object_mut()
            && row.get("current_pct").is_none_or(Value::is_null)
        {
            row.insert("current_pct".into(), json!(pct));
            filled = true;
        }
    }
    filled.then(|| {
        let shares: Vec<String> = WORK_TYPES
            .iter()
            .map(|key| format!("{} {}%", key.replace('_', " "), table[*key]["current_pct"]))
            .collect();
        format!(
            "Time Allocation current % filled from the event log ({} categorized hours): {}",
            (total * 10.0).round() / 10.0,
            shares.join(", ")
        )
    })
}

/// Integer percentages proportional to `values`, totalling exactly 100.
fn largest_remainder(values: &[f64], sum: f64) -> Vec<u32> {
    let exact: Vec<f64> = values.iter().map(|v| v * 100.0 / sum).collect();
    let mut floors: Vec<u32> = exact.iter().map(|v| v.floor() as u32).collect();
    let short = 100u32.saturating_sub(floors.iter().sum());
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(short as usize) {
        floors[i] += 1;
    }
    floors
}
