//! The tools: `ask_<capability>` (one turn, through the same `conversation`
//! path as `POST /v1/chat`), `render_document` (a template filled from fields,
//! as `pmcoach render`) and `engagement_summary` (a customer's numbers, as the
//! agent's tool of that name answers them).

use std::sync::Arc;

use rmcp::ErrorData;
use rmcp::handler::server::tool::schema_for_type;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, Resource, Tool, ToolAnnotations,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::{bad_argument, customer_in_scope, parse_args, turn_refused};
use super::resources::artifact_uri;
use crate::access::Caller;
use crate::app::AppState;
use crate::capability::Capability;
use crate::conversation::{self, TurnRequest, TurnResult};
use crate::templates::FillError;
use crate::tools::engagement_summary;
use crate::workspace::{CustomerDocs, SessionId};

/// Arguments of every `ask_<capability>` tool: what `POST /v1/chat` takes,
/// less the capability (the tool names it) and streaming. Each description
/// starts as `ChatRequest`'s does (a test holds them together).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// What the person says.
    pub message: String,
    /// The customer this conversation is about (a slug such as `acme-corp`).
    /// Its documents are read and written.
    #[serde(default)]
    pub customer: Option<String>,
    /// Continue this session; omitted, a new one starts. Pass the
    /// `session_id` an earlier answer gave, with the same customer.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// Arguments of `render_document`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenderArgs {
    /// Template id (each template is also a prompt of the same name).
    pub template: String,
    /// The template's fields, as a JSON object; an error names every field
    /// missing or wrong.
    #[serde(default = "empty_object")]
    pub fields: Value,
}

/// Arguments of `engagement_summary`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryArgs {
    /// The customer (a slug such as `acme-corp`).
    pub customer: String,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// The prefix of the tools that ask a capability.
const ASK: &str = "ask_";
/// The tool that renders a document.
pub const RENDER_DOCUMENT: &str = "render_document";
/// The tool that reports an engagement's numbers.
pub const ENGAGEMENT_SUMMARY: &str = "engagement_summary";

/// The tool that asks `capability`: `ask_` and its id, hyphens made
/// underscores (names some hosts accept without complaint).
pub fn ask_tool_name(capability: &str) -> String {
    format!("{ASK}{}", capability.replace('-', "_"))
}

/// Every tool, in a stable order: one per capability, then the two others.
pub(super) fn list(state: &AppState) -> Vec<Tool> {
    let ask = schema_for_type::<AskArgs>();
    let mut tools: Vec<Tool> = state
        .capabilities
        .iter()
        .map(|capability| {
            Tool::new(
                ask_tool_name(&capability.id),
                ask_description(capability),
                Arc::clone(&ask),
            )
            .with_title(format!("Ask the {}", capability.name))
        })
        .collect();
    tools.push(
        Tool::new(
            RENDER_DOCUMENT,
            "Render one of the output templates from its fields (each template is a prompt \
             of the same name that lists its main inputs). Returns the document as markdown, \
             with any corrections the server made and the values it computed.",
            schema_for_type::<RenderArgs>(),
        )
        .with_annotations(read_only()),
    );
    tools.push(
        Tool::new(
            ENGAGEMENT_SUMMARY,
            "A customer's engagement in numbers: hours per work category and the strategic \
             vs tactical ratio, per week and overall, with their coverage of contracted hours, \
             plus open action items and reminders.",
            schema_for_type::<SummaryArgs>(),
        )
        .with_annotations(read_only()),
    );
    tools
}

fn read_only() -> ToolAnnotations {
    let mut annotations = ToolAnnotations::new();
    annotations.read_only_hint = Some(true);
    annotations
}

/// A capability's description and when to ask it, for the host's model.
fn ask_description(capability: &Capability) -> String {
    let mut text = format!(
        "{} One turn of a conversation with it: pass `session_id` from an earlier answer \
         (with the same `customer`) to continue.",
        capability.description
    );
    if !capability.when_to_invoke.is_empty() {
        text.push_str("\n\nWhen to ask it:");
        for line in &capability.when_to_invoke {
            text.push_str("\n- ");
            text.push_str(line);
        }
    }
    text
}

/// Runs the tool `params` names for `caller`.
pub(super) async fn call(
    state: &AppState,
    caller: Caller,
    params: CallToolRequestParams,
) -> Result<CallToolResult, ErrorData> {
    match params.name.as_ref() {
        RENDER_DOCUMENT => render(state, parse_args(params.arguments)?),
        ENGAGEMENT_SUMMARY => summary(state, &caller, parse_args(params.arguments)?),
        name => {
            let capability = state
                .capabilities
                .iter()
                .find(|c| ask_tool_name(&c.id) == name)
                .map(|capability| capability.id.clone())
                .ok_or_else(|| ErrorData::invalid_params(format!("no tool {name:?}"), None))?;
            ask(state, caller, capability, parse_args(params.arguments)?).await
        }
    }
}

/// One turn: validated as `POST /v1/chat` validates it (ids named by their
/// field here), then prepared and run by `conversation`, so budgets, limits,
/// scopes and the transcript apply as for any turn.
async fn ask(
    state: &AppState,
    caller: Caller,
    capability: String,
    args: AskArgs,
) -> Result<CallToolResult, ErrorData> {
    if let Some(customer) = &args.customer {
        customer_in_scope("customer", customer, &caller)?;
    }
    if let Some(session) = &args.session_id {
        SessionId::parse(session).map_err(|err| bad_argument("session_id", err))?;
    }
    let request = TurnRequest {
        caller,
        store: true,
        message: args.message,
        customer: args.customer,
        session_id: args.session_id,
        capability: Some(capability),
        history: None,
        keep_history: false,
        instructions: None,
        template: None,
        options: Default::default(),
    };
    match conversation::run_turn(state, request).await {
        Ok(result) => Ok(answered(result)),
        Err(err) => turn_refused(err),
    }
}

/// A finished turn: the reply, each document, and the session id as text (for
/// hosts that show only text), and all of it as structured content.
/// A saved document also comes as a link to its resource.
fn answered(result: TurnResult) -> CallToolResult {
    let mut content = vec![ContentBlock::text(result.reply.clone())];
    for document in &result.artifacts {
        content.push(ContentBlock::text(format!(
            "Document: {}\n\n{}",
            document.title, document.markdown
        )));
        if let (Some(customer), Some(name)) = (&result.customer, &document.saved_as) {
            content.push(ContentBlock::resource_link(
                Resource::new(artifact_uri(customer, name), name.clone())
                    .with_title(document.title.clone())
                    .with_mime_type("text/markdown"),
            ));
        }
    }
    content.push(ContentBlock::text(format!(
        "session_id: {} (pass it to continue this conversation)",
        result.session_id
    )));
    let mut answer = CallToolResult::success(content);
    answer.structured_content = Some(json!({
        "reply": result.reply,
        "session_id": result.session_id,
        "capability": result.capability,
        "customer": result.customer,
        "documents": result.artifacts,
        "usage": result.usage,
        "cost_usd": result.cost_usd,
    }));
    answer
}

/// A template filled from fields, as `pmcoach render` does it: nothing saved.
fn render(state: &AppState, args: RenderArgs) -> Result<CallToolResult, ErrorData> {
    let document = state
        .templates
        .fill(&args.template, args.fields)
        .map_err(fill_refused)?;
    let mut answer = CallToolResult::success(vec![ContentBlock::text(document.markdown.clone())]);
    answer.structured_content = Some(json!(document));
    Ok(answer)
}

/// Why fields did not render, naming the argument and, for the fields, each
/// JSON pointer at fault.
fn fill_refused(err: FillError) -> ErrorData {
    match err {
        FillError::UnknownTemplate { .. } => bad_argument("template", err),
        FillError::Fields(ref errors) => {
            let paths: Vec<String> = errors.iter().map(|e| format!("fields{}", e.path)).collect();
            ErrorData::invalid_params(
                format!("fields: {err}"),
                Some(json!({"field": "fields", "paths": paths})),
            )
        }
        FillError::NotAnObject => bad_argument("fields", err),
        FillError::Render(_) => ErrorData::internal_error(err.to_string(), None),
    }
}

/// The engagement summary of a customer in the caller's scope.
fn summary(
    state: &AppState,
    caller: &Caller,
    args: SummaryArgs,
) -> Result<CallToolResult, ErrorData> {
    let customer = customer_in_scope("customer", &args.customer, caller)?;
    let docs = CustomerDocs::new(&state.workspace, &customer).read_only();
    if !docs.exist() {
        return Err(bad_argument(
            "customer",
            format!("no customer {:?}", customer.as_str()),
        ));
    }
    let value = engagement_summary(&docs).map_err(super::error::workspace)?;
    Ok(CallToolResult::structured(value))
}
