//! The agent: runs one turn of a capability against the model, calling tools
//! (including consulting sibling capabilities) until the model answers.

mod events;
mod route;
mod runner;
mod step;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use events::{EventSink, TurnEvent};
pub use route::{CHOOSE_CAPABILITY, Routed};
use serde_json::Value;

use crate::capability::{Capability, CapabilitySet};
use crate::limits::Limits;
use crate::model::{ChatModel, Message, ModelError, Usage};
use crate::prompt::{PromptError, Prompts};
use crate::templates::{Artifact, Templates};
use crate::tools::{
    ConsultTool, EngagementSummaryTool, FillTemplateTool, LogEventTool, Tool, ToolContext,
    UpdateCustomerInfoTool,
};
use crate::workspace::{CustomerId, Workspace, WorkspaceError};

/// Runs capability turns. Cheap to clone.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    capabilities: Arc<CapabilitySet>,
    templates: Arc<Templates>,
    prompts: Arc<Prompts>,
    model: Arc<dyn ChatModel>,
    consult_tools: BTreeMap<String, Arc<ConsultTool>>,
    fill_tools: BTreeMap<String, Arc<FillTemplateTool>>,
    customer_tools: Vec<Arc<dyn Tool>>,
    workspace: Arc<Workspace>,
    limits: Limits,
}

/// One turn a person (or an orchestrator) asks for.
#[derive(Debug, Clone, Copy)]
pub struct TurnInput<'a> {
    /// The capability that answers.
    pub capability: &'a Capability,
    /// The conversation so far, without the system prompt.
    pub history: &'a [Message],
    /// The new user message.
    pub message: &'a str,
    /// The session, for logs and tool context.
    pub session_id: &'a str,
    /// The customer the turn is about, if any.
    pub customer: Option<&'a CustomerId>,
    /// Where to stream events, if anyone listens.
    pub events: Option<&'a EventSink>,
    /// A template the turn must produce (structured invoke): the loop goes on
    /// until it is filled or the step limit ends it with the fields still missing.
    pub required_template: Option<&'a str>,
}

/// What a finished turn produced.
#[derive(Debug, Clone)]
pub struct TurnOutcome {
    /// The final answer.
    pub reply: String,
    /// Messages this turn added (user message first), to append to the session.
    pub messages: Vec<Message>,
    /// Model calls made at this turn's level.
    pub steps: usize,
    /// Tool calls, documents, model calls and tokens: what the turn did.
    pub progress: Progress,
}

/// One model call as a transcript records it: enough to replay the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelCallRecord {
    /// The capability whose turn made the call.
    pub capability: String,
    /// 0 for the person's turn, 1 inside a consulted capability.
    pub depth: usize,
    /// Step within that turn, from 1.
    pub step: usize,
    /// The assistant message the model answered with.
    pub response: Message,
    /// Tokens of this call.
    pub usage: Usage,
    /// Why the model stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// Wall time of the call.
    pub latency_ms: u64,
}

/// One tool call as reported to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ToolCallRecord {
    /// Tool name as the model called it.
    pub name: String,
    /// Arguments: the parsed JSON, or the raw text when it was not JSON.
    pub arguments: Value,
    /// Wall time of the call.
    pub duration_ms: u64,
    /// Whether it succeeded.
    pub ok: bool,
    /// The capability consulted, for consult tools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capability: Option<String>,
}

/// What a turn had done when it stopped: kept on failure, so the tool calls
/// that already wrote to the customer's documents are still recorded.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    /// Tool calls made at the turn's level.
    pub tool_calls: Vec<ToolCallRecord>,
    /// Documents rendered.
    pub artifacts: Vec<Artifact>,
    /// Model calls made (consulted capabilities' included).
    pub model_calls: Vec<ModelCallRecord>,
    /// Tokens spent.
    pub usage: Usage,
}

/// A turn that failed, with what it had done by then.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct TurnFailure {
    /// Why it failed.
    pub error: AgentError,
    /// What it had done.
    pub progress: Progress,
}

/// Why a turn failed.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The model call failed.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The model kept calling tools past the step limit.
    #[error("the model did not finish within {steps} steps (it kept calling tools)")]
    StepLimit {
        /// The limit that was reached.
        steps: usize,
    },
    /// A required template was not filled within the step limit.
    #[error("the {template} document was not produced: {detail}")]
    TemplateNotFilled {
        /// The template id.
        template: String,
        /// The last fill_template error (the fields still missing), or why not.
        detail: String,
    },
    /// The model returned neither text nor tool calls.
    #[error("the model returned an empty answer")]
    EmptyReply,
    /// A prompt failed to render: a bug in prompts/ or in what we pass them.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The customer's documents could not be read.
    #[error(transparent)]
    Workspace(#[from] WorkspaceError),
}

impl Agent {
    /// Builds the agent, the consult tool of every capability and the
    /// `fill_template` tool of every capability that has templates.
    pub fn new(
        capabilities: Arc<CapabilitySet>,
        templates: Arc<Templates>,
        prompts: Arc<Prompts>,
        model: Arc<dyn ChatModel>,
        workspace: Arc<Workspace>,
        limits: Limits,
    ) -> Result<Self, String> {
        let consult_tools = capabilities
            .iter()
            .map(|capability| {
                ConsultTool::new(Arc::clone(capability))
                    .map(|tool| (capability.id.clone(), Arc::new(tool)))
            })
            .collect::<Result<_, _>>()?;
        let mut fill_tools = BTreeMap::new();
        for capability in capabilities.iter() {
            let own = templates.for_capability(&capability.id);
            if !own.is_empty() {
                let tool = FillTemplateTool::new(Arc::clone(&templates), own)?;
                fill_tools.insert(capability.id.clone(), Arc::new(tool));
            }
        }
        let customer_tools: Vec<Arc<dyn Tool>> = vec![
            Arc::new(LogEventTool::new()?),
            Arc::new(UpdateCustomerInfoTool::new()?),
            Arc::new(EngagementSummaryTool::new()?),
        ];
        Ok(Self {
            inner: Arc::new(Inner {
                capabilities,
                templates,
                prompts,
                model,
                consult_tools,
                fill_tools,
                customer_tools,
                workspace,
                limits,
            }),
        })
    }

    /// The capabilities this agent serves.
    pub fn capabilities(&self) -> &Arc<CapabilitySet> {
        &self.inner.capabilities
    }

    /// The output templates.
    pub fn templates(&self) -> &Arc<Templates> {
        &self.inner.templates
    }

    /// The customer workspace.
    pub fn workspace(&self) -> &Arc<Workspace> {
        &self.inner.workspace
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// The model's name.
    pub fn model_name(&self) -> &str {
        self.inner.model.name()
    }

    /// Runs one turn a person started.
    pub async fn run_turn(&self, input: TurnInput<'_>) -> Result<TurnOutcome, TurnFailure> {
        self.run(runner::Turn {
            events: input.events,
            required_template: input.required_template,
            capability: input.capability,
            history: input.history,
            message: input.message.to_string(),
            session_id: input.session_id,
            customer: input.customer,
            depth: 0,
            consulted_by: None,
        })
        .await
    }

    /// Runs `target` as a sub-agent answering a question from the capability in
    /// `context`, one level deeper.
    pub async fn consult(
        &self,
        context: ToolContext<'_>,
        target: &Capability,
        question: &str,
        extra: Option<&str>,
    ) -> Result<TurnOutcome, TurnFailure> {
        let message = self
            .inner
            .prompts
            .consult_message(&context.caller.name, question, extra)
            .map_err(|err| TurnFailure {
                error: err.into(),
                progress: Progress::default(),
            })?;
        self.run(runner::Turn {
            events: None,
            required_template: None,
            capability: target,
            history: &[],
            message,
            session_id: context.session_id,
            customer: context.customer,
            depth: context.depth + 1,
            consulted_by: Some(&context.caller.name),
        })
        .await
    }

    /// The capability a consult tool of this name consults.
    pub fn consulted_capability(&self, tool_name: &str) -> Option<String> {
        self.inner
            .consult_tools
            .values()
            .find(|tool| tool.definition().name == tool_name)
            .map(|tool| tool.target().id.clone())
    }

    /// The tools `capability` may call at `depth`: filling its own templates, the
    /// customer's documents when the turn has a customer, and consulting every
    /// other capability while the depth limit allows.
    pub fn tools_for(
        &self,
        capability: &Capability,
        depth: usize,
        has_customer: bool,
    ) -> Vec<Arc<dyn Tool>> {
        let mut tools: Vec<Arc<dyn Tool>> = Vec::new();
        if let Some(fill) = self.inner.fill_tools.get(&capability.id) {
            tools.push(Arc::clone(fill) as Arc<dyn Tool>);
        }
        if has_customer {
            tools.extend(self.inner.customer_tools.iter().cloned());
        }
        if depth < self.inner.limits.max_consult_depth {
            tools.extend(
                self.inner
                    .consult_tools
                    .iter()
                    .filter(|(id, _)| **id != capability.id)
                    .map(|(_, tool)| Arc::clone(tool) as Arc<dyn Tool>),
            );
        }
        tools
    }
}
