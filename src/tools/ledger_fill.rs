//! What `fill_template` takes from and gives to the engagement memory: a
//! Renewal Strategy's Value Delivered and rate justification filled from the
//! evidence ledger and positioning history when the model left them out; an
//! Engagement Value Assessment's level recorded in the positioning history; a
//! Client PM Coaching Plan's indicators recorded as the PM's baseline.

use serde_json::{Value, json};

use super::ToolError;
use super::customer::date_or_today;
use crate::templates::OutputTemplate;
use crate::workspace::client_pm_progress::{PmRecord, PmRecordKind};
use crate::workspace::positioning::{Positioning, PositioningEntry};
use crate::workspace::{CustomerDocs, Rate, WorkspaceError};

/// The template whose Value Delivered comes from the ledger.
pub(super) const RENEWAL_STRATEGY: &str = "renewal-strategy";
/// The template whose level is recorded.
pub(super) const ENGAGEMENT_VALUE_ASSESSMENT: &str = "engagement-value-assessment";
/// The template whose indicators are a baseline.
pub(super) const CLIENT_PM_COACHING_PLAN: &str = "client-pm-coaching-plan";

fn read_error(err: WorkspaceError) -> ToolError {
    ToolError::Failed(format!("reading the customer's documents: {err}"))
}

/// Fills a Renewal Strategy's `value_delivered` from the evidence ledger and
/// its `rate_justification` from the positioning history, each only when the
/// fields lack it and the template takes it; returns what was filled.
pub(super) fn prefill_renewal(
    template: &OutputTemplate,
    docs: CustomerDocs<'_>,
    fields: &mut Value,
) -> Result<Vec<String>, ToolError> {
    if template.id != RENEWAL_STRATEGY || !docs.exist() {
        return Ok(Vec::new());
    }
    let takes = |name: &str| {
        template
            .schema
            .pointer(&format!("/properties/{name}"))
            .is_some()
    };
    let Some(object) = fields.as_object_mut() else {
        return Ok(Vec::new());
    };
    let mut notes = Vec::new();
    let ledger = docs.evidence().map_err(read_error)?;
    if takes("value_delivered") && !object.contains_key("value_delivered") && !ledger.is_empty() {
        let rows: Vec<Value> = ledger
            .iter()
            .map(|e| json!({"achievement": e.contribution, "impact": e.business_impact, "evidence": e.evidence}))
            .collect();
        object.insert("value_delivered".into(), Value::Array(rows));
        notes.push(format!(
            "value_delivered filled from the evidence ledger ({} contributions)",
            ledger.len()
        ));
    }
    let positioning = docs.positioning().map_err(read_error)?;
    if takes("rate_justification")
        && !object.contains_key("rate_justification")
        && let Some(justification) = rate_justification(&positioning, ledger.len())
    {
        notes.push(justification.1);
        object.insert("rate_justification".into(), justification.0);
    }
    Ok(notes)
}

/// The rate case from the positioning history, in the template's terms (USD
/// per hour, as numbers: the current rate and the floor of the next level's
/// range), with the note saying so; none unless the rate is hourly.
fn rate_justification(positioning: &Positioning, contributions: usize) -> Option<(Value, String)> {
    let level = positioning.current_level.as_ref()?;
    let written = positioning.rate.as_ref()?;
    let next = positioning.next_levels.first()?;
    let rate = Rate::parse(written).filter(Rate::is_hourly)?;
    let argument = format!(
        "Moving from {level} to {} on the Value Ladder ({}) implies {}, backed by \
         {contributions} documented strategic contributions.",
        next.level, next.multiplier, next.range
    );
    let value = json!({
        "current_rate": rate.amount,
        "proposed_rate": (next.low * 100.0).round() / 100.0,
        "argument": argument,
    });
    let note = format!(
        "rate_justification filled from the positioning history ({written} as {level} → {} as {}; \
         the floor of that range proposed)",
        next.range, next.level
    );
    Some((value, note))
}

/// After a document rendered and was saved as `saved_as`: an assessment's
/// level goes to the positioning history, a coaching plan's indicators become
/// the PM's baseline. Returns what was recorded.
pub(super) async fn record_from_document(
    template: &OutputTemplate,
    fields: &Value,
    docs: CustomerDocs<'_>,
    saved_as: &str,
    today: jiff::civil::Date,
) -> Result<Option<String>, WorkspaceError> {
    let date = date_or_today(text(fields, "/date").as_deref(), today)
        .unwrap_or_else(|_| today.to_string());
    match template.id.as_str() {
        ENGAGEMENT_VALUE_ASSESSMENT => record_level(fields, docs, saved_as, date).await,
        CLIENT_PM_COACHING_PLAN => record_baseline(fields, docs, saved_as, date).await,
        _ => Ok(None),
    }
}

/// The string at `path` in the fields.
fn text(fields: &Value, path: &str) -> Option<String> {
    fields
        .pointer(path)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// An assessment's current level, client signals and rate, as a positioning row.
async fn record_level(
    fields: &Value,
    docs: CustomerDocs<'_>,
    saved_as: &str,
    date: String,
) -> Result<Option<String>, WorkspaceError> {
    let Some(level) = text(fields, "/value_ladder/current_level") else {
        return Ok(None);
    };
    let signals: Vec<String> = [
        "meeting_role",
        "work_type",
        "access_level",
        "rate_discussion",
    ]
    .iter()
    .filter_map(|k| text(fields, &format!("/client_signals/{k}")))
    .collect();
    let rate = match text(fields, "/rate_basis/rate") {
        Some(rate) => rate,
        None => docs.rate_fact()?.map(|(rate, _)| rate).unwrap_or_default(),
    };
    let evidence = format!(
        "Engagement Value Assessment {saved_as} (client signals: {})",
        signals.join(", ")
    );
    let entry = PositioningEntry {
        date,
        level: level.clone(),
        evidence,
        rate,
    };
    docs.record_positioning(entry).await?;
    Ok(Some(format!("{level} recorded in the positioning history")))
}

/// A coaching plan's indicators and criteria already met, as the PM's baseline.
async fn record_baseline(
    fields: &Value,
    docs: CustomerDocs<'_>,
    saved_as: &str,
    date: String,
) -> Result<Option<String>, WorkspaceError> {
    let Some(name) = text(fields, "/pm_name") else {
        return Ok(None);
    };
    let indicators = fields
        .pointer("/indicators")
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let criteria_met = fields
        .pointer("/graduation_criteria")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let record = PmRecord {
        date,
        kind: PmRecordKind::Baseline,
        indicators,
        criteria_met,
        notes: format!("Client PM Coaching Plan {saved_as}"),
    };
    docs.record_client_pm(&name, record).await?;
    Ok(Some(format!(
        "{name}'s indicators recorded as their baseline"
    )))
}
