//! The agent as the [`Consult`] the consult tools call: a sibling capability
//! runs as a sub-agent, one level deeper, on the question it was asked.

use async_trait::async_trait;

use super::{Agent, AgentError, Turn};
use crate::capability::Capability;
use crate::session::Progress;
use crate::tools::{Consult, Consulted, ToolContext};
use crate::workspace::CustomerDocs;

#[async_trait]
impl Consult for Agent {
    async fn consult(
        &self,
        context: ToolContext<'_>,
        target: &Capability,
        question: &str,
        background: Option<&str>,
    ) -> Consulted {
        let message =
            match self
                .inner
                .prompts
                .consult_message(&context.caller.name, question, background)
            {
                Ok(message) => message,
                Err(err) => {
                    return Consulted {
                        reply: Err(AgentError::from(err).to_string()),
                        spent: Progress::default(),
                    };
                }
            };
        let turn = Turn {
            depth: context.depth + 1,
            consulted_by: Some(&context.caller.name),
            customer: context.customer.as_ref().map(CustomerDocs::customer),
            ..Turn::new(target, &message, context.session_id, context.budget)
        };
        // Consults within one request run a few at a time, whatever the
        // model asks for at once.
        let _slot = context.budget.consult_slot().await;
        match self.run(turn).await {
            Ok(answer) => Consulted {
                reply: Ok(answer.reply),
                spent: answer.progress,
            },
            Err(failure) => Consulted {
                reply: Err(failure.error.to_string()),
                spent: failure.progress,
            },
        }
    }
}
