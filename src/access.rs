//! Who may do what: API keys (only their SHA-256 hashes are configured), each
//! scoped to some customers or all, and the caller a request was made by.
//! Keys are compared in constant time and never logged; a caller is known by
//! its key's name.

use std::collections::BTreeSet;
use std::fmt;

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// What every key starts with, so one is recognisable in a config or a leak scan.
pub const KEY_PREFIX: &str = "pmk_";
/// The prefix of a configured hash.
pub const HASH_PREFIX: &str = "sha256:";

/// Which customers a key reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every customer (`customers = "*"`).
    All,
    /// These customers only.
    Customers(BTreeSet<String>),
}

impl Scope {
    /// Whether the customer `id` is in scope.
    pub fn allows(&self, id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Customers(ids) => ids.contains(id),
        }
    }
}

/// `[auth]`: the keys, and how many requests one key may have in flight.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// `[[auth.keys]]`; none means the server is open on loopback only.
    pub keys: Vec<KeyEntry>,
    /// Requests one key may have in flight; more get an immediate 503 with
    /// `Retry-After` (load shedding, not a queue).
    pub max_concurrent_per_key: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            max_concurrent_per_key: 8,
        }
    }
}

/// `[http]`: which hosts and origins may reach the server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Names the `Host` header may carry besides the loopback ones
    /// (`localhost`, `127.0.0.1`, `[::1]`); `"*"` allows any (behind a proxy
    /// that checks it). Others are answered 421, which defeats DNS rebinding.
    pub allowed_hosts: Vec<String>,
    /// Origins browsers may call from (CORS); none means CORS stays off.
    pub cors_origins: Vec<String>,
}

impl HttpConfig {
    /// Whether a `Host` header value (with or without a port) may be served.
    pub fn allows_host(&self, host: &str) -> bool {
        let name = host_name(host);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]" | "::1")
            || self
                .allowed_hosts
                .iter()
                .any(|allowed| allowed == "*" || allowed.eq_ignore_ascii_case(name))
    }
}

/// The name part of a `Host` value: without the port, brackets kept for IPv6.
fn host_name(host: &str) -> &str {
    let host = host.trim();
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    host.rsplit_once(':').map_or(host, |(name, _)| name)
}

/// One configured key (`[[auth.keys]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// A name for logs and session ownership (never the key).
    pub name: String,
    /// `sha256:<64 hex digits>` of the key.
    pub hash: String,
    /// `"*"` or a list of customer ids.
    pub customers: CustomersField,
    /// Whether the key may use admin operations and every session.
    #[serde(default)]
    pub admin: bool,
}

/// The `customers` field as written: `"*"` or a list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum CustomersField {
    /// `"*"`.
    All(String),
    /// `["acme-corp", ...]`.
    List(Vec<String>),
}

/// The verified keys.
#[derive(Clone, Default)]
pub struct Keys {
    keys: Vec<Key>,
}

#[derive(Clone)]
struct Key {
    digest: [u8; 32],
    caller: Caller,
}

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The key's name (`local` when no keys are configured).
    pub name: String,
    /// The customers it reaches.
    pub scope: Scope,
    /// Whether it is an admin key.
    pub admin: bool,
}

impl Caller {
    /// The caller when no keys are configured: the server is then loopback
    /// only (see `cli serve`), and whoever reaches it may do everything.
    pub fn local() -> Self {
        Self {
            name: "local".to_string(),
            scope: Scope::All,
            admin: true,
        }
    }

    /// Whether the caller may act on customer `id`.
    pub fn may_use(&self, id: &str) -> bool {
        self.scope.allows(id)
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|k| k.caller.name.as_str()).collect();
        f.debug_struct("Keys").field("names", &names).finish()
    }
}

impl Keys {
    /// Checks the configured entries: each hash well formed, each name unique,
    /// each scope `"*"` or a list. The error names the entry.
    pub fn from_entries(entries: &[KeyEntry]) -> Result<Self, String> {
        let mut keys = Vec::with_capacity(entries.len());
        let mut names = BTreeSet::new();
        for entry in entries {
            let at = format!("[[auth.keys]] {:?}", entry.name);
            if entry.name.trim().is_empty() || !names.insert(entry.name.clone()) {
                return Err(format!("{at}: each key needs a name of its own"));
            }
            let digest = parse_hash(&entry.hash).ok_or_else(|| {
                format!("{at}: hash must be {HASH_PREFIX}<64 hex digits> (see `pmcoach keys new`)")
            })?;
            let scope = match &entry.customers {
                CustomersField::All(star) if star == "*" => Scope::All,
                CustomersField::All(other) => {
                    return Err(format!(
                        "{at}: customers must be \"*\" or a list, not {other:?}"
                    ));
                }
                CustomersField::List(ids) => Scope::Customers(ids.iter().cloned().collect()),
            };
            let caller = Caller {
                name: entry.name.clone(),
                scope,
                admin: entry.admin,
            };
            keys.push(Key { digest, caller });
        }
        Ok(Self { keys })
    }

    /// Whether any key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The caller a presented key belongs to. Every configured hash is
    /// compared, in constant time, whatever matches.
    pub fn verify(&self, presented: &str) -> Option<Caller> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found = None;
        for key in &self.keys {
            if bool::from(key.digest.ct_eq(&digest)) {
                found = Some(key.caller.clone());
            }
        }
        found
    }
}

/// Refuses to serve without keys anywhere but loopback, unless told to: with
/// no keys, whoever reaches the port reads and writes every customer's
/// documents.
pub fn check_exposure(
    listen: std::net::SocketAddr,
    keys: &Keys,
    allow_unauthenticated: bool,
) -> Result<(), String> {
    if keys.is_empty() && !listen.ip().is_loopback() && !allow_unauthenticated {
        return Err(format!(
            "refusing to listen on {listen} without API keys: anyone who reaches it could read              and write every customer's documents. Add keys (`pmcoach keys new --customers ...`,              then [[auth.keys]] in pmcoach.toml), listen on 127.0.0.1, or pass              --allow-unauthenticated if something in front of pmcoach does the authentication"
        ));
    }
    Ok(())
}

/// A new random key and the hash to configure for it.
pub fn new_key() -> Result<(String, String), String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|err| format!("no randomness: {err}"))?;
    let key = format!("{KEY_PREFIX}{}", hex(&bytes));
    let hash = format!("{HASH_PREFIX}{}", hex(&Sha256::digest(key.as_bytes())));
    Ok((key, hash))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let hex = text.trim().strip_prefix(HASH_PREFIX)?;
    if hex.len() != 64 {
        return None;
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(digest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, hash: &str, customers: CustomersField) -> KeyEntry {
        KeyEntry {
            name: name.into(),
            hash: hash.into(),
            customers,
            admin: false,
        }
    }

    #[test]
    fn a_new_key_verifies_against_its_hash_and_no_other_does() {
        let (key, hash) = new_key().expect("key");
        assert!(key.starts_with(KEY_PREFIX) && key.len() == KEY_PREFIX.len() + 48);
        let keys = Keys::from_entries(&[entry(
            "acme-pm",
            &hash,
            CustomersField::List(vec!["acme-corp".into()]),
        )])
        .expect("valid");
        let caller = keys.verify(&key).expect("verifies");
        assert_eq!(caller.name, "acme-pm");
        assert!(caller.may_use("acme-corp") && !caller.may_use("globex"));
        assert_eq!(keys.verify("pmk_wrong"), None);
        let (other, _) = new_key().expect("key");
        assert_eq!(keys.verify(&other), None);
    }

    #[test]
    fn bad_entries_are_named() {
        let star = CustomersField::All("*".into());
        let err = Keys::from_entries(&[entry("a", "md5:00", star.clone())]).expect_err("hash");
        assert!(err.contains("\"a\"") && err.contains("sha256:"), "{err}");
        let (_, hash) = new_key().expect("key");
        let twice = [entry("a", &hash, star.clone()), entry("a", &hash, star)];
        assert!(Keys::from_entries(&twice).is_err());
        let some = CustomersField::All("acme".into());
        assert!(Keys::from_entries(&[entry("b", &hash, some)]).is_err());
    }

    #[test]
    fn only_loopback_and_configured_hosts_are_served() {
        let http = HttpConfig::default();
        for host in ["localhost:8080", "127.0.0.1", "[::1]:8080", "LOCALHOST"] {
            assert!(http.allows_host(&host.to_lowercase()), "{host}");
        }
        for host in [
            "attacker.example",
            "attacker.example:8080",
            "127.0.0.1.nip.io",
        ] {
            assert!(!http.allows_host(host), "{host}");
        }
        let named = HttpConfig {
            allowed_hosts: vec!["coach.example.com".into()],
            ..HttpConfig::default()
        };
        assert!(named.allows_host("Coach.Example.com:443"));
        assert!(!named.allows_host("example.com"));
    }

    #[test]
    fn only_loopback_may_be_served_without_keys() {
        let open = Keys::default();
        let any = "0.0.0.0:8080".parse().expect("addr");
        let local = "127.0.0.1:8080".parse().expect("addr");
        assert!(check_exposure(local, &open, false).is_ok());
        let refusal = check_exposure(any, &open, false).expect_err("refused");
        assert!(refusal.contains("without API keys"), "{refusal}");
        assert!(check_exposure(any, &open, true).is_ok());
        let (_, hash) = new_key().expect("key");
        let keyed = Keys::from_entries(&[entry("k", &hash, CustomersField::All("*".into()))])
            .expect("valid");
        assert!(check_exposure(any, &keyed, false).is_ok());
    }

    #[test]
    fn debug_output_names_keys_but_shows_no_hash() {
        let (_, hash) = new_key().expect("key");
        let keys = Keys::from_entries(&[entry("ops", &hash, CustomersField::All("*".into()))])
            .expect("valid");
        let shown = format!("{keys:?}");
        assert!(shown.contains("ops") && !shown.contains(&hash[HASH_PREFIX.len()..]));
    }
}
