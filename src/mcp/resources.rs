//! The resources: a customer's documents at `pmcoach://customers/{id}/...`,
//! the same ones `GET /v1/customers/{id}/...` serves. A URI's segments become
//! validated ids (`CustomerId`, `ArtifactName`, `SessionId`) before anything
//! is read, the customer is checked against the caller's scope, and only the
//! workspace turns ids into paths. Lists name only the customers in scope.

use rmcp::ErrorData;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde::Serialize;

use super::error::{bad_argument, customer_in_scope, workspace};
use crate::access::Caller;
use crate::app::AppState;
use crate::workspace::{ArtifactName, CustomerId, SessionId};

/// What every resource URI starts with.
pub const PREFIX: &str = "pmcoach://customers/";

const MARKDOWN: &str = "text/markdown";
const JSON: &str = "application/json";

/// One kind of document: its URI suffix, name, description and type.
struct Kind {
    suffix: &'static str,
    name: &'static str,
    description: &'static str,
    mime: &'static str,
}

/// The documents every customer has, then those of which a customer has many.
const KINDS: &[Kind] = &[
    Kind {
        suffix: "info",
        name: "customer-info",
        description: "The customer's facts and client team (customer-info.md)",
        mime: MARKDOWN,
    },
    Kind {
        suffix: "events",
        name: "event-log",
        description: "The event log's entries and open action items",
        mime: JSON,
    },
    Kind {
        suffix: "engagement",
        name: "engagement",
        description: "Hours per work category and the strategic ratio, per week and overall",
        mime: JSON,
    },
    Kind {
        suffix: "artifacts",
        name: "artifacts",
        description: "The documents saved for the customer: name, title, type, status",
        mime: JSON,
    },
    Kind {
        suffix: "artifacts/{name}",
        name: "artifact",
        description: "One saved document (a name from the artifacts list)",
        mime: MARKDOWN,
    },
    Kind {
        suffix: "sessions/{session_id}",
        name: "session",
        description: "A coaching session's transcript (only the key that started it, or an admin key)",
        mime: JSON,
    },
];

/// The URI of a customer's saved document (both names as the workspace gave them).
pub(super) fn artifact_uri(customer: &str, name: &str) -> String {
    format!("{PREFIX}{customer}/artifacts/{name}")
}

/// The resource templates, one per kind of document.
pub(super) fn templates() -> Vec<ResourceTemplate> {
    KINDS
        .iter()
        .map(|kind| {
            ResourceTemplate::new(format!("{PREFIX}{{customer}}/{}", kind.suffix), kind.name)
                .with_description(kind.description)
                .with_mime_type(kind.mime)
        })
        .collect()
}

/// The documents of every customer in the caller's scope: the four each
/// customer has, and each saved artifact.
pub(super) fn list(state: &AppState, caller: &Caller) -> Result<Vec<Resource>, ErrorData> {
    let mut resources = Vec::new();
    let customers = state.workspace.customers().map_err(workspace)?;
    for customer in customers.iter().filter(|c| caller.may_use(c.as_str())) {
        let id = customer.as_str();
        for kind in KINDS.iter().filter(|kind| !kind.suffix.contains('{')) {
            resources.push(
                Resource::new(
                    format!("{PREFIX}{id}/{}", kind.suffix),
                    format!("{id} {}", kind.name),
                )
                .with_description(kind.description)
                .with_mime_type(kind.mime),
            );
        }
        for artifact in state.workspace.artifacts(customer).map_err(workspace)? {
            let name = artifact.name.as_str();
            resources.push(
                Resource::new(artifact_uri(id, name), format!("{id} {name}"))
                    .with_title(artifact.title)
                    .with_mime_type(MARKDOWN)
                    .with_size(artifact.bytes),
            );
        }
    }
    Ok(resources)
}

/// Reads the document `uri` names, for `caller`.
pub(super) fn read(
    state: &AppState,
    caller: &Caller,
    uri: &str,
) -> Result<ReadResourceResult, ErrorData> {
    let rest = uri
        .strip_prefix(PREFIX)
        .ok_or_else(|| bad_argument("uri", format!("a resource URI starts with {PREFIX}")))?;
    let (customer, document) = rest.split_once('/').unwrap_or((rest, ""));
    let customer = customer_in_scope("uri", customer, caller)?;
    let ws = &state.workspace;
    let text = match document.split('/').collect::<Vec<_>>().as_slice() {
        ["info"] => return Ok(markdown(uri, ws.info(&customer).map_err(workspace)?)),
        ["events"] => json(&ws.event_log(&customer).map_err(workspace)?),
        ["engagement"] => json(&ws.engagement(&customer).map_err(workspace)?),
        ["artifacts"] => json(&ws.artifacts(&customer).map_err(workspace)?),
        ["artifacts", name] => {
            let name = ArtifactName::parse(name).map_err(|err| bad_argument("uri", err))?;
            return Ok(markdown(
                uri,
                ws.artifact(&customer, &name).map_err(workspace)?,
            ));
        }
        ["sessions", session] => json(&transcript(state, caller, &customer, session)?),
        _ => {
            return Err(bad_argument(
                "uri",
                "expected info, events, engagement, artifacts, artifacts/{name} or sessions/{session_id} after the customer",
            ));
        }
    }?;
    Ok(ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(JSON),
    ]))
}

/// A session's transcript, if the caller's key started it (or is an admin's).
fn transcript(
    state: &AppState,
    caller: &Caller,
    customer: &CustomerId,
    session: &str,
) -> Result<crate::workspace::Transcript, ErrorData> {
    let id = SessionId::parse(session).map_err(|err| bad_argument("uri", err))?;
    state
        .workspace
        .transcript(customer, &id)
        .map_err(workspace)?
        .filter(|transcript| transcript.readable_by(caller))
        .ok_or_else(|| ErrorData::resource_not_found(format!("no session {session:?}"), None))
}

fn markdown(uri: &str, text: String) -> ReadResourceResult {
    ReadResourceResult::new(vec![
        ResourceContents::text(text, uri).with_mime_type(MARKDOWN),
    ])
}

fn json(value: &impl Serialize) -> Result<String, ErrorData> {
    serde_json::to_string_pretty(value)
        .map_err(|err| ErrorData::internal_error(err.to_string(), None))
}
