//! The accept loop and the shutdown. At most `max_connections` are open at
//! once: at the cap the loop stops accepting, and new connections wait in the
//! kernel's listen backlog (not in our process, so they cost no file) until
//! one closes; the header and idle timeouts make sure one does.
//!
//! Shutdown, once its signal resolves: stop accepting; let the requests in
//! flight finish within the grace period while idle connections close; then
//! cancel what still runs (a request answers 503, a stream ends with its
//! `shutting_down` event) and give that [`FLUSH`] to reach the client; then
//! drop every connection left, whatever its client does.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::connection::{self, Timeouts};
use super::shutdown::Phase;
use crate::limits::ServerLimits;

/// How long cancelled requests get to tell their clients, and how long
/// dropped connections get to go, each: the server returns within the grace
/// period and twice this.
const FLUSH: Duration = Duration::from_millis(500);

/// Serves `app` on `listener` until `signal` resolves, then shuts down.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &ServerLimits,
    signal: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    // Counted in a u32 (what `acquire_many` takes): a larger cap is no cap.
    let capacity =
        u32::try_from(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)).unwrap_or(u32::MAX);
    let slots = Arc::new(Semaphore::new(capacity as usize));
    let (phase, watching) = watch::channel(Phase::Serving);
    let timeouts = Timeouts {
        header: limits.header_read_timeout(),
        idle: limits.idle_timeout(),
    };
    let accepting = Accepting {
        app,
        timeouts,
        phase: watching,
        slots: Arc::clone(&slots),
    };
    accepting.until(&listener, signal).await;
    drop(listener);
    let open = capacity as usize - slots.available_permits();
    tracing::info!(
        open,
        "no longer accepting connections; finishing requests in flight"
    );
    drain(&phase, &slots, capacity, limits.shutdown_grace()).await;
    Ok(())
}

/// What every accepted connection is served with.
struct Accepting {
    app: Router,
    timeouts: Timeouts,
    phase: watch::Receiver<Phase>,
    slots: Arc<Semaphore>,
}

impl Accepting {
    /// Accepts connections, one per free slot, until `signal` resolves.
    async fn until(&self, listener: &TcpListener, signal: impl Future<Output = ()>) {
        let mut signal = pin!(signal);
        loop {
            let slot = tokio::select! {
                biased;
                () = &mut signal => return,
                slot = Arc::clone(&self.slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => return,
                },
            };
            let accepted = tokio::select! {
                biased;
                () = &mut signal => return,
                accepted = listener.accept() => accepted,
            };
            let stream = match accepted {
                Ok((stream, _peer)) => stream,
                Err(err) if is_connection_error(&err) => continue,
                Err(err) => {
                    // Out of files or buffers: wait rather than spin.
                    tracing::warn!(%err, "cannot accept connections; retrying in a second");
                    tokio::select! {
                        () = &mut signal => return,
                        () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            };
            // Small writes (JSON, SSE chunks) must not wait for ACKs.
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!(%err, "could not set TCP_NODELAY");
            }
            tokio::spawn(connection::serve(
                stream,
                self.app.clone(),
                self.timeouts,
                self.phase.clone(),
                slot,
            ));
        }
    }
}

/// An error that ends one connection, not the listener.
fn is_connection_error(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Walks the phases after [`Phase::Serving`], each as far as it must.
async fn drain(phase: &watch::Sender<Phase>, slots: &Semaphore, capacity: u32, grace: Duration) {
    phase.send_replace(Phase::Draining);
    if all_closed(slots, capacity, grace).await {
        tracing::info!("every connection closed");
        return;
    }
    let open = capacity as usize - slots.available_permits();
    tracing::warn!(
        open,
        "grace period over; cancelling the requests still running"
    );
    phase.send_replace(Phase::Cancelling);
    if all_closed(slots, capacity, FLUSH).await {
        return;
    }
    phase.send_replace(Phase::Closing);
    if !all_closed(slots, capacity, FLUSH).await {
        tracing::warn!("some connections did not close in time");
    }
}

/// Whether every connection has given its slot back within `limit`.
async fn all_closed(slots: &Semaphore, capacity: u32, limit: Duration) -> bool {
    matches!(
        tokio::time::timeout(limit, slots.acquire_many(capacity)).await,
        Ok(Ok(_))
    )
}
