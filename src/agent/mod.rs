//! The agent: runs one turn of a capability against the model, calling tools
//! (including consulting sibling capabilities) until the model answers.

mod consult;
mod events;
mod route;
mod run_tools;
mod runner;
mod step;
mod turn;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use events::{EventSink, TurnEvent};
pub use route::{CHOOSE_CAPABILITY, Routed};
pub use turn::{AgentError, Answer, Turn, TurnFailure};

use crate::capability::{Capability, CapabilitySet};
use crate::limits::Limits;
use crate::model::ChatModel;
use crate::prompt::Prompts;
use crate::templates::Templates;
use crate::tools::{
    ConsultTool, DynTool, EngagementSummaryTool, FillTemplateTool, LogEventTool, Typed,
    UpdateCustomerInfoTool,
};
use crate::workspace::Workspace;

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
    consult_tools: BTreeMap<String, Arc<Typed<ConsultTool>>>,
    fill_tools: BTreeMap<String, Arc<Typed<FillTemplateTool>>>,
    customer_tools: Vec<Arc<dyn DynTool>>,
    workspace: Arc<Workspace>,
    limits: Limits,
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
        let mut consult_tools = BTreeMap::new();
        let mut fill_tools = BTreeMap::new();
        for capability in capabilities.iter() {
            let consult = Typed::new(ConsultTool::new(Arc::clone(capability)))?;
            consult_tools.insert(capability.id.clone(), Arc::new(consult));
            let own = templates.for_capability(&capability.id);
            if !own.is_empty() {
                let fill = Typed::new(FillTemplateTool::new(Arc::clone(&templates), own))?;
                fill_tools.insert(capability.id.clone(), Arc::new(fill));
            }
        }
        let customer_tools: Vec<Arc<dyn DynTool>> = vec![
            Arc::new(Typed::new(LogEventTool)?),
            Arc::new(Typed::new(UpdateCustomerInfoTool)?),
            Arc::new(Typed::new(EngagementSummaryTool)?),
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

    /// Runs one turn.
    pub async fn run_turn(&self, turn: Turn<'_>) -> Result<Answer, TurnFailure> {
        self.run(turn).await
    }

    /// The capability a consult tool of this name consults.
    pub fn consulted_capability(&self, tool_name: &str) -> Option<String> {
        self.inner
            .consult_tools
            .values()
            .find(|tool| tool.definition().name == tool_name)
            .map(|tool| tool.tool().target().id.clone())
    }

    /// The tools `capability` may call at `depth`: filling its own templates, the
    /// customer's documents when the turn has a customer, and consulting every
    /// other capability while the depth limit allows.
    pub fn tools_for(
        &self,
        capability: &Capability,
        depth: usize,
        has_customer: bool,
    ) -> Vec<Arc<dyn DynTool>> {
        let mut tools: Vec<Arc<dyn DynTool>> = Vec::new();
        if let Some(fill) = self.inner.fill_tools.get(&capability.id) {
            tools.push(Arc::clone(fill) as Arc<dyn DynTool>);
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
                    .map(|(_, tool)| Arc::clone(tool) as Arc<dyn DynTool>),
            );
        }
        tools
    }
}
