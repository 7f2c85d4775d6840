//! Model prices: USD per million tokens, from built-in list prices and the
//! configuration's `[prices."<model>"]`, and the estimated cost of a token count.
//!
//! It sits beside `config` (which parses the table) rather than beside `model`,
//! so it takes token counts, not `model::Usage`.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// What one model costs, in USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Prompt tokens.
    #[serde(deserialize_with = "non_negative")]
    pub input_per_mtok: f64,
    /// Generated tokens.
    #[serde(deserialize_with = "non_negative")]
    pub output_per_mtok: f64,
}

fn non_negative<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(deserializer)?;
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is not a price: use USD per million tokens, 0 or more"
        )))
    }
}

impl Price {
    const fn per_mtok(input_per_mtok: f64, output_per_mtok: f64) -> Self {
        Self {
            input_per_mtok,
            output_per_mtok,
        }
    }

    /// The cost of `input` prompt and `output` generated tokens, in USD,
    /// rounded to [`round_usd`].
    pub fn cost(&self, input: u64, output: u64) -> f64 {
        // u64 -> f64 loses precision only past 2^53 tokens.
        #[allow(clippy::cast_precision_loss)]
        let (input, output) = (input as f64, output as f64);
        round_usd((input * self.input_per_mtok + output * self.output_per_mtok) / 1_000_000.0)
    }
}

/// `usd` rounded to a hundredth of a micro-dollar: finer than any token's
/// price, and it keeps sums from printing as `0.30000000000000004`.
pub fn round_usd(usd: f64) -> f64 {
    (usd * 1e8).round() / 1e8
}

/// OpenAI's published list prices for text tokens (standard tier, no batch
/// or cached-input discount) as of mid-2025, USD per million tokens. They are
/// estimates and change: `[prices."<model>"]` in the configuration overrides
/// any of them or adds others.
const LIST_PRICES: &[(&str, Price)] = &[
    ("gpt-4o", Price::per_mtok(2.50, 10.00)),
    ("gpt-4o-mini", Price::per_mtok(0.15, 0.60)),
    ("gpt-4.1", Price::per_mtok(2.00, 8.00)),
    ("gpt-4.1-mini", Price::per_mtok(0.40, 1.60)),
    ("gpt-4.1-nano", Price::per_mtok(0.10, 0.40)),
    ("o3", Price::per_mtok(2.00, 8.00)),
    ("o3-mini", Price::per_mtok(1.10, 4.40)),
    ("o4-mini", Price::per_mtok(1.10, 4.40)),
    ("gpt-5", Price::per_mtok(1.25, 10.00)),
    ("gpt-5-mini", Price::per_mtok(0.25, 2.00)),
    ("gpt-5-nano", Price::per_mtok(0.05, 0.40)),
];

/// The price table: the list prices, with the configuration's entries over them.
#[derive(Debug, Clone, PartialEq)]
pub struct Prices {
    by_model: BTreeMap<String, Price>,
}

impl Default for Prices {
    /// The built-in list prices.
    fn default() -> Self {
        Self {
            by_model: LIST_PRICES
                .iter()
                .map(|(model, price)| ((*model).to_string(), *price))
                .collect(),
        }
    }
}

impl Prices {
    /// The list prices with `overrides` replacing or adding entries.
    pub fn with(mut self, overrides: BTreeMap<String, Price>) -> Self {
        self.by_model.extend(overrides);
        self
    }

    /// The price of `model`: its own entry, else that of the longest known
    /// name it is a dated snapshot of (`gpt-4o-mini-2024-07-18` is priced as
    /// `gpt-4o-mini`). Only a suffix of digits and hyphens counts: `o3-pro` or
    /// `gpt-4o-realtime-preview` are other products with other prices, and an
    /// unknown model has no price rather than a guessed one.
    pub fn for_model(&self, model: &str) -> Option<Price> {
        if let Some(price) = self.by_model.get(model) {
            return Some(*price);
        }
        self.by_model
            .iter()
            .filter(|(known, _)| is_snapshot_of(model, known))
            .max_by_key(|(known, _)| known.len())
            .map(|(_, price)| *price)
    }

    /// The estimated cost in USD of `input` prompt and `output` generated
    /// tokens on `model`; `None` when the model has no price.
    pub fn cost(&self, model: &str, input: u64, output: u64) -> Option<f64> {
        self.for_model(model).map(|price| price.cost(input, output))
    }
}

/// Whether `model` is `known` followed by `-` and a version of digits and
/// hyphens (`-2024-07-18`, `-0613`).
fn is_snapshot_of(model: &str, known: &str) -> bool {
    model
        .strip_prefix(known)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|version| {
            version.starts_with(|c: char| c.is_ascii_digit())
                && version.chars().all(|c| c.is_ascii_digit() || c == '-')
        })
}

/// The sum of two estimates, either of which may be absent (an unpriced
/// model): absent only when both are.
pub fn add_costs(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(round_usd(a + b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn price(input: f64, output: f64) -> Price {
        Price::per_mtok(input, output)
    }

    #[test]
    fn exact_names_and_dated_snapshots_have_prices() {
        let prices = Prices::default();
        assert_eq!(prices.for_model("gpt-4o-mini"), Some(price(0.15, 0.60)));
        assert_eq!(
            prices.for_model("gpt-4o-mini-2024-07-18"),
            Some(price(0.15, 0.60))
        );
        assert_eq!(
            prices.for_model("gpt-4o-2024-08-06"),
            Some(price(2.5, 10.0))
        );
        assert_eq!(
            prices.for_model("o3-mini-2025-01-31"),
            Some(price(1.1, 4.4))
        );
        assert_eq!(prices.for_model("gpt-5-nano"), Some(price(0.05, 0.40)));
    }

    #[test]
    fn unknown_models_and_other_products_have_none() {
        let prices = Prices::default();
        for model in [
            "llama3.1",
            "fake-model",
            "o3-pro",
            "gpt-4o-realtime-preview",
            "gpt-4o-mini-",
            "gpt-4",
            "openai/gpt-4o",
            "",
        ] {
            assert_eq!(prices.for_model(model), None, "{model}");
            assert_eq!(prices.cost(model, 1000, 1000), None, "{model}");
        }
    }

    #[test]
    fn configured_entries_override_and_add() {
        let prices = Prices::default().with(BTreeMap::from([
            ("gpt-4o".to_string(), price(1.0, 2.0)),
            ("llama3.1".to_string(), price(0.0, 0.0)),
        ]));
        assert_eq!(prices.for_model("gpt-4o-2024-08-06"), Some(price(1.0, 2.0)));
        assert_eq!(prices.for_model("gpt-4o-mini"), Some(price(0.15, 0.60)));
        assert_eq!(prices.cost("llama3.1", 5000, 5000), Some(0.0));
    }

    #[test]
    fn cost_is_per_million_tokens_and_rounded() {
        let mini = price(0.15, 0.60);
        assert_eq!(mini.cost(1_000_000, 0), 0.15);
        assert_eq!(mini.cost(0, 1_000_000), 0.6);
        // 1200 * 0.15e-6 + 300 * 0.6e-6 = 0.00018 + 0.00018
        assert_eq!(mini.cost(1200, 300), 0.00036);
        assert_eq!(mini.cost(0, 0), 0.0);
        assert_eq!(round_usd(0.1 + 0.2), 0.3);
        assert_eq!(round_usd(0.000_000_004), 0.0);
        assert_eq!(add_costs(Some(0.1), Some(0.2)), Some(0.3));
        assert_eq!(add_costs(None, Some(0.2)), Some(0.2));
        assert_eq!(add_costs(None, None), None);
    }

    #[test]
    fn a_negative_or_missing_price_is_refused() {
        let err = toml::from_str::<Price>("input_per_mtok = -1.0\noutput_per_mtok = 1.0")
            .expect_err("negative");
        assert!(err.to_string().contains("not a price"), "{err}");
        assert!(toml::from_str::<Price>("input_per_mtok = 1.0").is_err());
        assert!(
            toml::from_str::<Price>("input_per_mtok = 1.0\noutput_per_mtok = 1.0\ncached = 1.0")
                .is_err()
        );
    }
}
