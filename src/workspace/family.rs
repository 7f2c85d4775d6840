//! The family's other customer files: `financials.md` (rate, contract, renewal)
//! and `ideas.md` (ideas with the family's statuses), their starting templates,
//! and the engagement facts read across `customer-info.md` and `financials.md`
//! (customer-info first: it is where the coach records what the PM says).

use jiff::civil::Date;

use super::coverage::first_number;
use super::{CustomerId, INFO_FILE, Workspace, WorkspaceError, info};

/// Rate, contract and renewal.
pub const FINANCIALS_FILE: &str = "financials.md";
/// Ideas and their statuses.
pub const IDEAS_FILE: &str = "ideas.md";

/// The statuses an idea can have.
pub const IDEA_STATUSES: [&str; 6] = [
    "New",
    "Under Consideration",
    "Approved",
    "Rejected",
    "Implemented",
    "Parked",
];

/// The `financials.md` a new customer starts with.
pub fn financials_template(customer: &str) -> String {
    format!(
        "# Financials: {customer}\n\n\
         ## Contract\n\
         - **Rate**: \n\
         - **Billing**: \n\
         - **Contracted Hours per Week**: \n\
         - **Contract Start**: \n\
         - **Renewal Date**: \n\
         - **Payment Terms**: \n\n\
         ## Rate History\n\
         | Date | Rate | Why |\n\
         |------|------|-----|\n\n\
         ## Notes\n"
    )
}

/// The `ideas.md` a new customer starts with.
pub fn ideas_template(customer: &str) -> String {
    format!(
        "# Ideas: {customer}\n\n\
         Statuses: {}.\n\n\
         | ID | Date | Idea | Status | Notes |\n\
         |----|------|------|--------|-------|\n",
        IDEA_STATUSES.join(", ")
    )
}

impl Workspace {
    /// The customer's `financials.md` (empty when missing).
    pub fn financials(&self, customer: &CustomerId) -> Result<String, WorkspaceError> {
        let path = self.file(customer, FINANCIALS_FILE)?;
        self.read_optional(&path)
    }

    /// The facts of customer-info.md and financials.md, in that order.
    pub(super) fn engagement_facts(
        &self,
        customer: &CustomerId,
    ) -> Result<EngagementFacts, WorkspaceError> {
        let info_text = self.read_optional(&self.file(customer, INFO_FILE)?)?;
        let financials = self.financials(customer)?;
        Ok(EngagementFacts {
            facts: info::facts(&info_text)
                .into_iter()
                .chain(info::facts(&financials))
                .collect(),
        })
    }
}

/// Facts from the customer's files, looked up by field name.
#[derive(Debug, Clone, Default)]
pub struct EngagementFacts {
    facts: Vec<(String, String)>,
}

impl EngagementFacts {
    /// Facts as `(name, value)` pairs.
    pub fn new(facts: Vec<(String, String)>) -> Self {
        Self { facts }
    }

    /// The first value recorded under one of `names` (ignoring case).
    pub fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|wanted| {
            self.facts
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
                .map(|(_, value)| value.as_str())
        })
    }

    /// Contracted hours per week.
    pub fn hours_per_week(&self) -> Option<f64> {
        self.get(&["Hours per Week", "Contracted Hours per Week"])
            .and_then(first_number)
    }

    /// The renewal date, when one is written as `YYYY-MM-DD`.
    pub fn renewal_date(&self) -> Option<Date> {
        let text = self.get(&["Renewal Date", "Renewal"])?;
        text.split_whitespace().find_map(|word| {
            word.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                .parse()
                .ok()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_are_read_from_either_file() {
        let facts = EngagementFacts::new(vec![
            ("Hours per Week".into(), "20 h".into()),
            ("Renewal Date".into(), "2027-01-05 (annual)".into()),
            ("Contracted Hours per Week".into(), "30".into()),
        ]);
        assert_eq!(facts.hours_per_week(), Some(20.0));
        assert_eq!(facts.renewal_date(), Some(jiff::civil::date(2027, 1, 5)));
        assert_eq!(EngagementFacts::default().renewal_date(), None);
        assert!(info::facts(&financials_template("acme")).is_empty());
        assert!(ideas_template("acme").contains("Parked"));
    }
}
