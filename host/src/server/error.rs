//! API errors: `{"error": {"code", "message"}}` with the HTTP status the
//! caller branches on. Every error the server sends has this shape,
//! including those the framework would otherwise answer in plain text (an
//! unknown route, a method a route does not take, a body over the limit):
//! see `extract.rs` and the fallbacks in `mod.rs`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::journal::StoreError;
use crate::runtime::{StartError, UpgradeError, VersionError};

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ApiCode,
    /// For people; names the setting involved, where one is.
    pub message: String,
}

/// The machine-readable kind of an error; each has one HTTP status.
///
/// `ApiCode`, not `ErrorCode`: that name is the host's own vocabulary
/// (`crate::error_code::ErrorCode`, the codes a run's error carries). The
/// OpenAPI document keeps calling this one `ErrorCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = ErrorCode)]
pub enum ApiCode {
    /// 400: the request is malformed or its input does not fit.
    BadRequest,
    /// 401: a token or a webhook signature is missing or wrong.
    Unauthorized,
    /// 404: no such run, workflow, version, webhook source or route.
    NotFound,
    /// 405: the route exists but does not take this method.
    MethodNotAllowed,
    /// 409: the run is not in a state that allows it (already answered,
    /// already ended).
    Conflict,
    /// 413: the body is larger than `server.max_body_bytes` (components:
    /// `server.max_component_bytes`).
    TooLarge,
    /// 415: the body's `Content-Type` is not one the endpoint reads.
    UnsupportedMediaType,
    /// 500: the server could not do it (storage, configuration).
    Internal,
}

impl ApiCode {
    /// The HTTP status sent with the code.
    pub fn status(self) -> StatusCode {
        match self {
            ApiCode::BadRequest => StatusCode::BAD_REQUEST,
            ApiCode::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiCode::NotFound => StatusCode::NOT_FOUND,
            ApiCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiCode::Conflict => StatusCode::CONFLICT,
            ApiCode::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An error a handler returns.
#[derive(Debug)]
pub struct ApiError {
    pub code: ApiCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ApiCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::BadRequest, message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::NotFound, message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::Conflict, message)
    }
    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::Unauthorized, message)
    }
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(ApiCode::Internal, message)
    }
    pub fn unknown_run(id: &str) -> ApiError {
        ApiError::not_found(format!("no run with id `{id}`"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (self.code.status(), Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("{m} not found")),
            other => ApiError::internal(other.to_string()),
        }
    }
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::UnknownWorkflow(_) => ApiError::not_found(e.to_string()),
            StartError::BadInput(_) | StartError::Refused(_) => {
                ApiError::bad_request(e.to_string())
            }
            StartError::Store(s) => s.into(),
            StartError::Version(v) => ApiError::internal(v.to_string()),
        }
    }
}

impl From<VersionError> for ApiError {
    fn from(e: VersionError) -> Self {
        match e {
            VersionError::Store(s) => s.into(),
            other => ApiError::bad_request(format!("cannot deploy: {other}")),
        }
    }
}

impl From<UpgradeError> for ApiError {
    fn from(e: UpgradeError) -> Self {
        match e {
            UpgradeError::UnknownRun(_) | UpgradeError::UnknownVersion(_) => {
                ApiError::not_found(e.to_string())
            }
            UpgradeError::Store(s) => s.into(),
            UpgradeError::Busy(_) | UpgradeError::Ended(..) => ApiError::conflict(e.to_string()),
            other => ApiError::bad_request(other.to_string()),
        }
    }
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
