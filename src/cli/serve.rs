//! `pmcoach serve`: the HTTP API until Ctrl-C or SIGTERM.

use tokio::net::TcpListener;

use crate::app::{self, AppState};
use crate::config::{Config, NO_MODEL_ADVICE};

/// Builds the service, binds its address and serves until a shutdown signal.
pub(super) async fn serve(config: &Config) -> Result<(), String> {
    let state = app::build(config).map_err(|err| err.to_string())?;
    log_model(config, &state);
    tokio::spawn(app::maintain(state.clone()));
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|err| format!("cannot listen on {}: {err}", config.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|err| format!("listener: {err}"))?;
    tracing::info!(
        capabilities = state.capabilities.len(),
        "pmcoach listening on http://{addr}"
    );
    let first = async {
        shutdown_signal().await;
        tracing::info!("shutting down");
    };
    let served = crate::http::run(listener, state, first);
    // A second signal during the grace period: stop waiting for the requests
    // in flight. (Workspace writes already started still complete: the
    // runtime waits for its blocking threads.)
    let impatient = async {
        shutdown_signal().await;
        shutdown_signal().await;
    };
    tokio::select! {
        served = served => served.map_err(|err| format!("server: {err}")),
        () = impatient => {
            tracing::warn!("second signal: exiting without waiting for the requests in flight");
            Ok(())
        }
    }
}

/// Says which model answers, or warns that none does.
fn log_model(config: &Config, state: &AppState) {
    match &state.agent {
        Some(agent) => tracing::info!(
            model = agent.model_name(),
            base_url = %without_credentials(&config.model.base_url),
            "model configured"
        ),
        None => tracing::warn!("{NO_MODEL_ADVICE}; chat requests will get 503 until then"),
    }
}

/// A URL without a `user:password@` part, for the log.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(_)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        _ => url.to_string(),
    }
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM; a signal that cannot be
/// listened for never fires.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
