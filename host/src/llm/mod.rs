//! LLM providers: host configuration, never guest code.
//!
//! A model is named `provider/model` (`openai/gpt-4o-mini`,
//! `local/llama3`); the provider part picks an entry of
//! `[llm.providers.NAME]` in `cairn.toml`, which says which API it speaks
//! (`openai`: any OpenAI-compatible chat-completions endpoint; `anthropic`:
//! the Messages API), where it is and which environment variable holds its
//! key. The key and the URL stay here: what the guest gets back (a reply or
//! an [`LlmError`]) names neither.
//!
//! [`Providers`] is the registry the runtime calls; `openai.rs` and
//! `anthropic.rs` translate [`ChatRequest`] / [`ChatResponse`] to each wire
//! format; `retry.rs` sends with retries on 429, 5xx and connection
//! failures, honouring `Retry-After`. Journaling is the runtime's business
//! (`runtime/body/llm.rs`); this module only talks HTTP.

mod anthropic;
mod openai;
mod retry;

use crate::error_code::ErrorCode;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// `[llm]` in `cairn.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// Time one HTTP request to a provider may take, in seconds
    /// (`llm.timeout_secs`).
    pub timeout_secs: u64,
    /// Requests per call, the first included, when the provider answers
    /// 429 or 5xx or cannot be reached (`llm.max_attempts`).
    pub max_attempts: u32,
    /// Wait before the second request, in milliseconds; doubled for each
    /// later one up to `max_backoff_ms`. A `Retry-After` header wins.
    pub backoff_ms: u64,
    /// Upper bound of one wait between requests, in milliseconds (a
    /// `Retry-After` is honoured up to five minutes).
    pub max_backoff_ms: u64,
    /// The providers, by the name used in `provider/model`.
    pub providers: BTreeMap<String, ProviderSettings>,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            timeout_secs: 120,
            max_attempts: 4,
            backoff_ms: 500,
            max_backoff_ms: 30_000,
            providers: BTreeMap::new(),
        }
    }
}

/// `[llm.providers.NAME]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Which API the provider speaks.
    pub kind: ProviderKind,
    /// Where it is; defaults to the vendor's public endpoint
    /// (`https://api.openai.com/v1`, `https://api.anthropic.com/v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key
    /// itself). Local servers (Ollama, llama.cpp) need none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
}

/// The wire protocol of a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// OpenAI chat completions, and everything compatible with it
    /// (Ollama, vLLM, llama.cpp server, LM Studio, OpenRouter).
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// A tool the model asked to call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// JSON text.
    pub arguments: String,
}

/// One message of the conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: Role,
    pub content: String,
    /// For `assistant` messages that called tools.
    pub tool_calls: Vec<ToolCall>,
    /// For `tool` messages: the call this answers.
    pub tool_call_id: Option<String>,
}

/// A tool the model may call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolDef {
    pub name: String,
    pub description: String,
    /// JSON Schema of the arguments.
    pub parameters: serde_json::Value,
}

/// What the reply should look like.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseFormat {
    Text,
    /// Any JSON object.
    Json,
    /// JSON matching this schema.
    JsonSchema(serde_json::Value),
}

/// One chat call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// `provider/model`.
    pub model: String,
    pub messages: Vec<Message>,
    pub temperature: Option<f32>,
    pub max_tokens: Option<u32>,
    pub response_format: ResponseFormat,
    pub tools: Vec<ToolDef>,
}

/// Tokens one call used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_tokens: u32,
    pub output_tokens: u32,
}

/// The model's reply.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
    /// `stop`, `length`, `tool_calls`, `content_filter`, ... (Anthropic's
    /// stop reasons are mapped to these names).
    pub finish_reason: String,
    pub usage: Usage,
    /// The model that answered, as the provider names it.
    pub model: String,
}

/// Why a call returned no reply. Messages name the provider and what
/// failed, never its URL or key (the guest sees them).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// No such provider is configured, or its key is missing.
    #[error("{0}")]
    NotConfigured(String),
    /// The request cannot be sent as it is.
    #[error("{0}")]
    BadRequest(String),
    /// The provider failed (after retries) or refused the request.
    #[error("{message}")]
    Provider {
        provider: String,
        /// `unreachable`, `timeout`, `rate-limited`, `server-error`,
        /// `refused` (another 4xx) or `bad-reply`.
        code: ErrorCode,
        message: String,
        /// The last HTTP status, if any.
        status: Option<u16>,
        /// Requests made.
        attempts: u32,
    },
}

/// The configured providers and one HTTP client for all of them.
#[derive(Debug, Clone)]
pub struct Providers {
    settings: LlmSettings,
    client: reqwest::Client,
    /// Where calls and tokens are counted (`GET /metrics`).
    meter: crate::metrics::LlmMeter,
}

/// A provider resolved for one call.
struct Target<'a> {
    name: &'a str,
    model: &'a str,
    settings: &'a ProviderSettings,
    key: Option<String>,
}

impl Providers {
    /// The registry for `settings`.
    pub fn new(settings: &LlmSettings) -> Providers {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(settings.timeout_secs.clamp(1, 30)))
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Providers {
            settings: settings.clone(),
            client,
            meter: crate::metrics::LlmMeter::default(),
        }
    }

    /// The same registry, counting its calls in `meter`.
    pub fn with_meter(mut self, meter: crate::metrics::LlmMeter) -> Providers {
        self.meter = meter;
        self
    }

    /// Sends one chat call to the provider `request.model` names.
    pub async fn chat(&self, request: &ChatRequest) -> Result<ChatResponse, LlmError> {
        let target = self.resolve(&request.model)?;
        let started = std::time::Instant::now();
        let result = match target.settings.kind {
            ProviderKind::Openai => openai::chat(self, &target, request).await,
            ProviderKind::Anthropic => anthropic::chat(self, &target, request).await,
        };
        let tokens = result.as_ref().ok().map(|r| {
            let u = &r.usage;
            (u64::from(u.input_tokens), u64::from(u.output_tokens))
        });
        self.meter.call(target.name, target.model, tokens);
        match &result {
            Ok(r) => tracing::info!(
                provider = target.name,
                model = target.model,
                input_tokens = r.usage.input_tokens,
                output_tokens = r.usage.output_tokens,
                ms = started.elapsed().as_millis() as u64,
                "llm call"
            ),
            Err(e) => tracing::info!(provider = target.name, model = target.model,
                error = %e, "llm call failed"),
        }
        result
    }

    fn resolve<'a>(&'a self, model: &'a str) -> Result<Target<'a>, LlmError> {
        let Some((name, model_name)) = model
            .split_once('/')
            .filter(|(p, m)| !p.is_empty() && !m.is_empty())
        else {
            return Err(LlmError::BadRequest(format!(
                "model `{model}` is not of the form `provider/model` (e.g. `openai/gpt-4o-mini`)"
            )));
        };
        let Some(settings) = self.settings.providers.get(name) else {
            let known: Vec<&str> = self.settings.providers.keys().map(String::as_str).collect();
            let known = if known.is_empty() {
                "no provider is configured".to_string()
            } else {
                format!("configured: {}", known.join(", "))
            };
            return Err(LlmError::NotConfigured(format!(
                "no LLM provider named `{name}` ({known}); add a [llm.providers.{name}] section \
                 to cairn.toml, e.g. kind = \"openai\", base_url = \"https://api.openai.com/v1\", \
                 api_key_env = \"OPENAI_API_KEY\""
            )));
        };
        let key = match &settings.api_key_env {
            None => None,
            Some(var) => match std::env::var(var) {
                Ok(k) if !k.is_empty() => Some(k),
                _ => {
                    return Err(LlmError::NotConfigured(format!(
                        "LLM provider `{name}` takes its API key from the environment variable \
                         {var} (llm.providers.{name}.api_key_env), which is not set for the host"
                    )));
                }
            },
        };
        Ok(Target {
            name,
            model: model_name,
            settings,
            key,
        })
    }

    fn base_url(&self, target: &Target<'_>) -> String {
        let default = match target.settings.kind {
            ProviderKind::Openai => "https://api.openai.com/v1",
            ProviderKind::Anthropic => "https://api.anthropic.com/v1",
        };
        target
            .settings
            .base_url
            .as_deref()
            .unwrap_or(default)
            .trim_end_matches('/')
            .to_string()
    }
}

/// A reply body that is not what the provider's API promises.
fn bad_reply(provider: &str, what: impl std::fmt::Display) -> LlmError {
    LlmError::Provider {
        provider: provider.to_string(),
        code: ErrorCode::BadReply,
        message: format!("LLM provider `{provider}` sent a reply cairn cannot read: {what}"),
        status: None,
        attempts: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn providers(toml_text: &str) -> Providers {
        let settings: LlmSettings = toml::from_str(toml_text).unwrap();
        Providers::new(&settings)
    }

    #[test]
    fn a_model_without_a_provider_part_is_a_bad_request() {
        let p = providers("");
        let e = p.resolve("gpt-4o").err().unwrap();
        assert!(matches!(e, LlmError::BadRequest(_)), "{e}");
        assert!(e.to_string().contains("provider/model"), "{e}");
    }

    #[test]
    fn an_unknown_provider_names_the_setting_to_add() {
        let p = providers("[providers.local]\nkind = \"openai\"\n");
        let e = p.resolve("openai/gpt-4o").err().unwrap();
        assert!(matches!(e, LlmError::NotConfigured(_)), "{e}");
        assert!(e.to_string().contains("[llm.providers.openai]"), "{e}");
        assert!(e.to_string().contains("configured: local"), "{e}");
    }

    #[test]
    fn a_missing_key_variable_is_named() {
        let p = providers(
            "[providers.x]\nkind = \"anthropic\"\napi_key_env = \"CAIRN_TEST_UNSET_KEY_VAR\"\n",
        );
        let e = p.resolve("x/claude").err().unwrap();
        assert!(e.to_string().contains("CAIRN_TEST_UNSET_KEY_VAR"), "{e}");
    }

    #[test]
    fn unknown_kinds_and_keys_are_refused() {
        assert!(toml::from_str::<LlmSettings>("[providers.x]\nkind = \"gemini\"\n").is_err());
        assert!(
            toml::from_str::<LlmSettings>("[providers.x]\nkind = \"openai\"\napi_key = \"s\"\n")
                .is_err()
        );
    }
}
