//! A response body that keeps something until the body is done with: sent
//! whole, or dropped when the client goes away mid-stream. The access layer
//! keeps a request's slot in it, the metrics layer its timer.

use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::response::Response;
use hyper::body::{Frame, SizeHint};

/// `body`, holding `guard` until it is dropped; it reads and sizes exactly
/// as the body it wraps.
struct Guarded<G> {
    body: Body,
    _guard: G,
}

/// `response` with `guard` kept until its body is dropped.
pub(super) fn keep_until_sent<G>(response: Response, guard: G) -> Response
where
    G: Send + Unpin + 'static,
{
    response.map(|body| {
        Body::new(Guarded {
            body,
            _guard: guard,
        })
    })
}

impl<G: Unpin> HttpBody for Guarded<G> {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
