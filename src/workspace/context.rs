//! What the model reads before every turn about a customer: engagement facts,
//! open action items, the most recent events and the engagement metrics, most
//! important first, cut to a size budget.

use std::fmt::Write as _;

use super::{CustomerId, Workspace, WorkspaceError, info, metrics};

/// Most recent events shown.
const RECENT_EVENTS: usize = 5;
/// Longest excerpt of an event's "What Happened".
const EVENT_EXCERPT_CHARS: usize = 400;

fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

impl Workspace {
    /// The customer's context as markdown, at most `budget` characters, or `None`
    /// when the customer has no folder yet.
    pub fn context(
        &self,
        customer: &CustomerId,
        budget: usize,
    ) -> Result<Option<String>, WorkspaceError> {
        if !self.customer_exists(customer) {
            return Ok(None);
        }
        let info_text = self.info(customer)?;
        let log = self.event_log(customer)?;
        let summary = metrics::summarize(&log.events);

        let mut parts: Vec<String> = Vec::new();
        let mut facts = String::from("### Engagement facts (customer-info.md)\n");
        let known = info::facts(&info_text);
        if known.is_empty() {
            facts.push_str("- Nothing recorded yet: ask for scope, hours, rate, client PMs, maturity and relationship health.\n");
        }
        for (name, value) in known {
            let _ = writeln!(facts, "- {name}: {}", excerpt(&value, 300));
        }
        for pm in info::client_team(&info_text) {
            let _ = writeln!(
                facts,
                "- Client PM: {} ({}; {})",
                pm.name, pm.role, pm.level
            );
        }
        parts.push(facts);

        let open: Vec<_> = log.action_items.iter().filter(|i| i.is_open()).collect();
        if !open.is_empty() {
            let mut items = String::from("### Open action items\n");
            for item in open {
                let _ = writeln!(
                    items,
                    "- {} (owner {}, due {}, {})",
                    excerpt(&item.item, 160),
                    item.owner,
                    item.due,
                    item.status
                );
            }
            parts.push(items);
        }

        if !log.events.is_empty() {
            let mut events = String::from("### Recent events (newest first)\n");
            for event in log.events.iter().take(RECENT_EVENTS) {
                let what = event
                    .fields
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case("What Happened"))
                    .map(|(_, v)| excerpt(v, EVENT_EXCERPT_CHARS))
                    .unwrap_or_default();
                let mut tags = Vec::new();
                if let Some(category) = event.category {
                    tags.push(category.name().to_string());
                }
                if let Some(hours) = event.hours {
                    tags.push(format!("{hours} h"));
                }
                let _ = writeln!(
                    events,
                    "- [{}] {}: {}{}{}",
                    event.date.as_deref().unwrap_or("undated"),
                    event.event_type,
                    event.title,
                    if tags.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", tags.join(", "))
                    },
                    if what.is_empty() {
                        String::new()
                    } else {
                        format!(" — {what}")
                    }
                );
            }
            parts.push(events);
        }

        let overall = &summary.overall;
        let mut numbers =
            String::from("### Engagement metrics (from categorized hours in the event log)\n");
        if overall.total_hours > 0.0 {
            let _ = writeln!(
                numbers,
                "- Overall: {} h; strategic {}% vs tactical {}% (Tactical {}%, Operational {}%, Strategic {}%, Capability Building {}%)",
                overall.total_hours,
                overall.strategic_pct,
                overall.tactical_pct,
                overall.percent["tactical"],
                overall.percent["operational"],
                overall.percent["strategic"],
                overall.percent["capability_building"],
            );
            for week in summary.weeks.iter().rev().take(4) {
                let _ = writeln!(
                    numbers,
                    "- {}: {} h, {}% strategic",
                    week.week, week.allocation.total_hours, week.allocation.strategic_pct
                );
            }
        } else {
            numbers.push_str("- No categorized hours logged yet.\n");
        }
        parts.push(numbers);

        let mut out = String::new();
        for part in parts {
            if out.len() + part.len() > budget {
                let room = budget.saturating_sub(out.len());
                let cut: String = part.chars().take(room.saturating_sub(16)).collect();
                if !cut.is_empty() {
                    out.push_str(&cut);
                }
                out.push_str("\n(truncated)\n");
                break;
            }
            out.push_str(&part);
            out.push('\n');
        }
        Ok(Some(out.trim_end().to_string()))
    }
}
