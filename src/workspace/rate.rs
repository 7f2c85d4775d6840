//! A rate as PMs write it (`$150/hour`, `$12,000/month`) and the rate range
//! each higher Value Ladder level implies: the rate divided by the current
//! level's multiplier, times the target level's (a range multiplier such as
//! 2-3x counts at its midpoint when it is the current level).

use serde::Serialize;

use crate::templates::{VALUE_LADDER, implied_rate};

/// A parsed rate: an amount with the text around it kept for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Rate {
    /// The amount.
    pub amount: f64,
    /// What came before the number (`$`).
    pub prefix: String,
    /// What came after it (`/hour`).
    pub suffix: String,
}

impl Rate {
    /// Whether the rate is per hour (`$150/h`, `150 per hour`, `$150/hr`).
    pub fn is_hourly(&self) -> bool {
        let suffix = self.suffix.trim().to_ascii_lowercase();
        [
            "/h", "/hr", "/hour", "per hour", "an hour", "/ hour", "hourly",
        ]
        .iter()
        .any(|unit| suffix.starts_with(unit))
    }

    /// The first number in `text` (thousands separators and a `k` allowed),
    /// with what surrounds it; `None` without a positive number.
    pub fn parse(text: &str) -> Option<Self> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let rest = &text[start..];
        let len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ',' || c == '.'))
            .unwrap_or(rest.len());
        let number = rest[..len].trim_end_matches(['.', ',']);
        let mut amount: f64 = number.replace(',', "").parse().ok()?;
        let mut suffix = rest[number.len()..].trim().to_string();
        if suffix.starts_with(['k', 'K']) {
            amount *= 1000.0;
            suffix = suffix[1..].trim().to_string();
        }
        (amount > 0.0).then(|| Self {
            amount,
            prefix: text[..start].trim().to_string(),
            suffix,
        })
    }

    /// `low`-`high` in this rate's units (`$200-300/hour`).
    pub fn range(&self, low: f64, high: f64) -> String {
        let (low, high) = (low.round(), high.round());
        let amounts = if low == high {
            grouped(low)
        } else {
            format!("{}-{}", grouped(low), grouped(high))
        };
        format!("{}{amounts}{}", self.prefix, self.suffix)
    }
}

/// A whole amount with thousands separators.
fn grouped(amount: f64) -> String {
    let digits = format!("{amount:.0}");
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// `(low, high)` of a multiplier written `1x`, `1.5x` or `2-3x`.
fn multiplier(text: &str) -> Option<(f64, f64)> {
    let text = text.trim_end_matches('x');
    match text.split_once('-') {
        Some((low, high)) => Some((low.parse().ok()?, high.parse().ok()?)),
        None => text.parse().ok().map(|m| (m, m)),
    }
}

/// A level's rank and multiplier range, by name (case-insensitive).
pub fn ladder_level(name: &str) -> Option<(usize, &'static str, (f64, f64))> {
    let rank = VALUE_LADDER
        .iter()
        .position(|(level, _)| level.eq_ignore_ascii_case(name.trim()))?;
    let (level, text) = VALUE_LADDER[rank];
    Some((rank, level, multiplier(text)?))
}

/// The rate a higher level implies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImpliedRate {
    /// The Value Ladder level.
    pub level: &'static str,
    /// Its multiplier (`2-3x`).
    pub multiplier: &'static str,
    /// The implied rate range, in the rate's units.
    pub range: String,
    /// Its bounds, as numbers in the rate's units.
    pub low: f64,
    /// The upper bound.
    pub high: f64,
}

/// The rate range of every level above `current`, from `rate` at `current`
/// (the templates' rule, [`implied_rate`], shared with the assessment).
pub fn implied_rates(current: &str, rate: &Rate) -> Vec<ImpliedRate> {
    let Some((rank, current, _)) = ladder_level(current) else {
        return Vec::new();
    };
    VALUE_LADDER[rank + 1..]
        .iter()
        .filter_map(|(level, text)| {
            let (low, high) = implied_rate(rate.amount, current, level)?;
            Some(ImpliedRate {
                level,
                multiplier: text,
                range: rate.range(low, high),
                low,
                high,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_as_written() {
        let rate = Rate::parse("$150/hour").expect("rate");
        assert_eq!(
            (rate.amount, rate.prefix.as_str(), rate.suffix.as_str()),
            (150.0, "$", "/hour")
        );
        assert_eq!(
            Rate::parse("USD 12,000 per month").expect("rate").amount,
            12000.0
        );
        assert_eq!(Rate::parse("$12k/month").expect("rate").suffix, "/month");
        assert_eq!(Rate::parse("ask them"), None);
        assert_eq!(Rate::parse("$0/h"), None);
    }

    #[test]
    fn an_expert_executor_at_150_implies_200_to_300_as_strategic_advisor() {
        let rate = Rate::parse("$150/h").expect("rate");
        let implied = implied_rates("Expert Executor", &rate);
        assert_eq!(implied.len(), 2);
        assert_eq!(implied[0].level, "Strategic Advisor");
        assert_eq!(implied[0].range, "$200-300/h");
        assert_eq!(implied[1].range, "$300-500/h");
        let staff = implied_rates("staff aug", &Rate::parse("$10,000/month").expect("rate"));
        assert_eq!(staff[0].range, "$15,000/month");
        assert!(implied_rates("Transformation Partner", &rate).is_empty());
        assert!(implied_rates("Guru", &rate).is_empty());
    }
}
