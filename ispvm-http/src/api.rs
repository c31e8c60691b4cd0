//! The routes: handlers are thin (authenticate, check tenant and role, call the backend, map
//! the answer); every decision about data lives in the [`Backend`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use chrono::Utc;
use futures::Stream;
use ispvm_model::{EntityId, TenantId};
use ispvm_schemas::analysis::AnalysisDocument;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use utoipa::{IntoParams, ToSchema};

use crate::auth::{Role, SessionStore, TokenHash, ct_str_eq};
use crate::backend::{
    Actor, AuditAction, AuditEntry, AuthMethod, Backend, Fault, FaultRequest, IncidentFilter,
    WindowKind, WindowRequest,
};
use crate::error::{ApiError, ErrorBody};
use crate::metrics::{OPENMETRICS_TEXT, PROMETHEUS_TEXT, wants_openmetrics};
use crate::openapi::{AnalysisDocumentSchema, IncidentRecordSchema};
use crate::options::HttpOptions;

/// Name of the session cookie.
pub(crate) const SESSION_COOKIE: &str = "ispvm_session";
/// Header carrying the CSRF token of a cookie session.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

pub(crate) struct AppState {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) options: HttpOptions,
    pub(crate) sessions: SessionStore,
    pub(crate) openapi: Bytes,
}

type Shared = Arc<AppState>;

/// Builds the router (see the crate documentation for the routes).
pub(crate) fn build(backend: Arc<dyn Backend>, options: HttpOptions) -> Router {
    let limit = options.body_limit;
    let state = Arc::new(AppState {
        backend,
        options,
        sessions: SessionStore::default(),
        openapi: Bytes::from(crate::openapi::document_text()),
    });
    let tenant = Router::new()
        .route("/analysis", get(analysis))
        .route("/incidents", get(incidents))
        .route("/incidents/{id}", get(incident))
        .route("/incidents/{id}/feedback", post(feedback))
        .route("/entities/{*id}", get(entity))
        .route("/events", get(events))
        .route("/map.svg", get(map_svg))
        .route("/lint", get(lint))
        .route("/sim/faults", get(list_faults).post(create_fault))
        .route("/sim/faults/{id}", delete(repair_fault))
        .route(
            "/maintenance",
            get(list_maintenance).post(create_maintenance),
        )
        .route("/maintenance/{id}", delete(end_maintenance))
        .route("/silences", get(list_silences).post(create_silence))
        .route("/silences/{id}", delete(end_silence))
        .route("/audit", get(audit))
        .route("/tokens/rotate", post(rotate_token));
    Router::new()
        .route("/", get(crate::page::index))
        .route("/assets/app.js", get(crate::page::script))
        .route("/assets/style.css", get(crate::page::style))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/session", get(session))
        .route("/api/v1/tenants", get(tenants))
        .nest("/api/v1/tenants/{tenant}", tenant)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn_with_state(limit, limit_body))
}

async fn not_found() -> ApiError {
    ApiError::not_found("route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

/// Reads the whole body (at most `limit` bytes) before anything else looks at the request:
/// 413 for a larger body, whatever the route or credentials.
async fn limit_body(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return ApiError::too_large(limit).into_response();
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => {
            let boxed = e.into_inner();
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(boxed.as_ref());
            while let Some(err) = source {
                if err.is::<http_body_util::LengthLimitError>() {
                    return ApiError::too_large(limit).into_response();
                }
                source = err.source();
            }
            ApiError::new(StatusCode::BAD_REQUEST, "could not read the request body")
                .into_response()
        }
    }
}

/// Turns any error answer that is not JSON yet (axum's own rejections, e.g. a path segment that
/// is not valid UTF-8 once percent-decoded) into `{"error": "<one line>"}`.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 4096)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let message = if text.trim().is_empty() {
        status.canonical_reason().unwrap_or("error").to_lowercase()
    } else {
        text.trim().to_string()
    };
    ApiError::new(status, message).into_response()
}

async fn security_headers(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let mut response = json_errors(response).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    tenant: TenantId,
    role: Role,
    name: String,
    via: AuthMethod,
    /// The token hash (bearer and session), for rotation.
    token: Option<TokenHash>,
    /// The session's CSRF token.
    csrf: Option<String>,
}

impl Principal {
    fn actor(&self) -> Actor {
        Actor::new(self.name.clone(), self.role, self.via)
    }
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether `Origin`, when present, names this server (same host and port as `Host`).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    authority.eq_ignore_ascii_case(host)
}

fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<Shared> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let now = Utc::now();
        let options = &state.options;
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let token = value
                .to_str()
                .ok()
                .and_then(|v| {
                    let (scheme, rest) = v.split_once(' ')?;
                    scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
                })
                .ok_or_else(ApiError::unauthorized)?;
            let info = options
                .tokens
                .authenticate(token, now)
                .ok_or_else(ApiError::unauthorized)?;
            return Ok(Self {
                tenant: info.tenant,
                role: info.role,
                name: info.name,
                via: AuthMethod::Bearer,
                token: Some(info.hash),
                csrf: None,
            });
        }
        let session = cookie_value(&parts.headers, SESSION_COOKIE)
            .and_then(|cookie| state.sessions.get(cookie, now))
            .and_then(|s| {
                let info = options.tokens.by_hash(&s.token, now)?;
                Some((s, info))
            });
        let principal = if let Some((session, info)) = session {
            if changes_state(&parts.method) {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !ct_str_eq(sent, &session.csrf) {
                    return Err(ApiError::forbidden(
                        "missing or wrong CSRF token (header X-CSRF-Token)",
                    ));
                }
            }
            Self {
                tenant: info.tenant,
                role: info.role,
                name: info.name,
                via: AuthMethod::Session,
                token: Some(info.hash),
                csrf: Some(session.csrf),
            }
        } else if let Some((tenant, role)) = &options.anonymous {
            Self {
                tenant: tenant.clone(),
                role: *role,
                name: "anonymous".to_string(),
                via: AuthMethod::Anonymous,
                token: None,
                csrf: None,
            }
        } else {
            return Err(ApiError::unauthorized());
        };
        // Requests that ride on ambient credentials (cookie, anonymous) must come from this
        // origin when they change something.
        if changes_state(&parts.method) && !same_origin(&parts.headers) {
            return Err(ApiError::forbidden("cross-origin request refused"));
        }
        Ok(principal)
    }
}

/// Checks the tenant in the path against the caller: 400 bad syntax, 404 other tenant or
/// unknown tenant, 403 role too low.
fn access(
    state: &AppState,
    principal: &Principal,
    tenant: &str,
    need: Role,
) -> Result<TenantId, ApiError> {
    if !valid_tenant_syntax(tenant) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "tenant ids match [a-z0-9][a-z0-9-]{0,62}",
        ));
    }
    if principal.tenant.as_str() != tenant {
        return Err(ApiError::not_found("tenant"));
    }
    if !state.backend.tenants().contains(&principal.tenant) {
        return Err(ApiError::not_found("tenant"));
    }
    if principal.role < need {
        return Err(ApiError::forbidden("this action needs the operator role"));
    }
    Ok(principal.tenant.clone())
}

/// Whether `s` is a valid tenant id: `[a-z0-9][a-z0-9-]{0,62}`.
///
/// # Examples
/// ```
/// assert!(ispvm_http::valid_tenant_syntax("demo-isp"));
/// assert!(!ispvm_http::valid_tenant_syntax("-demo"));
/// assert!(!ispvm_http::valid_tenant_syntax("Demo"));
/// ```
#[must_use]
pub fn valid_tenant_syntax(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn entity_id(raw: &str) -> Result<EntityId, ApiError> {
    raw.parse()
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, format!("bad entity id: {e}")))
}

/// A JSON body whose rejections answer in the JSON error shape (415, 400, 422).
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(&rejection)),
        }
    }
}

fn json_rejection(rejection: &JsonRejection) -> ApiError {
    ApiError::new(rejection.status(), rejection.body_text())
}

fn query_rejection(rejection: &QueryRejection) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, rejection.body_text())
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    (status, axum::Json(value)).into_response()
}

// ---- operations -------------------------------------------------------------------------

/// `/healthz` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    status: String,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process runs", body = Health)))]
pub(crate) async fn healthz() -> Response {
    json(
        StatusCode::OK,
        &Health {
            status: "ok".into(),
        },
    )
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "Every tenant was evaluated at least once", body = Health),
        (status = 503, description = "Some tenant was never evaluated", body = ErrorBody)))]
pub(crate) async fn readyz(State(state): State<Shared>) -> Response {
    let readiness = state.backend.readiness().await;
    if readiness.is_ready() {
        json(
            StatusCode::OK,
            &Health {
                status: "ready".into(),
            },
        )
    } else {
        let pending: Vec<&str> = readiness.pending.iter().map(TenantId::as_str).collect();
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {} tenant(s) not evaluated yet", pending.len()),
        )
        .into_response()
    }
}

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text 0.0.4, or OpenMetrics 1.0 text when `Accept` asks for `application/openmetrics-text`",
        content_type = "text/plain", body = String),
        (status = 401, description = "Only with `metrics_auth` on: no valid token", body = ErrorBody)))]
pub(crate) async fn metrics(
    State(state): State<Shared>,
    caller: Result<Principal, ApiError>,
    headers: HeaderMap,
) -> Response {
    if state.options.metrics_auth {
        if let Err(e) = caller {
            return e.into_response();
        }
    }
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let metrics = state.backend.metrics();
    let (content_type, text) = if wants_openmetrics(accept) {
        (OPENMETRICS_TEXT, metrics.encode_openmetrics())
    } else {
        (PROMETHEUS_TEXT, metrics.encode_prometheus())
    };
    match text {
        Ok(text) => ([(header::CONTENT_TYPE, content_type)], text).into_response(),
        Err(e) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document (OpenAPI 3.1)", body = Object)))]
pub(crate) async fn openapi(State(state): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        state.openapi.clone(),
    )
        .into_response()
}

// ---- session and tenants ------------------------------------------------------------------

/// Who the caller is (`GET /api/v1/session`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct SessionInfo {
    /// The tenant the credentials read.
    tenant: String,
    /// The role.
    role: Role,
    /// The token's name, or `anonymous`.
    name: String,
    /// How the request authenticated.
    via: AuthMethod,
    /// For cookie sessions: the token to send in `X-CSRF-Token` with every state change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/session", tag = "auth",
    responses(
        (status = 200, description = "The caller", body = SessionInfo),
        (status = 401, description = "No valid credentials", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn session(principal: Principal) -> Response {
    json(
        StatusCode::OK,
        &SessionInfo {
            tenant: principal.tenant.as_str().to_string(),
            role: principal.role,
            name: principal.name,
            via: principal.via,
            csrf_token: principal.csrf,
        },
    )
}

/// `GET /api/v1/tenants` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct TenantList {
    /// Tenant ids the caller may read.
    tenants: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses(
        (status = 200, description = "Tenants the credentials may read", body = TenantList),
        (status = 401, description = "No valid credentials", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn tenants(State(state): State<Shared>, principal: Principal) -> Response {
    let known = state.backend.tenants();
    let tenants = known
        .iter()
        .filter(|t| **t == principal.tenant)
        .map(|t| t.as_str().to_string())
        .collect();
    json(StatusCode::OK, &TenantList { tenants })
}

/// Form of `POST /login`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginForm {
    /// An API token.
    token: String,
}

#[utoipa::path(post, path = "/login", tag = "auth",
    request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Session opened: `Set-Cookie: ispvm_session=...; HttpOnly; SameSite=Strict; Path=/` and redirect to `/`"),
        (status = 401, description = "Bad token (redirect to `/?login=failed` for browsers that follow)", body = ErrorBody)))]
pub(crate) async fn login(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !same_origin(&headers) {
        return ApiError::forbidden("cross-origin request refused").into_response();
    }
    let Ok(form) = serde_urlencoded_form(&body) else {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            "expected a form with a `token` field",
        )
        .into_response();
    };
    let now = Utc::now();
    let Some(info) = state.options.tokens.authenticate(form.token.trim(), now) else {
        return (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, "/?login=failed")],
        )
            .into_response();
    };
    let ttl = chrono::Duration::from_std(state.options.session_ttl)
        .unwrap_or(chrono::Duration::hours(12));
    let cookie = state.sessions.open(info.hash, ttl, now);
    let _ = state
        .backend
        .record_audit(
            &info.tenant,
            AuditEntry::new(
                now,
                info.name.clone(),
                AuditAction::Login,
                "",
                "browser session opened",
            ),
        )
        .await;
    let set_cookie = format!(
        "{SESSION_COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        ttl.num_seconds(),
        if state.options.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&set_cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

fn serde_urlencoded_form(body: &[u8]) -> Result<LoginForm, ()> {
    let token = url_form_field(body, "token").ok_or(())?;
    Ok(LoginForm { token })
}

/// The decoded value of `name` in an `application/x-www-form-urlencoded` body.
pub(crate) fn url_form_field(body: &[u8], name: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| {
            let plus = v.replace('+', " ");
            percent_encoding::percent_decode_str(&plus)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[utoipa::path(post, path = "/logout", tag = "auth",
    responses(
        (status = 303, description = "Session closed, cookie cleared, redirect to `/`"),
        (status = 403, description = "Missing or wrong CSRF token", body = ErrorBody)))]
pub(crate) async fn logout(
    State(state): State<Shared>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = Utc::now();
    if let Some(cookie) = cookie_value(&headers, SESSION_COOKIE) {
        if let Some(session) = state.sessions.get(cookie, now) {
            let sent = headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok().map(str::to_string))
                .or_else(|| url_form_field(&body, "csrf"))
                .unwrap_or_default();
            if !ct_str_eq(&sent, &session.csrf) {
                return ApiError::forbidden("missing or wrong CSRF token").into_response();
            }
            state.sessions.close(cookie);
            if let Some(info) = state.options.tokens.by_hash(&session.token, now) {
                let _ = state
                    .backend
                    .record_audit(
                        &info.tenant,
                        AuditEntry::new(
                            now,
                            info.name,
                            AuditAction::Logout,
                            "",
                            "browser session closed",
                        ),
                    )
                    .await;
            }
        }
    }
    let clear = format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if state.options.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    let mut response = Redirect::to("/").into_response();
    if let Ok(value) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// Answer of `POST .../tokens/rotate`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct RotatedToken {
    /// The new token: shown once, store it now.
    token: String,
    /// Until when the token used for this request keeps working.
    previous_valid_until: chrono::DateTime<Utc>,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/tokens/rotate", tag = "auth",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 201, description = "A new token with the same name and role; the calling token expires after the grace period", body = RotatedToken),
        (status = 403, description = "Only bearer tokens can be rotated", body = ErrorBody)),
    security(("bearer" = [])))]
pub(crate) async fn rotate_token(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let (AuthMethod::Bearer, Some(hash)) = (principal.via, principal.token) else {
        return Err(ApiError::forbidden("only a bearer token can rotate itself"));
    };
    let now = Utc::now();
    let grace = chrono::Duration::from_std(state.options.rotation_grace)
        .unwrap_or(chrono::Duration::hours(24));
    let (token, previous_valid_until) = state
        .options
        .tokens
        .rotate(&hash, grace, now)
        .map_err(|_| ApiError::unauthorized())?;
    let _ = state
        .backend
        .record_audit(
            &tenant,
            AuditEntry::new(
                now,
                principal.name.clone(),
                AuditAction::TokenRotated,
                "",
                format!("token rotated; the previous one works until {previous_valid_until}"),
            ),
        )
        .await;
    Ok(json(
        StatusCode::CREATED,
        &RotatedToken {
            token: token.expose().to_string(),
            previous_valid_until,
        },
    ))
}

// ---- analysis and incidents -----------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/analysis", tag = "analysis",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The latest analysis (`ispvm.analysis/v1`)", body = AnalysisDocumentSchema),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 404, description = "Unknown tenant, or not the credentials' tenant", body = ErrorBody),
        (status = 503, description = "Not evaluated yet (retry)", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn analysis(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    match state.backend.analysis(&tenant).await? {
        Some(doc) => Ok(json(StatusCode::OK, doc.as_ref())),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no analysis yet: the tenant was not evaluated",
        )),
    }
}

/// Query of `GET .../incidents`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IncidentQuery {
    /// `open` (default), `closed` or `all`.
    #[serde(default)]
    #[param(required = false)]
    state: IncidentFilter,
}

/// `{"incidents": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct IncidentList {
    /// Incident records, newest first.
    incidents: Vec<IncidentRecordSchema>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/incidents", tag = "incidents",
    params(("tenant" = String, Path, description = "Tenant id"), IncidentQuery),
    responses(
        (status = 200, description = "`{\"incidents\": [...]}`, newest first", body = IncidentList),
        (status = 400, description = "Bad `state`", body = ErrorBody),
        (status = 404, description = "Unknown tenant", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn incidents(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
    query: Result<Query<IncidentQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let Query(query) = query.map_err(|r| query_rejection(&r))?;
    let list = state.backend.incidents(&tenant, query.state).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "incidents": list }),
    ))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/incidents/{id}", tag = "incidents",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("id" = String, Path, description = "Incident id, percent-encoded")),
    responses(
        (status = 200, description = "The incident record (`ispvm.incident/v1`)", body = IncidentRecordSchema),
        (status = 404, description = "Unknown tenant or incident", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn incident(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    match state.backend.incident(&tenant, &id).await? {
        Some(record) => Ok(json(StatusCode::OK, &record)),
        None => Err(ApiError::not_found("incident")),
    }
}

/// Body of `POST .../feedback`.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedbackRequest {
    /// The entity that really caused the incident (one of its root causes).
    true_cause: String,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/incidents/{id}/feedback", tag = "incidents",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("id" = String, Path, description = "Incident id, percent-encoded")),
    request_body = FeedbackRequest,
    responses(
        (status = 204, description = "Recorded"),
        (status = 403, description = "Needs the operator role (or a CSRF token with a cookie)", body = ErrorBody),
        (status = 404, description = "Unknown incident", body = ErrorBody),
        (status = 422, description = "The cause is not one of the incident's root causes", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn feedback(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
    body: Result<ApiJson<FeedbackRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Operator)?;
    let ApiJson(body) = body?;
    let cause: EntityId = body.true_cause.parse().map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("bad true_cause: {e}"),
        )
    })?;
    state
        .backend
        .feedback(&tenant, &id, &cause, &principal.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/entities/{id}", tag = "analysis",
    params(("tenant" = String, Path, description = "Tenant id"),
           ("id" = String, Path, description = "Entity id, percent-encoded (a raw `/` is accepted too)")),
    responses(
        (status = 200, description = "Status, suppression, reasons, explained_by, evidence", body = crate::backend::EntityView),
        (status = 404, description = "Unknown tenant or entity", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn entity(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let id = entity_id(&id)?;
    match state.backend.entity(&tenant, &id).await? {
        Some(view) => Ok(json(StatusCode::OK, &view)),
        None => Err(ApiError::not_found("entity")),
    }
}

// ---- events -------------------------------------------------------------------------------

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/events", tag = "analysis",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "Server-Sent Events: first the latest analysis, then `event: analysis` with the analysis as `data` once per evaluation that changed something; `: keep-alive` comments in between",
            content_type = "text/event-stream", body = String),
        (status = 404, description = "Unknown tenant", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn events(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let receiver = state
        .backend
        .subscribe(&tenant)
        .ok_or_else(|| ApiError::not_found("tenant"))?;
    let first = state.backend.analysis(&tenant).await.ok().flatten();
    let stream = analysis_stream(first, receiver);
    let sse = Sse::new(stream).keep_alive(
        KeepAlive::new()
            .interval(state.options.keep_alive)
            .text("keep-alive"),
    );
    let mut response = sse.into_response();
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn analysis_event(doc: &AnalysisDocument) -> Option<Event> {
    let data = serde_json::to_string(doc).ok()?;
    Some(
        Event::default()
            .event("analysis")
            .id(doc
                .evaluated_at
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            .data(data),
    )
}

fn analysis_stream(
    first: Option<Arc<AnalysisDocument>>,
    receiver: broadcast::Receiver<Arc<AnalysisDocument>>,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let last = first.as_ref().map(|d| d.evaluated_at);
    let initial = futures::stream::iter(first.and_then(|d| analysis_event(&d)).map(Ok));
    let updates = futures::stream::unfold((receiver, last), |(mut rx, last)| async move {
        loop {
            match rx.recv().await {
                Ok(doc) => {
                    // The latest analysis was already sent at connect time.
                    if last.is_some_and(|l| doc.evaluated_at <= l) {
                        continue;
                    }
                    if let Some(event) = analysis_event(&doc) {
                        return Some((Ok(event), (rx, Some(doc.evaluated_at))));
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    futures::StreamExt::chain(initial, updates)
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/map.svg", tag = "analysis",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The topology drawn by `ispvm_report::svg`, coloured by the latest status: every entity is a `g.node.status-<status>[data-entity]`, every dependency a `path.edge[data-from][data-to]`",
            content_type = "image/svg+xml", body = String),
        (status = 404, description = "Unknown tenant or no topology", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn map_svg(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let topology = state
        .backend
        .topology(&tenant)
        .await?
        .ok_or_else(|| ApiError::not_found("topology"))?;
    // Before the first evaluation every entity is drawn `unknown`.
    let analysis = match state.backend.analysis(&tenant).await? {
        Some(doc) => doc,
        None => Arc::new(AnalysisDocument::new(
            tenant.clone(),
            Utc::now(),
            Vec::new(),
            Vec::new(),
        )),
    };
    let options = ispvm_report::SvgOptions::default().with_incident_links(false);
    let svg = ispvm_report::svg(&topology, &analysis, &options);
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

// ---- style guide ---------------------------------------------------------------------------

/// One finding of the topology linter (see `docs/style-guide.md`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LintFindingView {
    /// `error` (a structural fault), `warning` (breaks the style guide) or `hint`.
    #[schema(example = "warning")]
    severity: String,
    /// Stable code, `L001` to `L501`.
    #[schema(example = "L301")]
    code: String,
    /// The entity id at fault, `dependency #N`, `maintenance #N`, `site NAME` or `tenant NAME`.
    #[schema(example = "acc1")]
    subject: String,
    /// What is wrong, in one sentence.
    message: String,
    /// How to fix it, in one sentence.
    fix: String,
}

/// Counts of a lint report, and the exit code `ispvm-schema lint` would give.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LintSummary {
    /// Findings of severity `error`.
    errors: usize,
    /// Findings of severity `warning`.
    warnings: usize,
    /// Findings of severity `hint`.
    hints: usize,
    /// 0 clean (hints allowed), 1 warnings only, 2 errors.
    exit: u8,
}

/// The `ispvm.lint/v1` document of a tenant's topology.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct LintDocument {
    /// Always `ispvm.lint/v1`.
    #[schema(example = "ispvm.lint/v1")]
    schema: String,
    /// The tenant.
    tenant: String,
    /// Counts.
    summary: LintSummary,
    /// The findings, worst first (severity, code, subject).
    findings: Vec<LintFindingView>,
}

impl LintDocument {
    fn new(tenant: &TenantId, report: &ispvm_model::lint::LintReport) -> Self {
        use ispvm_model::lint::LintSeverity;
        Self {
            schema: "ispvm.lint/v1".to_owned(),
            tenant: tenant.to_string(),
            summary: LintSummary {
                errors: report.count(LintSeverity::Error),
                warnings: report.count(LintSeverity::Warning),
                hints: report.count(LintSeverity::Hint),
                exit: report.exit_code(),
            },
            findings: report
                .findings()
                .iter()
                .map(|f| LintFindingView {
                    severity: f.severity.to_string(),
                    code: f.code.to_string(),
                    subject: f.subject.clone(),
                    message: f.message.clone(),
                    fix: f.fix.clone(),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/lint", tag = "analysis",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The style guide's findings on the tenant's topology (`ispvm.lint/v1`, the document `ispvm-schema lint --format json` prints, without `file`)", body = LintDocument),
        (status = 404, description = "Unknown tenant, or not the credentials' tenant", body = ErrorBody),
        (status = 503, description = "No topology loaded yet (retry)", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn lint(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    match state.backend.lint(&tenant).await? {
        Some(report) => Ok(json(StatusCode::OK, &LintDocument::new(&tenant, &report))),
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no topology yet: the tenant was not loaded",
        )),
    }
}

// ---- simulated world ----------------------------------------------------------------------

/// `{"id": "..."}` of a created fault.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Created {
    /// The new object's id.
    id: String,
}

/// `{"faults": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct FaultList {
    /// Active faults.
    faults: Vec<Fault>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/sim/faults", tag = "simulation",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "Active faults", body = FaultList),
        (status = 404, description = "Unknown or not simulated tenant", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn list_faults(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let faults = state.backend.faults(&tenant).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "faults": faults }),
    ))
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/sim/faults", tag = "simulation",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = FaultRequest,
    responses(
        (status = 201, description = "Injected", body = Created),
        (status = 403, description = "Needs the operator role", body = ErrorBody),
        (status = 404, description = "The tenant is not simulated", body = ErrorBody),
        (status = 422, description = "Unknown fault or target", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn create_fault(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
    body: Result<ApiJson<FaultRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Operator)?;
    let ApiJson(request) = body?;
    let fault = state
        .backend
        .create_fault(&tenant, &request, &principal.actor())
        .await?;
    Ok(json(StatusCode::CREATED, &Created { id: fault.id }))
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/sim/faults/{id}", tag = "simulation",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Fault id")),
    responses(
        (status = 204, description = "Repaired"),
        (status = 403, description = "Needs the operator role", body = ErrorBody),
        (status = 404, description = "Not simulated, or unknown fault", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn repair_fault(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Operator)?;
    state
        .backend
        .repair_fault(&tenant, &id, &principal.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

// ---- maintenance windows and silences -----------------------------------------------------

/// `{"windows": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WindowList {
    /// Windows that have not ended, by start.
    windows: Vec<crate::backend::Window>,
}

async fn list_windows(
    state: &AppState,
    principal: &Principal,
    tenant: &str,
    kind: WindowKind,
) -> Result<Response, ApiError> {
    let tenant = access(state, principal, tenant, Role::Viewer)?;
    let windows = state.backend.windows(&tenant, kind).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "windows": windows }),
    ))
}

async fn create_window(
    state: &AppState,
    principal: &Principal,
    tenant: &str,
    kind: WindowKind,
    body: Result<ApiJson<WindowRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let tenant = access(state, principal, tenant, Role::Operator)?;
    let ApiJson(request) = body?;
    let window = state
        .backend
        .create_window(&tenant, kind, &request, &principal.actor())
        .await?;
    Ok(json(StatusCode::CREATED, &window))
}

async fn end_window(
    state: &AppState,
    principal: &Principal,
    tenant: &str,
    kind: WindowKind,
    id: &str,
) -> Result<Response, ApiError> {
    let tenant = access(state, principal, tenant, Role::Operator)?;
    let window = state
        .backend
        .end_window(&tenant, kind, id, &principal.actor())
        .await?;
    Ok(json(StatusCode::OK, &window))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/maintenance", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "Maintenance windows not ended yet", body = WindowList)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn list_maintenance(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    list_windows(&state, &principal, &tenant, WindowKind::Maintenance).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/maintenance", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = WindowRequest,
    responses(
        (status = 201, description = "Created", body = crate::backend::Window),
        (status = 403, description = "Needs the operator role", body = ErrorBody),
        (status = 422, description = "No entity, unknown entity, or end not after start", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn create_maintenance(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
    body: Result<ApiJson<WindowRequest>, ApiError>,
) -> Result<Response, ApiError> {
    create_window(&state, &principal, &tenant, WindowKind::Maintenance, body).await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/maintenance/{id}", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Window id")),
    responses(
        (status = 200, description = "Ended now; the window as ended", body = crate::backend::Window),
        (status = 404, description = "Unknown window", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn end_maintenance(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    end_window(&state, &principal, &tenant, WindowKind::Maintenance, &id).await
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/silences", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id")),
    responses((status = 200, description = "Silences not ended yet", body = WindowList)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn list_silences(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
) -> Result<Response, ApiError> {
    list_windows(&state, &principal, &tenant, WindowKind::Silence).await
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/silences", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id")),
    request_body = WindowRequest,
    responses(
        (status = 201, description = "Created", body = crate::backend::Window),
        (status = 403, description = "Needs the operator role", body = ErrorBody),
        (status = 422, description = "No entity, unknown entity, or end not after start", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn create_silence(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
    body: Result<ApiJson<WindowRequest>, ApiError>,
) -> Result<Response, ApiError> {
    create_window(&state, &principal, &tenant, WindowKind::Silence, body).await
}

#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/silences/{id}", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id"), ("id" = String, Path, description = "Silence id")),
    responses(
        (status = 200, description = "Ended now; the silence as ended", body = crate::backend::Window),
        (status = 404, description = "Unknown silence", body = ErrorBody)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn end_silence(
    State(state): State<Shared>,
    principal: Principal,
    Path((tenant, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    end_window(&state, &principal, &tenant, WindowKind::Silence, &id).await
}

// ---- audit --------------------------------------------------------------------------------

/// Query of `GET .../audit`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// How many entries, newest first (default 100, at most 1000).
    limit: Option<usize>,
}

/// `{"entries": [...]}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AuditList {
    /// Newest first.
    entries: Vec<AuditEntry>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/audit", tag = "maintenance",
    params(("tenant" = String, Path, description = "Tenant id"), AuditQuery),
    responses((status = 200, description = "Operator actions, newest first", body = AuditList)),
    security(("bearer" = []), ("session" = [])))]
pub(crate) async fn audit(
    State(state): State<Shared>,
    principal: Principal,
    Path(tenant): Path<String>,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let tenant = access(&state, &principal, &tenant, Role::Viewer)?;
    let Query(query) = query.map_err(|r| query_rejection(&r))?;
    let limit = query.limit.unwrap_or(100).min(1000);
    let entries = state.backend.audit(&tenant, limit).await?;
    Ok(json(
        StatusCode::OK,
        &serde_json::json!({ "entries": entries }),
    ))
}
