//! A deadline on a request's body: all of it within `body_timeout_secs` of
//! its headers, however it trickles. (tower-http's `RequestBodyTimeout`
//! restarts its clock on every frame, so a byte every few seconds would keep
//! a connection and its handler forever.) Past the deadline the handler's
//! read fails, and the answer is 408 with the connection closed.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper::body::{Frame, SizeHint};
use tokio::time::Sleep;

use super::error::{ErrorBody, ErrorDetail};

/// Middleware: the request's body must arrive within `timeout` of now.
pub(super) async fn enforce(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let expired = Arc::new(AtomicBool::new(false));
    let deadline = Box::pin(tokio::time::sleep(timeout));
    let flag = Arc::clone(&expired);
    let request = request.map(|body| {
        Body::new(Deadline {
            body,
            deadline,
            expired: flag,
        })
    });
    let response = next.run(request).await;
    if expired.load(Ordering::Acquire) {
        return too_slow(timeout);
    }
    response
}

/// 408, closing the connection: the rest of the body is not worth waiting for.
fn too_slow(timeout: Duration) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            code: "body_timeout",
            message: format!(
                "the request body did not arrive within {} s",
                timeout.as_secs()
            ),
        },
    };
    let mut response = (StatusCode::REQUEST_TIMEOUT, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body that fails once its deadline passes before it ends.
struct Deadline {
    body: Body,
    deadline: Pin<Box<Sleep>>,
    expired: Arc<AtomicBool>,
}

impl HttpBody for Deadline {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.body).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        if this.deadline.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        this.expired.store(true, Ordering::Release);
        let late = std::io::Error::new(std::io::ErrorKind::TimedOut, "request body timed out");
        Poll::Ready(Some(Err(axum::Error::new(late))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
