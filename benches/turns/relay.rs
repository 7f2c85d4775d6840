//! The thin relay the issue measures pmcoach against: axum in, reqwest out,
//! the request's bytes forwarded as they are and the upstream's answer
//! streamed back as it comes. It runs as a child process (this bench binary,
//! started again with `PMCOACH_BENCH_RELAY` set to the upstream), so its CPU
//! time is measured the way pmcoach's is.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;

#[derive(Clone)]
struct Relay {
    client: reqwest::Client,
    upstream: String,
}

/// Serves the relay on `listen` until killed.
pub async fn run(upstream: String, listen: String) {
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .expect("client");
    let state = Relay {
        client,
        upstream: format!("{upstream}/chat/completions"),
    };
    let app = Router::new()
        .route("/chat/completions", post(forward))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(state);
    // No Nagle on the way back, as pmcoach's own listener: streamed chunks go
    // out as they come.
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .expect("bind")
        .tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
    axum::serve(listener, app).await.expect("serve");
}

async fn forward(State(relay): State<Relay>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = relay.client.post(&relay.upstream).body(body);
    if let Some(value) = headers.get(header::CONTENT_TYPE) {
        request = request.header(header::CONTENT_TYPE, value);
    }
    let upstream = match request.send().await {
        Ok(upstream) => upstream,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let mut response = Response::builder().status(upstream.status().as_u16());
    if let Some(value) = upstream.headers().get(header::CONTENT_TYPE) {
        response = response.header(header::CONTENT_TYPE, value.as_bytes());
    }
    response
        .body(Body::from_stream(upstream.bytes_stream()))
        .unwrap_or_else(|err| (StatusCode::BAD_GATEWAY, err.to_string()).into_response())
}
