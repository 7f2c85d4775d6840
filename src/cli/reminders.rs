//! `pmcoach reminders [CUSTOMER]`: what needs attention, for one customer or
//! every customer, as of the configured clock (`today`, `PMCOACH_TODAY`).

use crate::clock::Clock;
use crate::config::Config;
use crate::workspace::{CustomerId, Workspace, reminders};

/// Prints the reminders of `customer`, or of every customer.
pub(super) fn run(config: &Config, customer: Option<&str>) -> Result<(), String> {
    let clock = config.today.map_or_else(Clock::system, Clock::fixed);
    let workspace = Workspace::new(&config.workspace_dir).with_clock(clock);
    let customers = match customer {
        Some(id) => vec![CustomerId::parse(id).map_err(|err| err.to_string())?],
        None => workspace.customers().map_err(|err| err.to_string())?,
    };
    println!("Reminders as of {}", clock.today_string());
    let mut any = false;
    for id in &customers {
        let found = workspace.reminders(id).map_err(|err| err.to_string())?;
        if let Some(list) = reminders::render(&found) {
            any = true;
            println!("\n## {id}");
            for line in list.lines().skip(1) {
                println!("{line}");
            }
        }
    }
    if !any {
        println!("Nothing due.");
    }
    Ok(())
}
