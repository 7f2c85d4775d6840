//! The I/O half of the agent loop: render the prompt, fit the request to the
//! context window, call the model, let `step::next` decide, run the tools it
//! asks for, repeat.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use tracing::{Instrument, Span, field};

use super::events::{EventSink, TurnEvent, emit};
use super::request::{Conversation, Settings};
use super::run_tools;
use super::step::{self, LoopState, Next};
use super::window;
use super::{Agent, AgentError, Answer, Turn, TurnFailure};
use crate::model::{
    Assembler, Message, ModelError, ModelRequest, ModelResponse, PreparedTool, ToolCall,
};
use crate::prompt::SITUATION_SEPARATOR;
use crate::session::{ModelCallRecord, Progress};
use crate::tokens::{PER_MESSAGE, REPLY_PRIMING};
use crate::tools::{DynTool, ToolContext, UserWords};
use crate::workspace::{CustomerDocs, GrowthDocs};

/// The tools a turn may call, and their definitions as the model sees them.
pub(super) struct Toolbox {
    tools: Vec<Arc<dyn DynTool>>,
    definitions: Vec<Arc<PreparedTool>>,
}

impl Agent {
    /// Runs `turn` in its own span, keeping what it did whether it succeeds or not.
    pub(super) async fn run(&self, mut turn: Turn<'_>) -> Result<Answer, TurnFailure> {
        // A capability that does not work with customer documents never sees
        // or touches them, whoever asks.
        if !turn.capability.settings.customer_documents {
            turn.customer = None;
        }
        let span = tracing::info_span!(
            "turn",
            capability = %turn.capability.id,
            session = %turn.session_id,
            depth = turn.depth,
            steps = field::Empty,
            prompt_tokens = field::Empty,
            completion_tokens = field::Empty,
            latency_ms = field::Empty,
        );
        let started = Instant::now();
        let mut progress = Progress::default();
        let result = self
            .run_loop(turn, &mut progress)
            .instrument(span.clone())
            .await;
        span.record("latency_ms", elapsed_ms(started));
        span.record("prompt_tokens", progress.usage.prompt_tokens);
        span.record("completion_tokens", progress.usage.completion_tokens);
        match result {
            Ok(finished) => {
                span.record("steps", finished.steps);
                Ok(Answer {
                    reply: finished.reply,
                    messages: finished.messages,
                    steps: finished.steps,
                    progress,
                    handed_back: finished.handed_back,
                })
            }
            Err(error) => Err(TurnFailure { error, progress }),
        }
    }

    /// The loop: at most `max_steps` model calls, each followed by what
    /// `step::next` decides.
    async fn run_loop(
        &self,
        turn: Turn<'_>,
        progress: &mut Progress,
    ) -> Result<Finished, AgentError> {
        let (toolbox, mut conversation) = self.setup(&turn)?;
        let context = self.tool_context(&turn);
        let mut state = self.loop_state(&turn);
        let settings = settings(&turn);
        for step in 1..=state.max_steps {
            let request =
                conversation.request(self.inner.engine.window, &toolbox.definitions, settings)?;
            let response = self.model_step(&turn, step, request, progress).await?;
            let next = step::next(&state, step, &response);
            let answer = match &next {
                // The caller's calls only: pmcoach's own, left unrun, would
                // dangle in the history the caller sends back.
                Next::HandBack { text, calls } => Message::Assistant {
                    content: text.clone(),
                    tool_calls: calls.clone(),
                },
                _ => response.to_message(),
            };
            self.push_answer(&mut conversation, answer, &next);
            match next {
                Next::Reply(reply) => return Ok(Finished::reply(reply, conversation, step)),
                Next::HandBack { text, calls } => {
                    let mut finished =
                        Finished::reply(text.unwrap_or_default(), conversation, step);
                    finished.handed_back = calls;
                    return Ok(finished);
                }
                Next::Nudge(text) => self.push(&mut conversation, Message::user(text)),
                Next::Correct(text) => {
                    state.corrected = true;
                    self.push(&mut conversation, Message::user(text));
                }
                Next::Fail(error) => return Err(error),
                Next::RunTools { run, refused } => {
                    turn.budget.tool_calls(run.len())?;
                    let results = self
                        .run_tools(&toolbox.tools, context, turn.events, &run, &refused)
                        .await;
                    for (call, ran) in results {
                        let message =
                            run_tools::absorb(&mut state, progress, turn.events, call, ran).await;
                        let (message, tokens) = self.capped(message);
                        conversation.push(message, tokens);
                    }
                    if let Some(required) = &mut state.required {
                        required.filled = progress.produced(&required.template);
                    }
                }
            }
        }
        Err(state.give_up())
    }

    /// The loop's starting state: the limits, a required template, the
    /// caller's functions and the answer's format.
    fn loop_state(&self, turn: &Turn<'_>) -> LoopState {
        let limits = &self.inner.limits;
        let mut state = LoopState::new(
            limits.max_steps,
            limits.max_parallel_tool_calls,
            turn.required_template,
        );
        if let Some(options) = turn.options {
            state.caller_tools = options
                .caller_tools
                .iter()
                .map(|t| t.name.clone())
                .collect();
            state.output = options.output.clone();
        }
        state
    }

    /// Adds the model's answer to the turn. An answer that ends the turn is
    /// not sent again within it, so it is not counted; one that goes on is.
    fn push_answer(&self, conversation: &mut Conversation<'_>, answer: Message, next: &Next) {
        let ends = matches!(next, Next::Reply(_) | Next::HandBack { .. } | Next::Fail(_));
        if ends {
            conversation.push(answer, 0);
        } else {
            self.push(conversation, answer);
        }
    }

    /// Adds a message to the turn, counted.
    fn push(&self, conversation: &mut Conversation<'_>, message: Message) {
        let tokens = self.inner.engine.tokens.message(&message);
        conversation.push(message, tokens);
    }

    /// The tools on offer and the turn's conversation: the system prompt (its
    /// stable part rendered and counted once per capability and role), the
    /// history and the user's message, each counted.
    fn setup<'t>(&self, turn: &Turn<'t>) -> Result<(Toolbox, Conversation<'t>), AgentError> {
        let inner = &self.inner;
        let counter = &inner.engine.tokens;
        let mut offered = self.tools_for(turn.capability, turn.depth, turn.customer.is_some());
        offered.extend(self.growth_tools(turn));
        let caller_tools = turn.options.map_or(&[][..], |o| &o.caller_tools[..]);
        let tool_tokens: usize =
            offered.iter().map(|o| o.tokens).sum::<usize>() + counter.tools(caller_tools);
        let tools: Vec<Arc<dyn DynTool>> = offered.into_iter().map(|o| o.tool).collect();
        // Ours are shared, serialized once; the caller's are this turn's own.
        let definitions: Vec<Arc<PreparedTool>> = tools
            .iter()
            .map(|tool| Arc::clone(tool.prepared()))
            .chain(caller_tools.iter().cloned().map(PreparedTool::new))
            .collect();
        let stable = self.stable_prompt(turn)?;
        let situation = self.situation(turn)?;
        let mut system = String::with_capacity(stable.text.len() + situation.len() + 8);
        system.push_str(&stable.text);
        system.push_str(SITUATION_SEPARATOR);
        system.push_str(&situation);
        let fixed = PER_MESSAGE
            + REPLY_PRIMING
            + stable.tokens
            + counter.text(SITUATION_SEPARATOR)
            + counter.text_memo(&situation)
            + tool_tokens;
        let history = turn
            .history
            .iter()
            .map(|m| (m, counter.message_memo(m)))
            .collect();
        let images = turn.options.map(|o| o.images.clone()).unwrap_or_default();
        let message = turn.message.map(|text| {
            let user = Message::User {
                content: text.to_string(),
                images,
            };
            let tokens = counter.message(&user);
            (user, tokens)
        });
        let conversation = Conversation::new(system, fixed, history, message);
        Ok((Toolbox { tools, definitions }, conversation))
    }

    /// Where the turn's tools run: only the capability the user talks to
    /// may write the customer's documents.
    fn tool_context<'t>(&'t self, turn: &Turn<'t>) -> ToolContext<'t> {
        ToolContext {
            consult: self,
            caller: turn.capability,
            depth: turn.depth,
            session_id: turn.session_id,
            customer: turn.customer.map(|id| {
                let docs = CustomerDocs::new(&self.inner.workspace, id);
                if turn.depth == 0 {
                    docs
                } else {
                    docs.read_only()
                }
            }),
            budget: turn.budget,
            today: self.inner.workspace.clock().today(),
            growth: self
                .keeps_growth(turn)
                .then(|| GrowthDocs::new(&self.inner.workspace)),
            user_words: UserWords::new(turn.history, turn.message),
        }
    }

    /// A tool message cut to the result limit, with its tokens.
    fn capped(&self, message: Message) -> (Message, usize) {
        let counter = &self.inner.engine.tokens;
        let max = self.inner.limits.max_tool_result_tokens;
        let message = match message {
            Message::Tool {
                tool_call_id,
                content,
            } => {
                let tokens = counter.text(&content);
                Message::Tool {
                    tool_call_id,
                    content: window::cap(content, tokens, max),
                }
            }
            other => other,
        };
        let tokens = counter.message(&message);
        (message, tokens)
    }

    /// One model call in its span, within the request's budget; its tokens and
    /// its record added to `progress`.
    async fn model_step(
        &self,
        turn: &Turn<'_>,
        step: usize,
        request: ModelRequest,
        progress: &mut Progress,
    ) -> Result<ModelResponse, AgentError> {
        turn.budget.model_call()?;
        let span = tracing::info_span!(
            "model_call",
            step,
            model = %self.inner.engine.model.name(),
            prompt_tokens = field::Empty,
            completion_tokens = field::Empty,
            tool_calls = field::Empty,
            latency_ms = field::Empty,
        );
        let started = Instant::now();
        let mut response = self
            .call_model(request, turn.events)
            .instrument(span.clone())
            .await?;
        let latency_ms = elapsed_ms(started);
        record_call(&span, &response, latency_ms);
        progress.usage += response.usage;
        turn.budget.spend_tokens(response.usage.total_tokens);
        step::name_calls(&mut response, step);
        progress.model_calls.push(ModelCallRecord::answered(
            &turn.capability.id,
            turn.depth,
            step,
            &response,
            latency_ms,
        ));
        Ok(response)
    }

    /// One model call: streamed (text forwarded as it arrives) when someone is
    /// listening, whole otherwise.
    pub(super) async fn call_model(
        &self,
        request: ModelRequest,
        events: Option<&EventSink>,
    ) -> Result<ModelResponse, ModelError> {
        let model = &self.inner.engine.model;
        let Some(sink) = events else {
            return model.complete(request).await;
        };
        let mut stream = model.stream(request).await?;
        let mut assembler = Assembler::new();
        // Text is defused as it streams: a client may render it before `done`.
        let mut defuser = self.inner.links.stream();
        while let Some(delta) = stream.next().await {
            if let Some(text) = assembler.push(delta?) {
                emit_text(sink, defuser.push(&text)).await;
            }
        }
        emit_text(sink, defuser.finish()).await;
        assembler.finish()
    }
}

/// Sends streamed text, unless there is none.
async fn emit_text(sink: &EventSink, text: String) {
    if !text.is_empty() {
        emit(Some(sink), TurnEvent::Delta { text }).await;
    }
}

/// How a loop ended well.
struct Finished {
    reply: String,
    messages: Vec<Message>,
    steps: usize,
    handed_back: Vec<ToolCall>,
}

impl Finished {
    fn reply(reply: String, conversation: Conversation<'_>, steps: usize) -> Self {
        Self {
            reply,
            messages: conversation.into_current(),
            steps,
            handed_back: Vec::new(),
        }
    }
}

/// The settings every model call of the turn is sent with.
fn settings<'a>(turn: &Turn<'a>) -> Settings<'a> {
    let options = turn.options;
    Settings {
        temperature: options
            .and_then(|o| o.temperature)
            .or(turn.capability.settings.temperature),
        forced_tool: options.and_then(|o| o.forced_tool.as_deref()),
        call: options.map(|o| &o.call),
    }
}

fn record_call(span: &Span, response: &ModelResponse, latency_ms: u64) {
    span.record("latency_ms", latency_ms);
    span.record("prompt_tokens", response.usage.prompt_tokens);
    span.record("completion_tokens", response.usage.completion_tokens);
    span.record("tool_calls", response.tool_calls.len());
}

pub(super) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}
