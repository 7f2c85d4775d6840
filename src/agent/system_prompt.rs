//! A turn's system prompt: the stable part, rendered and counted once per
//! capability and role (it is the same for every turn and customer, so
//! providers can cache it), and the situation after it (today's date and the
//! customer's documents).

use std::sync::Arc;

use super::{Agent, AgentError, Counted, Turn};
use crate::prompt::{CustomerView, Situation, SystemContext, TemplateView};

impl Agent {
    /// The stable part of the capability's system prompt in this role,
    /// rendered and counted the first time it is needed.
    pub(super) fn stable_prompt(&self, turn: &Turn<'_>) -> Result<Arc<Counted>, AgentError> {
        let inner = &self.inner;
        let can_consult = turn.depth < inner.limits.max_consult_depth;
        let key = (
            turn.capability.id.clone(),
            turn.consulted_by.map(str::to_string),
            can_consult,
        );
        let cached = inner
            .stable_prompts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        if let Some(counted) = cached {
            return Ok(counted);
        }
        let templates = inner.templates.for_capability(&turn.capability.id);
        let text = inner.prompts.system(&SystemContext {
            capability: turn.capability.into(),
            templates: templates.iter().map(|t| TemplateView::from(&**t)).collect(),
            consulted_by: turn.consulted_by,
            can_consult,
        })?;
        let tokens = inner.engine.tokens.text(&text);
        let counted = Arc::new(Counted { text, tokens });
        inner
            .stable_prompts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Arc::clone(&counted));
        Ok(counted)
    }

    /// Today and the customer's documents.
    pub(super) fn situation(&self, turn: &Turn<'_>) -> Result<String, AgentError> {
        let inner = &self.inner;
        let customer_context = match turn.customer {
            Some(customer) => inner
                .workspace
                .context(customer, inner.limits.customer_context_chars)?,
            None => None,
        };
        let today = today(self.inner.workspace.clock().today());
        let growth = self.growth_context(turn)?;
        Ok(inner.prompts.situation(&Situation {
            growth: growth.as_deref(),
            today: &today,
            records: turn.depth == 0 && turn.customer.is_some(),
            customer: turn.customer.map(|id| CustomerView {
                id: id.as_str(),
                context: customer_context.as_deref(),
            }),
        })?)
    }
}

/// A day with its weekday: `2026-11-30 (Monday)`.
fn today(date: jiff::civil::Date) -> String {
    format!("{date} ({:?})", date.weekday())
}
