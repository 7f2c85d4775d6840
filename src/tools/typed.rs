//! The typed tool trait and the one adapter that turns a typed tool into the
//! dynamic tool the agent loop runs: the definition is derived from the
//! argument type, and the model's argument text is parsed and checked against
//! that schema here, once, for every tool.

use std::sync::Arc;

use async_trait::async_trait;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{ArgsSchema, ToolContext, ToolError, ToolOutput};
use crate::model::{PreparedTool, ToolDefinition};

/// A tool with typed arguments.
#[async_trait]
pub trait Tool: Send + Sync + 'static {
    /// The tool's name; for a family of tools (one consult tool per
    /// capability), the prefix of their names.
    const NAME: &'static str;

    /// The arguments; their JSON Schema is what the model sees.
    type Args: DeserializeOwned + JsonSchema + Send;

    /// When and why to call it, for the model.
    fn description(&self) -> String;

    /// The name the model calls it by: [`Tool::NAME`] unless one type serves
    /// several tools.
    fn name(&self) -> String {
        Self::NAME.to_string()
    }

    /// The parameters schema the model is shown: the derived one, unless a
    /// tool can describe its arguments more precisely (as `fill_template`
    /// does with each template's own fields).
    fn parameters(&self, derived: &Value) -> Value {
        derived.clone()
    }

    /// Runs one call with arguments that passed the schema.
    async fn call(
        &self,
        context: ToolContext<'_>,
        args: Self::Args,
    ) -> Result<ToolOutput, ToolError>;
}

/// A tool as the loop runs it: a definition, and a call on raw argument text
/// that always produces an output (errors included, as data for the model).
#[async_trait]
pub trait DynTool: Send + Sync {
    /// Name, description and argument schema.
    fn definition(&self) -> &ToolDefinition;

    /// The definition as every request offering the tool shares it.
    fn prepared(&self) -> &Arc<PreparedTool>;

    /// Runs one call with the model's raw argument text.
    async fn call(&self, context: ToolContext<'_>, arguments: &str) -> ToolOutput;
}

/// A typed tool with its derived definition and compiled argument schema.
#[derive(Debug)]
pub struct Typed<T: Tool> {
    tool: T,
    definition: Arc<PreparedTool>,
    args: ArgsSchema<T::Args>,
}

impl<T: Tool> Typed<T> {
    /// Derives the tool's definition and compiles its argument schema.
    pub fn new(tool: T) -> Result<Self, String> {
        let args = ArgsSchema::<T::Args>::derive()?;
        let definition = PreparedTool::new(ToolDefinition {
            name: tool.name(),
            description: tool.description(),
            parameters: tool.parameters(args.json()),
        });
        Ok(Self {
            tool,
            definition,
            args,
        })
    }

    /// The typed tool.
    pub fn tool(&self) -> &T {
        &self.tool
    }
}

#[async_trait]
impl<T: Tool> DynTool for Typed<T> {
    fn definition(&self) -> &ToolDefinition {
        self.definition.definition()
    }

    fn prepared(&self) -> &Arc<PreparedTool> {
        &self.definition
    }

    async fn call(&self, context: ToolContext<'_>, arguments: &str) -> ToolOutput {
        let args = match self.args.parse(arguments) {
            Ok(args) => args,
            Err(err) => return err.into(),
        };
        self.tool
            .call(context, args)
            .await
            .unwrap_or_else(ToolOutput::from)
    }
}
