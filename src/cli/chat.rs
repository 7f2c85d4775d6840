//! `pmcoach chat`: a conversation in the terminal, one message per line of stdin.
//!
//! Replies and documents go to stdout; tool calls and saved documents to stderr.

use std::io::IsTerminal;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines, Stdin, Stdout};

use crate::access::Caller;
use crate::app::{self, AppState};
use crate::config::{Config, NO_MODEL_ADVICE};
use crate::conversation::{self, TurnRequest, TurnResult};
use crate::workspace::CustomerId;

/// Talks to `capability` (the default one when `None`) until stdin ends; fails
/// when any message got no answer.
pub(super) async fn chat(
    config: &Config,
    capability: Option<&str>,
    customer: Option<&str>,
) -> Result<(), String> {
    let state = app::build(config).map_err(|err| err.to_string())?;
    let name = capability_name(&state, capability)?;
    if let Some(customer) = customer {
        CustomerId::parse(customer).map_err(|err| format!("--customer: {err}"))?;
    }
    let agent = state.agent.as_ref().ok_or(NO_MODEL_ADVICE)?;
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "Talking to {name} ({}). One message per line; Ctrl-D to finish.",
            agent.model_name()
        );
    }
    let mut session_id: Option<String> = None;
    let mut failures = 0usize;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(message) = next_message(&mut lines, interactive).await? {
        let request = turn_request(config, capability, customer, message, session_id.clone());
        match conversation::run_turn(&state, request).await {
            Ok(result) => session_id = Some(show(&mut stdout, result).await?),
            Err(err) => {
                failures += 1;
                eprintln!("pmcoach: {err}");
            }
        }
    }
    finish(config, session_id, failures)
}

/// The display name of the capability talked to.
fn capability_name<'a>(state: &'a AppState, capability: Option<&str>) -> Result<&'a str, String> {
    let capability = match capability {
        Some(id) => state
            .capabilities
            .get(id)
            .ok_or_else(|| format!("unknown capability {id:?} (see `pmcoach capabilities`)"))?,
        None => state.capabilities.default_capability(),
    };
    Ok(&capability.name)
}

/// The next non-blank line of stdin, prompting for it in a terminal; `None`
/// at the end of input.
async fn next_message(
    lines: &mut Lines<BufReader<Stdin>>,
    interactive: bool,
) -> Result<Option<String>, String> {
    loop {
        if interactive {
            eprint!("> ");
        }
        match lines.next_line().await {
            Ok(Some(line)) if line.trim().is_empty() => {}
            Ok(line) => return Ok(line),
            Err(err) => return Err(format!("stdin: {err}")),
        }
    }
}

fn turn_request(
    config: &Config,
    capability: Option<&str>,
    customer: Option<&str>,
    message: String,
    session_id: Option<String>,
) -> TurnRequest {
    TurnRequest {
        caller: Caller::local(),
        store: true,
        message,
        customer: customer.map(str::to_string),
        session_id,
        // The terminal talks to the capability it names (`auto` routes).
        capability: Some(
            capability.map_or_else(|| config.default_capability.clone(), str::to_string),
        ),
        history: None,
        keep_history: false,
        instructions: None,
        template: None,
        options: Default::default(),
    }
}

/// Prints a turn: its tool calls and saved documents on stderr, the reply and
/// documents on stdout. Returns the session to continue.
async fn show(stdout: &mut Stdout, result: TurnResult) -> Result<String, String> {
    for call in &result.tool_calls {
        eprintln!(
            "  [{} {} in {} ms]",
            call.name,
            if call.ok { "ok" } else { "failed" },
            call.duration_ms
        );
    }
    for saved in result.artifacts.iter().filter_map(|a| a.saved_as.as_ref()) {
        eprintln!("  [saved artifacts/{saved}]");
    }
    stdout
        .write_all(reply_text(&result).as_bytes())
        .await
        .and(stdout.flush().await)
        .map_err(|err| format!("stdout: {err}"))?;
    Ok(result.session_id)
}

/// The reply, a blank line, then each document.
fn reply_text(result: &TurnResult) -> String {
    let mut text = format!("{}\n\n", result.reply);
    for artifact in &result.artifacts {
        text.push_str(&artifact.markdown);
        text.push('\n');
    }
    text
}

/// Says where the session was saved; fails if any message got no answer.
fn finish(config: &Config, session_id: Option<String>, failures: usize) -> Result<(), String> {
    if let Some(id) = session_id {
        eprintln!("session {id} saved in {}", config.workspace_dir.display());
    }
    if failures > 0 {
        Err(format!("{failures} message(s) got no answer"))
    } else {
        Ok(())
    }
}
