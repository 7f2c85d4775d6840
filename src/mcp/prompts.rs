//! The prompts: each output template, its arguments the template's main
//! inputs (the required fields that are plain text), plus the customer. The
//! prompt asks the host's model to work the document out with the template's
//! capability through its `ask_` tool, which fills and saves it.

use rmcp::ErrorData;
use rmcp::model::{
    GetPromptRequestParams, GetPromptResult, Prompt, PromptArgument, PromptMessage, Role,
};
use serde_json::Value;

use super::error::{bad_argument, customer_in_scope};
use super::tools::ask_tool_name;
use crate::access::Caller;
use crate::app::AppState;
use crate::templates::OutputTemplate;

/// The argument that names the customer the document is for.
const CUSTOMER: &str = "customer";

/// Every template as a prompt.
pub(super) fn list(state: &AppState) -> Vec<Prompt> {
    state
        .templates
        .iter()
        .map(|template| {
            let mut arguments: Vec<PromptArgument> = main_inputs(template)
                .into_iter()
                .map(|(name, description)| {
                    PromptArgument::new(name)
                        .with_description(description)
                        .with_required(false)
                })
                .collect();
            arguments.push(
                PromptArgument::new(CUSTOMER)
                    .with_description(
                        "The customer's id (a slug such as `acme-corp`): its documents \
                         inform the work and the document is saved among them",
                    )
                    .with_required(false),
            );
            let mut prompt = Prompt::new(
                template.id.clone(),
                Some(template.description.clone()),
                Some(arguments),
            );
            prompt.title = Some(template.title.clone());
            prompt
        })
        .collect()
}

/// The template's required top-level fields that are plain text, with their
/// descriptions: what a person can say up front. Lists and sections are
/// gathered in the conversation.
fn main_inputs(template: &OutputTemplate) -> Vec<(String, String)> {
    let schema = &template.schema;
    let required = schema["required"].as_array().cloned().unwrap_or_default();
    required
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|name| {
            let property = &schema["properties"][name];
            (property["type"] == "string").then(|| {
                let description = property["description"].as_str().unwrap_or(name).to_string();
                (name.to_string(), description)
            })
        })
        .collect()
}

/// The prompt `params` names, with its arguments checked: each must be one of
/// the prompt's, and a customer must be valid and in the caller's scope.
pub(super) fn get(
    state: &AppState,
    caller: &Caller,
    params: GetPromptRequestParams,
) -> Result<GetPromptResult, ErrorData> {
    let template = state
        .templates
        .get(&params.name)
        .ok_or_else(|| ErrorData::invalid_params(format!("no prompt {:?}", params.name), None))?;
    let inputs = main_inputs(template);
    let arguments = params.arguments.unwrap_or_default();
    let mut given = Vec::new();
    let mut customer = None;
    for (name, value) in &arguments {
        let text = value
            .as_str()
            .ok_or_else(|| bad_argument(name, "must be a string"))?;
        if text.chars().count() > state.limits.max_message_chars {
            return Err(bad_argument(name, "is too long"));
        }
        if name == CUSTOMER {
            customer = Some(customer_in_scope(CUSTOMER, text, caller)?);
        } else if inputs.iter().any(|(input, _)| input == name) {
            given.push(format!("- {name}: {}", text.trim()));
        } else {
            return Err(bad_argument(
                name,
                format!("not an argument of {}", template.id),
            ));
        }
    }
    let capability = state
        .capabilities
        .get(&template.capability)
        .map_or(template.capability.clone(), |c| c.name.clone());
    let mut text = format!(
        "I need the {} (template `{}`) from the {capability}. {}\n\n",
        template.title, template.id, template.description
    );
    if given.is_empty() {
        text.push_str("I have nothing written down yet.\n");
    } else {
        text.push_str("What I have so far:\n");
        text.push_str(&given.join("\n"));
        text.push('\n');
    }
    text.push_str(&format!(
        "\nWork it out with me through the `{}` tool{}: it asks for what is missing and \
         fills the document.",
        ask_tool_name(&template.capability),
        customer.map_or(String::new(), |c| format!(
            " with customer `{}`",
            c.as_str()
        ))
    ));
    Ok(
        GetPromptResult::new(vec![PromptMessage::new_text(Role::User, text)])
            .with_description(template.description.clone()),
    )
}
