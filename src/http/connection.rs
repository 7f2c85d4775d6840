//! One accepted connection: HTTP/1.1 served by hyper, and a watchdog that
//! closes it when the client is too slow to send a request's headers, leaves
//! it idle between requests, or stops reading a response. Told to finish and
//! close when the server shuts down, and dropped at the end of it.

use std::convert::Infallible;
use std::io;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, Response};
use futures::future::BoxFuture;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit, watch};
use tokio::time::Instant;
use tower::ServiceExt;

use super::shutdown::{self, Phase};

/// How long a client may keep a connection waiting.
#[derive(Debug, Clone, Copy)]
pub(super) struct Timeouts {
    /// For a request's headers, from the connection or the request's first byte.
    pub(super) header: Duration,
    /// Between requests, and for a client that stops reading a response.
    pub(super) idle: Duration,
}

/// Serves `stream` until the client closes it, a timeout closes it, or the
/// server's shutdown does. `slot` is its place under the connection cap,
/// given back when it closes.
pub(super) async fn serve(
    stream: TcpStream,
    app: Router,
    timeouts: Timeouts,
    mut phase: watch::Receiver<Phase>,
    slot: OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        io: stream,
        activity: Arc::clone(&activity),
    });
    let service = Tracked {
        app,
        activity: Arc::clone(&activity),
        phase: phase.clone(),
    };
    let mut http = hyper::server::conn::http1::Builder::new();
    // Our watchdog keeps the header timeout: hyper's would also start when a
    // kept-alive connection goes idle, so idle and header waits would be one.
    http.header_read_timeout(None);
    let mut connection = pin!(http.serve_connection(io, service));
    let mut expired = pin!(activity.expired(timeouts));
    if *phase.borrow_and_update() >= Phase::Draining {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!(%err, "connection ended with an error");
                }
                break;
            }
            () = &mut expired => {
                tracing::debug!("closing a connection that kept us waiting");
                break;
            }
            changed = phase.changed() => match changed.map(|()| *phase.borrow_and_update()) {
                Ok(Phase::Serving) => {}
                Ok(Phase::Draining | Phase::Cancelling) => connection.as_mut().graceful_shutdown(),
                Ok(Phase::Closing) | Err(_) => break,
            },
        }
    }
    drop(slot);
}

/// What the connection is waiting for, and since when.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    /// A request's headers: since the connection opened, or since the first
    /// byte after an idle spell.
    Head(Instant),
    /// The next request on a kept-alive connection, since the last response.
    Idle(Instant),
    /// Nothing: these many requests are being answered (their bodies read
    /// under the body timeout, their turns as long as they take).
    Busy(usize),
}

#[derive(Debug)]
struct State {
    waiting: Waiting,
    /// Since when a write has waited for the client to read.
    write_stalled: Option<Instant>,
}

/// The connection's timing, shared by its I/O, its requests and its watchdog.
#[derive(Debug)]
struct Activity {
    // std Mutex: held for a few instructions, never across an await.
    state: Mutex<State>,
    /// Wakes the watchdog when a deadline may have come closer.
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                waiting: Waiting::Head(Instant::now()),
                write_stalled: None,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Bytes arrived: after an idle spell, a request has begun.
    fn read(&self) {
        let mut state = self.lock();
        if let Waiting::Idle(_) = state.waiting {
            state.waiting = Waiting::Head(Instant::now());
            self.changed.notify_one();
        }
    }

    /// A write went through, or had to wait for the client to read.
    fn wrote(&self, waited: bool) {
        let mut state = self.lock();
        match (waited, state.write_stalled) {
            (true, None) => {
                state.write_stalled = Some(Instant::now());
                self.changed.notify_one();
            }
            (false, Some(_)) => state.write_stalled = None,
            _ => {}
        }
    }

    /// A request's headers are in; until the guard drops with its response,
    /// the connection waits on us, not on the client.
    fn busy(self: &Arc<Self>) -> BusyGuard {
        let mut state = self.lock();
        state.waiting = match state.waiting {
            Waiting::Busy(requests) => Waiting::Busy(requests + 1),
            Waiting::Head(_) | Waiting::Idle(_) => Waiting::Busy(1),
        };
        BusyGuard(Arc::clone(self))
    }

    /// When the connection is to be closed, if the client does nothing more.
    fn deadline(&self, timeouts: Timeouts) -> Option<Instant> {
        let state = self.lock();
        let waiting = match state.waiting {
            Waiting::Head(since) => Some(since + timeouts.header),
            Waiting::Idle(since) => Some(since + timeouts.idle),
            Waiting::Busy(_) => None,
        };
        let stalled = state.write_stalled.map(|since| since + timeouts.idle);
        waiting.into_iter().chain(stalled).min()
    }

    /// Resolves when a deadline passes with nothing to push it back.
    async fn expired(&self, timeouts: Timeouts) {
        loop {
            match self.deadline(timeouts) {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = self.changed.notified() => {}
                    }
                }
                None => self.changed.notified().await,
            }
        }
    }
}

/// Marks a request as being answered; dropped with its response body.
#[derive(Debug)]
struct BusyGuard(Arc<Activity>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        if let Waiting::Busy(requests) = state.waiting {
            state.waiting = match requests {
                0 | 1 => Waiting::Idle(Instant::now()),
                more => Waiting::Busy(more - 1),
            };
        }
        self.0.changed.notify_one();
    }
}

/// The TCP stream, telling [`Activity`] what it reads and writes.
struct Watched {
    io: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.activity.wrote(polled.is_pending());
        polled
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.activity.wrote(polled.is_pending());
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// The router as hyper calls it: each request marked busy until its response
/// body is done, run where the shutdown can reach it, and answered 503
/// `shutting_down` if the grace period ends before it answers.
struct Tracked {
    app: Router,
    activity: Arc<Activity>,
    phase: watch::Receiver<Phase>,
}

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<Guarded>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let busy = self.activity.busy();
        let app = self.app.clone();
        let phase = self.phase.clone();
        Box::pin(async move {
            let request = request.map(Body::new);
            let cancelled = shutdown::reached(phase.clone(), Phase::Cancelling);
            let response = shutdown::scope(phase, async move {
                tokio::select! {
                    answered = app.oneshot(request) => answered.unwrap_or_else(|never| match never {}),
                    () = cancelled => shutdown::unavailable(),
                }
            })
            .await;
            Ok(response.map(|body| Guarded { body, _busy: busy }))
        })
    }
}

/// A response body that keeps its request marked busy until hyper drops it.
struct Guarded {
    body: Body,
    _busy: BusyGuard,
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
