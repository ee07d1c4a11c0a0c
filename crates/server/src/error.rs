//! The one error type of the HTTP API and its one mapping to a status and a body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::api::{ErrorBody, ErrorDetail};

/// What a request can fail with. Each variant is one status and one `code` on the wire.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credential, or one the store refused (the reason stays in the server).
    #[error("a valid API token is required (Authorization: Bearer …)")]
    Unauthenticated,
    /// The agent routes' refusal: no agent credential, or one the store refused.
    #[error("a valid agent credential is required (Authorization: Bearer …)")]
    AgentUnauthenticated,
    /// `POST /enroll` with an enrolment token the store refused (unknown, expired, revoked,
    /// used up: which one stays in the server).
    #[error("the enrolment token was refused")]
    EnrolmentRefused,
    #[error("the {0} role may not do this")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("this route does not take that method")]
    MethodNotAllowed,
    /// Malformed request (query, path, JSON syntax).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed but not acceptable (a field out of range, a JSON of the wrong shape).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// A body over the limit, refused before it is read.
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// Something on our side; the detail is logged, not sent.
    #[error("internal error")]
    Internal(String),
    #[error("the server is not ready: {0}")]
    Unavailable(String),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated
            | ApiError::AgentUnauthenticated
            | ApiError::EnrolmentRefused => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated
            | ApiError::AgentUnauthenticated
            | ApiError::EnrolmentRefused => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Invalid(_) => "invalid",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Internal(_) => "internal",
            ApiError::Unavailable(_) => "unavailable",
        }
    }
}

impl From<caulk_store::Error> for ApiError {
    fn from(e: caulk_store::Error) -> ApiError {
        use caulk_store::Error as E;
        match e {
            E::Invalid { .. } => ApiError::Invalid(e.to_string()),
            E::NotFound { .. } => ApiError::NotFound(e.to_string()),
            E::Conflict(_) => ApiError::Conflict(e.to_string()),
            E::Refused(_) => ApiError::Unauthenticated,
            E::SchemaTooNew { .. } | E::Corrupt(_) | E::PasswordHash(_) | E::Db(_) => {
                ApiError::Internal(e.to_string())
            }
        }
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiError {
        use axum::extract::rejection::JsonRejection as J;
        let text = r.body_text();
        match r {
            J::JsonDataError(_) => ApiError::Invalid(text),
            J::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(text),
            J::BytesRejection(_) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::TooLarge(text)
            }
            _ => ApiError::BadRequest(text),
        }
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(r: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::BadRequest(r.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(r: axum::extract::rejection::PathRejection) -> ApiError {
        ApiError::BadRequest(r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            // The one place a server-side failure is told: stderr, for the operator's log.
            eprintln!("caulk server: internal error: {detail}");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        (self.status(), axum::Json(body)).into_response()
    }
}
