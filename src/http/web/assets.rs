//! The pages' scripts and styles, built into the binary: ours (`web/static/`)
//! and the vendored libraries (`web/vendor/`, pinned, with their licences).
//! Nothing is fetched from anywhere else.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

use crate::http::ApiError;

/// One file: its path under `/assets/`, type, bytes, and whether its name
/// carries its version (cached for a year) or not (revalidated).
struct Asset {
    path: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
    versioned: bool,
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    Asset {
        path: "app.js",
        content_type: JS,
        bytes: include_bytes!("../../../web/static/app.js"),
        versioned: false,
    },
    Asset {
        path: "dashboard.js",
        content_type: JS,
        bytes: include_bytes!("../../../web/static/dashboard.js"),
        versioned: false,
    },
    Asset {
        path: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../../../web/static/app.css"),
        versioned: false,
    },
    Asset {
        path: "htmx-2.0.11.min.js",
        content_type: JS,
        bytes: include_bytes!("../../../web/vendor/htmx-2.0.11/htmx.min.js"),
        versioned: true,
    },
    Asset {
        path: "chart.js-4.6.1.umd.min.js",
        content_type: JS,
        bytes: include_bytes!("../../../web/vendor/chart.js-4.6.1/chart.umd.min.js"),
        versioned: true,
    },
];

/// `GET /assets/{file}`.
pub(super) async fn asset(Path(file): Path<String>) -> Response {
    match ASSETS.iter().find(|asset| asset.path == file) {
        Some(asset) => {
            let cache = if asset.versioned {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [(CONTENT_TYPE, asset.content_type), (CACHE_CONTROL, cache)],
                asset.bytes,
            )
                .into_response()
        }
        None => ApiError::NoRoute(format!("/assets/{file}")).into_response(),
    }
}
