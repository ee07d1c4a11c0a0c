//! The routes: thin handlers over the store. Each checks its roles first, converts the
//! store's answer to a wire type ([`crate::api`]) and lets [`ApiError`] say what failed.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use std::net::SocketAddr;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use caulk_store::{HostFilter, HostId, Role};
use tower_http::limit::RequestBodyLimitLayer;

use crate::AppState;
use crate::api;
use crate::auth::{self, Agent, Caller};
use crate::error::ApiError;

const ALL: &[Role] = &[Role::Admin, Role::Operator, Role::Auditor];

/// The body limit of every route but an inventory upload: their JSON is a few fields, and
/// `/api/v1/enroll` is open to anyone — the large limit (`--body-limit`) is for inventories.
const SMALL_BODY: usize = 64 << 10;

pub(crate) fn router(state: AppState, body_limit: usize) -> Router {
    // Everything under /api/v1, its fallback included, is behind authentication.
    let v1 = Router::new()
        .route("/hosts", get(list_hosts))
        .route(
            "/hosts/{id}",
            get(get_host).patch(patch_host).delete(delete_host),
        )
        .route("/hosts/{id}/inventory", get(get_host_inventory))
        .route("/hosts/{id}/findings", get(get_host_findings))
        .route("/hosts/{id}/history", get(get_host_history))
        .route("/remediations", get(fleet_remediations))
        .route("/vulnerabilities/{id}", get(get_vulnerability))
        .route("/advisories/sync", post(sync_advisories))
        .route(
            "/enrollment-tokens",
            post(create_enrollment_token).get(list_enrollment_tokens),
        )
        .route("/enrollment-tokens/{id}", delete(revoke_enrollment_token))
        .route("/tokens", get(list_api_tokens).post(create_api_token))
        .route("/tokens/{id}", delete(revoke_api_token))
        .route("/audit", get(audit))
        .route("/openapi.json", get(openapi))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    // The agent's routes take an agent credential instead (its own layer, the same
    // fail-closed shape); enrolment is authenticated by the enrolment token in its body.
    let agent = Router::new()
        .route("/check-in", post(agent_check_in))
        .route(
            "/inventory",
            put(agent_inventory).layer(DefaultBodyLimit::max(body_limit)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate_agent,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/enroll", post(enroll))
        .nest("/api/v1/agent", agent)
        .nest("/api/v1", v1)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(SMALL_BODY.min(body_limit)))
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

/// 200 once the store answers (it was opened and migrated before the socket listened) and
/// the advisory database is loaded (imported from `--feeds` on start); 503 before, or when
/// that import failed.
#[utoipa::path(get, path = "/healthz", tag = "server", security(()), responses((status = 200, body = api::Health), (status = 503, description = "not ready: the store does not answer or the advisory database is not loaded", body = api::ErrorBody)))]
async fn healthz(State(state): State<AppState>) -> Result<Json<api::Health>, ApiError> {
    state
        .store
        .schema_version()
        .await
        .map_err(|e| ApiError::Unavailable(e.to_string()))?;
    let advisories = match state.assessor.generation() {
        Ok(g) => {
            let last = state.assessor.last_sync();
            Some(api::Advisories {
                generation: g.facts.generation.clone(),
                feeds: g.facts.feeds.iter().map(|f| f.feed.clone()).collect(),
                synced_at: last.as_ref().map(|l| l.0.to_string()),
                sync_error: last.and_then(|l| l.1),
            })
        }
        Err(e) => match state.assessor.status() {
            crate::assessor::Status::Ready => None,
            _ => return Err(e),
        },
    };
    Ok(Json(api::Health {
        status: "ok",
        advisories,
    }))
}

fn cursor(c: Option<&str>) -> Result<Option<i64>, ApiError> {
    c.map(|c| {
        c.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
            ApiError::BadRequest(format!("cursor {c:?} is not one this server gave"))
        })
    })
    .transpose()
}

#[utoipa::path(get, path = "/api/v1/hosts", tag = "hosts", params(api::HostQuery), responses((status = 200, body = api::HostPage), (status = 400, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn list_hosts(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<api::HostQuery>, QueryRejection>,
) -> Result<Json<api::HostPage>, ApiError> {
    caller.require(ALL)?;
    let Query(q) = query?;
    let label = q
        .label
        .map(|l| {
            l.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .ok_or_else(|| ApiError::BadRequest(format!("label {l:?}: want key=value")))
        })
        .transpose()?;
    let filter = HostFilter {
        hostname_prefix: q.hostname_prefix,
        group: q.group,
        ecosystem: q.ecosystem,
        label,
        criticality: q.criticality.as_deref().map(criticality).transpose()?,
        exposure: q.exposure.as_deref().map(exposure).transpose()?,
    };
    let after = cursor(q.cursor.as_deref())?.map(HostId);
    let page = state
        .store
        .list_hosts(&filter, after, q.limit.unwrap_or(100))
        .await?;
    Ok(Json(api::HostPage::new(page, &freshness(&state))))
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = i64, Path)), responses((status = 200, body = api::Host), (status = 404, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn get_host(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<api::Host>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    let host = state.store.host(HostId(id)).await?;
    Ok(Json(api::Host::new(host, &freshness(&state))))
}

/// What makes a host's stored counts current now.
fn freshness(state: &AppState) -> api::Freshness {
    api::Freshness {
        generation: state.assessor.current().map(|g| g.facts.generation.clone()),
        since: crate::assessor::start_of_today(),
    }
}

/// `?limit=`: `default` when absent, else 1 to `max`.
fn limit(given: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let l = given.unwrap_or(default);
    if (1..=max).contains(&l) {
        Ok(l)
    } else {
        Err(ApiError::Invalid(format!("limit {l}: want 1 to {max}")))
    }
}

fn criticality(s: &str) -> Result<caulk_model::finding::Criticality, ApiError> {
    caulk_store::criticality_parse(s).ok_or_else(|| {
        ApiError::Invalid(format!(
            "criticality {s:?}: want low, medium, high or critical"
        ))
    })
}

fn exposure(s: &str) -> Result<caulk_model::finding::Exposure, ApiError> {
    caulk_store::exposure_parse(s).ok_or_else(|| {
        ApiError::Invalid(format!(
            "exposure {s:?}: want isolated, internal or internet"
        ))
    })
}

/// `PATCH /hosts/{id}` (admin, operator): the host's risk profile, labels and groups;
/// audited. A new criticality or exposure makes its findings re-derived.
#[utoipa::path(patch, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = i64, Path)), request_body = api::HostPatch, responses((status = 200, body = api::Host), (status = 404, body = api::ErrorBody), (status = 422, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn patch_host(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<api::HostPatch>, JsonRejection>,
) -> Result<Json<api::Host>, ApiError> {
    caller.require(&[Role::Admin, Role::Operator])?;
    let Path(id) = id?;
    let Json(p) = body?;
    let update = caulk_store::HostUpdate {
        labels: p.labels,
        groups: p.groups,
        criticality: p.criticality.as_deref().map(criticality).transpose()?,
        exposure: p.exposure.as_deref().map(exposure).transpose()?,
        owner: p.owner,
    };
    let weighs = update.criticality.is_some() || update.exposure.is_some();
    let host = state
        .store
        .update_host(&caller.actor(), HostId(id), &update, jiff::Timestamp::now())
        .await?;
    if weighs {
        state.assessor.wake();
    }
    Ok(Json(api::Host::new(host, &freshness(&state))))
}

/// `DELETE /hosts/{id}` (admin): the host with its inventory, history, findings and
/// credentials (its agent is refused from then on; the machine may enrol again); audited.
#[utoipa::path(delete, path = "/api/v1/hosts/{id}", tag = "hosts", params(("id" = i64, Path)), responses((status = 204, description = "deleted"), (status = 404, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn delete_host(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    let Path(id) = id?;
    state
        .store
        .delete_host(&caller.actor(), HostId(id), jiff::Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/hosts/{id}/inventory", tag = "hosts", params(("id" = i64, Path)), responses((status = 200, description = "the inventory JSON (caulk inventory --format json)", body = Object), (status = 404, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn get_host_inventory(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<api::Inventory>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    let host = HostId(id);
    match state.store.inventory(host).await? {
        Some(inv) => Ok(Json(inv)),
        None => {
            // A host that does not exist and one without an inventory are both 404, said apart.
            state.store.host(host).await?;
            Err(ApiError::NotFound(format!(
                "host {id} has no inventory yet"
            )))
        }
    }
}

/// `GET /hosts/{id}/findings`: the host's report — `caulk scan --format json` of its
/// stored inventory (findings, remediations, summary, issues), derived now with the current
/// advisory database and the host's criticality and exposure.
#[utoipa::path(get, path = "/api/v1/hosts/{id}/findings", tag = "hosts", params(("id" = i64, Path)), responses((status = 200, description = "the caulk scan --format json report of the host's inventory", body = Object), (status = 404, body = api::ErrorBody), (status = 503, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn get_host_findings(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<caulk_model::finding::ScanReport>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    let host = state.store.host(HostId(id)).await?;
    let Some(inv) = state.store.inventory(host.id).await? else {
        return Err(ApiError::NotFound(format!(
            "host {id} has no inventory yet"
        )));
    };
    let g = state.assessor.generation()?;
    Ok(Json(state.assessor.host_report(g, host, inv).await?))
}

/// `GET /hosts/{id}/history`: the host's inventory changes, newest first.
#[utoipa::path(get, path = "/api/v1/hosts/{id}/history", tag = "hosts", params(("id" = i64, Path), api::HistoryQuery), responses((status = 200, body = api::History), (status = 404, body = api::ErrorBody), (status = 422, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn get_host_history(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
    query: Result<Query<api::HistoryQuery>, QueryRejection>,
) -> Result<Json<api::History>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    let Query(q) = query?;
    let limit = limit(q.limit, 50, 1000)?;
    // A host that does not exist is 404, not an empty history.
    let host = state.store.host(HostId(id)).await?;
    let events = state.store.inventory_history(host.id, limit).await?;
    Ok(Json(api::History {
        events: events.into_iter().map(api::HistoryEvent::from).collect(),
    }))
}

/// `GET /remediations`: every host's upgrades merged per (ecosystem, package, target
/// version), most urgent first, then by the risk they remove across the fleet.
#[utoipa::path(get, path = "/api/v1/remediations", tag = "fleet", params(api::RemediationQuery), responses((status = 200, body = api::RemediationPage), (status = 400, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn fleet_remediations(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<api::RemediationQuery>, QueryRejection>,
) -> Result<Json<api::RemediationPage>, ApiError> {
    caller.require(ALL)?;
    let Query(q) = query?;
    let offset = cursor(q.cursor.as_deref())?.unwrap_or(0) as u64;
    let limit = q.limit.unwrap_or(100);
    let (items, more) = state
        .store
        .fleet_remediations(q.ecosystem.as_deref(), offset, limit)
        .await?;
    let next = more.then(|| (offset + items.len() as u64).to_string());
    Ok(Json(api::RemediationPage {
        remediations: items.into_iter().map(api::FleetRemediation::from).collect(),
        next,
    }))
}

/// `GET /vulnerabilities/{id}`: which hosts have it (any id of it: CVE, advisory, GHSA),
/// in which packages, fixed in which version.
#[utoipa::path(get, path = "/api/v1/vulnerabilities/{id}", tag = "fleet", params(("id" = String, Path, description = "any id of the vulnerability: CVE, advisory, GHSA"), api::VulnerabilityQuery), responses((status = 200, body = api::VulnerabilityHosts), (status = 404, body = api::ErrorBody), (status = 503, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn get_vulnerability(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<api::VulnerabilityQuery>, QueryRejection>,
) -> Result<Json<api::VulnerabilityHosts>, ApiError> {
    caller.require(ALL)?;
    let Path(id) = id?;
    let Query(q) = query?;
    let limit = limit(q.limit, 1000, 10_000)?;
    if id.is_empty() || id.len() > 128 || id.chars().any(|c| c.is_control()) {
        return Err(ApiError::Invalid(format!(
            "vulnerability id {id:?}: want an id such as CVE-2024-1234"
        )));
    }
    Ok(Json(
        state
            .assessor
            .vulnerability_hosts(&state.store, &id, limit as usize)
            .await?,
    ))
}

/// `POST /advisories/sync` (admin): re-import the `--feeds` mirror now; 202, the import
/// runs in the background (`/healthz` shows the generation it made), audited.
#[utoipa::path(post, path = "/api/v1/advisories/sync", tag = "fleet", responses((status = 202, body = api::Accepted), (status = 409, description = "no --feeds mirror", body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn sync_advisories(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<(StatusCode, Json<api::Accepted>), ApiError> {
    caller.require(&[Role::Admin])?;
    if !state.assessor.has_feeds() {
        return Err(ApiError::Conflict(
            "the server has no --feeds mirror to sync from".into(),
        ));
    }
    state
        .store
        .append_audit(
            &caulk_store::AuditRecord {
                actor: caller.actor(),
                action: "advisories.sync".into(),
                target: "advisories".into(),
                detail: "requested".into(),
            },
            jiff::Timestamp::now(),
        )
        .await?;
    state.assessor.sync_now();
    Ok((
        StatusCode::ACCEPTED,
        Json(api::Accepted { status: "syncing" }),
    ))
}

/// `POST /api/v1/enroll`: open (no API token); the enrolment token in the body is the
/// credential. Its use, the host, the agent credential and the audit entry are one
/// transaction in the store; a refused token is 401 without the reason.
#[utoipa::path(post, path = "/api/v1/enroll", tag = "agent", security(()), request_body = api::EnrollRequest, responses((status = 201, body = api::Enrolled), (status = 401, description = "the enrolment token was refused", body = api::ErrorBody), (status = 422, body = api::ErrorBody)))]
async fn enroll(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Result<Json<api::EnrollRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<api::Enrolled>), ApiError> {
    let Json(req) = body?;
    let host = caulk_store::NewHost {
        hostname: req.hostname,
        machine_id: req.machine_id,
        agent_version: req.agent_version,
        ..Default::default()
    };
    let address = peer.map(|Extension(ConnectInfo(a))| a.ip().to_string());
    let enrolment = state
        .store
        .enrol(
            &req.enrollment_token,
            &host,
            address.as_deref(),
            jiff::Timestamp::now(),
        )
        .await
        .map_err(|e| match e {
            caulk_store::Error::Refused(_) => ApiError::EnrolmentRefused,
            e => ApiError::from(e),
        })?;
    Ok((
        StatusCode::CREATED,
        Json(api::Enrolled {
            host_id: enrolment.host.id.0,
            credential: enrolment.credential.token,
        }),
    ))
}

/// axum's [`Json`] without its cost on the agent's path: a body that parses is read once by
/// `serde_json` (axum's extractor tracks the path of every value it reads, through
/// `serde_path_to_error`, to name a bad field: a tenth of a first inventory's CPU); a body
/// that does not parse is read again by [`Json`] for the same rejection and message. A
/// content type other than exactly `application/json` goes to [`Json`] whole, so what is
/// accepted and refused — content types, the body limit, bad JSON — is exactly [`Json`]'s.
struct AgentJson<T>(T);

impl<T, S> FromRequest<S> for AgentJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = JsonRejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, JsonRejection> {
        let plain = req
            .headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"application/json"));
        if !plain {
            let Json(v) = Json::<T>::from_request(req, state).await?;
            return Ok(AgentJson(v));
        }
        let bytes = Bytes::from_request(req, state).await?;
        // The body checked as UTF-8 in one pass, then read as a `str` (`from_slice` checks
        // each string as it meets it).
        let parsed = std::str::from_utf8(&bytes).ok().and_then(|text| {
            let mut de = serde_json::Deserializer::from_str(text);
            T::deserialize(&mut de)
                .and_then(|v| de.end().map(|()| v))
                .ok()
        });
        match parsed {
            Some(v) => Ok(AgentJson(v)),
            None => Json::<T>::from_bytes(&bytes).map(|Json(v)| AgentJson(v)),
        }
    }
}

/// `POST /api/v1/agent/check-in`: the agent's inventory hash. The stored one → last seen
/// written, `changed: false`; else `changed: true` and the agent sends its inventory.
#[utoipa::path(post, path = "/api/v1/agent/check-in", tag = "agent", security(("agent" = [])), request_body = api::CheckIn, responses((status = 200, body = api::Changed), (status = 401, body = api::ErrorBody), (status = 422, body = api::ErrorBody)))]
async fn agent_check_in(
    State(state): State<AppState>,
    agent: Agent,
    body: Result<AgentJson<api::CheckIn>, JsonRejection>,
) -> Result<Json<api::Changed>, ApiError> {
    let AgentJson(req) = body?;
    let hash = api::parse_hash(&req.inventory_hash).ok_or_else(|| {
        ApiError::Invalid(format!(
            "inventory_hash {:?}: want 64 hex digits (SHA-256)",
            req.inventory_hash
        ))
    })?;
    let unchanged = state
        .store
        .check_in_unchanged(agent.host, &hash, jiff::Timestamp::now())
        .await?;
    Ok(Json(api::Changed {
        changed: !unchanged,
        stale: false,
    }))
}

/// `PUT /api/v1/agent/inventory[?observed_at=RFC3339]`: the whole inventory (bounded by the
/// body limit), stored and committed before the answer; one observed before the stored
/// inventory (a late spooled report) is not stored (`stale: true`).
#[utoipa::path(put, path = "/api/v1/agent/inventory", tag = "agent", security(("agent" = [])), params(api::InventoryQuery), request_body(content = Object, description = "the inventory JSON"), responses((status = 200, body = api::Changed), (status = 401, body = api::ErrorBody), (status = 413, body = api::ErrorBody), (status = 422, body = api::ErrorBody)))]
async fn agent_inventory(
    State(state): State<AppState>,
    agent: Agent,
    query: Result<Query<api::InventoryQuery>, QueryRejection>,
    body: Result<AgentJson<api::Inventory>, JsonRejection>,
) -> Result<Json<api::Changed>, ApiError> {
    let Query(q) = query?;
    let now = jiff::Timestamp::now();
    let observed = match q.observed_at.as_deref() {
        None => now,
        Some(t) => t.parse::<jiff::Timestamp>().map_err(|e| {
            ApiError::Invalid(format!("observed_at {t:?}: want an RFC 3339 time: {e}"))
        })?,
    };
    let AgentJson(inv) = body?;
    if !inv.format_supported() {
        return Err(ApiError::Invalid(format!(
            "inventory format_version {}: this server reads version {}",
            inv.format_version,
            caulk_model::inventory::FORMAT_VERSION
        )));
    }
    let outcome = state
        .store
        .record_inventory_observed(agent.host, &inv, observed, now)
        .await?;
    use caulk_store::InventoryOutcome::{Stale, Unchanged};
    if !matches!(outcome, Unchanged | Stale) {
        state.assessor.wake();
    }
    Ok(Json(api::Changed {
        changed: !matches!(outcome, Unchanged | Stale),
        stale: outcome == Stale,
    }))
}

/// The longest an enrolment token may live.
const MAX_ENROLLMENT_TOKEN_LIFE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 366);

/// `24h`, `7d`, `90m`: [`caulk_app::duration::parse`], at most [`MAX_ENROLLMENT_TOKEN_LIFE`].
fn parse_expires_in(s: &str) -> Result<jiff::SignedDuration, ApiError> {
    caulk_app::duration::parse(s, MAX_ENROLLMENT_TOKEN_LIFE)
        .map_err(|e| ApiError::Invalid(format!("expires_in {e}")))
}

#[utoipa::path(post, path = "/api/v1/enrollment-tokens", tag = "tokens", request_body = api::NewEnrollmentToken, responses((status = 201, body = api::EnrollmentToken), (status = 422, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
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

#[utoipa::path(get, path = "/api/v1/enrollment-tokens", tag = "tokens", responses((status = 200, body = api::EnrollmentTokenList), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn list_enrollment_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<api::EnrollmentTokenList>, ApiError> {
    caller.require(&[Role::Admin, Role::Operator])?;
    Ok(Json(api::EnrollmentTokenList {
        tokens: state
            .store
            .enrolment_tokens()
            .await?
            .into_iter()
            .map(api::EnrollmentTokenInfo::from)
            .collect(),
    }))
}

/// `DELETE /enrollment-tokens/{id}` (admin, operator): refused from now on; audited.
#[utoipa::path(delete, path = "/api/v1/enrollment-tokens/{id}", tag = "tokens", params(("id" = i64, Path)), responses((status = 204, description = "revoked"), (status = 404, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn revoke_enrollment_token(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin, Role::Operator])?;
    let Path(id) = id?;
    state
        .store
        .revoke_enrolment_token(
            &caller.actor(),
            caulk_store::TokenId(id),
            jiff::Timestamp::now(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = api::ApiTokenList), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn list_api_tokens(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<api::ApiTokenList>, ApiError> {
    caller.require(&[Role::Admin])?;
    Ok(Json(api::ApiTokenList {
        tokens: state
            .store
            .api_tokens()
            .await?
            .into_iter()
            .map(api::ApiToken::from)
            .collect(),
    }))
}

/// The longest an API token made over the API may live (none: no expiry).
const MAX_API_TOKEN_LIFE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24 * 3653);

/// `POST /tokens` (admin): a new API token, shown this once; audited.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = api::NewApiToken, responses((status = 201, body = api::ApiTokenCreated), (status = 422, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn create_api_token(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<api::NewApiToken>, JsonRejection>,
) -> Result<(StatusCode, Json<api::ApiTokenCreated>), ApiError> {
    caller.require(&[Role::Admin])?;
    let Json(req) = body?;
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::Invalid(format!(
            "role {:?}: want admin, operator or auditor",
            req.role
        ))
    })?;
    let now = jiff::Timestamp::now();
    let expires_at = req
        .expires_in
        .as_deref()
        .map(|e| {
            let d = caulk_app::duration::parse(e, MAX_API_TOKEN_LIFE)
                .map_err(|e| ApiError::Invalid(format!("expires_in {e}")))?;
            now.checked_add(d)
                .map_err(|e| ApiError::Invalid(format!("expires_in: {e}")))
        })
        .transpose()?;
    let secret = state
        .store
        .create_api_token(&caller.actor(), &req.name, role, expires_at, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(api::ApiTokenCreated {
            id: secret.id.0,
            token: secret.token,
            role: role.as_str(),
            expires_at: expires_at.map(|t| t.to_string()),
        }),
    ))
}

/// `DELETE /tokens/{id}` (admin): refused from the next request on (the bootstrap token
/// is id 0: revoke it once a real admin token exists); audited.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens", params(("id" = i64, Path)), responses((status = 204, description = "revoked"), (status = 404, body = api::ErrorBody), (status = 409, description = "the last admin token that works", body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn revoke_api_token(
    State(state): State<AppState>,
    caller: Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    let Path(id) = id?;
    // Never the last admin token that works: nobody could make tokens over the API again.
    let now = jiff::Timestamp::now();
    let active = |t: &caulk_store::ApiTokenInfo| {
        t.role == Role::Admin && t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now)
    };
    let tokens = state.store.api_tokens().await?;
    if tokens.iter().any(|t| t.id.0 == id && active(t))
        && tokens.iter().filter(|t| active(t)).count() == 1
    {
        return Err(ApiError::Conflict(format!(
            "token {id} is the last admin token that works: create another admin token first"
        )));
    }
    state
        .store
        .revoke_api_token(&caller.actor(), caulk_store::TokenId(id), now)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of this API, generated from the
/// handlers' and wire types' annotations (any role).
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server", responses((status = 200, description = "this document", body = Object), (status = 401, body = api::ErrorBody)))]
async fn openapi(caller: Caller) -> Result<Json<utoipa::openapi::OpenApi>, ApiError> {
    caller.require(ALL)?;
    Ok(Json(crate::openapi::document()))
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(api::AuditQuery), responses((status = 200, body = api::AuditPage), (status = 400, body = api::ErrorBody), (status = 401, description = "no or a refused credential", body = api::ErrorBody), (status = 403, description = "the role may not", body = api::ErrorBody)))]
async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<api::AuditQuery>, QueryRejection>,
) -> Result<Json<api::AuditPage>, ApiError> {
    caller.require(&[Role::Admin, Role::Auditor])?;
    let Query(q) = query?;
    let limit = limit(q.limit, 100, 1000)?;
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
