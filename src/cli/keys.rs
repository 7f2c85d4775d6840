//! `pmcoach keys new`: a new API key, printed once, with the lines to add to
//! the configuration (which holds only its hash).

use clap::Subcommand;

use crate::access;
use crate::workspace::CustomerId;

/// What `pmcoach keys` can do.
#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Make a new key: it is printed once, with the [[auth.keys]] entry
    /// (holding only its hash) to add to pmcoach.toml.
    New {
        /// The customers it reaches: ids separated by commas, or `*` for all.
        #[arg(long, value_name = "IDS")]
        customers: String,
        /// A name for it in logs and session ownership (default: key-<date>).
        #[arg(long)]
        name: Option<String>,
        /// Whether it may read every session (an operator's key).
        #[arg(long)]
        admin: bool,
    },
}

/// Runs a `keys` command.
pub(super) fn run(action: KeysAction) -> Result<(), String> {
    match action {
        KeysAction::New {
            customers,
            name,
            admin,
        } => new(&customers, name, admin),
    }
}

fn new(customers: &str, name: Option<String>, admin: bool) -> Result<(), String> {
    let customers = scope(customers)?;
    let name = name.unwrap_or_else(|| format!("key-{}", crate::templates::today()));
    let (key, hash) = access::new_key()?;
    println!("{key}");
    eprintln!(
        "\nThe key above is shown once; pmcoach keeps only its hash. Add this to pmcoach.toml:\n\n\
         [[auth.keys]]\nname = {name:?}\nhash = {hash:?}\ncustomers = {customers}\nadmin = {admin}\n\n\
         Clients send it as: Authorization: Bearer <key>"
    );
    Ok(())
}

/// `*`, or validated customer ids, as TOML.
fn scope(customers: &str) -> Result<String, String> {
    if customers.trim() == "*" {
        return Ok("\"*\"".to_string());
    }
    let ids: Vec<String> = customers
        .split(',')
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(|id| {
            CustomerId::parse(id)
                .map(|id| format!("{:?}", id.as_str()))
                .map_err(|err| format!("--customers: {err}"))
        })
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        return Err("--customers: name at least one customer id, or * for all".into());
    }
    Ok(format!("[{}]", ids.join(", ")))
}
