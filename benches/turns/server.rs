//! pmcoach as a child process (`pmcoach serve`, configured by environment), so
//! its CPU time and memory are its own and not the load generator's.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The running server (pmcoach, or the thin relay) and its workspace.
pub struct Server {
    child: Child,
    pub base: String,
    ready: &'static str,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts `target/release/pmcoach serve` against `upstream`, with the
    /// `acme` fixture as a customer, and waits until it answers.
    pub async fn start(upstream: &str) -> Server {
        let dir = tempfile::tempdir().expect("workspace");
        let workspace = dir.path();
        copy_fixture(workspace);
        let port = free_port();
        // `PMCOACH_BENCH_BIN` runs another build (e.g. main's) under the same
        // load; a relative path is taken from here, not from the workspace the
        // child starts in.
        let binary = match std::env::var("PMCOACH_BENCH_BIN") {
            Ok(path) => std::path::absolute(&path).expect("PMCOACH_BENCH_BIN as a path"),
            Err(_) => env!("CARGO_BIN_EXE_pmcoach").into(),
        };
        let child = Command::new(binary)
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PMCOACH_LISTEN", format!("127.0.0.1:{port}"))
            .env("PMCOACH_WORKSPACE", workspace)
            .env("PMCOACH_BASE_URL", upstream)
            .env("PMCOACH_API_KEY", "sk-bench")
            .env("PMCOACH_MODEL", "fake-model")
            .env("PMCOACH_CONTEXT_WINDOW", "128000")
            .env("PMCOACH_TODAY", "2026-11-30")
            .current_dir(workspace)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("pmcoach serve starts");
        Self::ready(child, port, "/v1/capabilities", Some(dir)).await
    }

    /// Starts the thin relay (this binary again, see `relay.rs`) in front of
    /// `upstream`, and waits until it answers.
    pub async fn relay(upstream: &str) -> Server {
        let port = free_port();
        let child = Command::new(std::env::current_exe().expect("the bench binary"))
            .env("PMCOACH_BENCH_RELAY", upstream)
            .env("PMCOACH_BENCH_RELAY_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the relay starts");
        Self::ready(child, port, "/healthz", None).await
    }

    /// The server `child` listening on `port`, once `ready` answers.
    async fn ready(
        child: Child,
        port: u16,
        ready: &'static str,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            ready,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            let url = format!("{}{}", self.base, self.ready);
            if client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{} did not answer within 30 s", self.base);
    }

    /// CPU time (user + system) the server has used so far.
    pub fn cpu(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("proc stat");
        // Fields after the command name (which may hold spaces) start at `state`.
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: u64 =
            fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        Duration::from_secs_f64(ticks as f64 / clock_ticks())
    }

    /// Resident memory now, in MB.
    pub fn rss_mb(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        let kb: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS");
        kb / 1024.0
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `getconf CLK_TCK`, 100 when it cannot be asked.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

fn copy_fixture(workspace: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("evals/fixtures/acme");
    let to = workspace.join("customers/acme");
    std::fs::create_dir_all(&to).expect("customer dir");
    for entry in std::fs::read_dir(&from).expect("fixture") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}
