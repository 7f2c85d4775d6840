//! The Model Context Protocol face of pmcoach, on rmcp: each capability a
//! tool (`ask_<capability>`), with `render_document` and `engagement_summary`;
//! each output template a prompt; a customer's documents as resources.
//! `http` mounts [`http_service`] at `/mcp` behind its access layer (the
//! caller comes from the request); `pmcoach mcp` serves [`serve_stdio`] as the
//! local caller, as `pmcoach chat` does.

mod error;
mod prompts;
mod resources;
mod tools;

use std::sync::Arc;

use axum::http::request::Parts;
use rmcp::model::{
    CacheScope, CallToolRequestParams, CallToolResponse, GetPromptRequestParams, GetPromptResponse,
    Implementation, ListPromptsResult, ListResourceTemplatesResult, ListResourcesResult,
    ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse,
    ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, RoleServer, ServerHandler, ServiceExt};

pub use error::FORBIDDEN;
pub use resources::PREFIX as RESOURCE_PREFIX;
pub use tools::{
    AskArgs, ENGAGEMENT_SUMMARY, RENDER_DOCUMENT, RenderArgs, SummaryArgs, ask_tool_name,
};

use crate::access::Caller;
use crate::app::AppState;

/// The MCP server: the application's state, and who calls when the transport
/// does not say (stdio).
#[derive(Clone)]
pub struct Coach {
    state: AppState,
    /// `Some` over stdio; over HTTP each request carries its caller.
    local: Option<Caller>,
}

impl Coach {
    /// The caller of one request: over HTTP, the one the access layer put on
    /// the request (there is always one: `/mcp` is not a public path).
    fn caller(&self, context: &RequestContext<RoleServer>) -> Result<Caller, ErrorData> {
        if let Some(caller) = &self.local {
            return Ok(caller.clone());
        }
        context
            .extensions
            .get::<Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ErrorData::internal_error("the request carries no caller", None))
    }
}

/// The Streamable HTTP service for `/mcp`: stateless for clients on the
/// 2026-07-28 revision, with sessions for older clients that open one. Host
/// and keys are checked by the access layer in front of it (421, 401), so its
/// own Host list is off; browser origins are checked against `[http]
/// cors_origins` (none: any `Origin` header is refused).
pub fn http_service(state: AppState) -> StreamableHttpService<Coach, LocalSessionManager> {
    let config = StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_allowed_origins(state.access.http.cors_origins.clone())
        .enforce_origin_validation()
        .with_max_request_body_bytes(state.limits.max_body_bytes);
    let coach = Coach { state, local: None };
    StreamableHttpService::new(
        move || Ok(coach.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

/// Serves MCP on stdin and stdout until the client closes them. The caller is
/// the local one: whoever can launch the command owns the workspace.
pub async fn serve_stdio(state: AppState) -> Result<(), String> {
    let coach = Coach {
        state,
        local: Some(Caller::local()),
    };
    let running = coach
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|err| format!("MCP over stdio: {err}"))?;
    running
        .waiting()
        .await
        .map(|_| ())
        .map_err(|err| format!("MCP over stdio: {err}"))
}

impl ServerHandler for Coach {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(Implementation::new("pmcoach", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "A Strategic PM Coach for fractional product managers. Ask a capability with its \
             ask_ tool (pass customer, and session_id to continue); the prompts are its \
             documents; a customer's documents are resources at pmcoach://customers/{id}/...",
        )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools::list(&self.state)))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = self.caller(&context)?;
        // A turn the client cancels is dropped, as one whose HTTP client goes
        // away is: nothing more is spent and nothing recorded.
        tokio::select! {
            result = tools::call(&self.state, caller, request) => result.map(Into::into),
            () = context.ct.cancelled() => Err(ErrorData::internal_error("cancelled by the client", None)),
        }
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(ListPromptsResult::with_all_items(prompts::list(
            &self.state,
        )))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        let caller = self.caller(&context)?;
        prompts::get(&self.state, &caller, request).map(Into::into)
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let caller = self.caller(&context)?;
        // The list depends on the key: no one else's client may reuse it.
        Ok(
            ListResourcesResult::with_all_items(resources::list(&self.state, &caller)?)
                .with_cache_scope(CacheScope::Private),
        )
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(
            resources::templates(),
        ))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let caller = self.caller(&context)?;
        resources::read(&self.state, &caller, &request.uri)
            .map(|result| result.with_cache_scope(CacheScope::Private).into())
    }
}
