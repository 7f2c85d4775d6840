//! `log_growth_session`: an entry in growth/events.md under
//! `### [YYYY-MM-DD] Session Type: Brief Title`, newest first.

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{growth, store_error};
use crate::tools::customer::date_or_today;
use crate::tools::{Tool, ToolContext, ToolError, ToolOutput};
use crate::workspace::GrowthSession;

/// Arguments of `log_growth_session`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogGrowthSessionArgs {
    /// The kind of session (e.g. Growth Assessment, Quarterly Retrospective, Feedback).
    pub session_type: String,
    /// A brief title.
    pub title: String,
    /// What was found and agreed, commitments included.
    pub summary: String,
    /// YYYY-MM-DD; today when left out.
    #[serde(default)]
    pub date: Option<String>,
}

/// The `log_growth_session` tool.
#[derive(Debug, Default)]
pub struct LogGrowthSessionTool;

#[async_trait]
impl Tool for LogGrowthSessionTool {
    const NAME: &'static str = "log_growth_session";
    type Args = LogGrowthSessionArgs;

    fn description(&self) -> String {
        "Log this growth session in growth/events.md (newest first): its type, a brief title and \
         what was found and agreed."
            .to_string()
    }

    async fn call(
        &self,
        context: ToolContext<'_>,
        args: LogGrowthSessionArgs,
    ) -> Result<ToolOutput, ToolError> {
        let store = growth(&context)?;
        if [&args.session_type, &args.title, &args.summary]
            .iter()
            .any(|t| t.trim().is_empty())
        {
            return Err(ToolError::BadArguments(
                "session_type, title and summary must not be empty".into(),
            ));
        }
        let session = GrowthSession {
            date: date_or_today(args.date.as_deref(), context.today)?,
            session_type: args.session_type,
            title: args.title,
            summary: args.summary,
        };
        let heading = format!(
            "[{}] {}: {}",
            session.date, session.session_type, session.title
        );
        store.log_session(session).await.map_err(store_error)?;
        Ok(ToolOutput::answer(format!(
            "Logged \"{heading}\" in growth/events.md."
        )))
    }
}
