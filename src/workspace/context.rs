//! What the model reads before every turn about a customer: engagement facts,
//! reminders, open action items, the most recent events, the engagement
//! metrics with their coverage, financials and the Notes, most important
//! first, cut to a size budget.

use std::fmt::Write as _;

use super::action_items::TrackedItem;
use super::context_cache::Stamp;
use super::context_memory as memory;
use super::coverage::{self, Coverage};
use super::event_log::{Event, EventLog};
use super::metrics::{self, Engagement};
use super::reminders::Reminder;
use super::{CLIENT_PMS_DIR, CustomerId, Workspace, WorkspaceError, info};

/// Most recent events shown.
const RECENT_EVENTS: usize = 5;
/// Longest excerpt of an event's "What Happened".
const EVENT_EXCERPT_CHARS: usize = 400;

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
        let dir = self.customer_dir(customer);
        let stamp = Stamp::of(&dir, &[CLIENT_PMS_DIR], self.clock.today(), budget)
            .map_err(self.io(&dir))?;
        if let Some(text) = self.contexts.get(customer, &stamp) {
            return Ok(Some(text));
        }
        let text = self.render_context(customer, budget)?;
        self.contexts.put(customer, stamp, text.clone());
        Ok(Some(text))
    }

    /// The context read and rendered from the customer's files.
    fn render_context(
        &self,
        customer: &CustomerId,
        budget: usize,
    ) -> Result<String, WorkspaceError> {
        let log = self.event_log(customer)?;
        let facts = self.engagement_facts(customer)?;
        let items = self.action_items(customer)?;
        let sources = Sources {
            info_text: self.info(customer)?,
            financials: self.financials(customer)?,
            ideas: self.ideas(customer)?,
            reminders: self.reminders_from(customer, &items, &facts)?,
            items,
            coverage: coverage::coverage(&log.events, facts.hours_per_week()),
            memory: self.memory_sections(customer)?,
            log,
        };
        Ok(render(sources, budget))
    }
}

/// What the context is made of.
struct Sources {
    info_text: String,
    financials: String,
    ideas: String,
    log: EventLog,
    items: Vec<TrackedItem>,
    reminders: Vec<Reminder>,
    coverage: Option<Coverage>,
    /// Positioning, evidence and client PMs (`memory_context.rs`).
    memory: Vec<String>,
}

/// The context's sections, most important first, cut to `budget`.
/// The ledger's `memory` (positioning, evidence, client PMs) comes after the
/// open items.
fn render(sources: Sources, budget: usize) -> String {
    let summary = metrics::summarize(&sources.log.events);
    let first = [
        Some(facts(&sources.info_text)),
        memory::reminders_section(&sources.reminders),
        memory::open_items_section(&sources.items),
    ];
    let then = [
        recent_events(&sources.log.events),
        Some(engagement_metrics(&summary, sources.coverage.as_ref())),
        memory::financials_section(&sources.financials),
        memory::ideas_section(&sources.ideas),
        memory::notes_section(&sources.info_text),
    ];
    let parts = first
        .into_iter()
        .flatten()
        .chain(sources.memory)
        .chain(then.into_iter().flatten());
    cut_to_budget(parts, budget)
}

/// The facts and client PMs from `customer-info.md`, or a prompt to ask for them.
fn facts(info_text: &str) -> String {
    let mut out = String::from("### Engagement facts (customer-info.md)\n");
    let known = info::facts(info_text);
    if known.is_empty() {
        out.push_str("- Nothing recorded yet: ask for scope, hours, rate, client PMs, maturity and relationship health.\n");
    }
    for (name, value) in known {
        let _ = writeln!(out, "- {name}: {}", excerpt(&value, 300));
    }
    for pm in info::client_team(info_text) {
        let _ = writeln!(out, "- Client PM: {} ({}; {})", pm.name, pm.role, pm.level);
    }
    out
}

/// The newest events, one line each, if there are any.
fn recent_events(events: &[Event]) -> Option<String> {
    if events.is_empty() {
        return None;
    }
    let mut out = String::from("### Recent events (newest first)\n");
    for event in events.iter().take(RECENT_EVENTS) {
        let _ = writeln!(out, "{}", event_line(event));
    }
    Some(out)
}

/// `- [date] Type: Title (category, hours) — what happened`.
fn event_line(event: &Event) -> String {
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
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" ({})", tags.join(", "))
    };
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" — {what}")
    };
    let date = event.date.as_deref().unwrap_or("undated");
    format!(
        "- [{date}] {}: {}{tags}{what}",
        event.event_type, event.title
    )
}

/// The strategic vs tactical ratio overall and for the last four weeks.
fn engagement_metrics(summary: &Engagement, coverage: Option<&Coverage>) -> String {
    let overall = &summary.overall;
    let mut out = String::from(
        "### Engagement metrics (client work the PM reported, from the event log; coaching sessions never count)\n",
    );
    if !has_hours(summary) {
        out.push_str("- No categorized hours logged yet.\n");
        return out;
    }
    let _ = writeln!(
        out,
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
            out,
            "- {}: {} h, {}% strategic",
            week.week, week.allocation.total_hours, week.allocation.strategic_pct
        );
    }
    out.push_str(&memory::coverage_line(coverage));
    out
}

/// Whether any categorized hours were logged.
fn has_hours(summary: &Engagement) -> bool {
    summary.overall.total_hours > 0.0
}

/// The parts, each followed by a blank line, until the next would pass
/// `budget`: that one is cut short and marked `(truncated)`, and the rest left out.
fn cut_to_budget(parts: impl Iterator<Item = String>, budget: usize) -> String {
    let mut out = String::new();
    for part in parts {
        if out.len() + part.len() > budget {
            let room = budget.saturating_sub(out.len());
            let cut: String = part.chars().take(room.saturating_sub(16)).collect();
            out.push_str(&cut);
            out.push_str("\n(truncated)\n");
            break;
        }
        out.push_str(&part);
        out.push('\n');
    }
    out.trim_end().to_string()
}

/// `text` on one line, cut to `max` characters with an ellipsis.
fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}
