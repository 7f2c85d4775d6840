//! `pmcoach mcp`: the MCP server on stdin and stdout, for hosts that launch a
//! command (Claude Desktop, Cursor, VS Code). Logs go to stderr; stdout
//! carries only the protocol.

use crate::app;
use crate::config::Config;

/// Builds the service and serves MCP over stdio until the host closes it.
pub(super) async fn serve(config: &Config) -> Result<(), String> {
    let state = app::build(config).map_err(|err| err.to_string())?;
    if state.agent.is_none() {
        tracing::warn!(
            "{}; the ask_ tools will fail until then",
            crate::config::NO_MODEL_ADVICE
        );
    }
    tokio::spawn(app::maintain(state.clone()));
    crate::mcp::serve_stdio(state).await
}
