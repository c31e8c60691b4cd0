//! The JSON error answer: `{"error": "<one line>"}` with a status code.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::backend::{BackendError, FaultError, FeedbackError, WindowError};

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[non_exhaustive]
pub struct ErrorBody {
    /// One line for a person. Never contains a token or a cookie.
    pub error: String,
}

/// An error answer: status code and one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let message: String = message.into();
        // One line, always.
        let message = message.replace(['\n', '\r'], " ");
        Self { status, message }
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "missing or invalid credentials: send Authorization: Bearer <token>",
        )
    }

    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    pub(crate) fn forbidden(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body is larger than {limit} bytes"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let mut response = (
            self.status,
            axum::Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if unauthorized {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"ispvm\""),
            );
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}

impl From<BackendError> for ApiError {
    fn from(e: BackendError) -> Self {
        let status = match e {
            BackendError::UnknownTenant => return Self::not_found("tenant"),
            BackendError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        Self::new(status, e.to_string())
    }
}

impl From<FeedbackError> for ApiError {
    fn from(e: FeedbackError) -> Self {
        match e {
            FeedbackError::UnknownIncident => Self::not_found("incident"),
            FeedbackError::CauseNotInIncident { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            FeedbackError::Backend(b) => b.into(),
        }
    }
}

impl From<FaultError> for ApiError {
    fn from(e: FaultError) -> Self {
        match e {
            FaultError::NotSimulated => {
                Self::new(StatusCode::NOT_FOUND, "this tenant has no simulated world")
            }
            FaultError::UnknownFault => Self::not_found("fault"),
            FaultError::UnknownTarget(_) | FaultError::UnsupportedTarget { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
            }
            FaultError::Backend(b) => b.into(),
        }
    }
}

impl From<WindowError> for ApiError {
    fn from(e: WindowError) -> Self {
        match e {
            WindowError::UnknownWindow => Self::not_found("window"),
            WindowError::Invalid(_) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
            WindowError::Backend(b) => b.into(),
        }
    }
}
