//! `ispvm-http`: the HTTP face of the ispvm agent, as an [`axum::Router`] an embedder mounts.
//!
//! It serves the JSON API (`/api/v1/...`: tenants, the latest analysis, incidents, entities,
//! feedback, maintenance windows, silences, the audit log, the simulated world's faults), the
//! live page at `/` (topology map, incidents, suppression, timeline, updated by Server-Sent
//! Events), `/metrics` (Prometheus or OpenMetrics text), `/healthz`, `/readyz` and its own
//! OpenAPI 3.1 document at `/api/v1/openapi.json`. It authenticates bearer tokens and browser
//! sessions, keeps tenants apart and limits request bodies. It holds no data and makes no
//! decision about data: everything comes through the [`Backend`] trait, which the agent
//! (`ispvm-service`) implements over its per-tenant pipelines.
//!
//! ```text
//! routers -> collector -> pipeline (per tenant) -> analyses, incidents
//!                                                  |
//!                         ispvm-service implements Backend
//!                                                  |
//!               ispvm-http: router(backend, options) -> axum::Router -> serve(listener, ...)
//!                                                  |
//!                     curl, scripts, Prometheus, the browser page
//! ```
//!
//! # Routes
//! See `docs/spec/agent.md` for the contract and `docs/api.md` for examples. Errors are
//! `{"error": "<one line>"}`; a body over [`HttpOptions::body_limit`] (1 MiB) gets 413 before
//! authentication and routing.
//!
//! # Security
//! `Authorization: Bearer <token>` with tokens per tenant ([`TokenStore`], stored as SHA-256,
//! compared in constant time, see [`auth`] for why and for rotation); 401 without valid
//! credentials; 404 for another tenant (its existence is never revealed); 403 when a `viewer`
//! tries what needs an `operator`. The page logs in with `POST /login` (a token in a form) and
//! gets an `HttpOnly; SameSite=Strict` session cookie (`Secure` with
//! [`HttpOptions::with_secure_cookies`]); every state change made with the cookie needs the
//! session's CSRF token in `X-CSRF-Token`. No token or cookie value appears in a log, an error
//! or a `Debug` output.
//!
//! # Examples
//! The smallest useful server: an embedder's backend, anonymous operator access for a local
//! demo, served on a free loopback port until Ctrl-C.
//! ```no_run
//! use std::sync::Arc;
//! use ispvm_http::{Backend, HttpOptions, Role};
//!
//! # async fn run(backend: Arc<dyn Backend>) -> Result<(), Box<dyn std::error::Error>> {
//! let options = HttpOptions::new().with_anonymous("demo-isp".parse()?, Role::Operator);
//! let router = ispvm_http::router(backend, options);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("listening on http://{}", listener.local_addr()?);
//! ispvm_http::serve(listener, router, None, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod api;
pub mod auth;
mod backend;
mod error;
mod map;
mod metrics;
pub mod openapi;
mod options;
mod page;
mod serve;

use std::sync::Arc;

pub use api::valid_tenant_syntax;
pub use auth::{
    ApiToken, AuthError, MIN_TOKEN_LEN, Role, TokenEntry, TokenHash, TokenInfo, TokenStore,
};
pub use backend::{
    Actor, AuditAction, AuditEntry, AuthMethod, Backend, BackendError, EntityView, Fault,
    FaultError, FaultKind, FaultRequest, FeedbackError, IncidentFilter, Readiness, Window,
    WindowError, WindowKind, WindowRequest,
};
pub use error::ErrorBody;
pub use metrics::{AgentMetrics, EncodeError, OPENMETRICS_TEXT, PROMETHEUS_TEXT, PollResult};
pub use options::{DEFAULT_BODY_LIMIT, HttpOptions};
pub use serve::{TlsConfig, TlsError, serve};

/// Re-exported so that implementors of [`Backend`] use the same macro version.
pub use async_trait::async_trait;

/// The router of the API, the page and the operations endpoints over `backend`.
///
/// Mount it as is or `nest` it; it carries its own state, so it is a `Router<()>`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// fn app(backend: Arc<dyn ispvm_http::Backend>) -> axum::Router {
///     ispvm_http::router(backend, ispvm_http::HttpOptions::default())
/// }
/// ```
pub fn router(backend: Arc<dyn Backend>, options: HttpOptions) -> axum::Router {
    api::build(backend, options)
}
