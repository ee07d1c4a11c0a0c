//! The routes: thin handlers over the store. Each checks its roles first, converts the
//! store's answer to a wire type ([`crate::api`]) and lets [`ApiError`] say what failed.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use caulk_store::{HostFilter, HostId, Role};
use tower_http::limit::RequestBodyLimitLayer;

use crate::AppState;
use crate::api;
use crate::auth::{self, Caller};
use crate::error::ApiError;

const ALL: &[Role] = &[Role::Admin, Role::Operator, Role::Auditor];

pub(crate) fn router(state: AppState, body_limit: usize) -> Router {
    // Everything under /api/v1, its fallback included, is behind authentication.
    let v1 = Router::new()
        .route("/hosts", get(list_hosts))
        .route("/hosts/{id}", get(get_host))
        .route("/enrollment-tokens", post(create_enrollment_token))
        .route("/audit", get(audit))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        // Streamed bodies are cut at the limit; a declared length over it is refused by
        // `refuse_declared_length` first, with the API's error body.
        .layer(RequestBodyLimitLayer::new(body_limit))
        .layer(middleware::from_fn_with_state(
            body_limit,
            refuse_declared_length,
        ))
        .with_state(state)
}

/// 413 for a `Content-Length` over the limit, before anything reads the body.
async fn refuse_declared_length(
    State(limit): State<usize>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if let Some(v) = req.headers().get(CONTENT_LENGTH) {
        let declared = v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .ok_or_else(|| ApiError::BadRequest("Content-Length is not a number".into()))?;
        if declared > limit as u64 {
            return Err(ApiError::TooLarge(format!(
                "the request body is {declared} bytes, over the limit of {limit}"
            )));
        }
    }
    Ok(next.run(req).await)
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn healthz(State(state): State<AppState>) -> Result<Json<api::Health>, ApiError> {
    // The store was opened and migrated before the socket listened; this checks it answers.
    state
        .store
        .schema_version()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    Ok(Json(api::Health { status: "ok" }))
}

fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.map(|c| {
        c.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("cursor {c:?} is not one this server gave"))
        })
    })
    .transpose()
}

async fn list_hosts(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<api::HostQuery>, QueryRejection>,
) -> Result<Json<api::HostPage>, ApiError> {
    caller.require(ALL)?;
    let Query(q) = query?;
    let filter = HostFilter {
        hostname_prefix: q.hostname_prefix,
        group: q.group,
        ecosystem: q.ecosystem,
        ..Default::default()
    };
    let after = cursor(q.cursor.as_deref())?.map(HostId);
    let page = state
        .store
        .list_hosts(&filter, after, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(page.into()))
}

async fn get_host(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<api::Host>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    Ok(Json(state.store.host(HostId(id)).await?.into()))
}

/// The longest an enrolment token may live.
const MAX_ENROLLMENT_TOKEN_LIFE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 366);

/// `24h`, `7d`, `90m` (a day is 24 hours; months and years are refused: ambiguous).
fn parse_expires_in(s: &str) -> Result<jiff::SignedDuration, ApiError> {
    let bad = || {
        ApiError::Invalid(format!(
            "expires_in {s:?}: want a duration in minutes, hours or days, such as 24h or 7d"
        ))
    };
    let span: jiff::Span = s.trim().parse().map_err(|_| bad())?;
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    if d <= jiff::SignedDuration::ZERO {
        return Err(ApiError::Invalid(format!(
            "expires_in {s:?}: must be positive"
        )));
    }
    if d > MAX_ENROLLMENT_TOKEN_LIFE {
        return Err(ApiError::Invalid(format!(
            "expires_in {s:?}: at most 366 days"
        )));
    }
    Ok(d)
}

async fn create_enrollment_token(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<api::NewEnrollmentToken>, JsonRejection>,
) -> Result<(StatusCode, Json<api::EnrollmentToken>), ApiError> {
    caller.require(&[Role::Admin, Role::Operator])?;
    let Json(req) = body?;
    let life = parse_expires_in(&req.expires_in)?;
    let now = jiff::Timestamp::now();
    let expires_at = now
        .checked_add(life)
        .map_err(|e| ApiError::Invalid(format!("expires_in: {e}")))?;
    let name = req.name.as_deref().unwrap_or("enrollment");
    let secret = state
        .store
        .create_enrolment_token(&caller.actor(), name, req.max_uses, expires_at, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::EnrollmentToken {
            id: secret.id.0,
            token: secret.token,
            expires_at: expires_at.to_string(),
        }),
    ))
}

async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<api::AuditQuery>, QueryRejection>,
) -> Result<Json<api::AuditPage>, ApiError> {
    caller.require(&[Role::Admin, Role::Auditor])?;
    let Query(q) = query?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::Invalid(format!("limit {limit}: want 1 to 1000")));
    }
    let after = cursor(q.cursor.as_deref())?.unwrap_or(0);
    // One more than asked tells whether there is a next page.
    let mut entries = state.store.audit_log(after, limit + 1).await?;
    let next = if entries.len() > limit as usize {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.seq.to_string())
    } else {
        None
    };
    Ok(Json(api::AuditPage {
        entries: entries.into_iter().map(api::AuditEntry::from).collect(),
        next,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_durations_are_minutes_hours_or_days_within_a_year() {
        assert_eq!(
            parse_expires_in("24h").ok(),
            Some(jiff::SignedDuration::from_hours(24))
        );
        assert_eq!(
            parse_expires_in("7d").ok(),
            Some(jiff::SignedDuration::from_hours(168))
        );
        for bad in ["", "soon", "-1h", "0h", "2y", "400d", "1mo"] {
            assert!(
                matches!(parse_expires_in(bad), Err(ApiError::Invalid(_))),
                "{bad}"
            );
        }
    }
}
