//! `POST /v1/versions` (deploy) and `GET /v1/versions`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::runtime::{DeployOptions, DeployReport};

use super::extract::{ApiQuery, ComponentBody};
use super::views::{VersionList, VersionView};
use super::{ApiError, ApiResult, AppState};

/// A component file's bytes.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ComponentBytes(Vec<u8>);

/// Options of a deploy, as query parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeployQuery {
    /// Hosts (comma-separated) the steps may call over HTTP.
    pub allow_http: Option<String>,
    /// Divergence fails runs of this version.
    #[serde(default)]
    pub strict: bool,
    /// Runs in flight stay on their versions.
    #[serde(default)]
    pub pin: bool,
    /// The bearer token, for clients that cannot send a header.
    #[param(ignore)]
    #[serde(default)]
    #[allow(dead_code)]
    pub token: Option<String>,
}

/// Deploys a component: the request body is the `.wasm` file.
#[utoipa::path(
    post,
    path = "/v1/versions",
    params(DeployQuery),
    request_body(
        description = "the component's bytes (`application/wasm` is accepted as well)",
        content((ComponentBytes = "application/octet-stream")),
    ),
    responses(
        (status = 201, description = "deployed", body = Object),
        (status = 200, description = "these bytes were deployed before", body = Object),
        (status = 400, description = "not a workflow component", body = super::error::ErrorBody),
        (status = 413, description = "larger than server.max_component_bytes", body = super::error::ErrorBody),
    )
)]
pub async fn deploy(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DeployQuery>,
    ComponentBody(body): ComponentBody,
) -> ApiResult<(StatusCode, Json<DeployReport>)> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "the request body must be the component's bytes",
        ));
    }
    let opts = DeployOptions {
        allow_http: q
            .allow_http
            .map(|h| {
                h.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        strict: q.strict,
        pin: q.pin,
    };
    let report = state.rt.deploy(body.to_vec(), &opts).await?;
    let status = if report.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(report)))
}

/// Lists deployed versions.
#[utoipa::path(get, path = "/v1/versions", responses((status = 200, body = VersionList)))]
pub async fn list(State(state): State<AppState>) -> ApiResult<Json<VersionList>> {
    let versions = state.rt.store.versions().await?;
    Ok(Json(VersionList {
        versions: versions.into_iter().map(VersionView::from).collect(),
    }))
}
