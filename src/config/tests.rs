//! Configuration tests: the file, the environment, and how they combine.

use super::*;
use secrecy::ExposeSecret;
use std::collections::HashMap;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn write_config(text: &str) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write config");
    file
}

#[test]
fn no_model_without_key_or_name() {
    let file = write_config("");
    let config = Config::load(Some(file.path()), &env_of(&[])).expect("config");
    assert_eq!(config.model.resolved_model(), None);
    assert_eq!(config.model.base_url, DEFAULT_BASE_URL);
    assert_eq!(config.limits, Limits::default());
}

#[test]
fn openai_variables_configure_the_model() {
    let file = write_config("");
    let env = env_of(&[
        ("OPENAI_API_KEY", "sk-test"),
        ("OPENAI_BASE_URL", "http://localhost:11434/v1"),
    ]);
    let config = Config::load(Some(file.path()), &env).expect("config");
    assert_eq!(
        config.model.resolved_model().as_deref(),
        Some(DEFAULT_OPENAI_MODEL)
    );
    assert_eq!(config.model.base_url, "http://localhost:11434/v1");
    let key = config.model.api_key.expect("key");
    assert_eq!(key.expose_secret(), "sk-test");
}

#[test]
fn environment_overrides_file() {
    let file = write_config(
        "listen = \"127.0.0.1:9000\"\n[model]\nmodel = \"from-file\"\ntemperature = 0.5\n[limits]\nmax_steps = 3\n",
    );
    let env = env_of(&[("PMCOACH_MODEL", "from-env"), ("PMCOACH_MAX_STEPS", "5")]);
    let config = Config::load(Some(file.path()), &env).expect("config");
    assert_eq!(config.model.model.as_deref(), Some("from-env"));
    assert_eq!(config.model.temperature, Some(0.5));
    assert_eq!(config.limits.max_steps, 5);
    assert_eq!(config.listen.port(), 9000);
}

#[test]
fn bad_values_name_their_source() {
    let file = write_config("");
    let env = env_of(&[("PMCOACH_TEMPERATURE", "hot")]);
    let err = Config::load(Some(file.path()), &env).expect_err("bad temperature");
    assert!(err.to_string().starts_with("PMCOACH_TEMPERATURE:"), "{err}");

    let bad = write_config("[model]\ntemprature = 1.0\n");
    let err = Config::load(Some(bad.path()), &env_of(&[])).expect_err("typo");
    let message = err.to_string();
    assert!(message.contains("temprature"), "{message}");
    assert!(
        message.contains(&bad.path().display().to_string()),
        "{message}"
    );
}

#[test]
fn prices_and_the_daily_budget_come_from_the_file() {
    let file = write_config(
        "[limits]\ncustomer_daily_tokens = 50000\n\
         [prices.\"gpt-4o\"]\ninput_per_mtok = 1.0\noutput_per_mtok = 4.0\n\
         [prices.\"llama3.1\"]\ninput_per_mtok = 0\noutput_per_mtok = 0\n",
    );
    let config = Config::load(Some(file.path()), &env_of(&[])).expect("config");
    assert_eq!(config.limits.customer_daily_tokens, Some(50_000));
    assert_eq!(config.prices.cost("gpt-4o", 1_000_000, 0), Some(1.0));
    assert_eq!(config.prices.cost("llama3.1", 1000, 1000), Some(0.0));
    assert_eq!(config.prices.cost("gpt-4o-mini", 1_000_000, 0), Some(0.15));

    let bad = write_config("[prices.\"gpt-4o\"]\ninput_per_mtok = -2\noutput_per_mtok = 1\n");
    let err = Config::load(Some(bad.path()), &env_of(&[])).expect_err("negative price");
    let message = err.to_string();
    assert!(
        message.contains(&bad.path().display().to_string()),
        "{message}"
    );
    assert!(message.contains("input_per_mtok"), "{message}");
}

#[test]
fn debug_output_never_shows_the_key() {
    let file = write_config("");
    let env = env_of(&[("OPENAI_API_KEY", "sk-very-secret")]);
    let config = Config::load(Some(file.path()), &env).expect("config");
    assert!(!format!("{config:?}").contains("sk-very-secret"));
}
