//! The agent: runs one turn of a capability against the model, calling tools
//! (including consulting sibling capabilities) until the model answers.

mod consult;
mod events;
mod growth;
mod options;
mod request;
mod route;
mod run_tools;
mod runner;
mod step;
mod system_prompt;
mod turn;
mod window;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

pub use events::{EventSink, TurnEvent};
pub use options::{OutputFormat, TurnOptions};
pub use route::{CHOOSE_CAPABILITY, Routed};
pub use turn::{AgentError, Answer, Turn, TurnFailure};
pub use window::{Overflow, Window};

use crate::capability::{Capability, CapabilitySet};
use crate::defuse::LinkPolicy;
use crate::limits::Limits;
use crate::model::{ChatModel, Message};
use crate::prompt::Prompts;
use crate::templates::Templates;
use crate::tokens::TokenCounter;
use crate::tools::{AddActionItemTool, AddIdeaTool, CloseActionItemTool, UpdateActionItemTool};
use crate::tools::{
    ConsultTool, DynTool, EngagementSummaryTool, FillTemplateTool, LogEventTool,
    RecordEvidenceTool, RecordPmSessionTool, RecordPositioningTool, Typed, UpdateCustomerInfoTool,
};
use crate::workspace::Workspace;

/// Runs capability turns. Cheap to clone.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

/// The model turns run on, how its tokens are counted, and the window a
/// request must fit.
#[derive(Clone)]
pub struct Engine {
    /// The model.
    pub model: Arc<dyn ChatModel>,
    /// Its token counter.
    pub tokens: TokenCounter,
    /// Its context window.
    pub window: Window,
    /// Whether it takes images.
    pub multimodal: bool,
}

/// A tool as offered, with what its definition costs in tokens (counted once).
#[derive(Clone)]
pub(crate) struct Offered {
    pub(crate) tool: Arc<dyn DynTool>,
    pub(crate) tokens: usize,
}

/// A rendered stable system prompt and its tokens.
#[derive(Debug)]
pub(crate) struct Counted {
    pub(crate) text: String,
    pub(crate) tokens: usize,
}

/// What makes a stable prompt differ: the capability, who consults it, and
/// whether it may consult.
type StableKey = (String, Option<String>, bool);

struct Inner {
    capabilities: Arc<CapabilitySet>,
    templates: Arc<Templates>,
    prompts: Arc<Prompts>,
    engine: Engine,
    consult_tools: BTreeMap<String, Offered>,
    /// Consult tool name → the capability it consults.
    consult_targets: HashMap<String, String>,
    fill_tools: BTreeMap<String, Offered>,
    /// Tools that write the customer's documents: offered at depth 0 only.
    record_tools: Vec<Offered>,
    /// Tools that read them.
    read_tools: Vec<Offered>,
    /// The growth advisor's tools for the PM's own store (see `growth.rs`).
    growth_tools: Vec<Offered>,
    /// Stable system prompts, rendered and counted once each (std Mutex: held
    /// only to look up or insert, never across .await).
    stable_prompts: Mutex<HashMap<StableKey, Arc<Counted>>>,
    workspace: Arc<Workspace>,
    limits: Limits,
    /// What the replies may link to.
    links: LinkPolicy,
}

impl Agent {
    /// Builds the agent, the consult tool of every capability and the
    /// `fill_template` tool of every capability that has templates.
    pub fn new(
        capabilities: Arc<CapabilitySet>,
        templates: Arc<Templates>,
        prompts: Arc<Prompts>,
        engine: Engine,
        workspace: Arc<Workspace>,
        limits: Limits,
        links: LinkPolicy,
    ) -> Result<Self, String> {
        let offer = |tool: Arc<dyn DynTool>| Offered {
            tokens: engine.tokens.tools(std::slice::from_ref(tool.definition())),
            tool,
        };
        let mut consult_tools = BTreeMap::new();
        let mut consult_targets = HashMap::new();
        let mut fill_tools = BTreeMap::new();
        for capability in capabilities.iter() {
            let consult = Typed::new(ConsultTool::new(Arc::clone(capability)))?;
            consult_targets.insert(consult.definition().name.clone(), capability.id.clone());
            consult_tools.insert(capability.id.clone(), offer(Arc::new(consult)));
            let own = templates.for_capability(&capability.id);
            if !own.is_empty() {
                let fill = Typed::new(FillTemplateTool::new(Arc::clone(&templates), own))?;
                fill_tools.insert(capability.id.clone(), offer(Arc::new(fill)));
            }
        }
        let record_tools = vec![
            offer(Arc::new(Typed::new(LogEventTool)?)),
            offer(Arc::new(Typed::new(UpdateCustomerInfoTool)?)),
            offer(Arc::new(Typed::new(RecordEvidenceTool)?)),
            offer(Arc::new(Typed::new(RecordPositioningTool)?)),
            offer(Arc::new(Typed::new(RecordPmSessionTool)?)),
            offer(Arc::new(Typed::new(AddActionItemTool)?)),
            offer(Arc::new(Typed::new(UpdateActionItemTool)?)),
            offer(Arc::new(Typed::new(CloseActionItemTool)?)),
            offer(Arc::new(Typed::new(AddIdeaTool)?)),
        ];
        let growth_tools = growth::tools(&offer)?;
        let read_tools = vec![offer(Arc::new(Typed::new(EngagementSummaryTool)?))];
        Ok(Self {
            inner: Arc::new(Inner {
                capabilities,
                templates,
                prompts,
                engine,
                consult_tools,
                consult_targets,
                fill_tools,
                record_tools,
                read_tools,
                growth_tools,
                stable_prompts: Mutex::default(),
                workspace,
                limits,
                links,
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
        self.inner.engine.model.name()
    }

    /// Whether the model takes images.
    pub fn multimodal(&self) -> bool {
        self.inner.engine.multimodal
    }

    /// Whether `name` is one of pmcoach's own tools (a caller's function may
    /// not take it).
    pub fn owns_tool(&self, name: &str) -> bool {
        let inner = &self.inner;
        inner.consult_targets.contains_key(name)
            || inner
                .fill_tools
                .values()
                .chain(&inner.record_tools)
                .chain(&inner.read_tools)
                .chain(&inner.growth_tools)
                .any(|offered| offered.tool.definition().name == name)
    }

    /// The model (the readiness check probes it).
    pub fn model(&self) -> &Arc<dyn ChatModel> {
        &self.inner.engine.model
    }

    /// The context window requests are fitted to.
    pub fn window(&self) -> Window {
        self.inner.engine.window
    }

    /// Runs one turn. Its reply is defused (see `defuse`), in the answer and
    /// in the last message, which the transcript keeps; the model call's own
    /// record keeps what the model wrote.
    pub async fn run_turn(&self, turn: Turn<'_>) -> Result<Answer, TurnFailure> {
        let mut answer = self.run(turn).await?;
        let defused = self.inner.links.defuse(&answer.reply);
        if defused != answer.reply {
            if let Some(Message::Assistant {
                content: Some(content),
                ..
            }) = answer.messages.last_mut()
            {
                content.clone_from(&defused);
            }
            answer.reply = defused;
        }
        Ok(answer)
    }

    /// The capability a consult tool of this name consults.
    pub fn consulted_capability(&self, tool_name: &str) -> Option<String> {
        self.inner.consult_targets.get(tool_name).cloned()
    }

    /// The tools `capability` may call at `depth`: filling its own templates;
    /// with a customer, reading their documents and, at depth 0 only (the
    /// capability the user talks to), recording to them; and consulting every
    /// other capability while the depth limit allows.
    pub(crate) fn tools_for(
        &self,
        capability: &Capability,
        depth: usize,
        has_customer: bool,
    ) -> Vec<Offered> {
        let inner = &self.inner;
        let mut tools: Vec<Offered> = Vec::new();
        tools.extend(inner.fill_tools.get(&capability.id).cloned());
        if has_customer {
            if depth == 0 {
                tools.extend(inner.record_tools.iter().cloned());
            }
            tools.extend(inner.read_tools.iter().cloned());
        }
        if depth < inner.limits.max_consult_depth {
            tools.extend(
                inner
                    .consult_tools
                    .iter()
                    .filter(|(id, _)| **id != capability.id)
                    .map(|(_, tool)| tool.clone()),
            );
        }
        tools
    }
}
