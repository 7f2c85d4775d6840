//! What day it is: the server's local date, or a fixed one (`today` in the
//! configuration, `PMCOACH_TODAY`) so that tests and demonstrations can set
//! the clock. Everything that dates or judges dates (new entries, documents,
//! what is overdue, the prompt's "today") asks the same clock.

use jiff::civil::Date;

/// The clock of one server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    fixed: Option<Date>,
}

impl Clock {
    /// The system's clock.
    pub fn system() -> Self {
        Self { fixed: None }
    }

    /// A clock stopped at `date`.
    pub fn fixed(date: Date) -> Self {
        Self { fixed: Some(date) }
    }

    /// Today.
    pub fn today(&self) -> Date {
        self.fixed
            .unwrap_or_else(|| jiff::ZonedDateTime::now().date())
    }

    /// Today as `YYYY-MM-DD`.
    pub fn today_string(&self) -> String {
        self.today().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_says_its_day() {
        let date = jiff::civil::date(2026, 12, 1);
        assert_eq!(Clock::fixed(date).today(), date);
        assert_eq!(Clock::fixed(date).today_string(), "2026-12-01");
        assert!(Clock::system().today().year() >= 2026);
    }
}
