//! Authentication: `Authorization: Bearer <API token>` → the store → a [`Caller`] with a
//! role, for every request under `/api/v1`; `Authorization: Bearer <agent credential>` → the
//! host ([`Agent`]) under `/api/v1/agent`. Role checks are per handler ([`Caller::require`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use caulk_store::{Actor, HostId, Principal, Role};

use crate::AppState;
use crate::error::ApiError;

/// Who made a request: the principal the store found for its token, and its peer address.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub address: Option<SocketAddr>,
}

impl Caller {
    /// `Forbidden` unless the caller's role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        let role = self.principal.role();
        if roles.contains(&role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(role.as_str()))
        }
    }

    /// The caller as the audit log names it: `token:<id>` or `user:<name>`, with its address.
    pub fn actor(&self) -> Actor {
        let who = match &self.principal {
            Principal::ApiToken { id, .. } => format!("token:{id}"),
            Principal::User { name, .. } => format!("user:{name}"),
        };
        let address = self.address.map(|a| a.ip().to_string());
        Actor::new(who, address.as_deref())
    }
}

/// The middleware over `/api/v1`: refuses a request without a valid credential (401), else
/// hands the handlers a [`Caller`].
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = bearer(req.headers().get(AUTHORIZATION)).ok_or(ApiError::Unauthenticated)?;
    let principal = state
        .store
        .authenticate_api_token(token, jiff::Timestamp::now())
        .await?;
    let address = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    req.extensions_mut().insert(Caller { principal, address });
    Ok(next.run(req).await)
}

/// The agent behind a request to `/api/v1/agent/…`: the host its credential belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Agent {
    pub host: HostId,
}

/// The middleware over `/api/v1/agent`: `Authorization: Bearer <agent credential>` →
/// [`caulk_store::Store::authenticate_agent`] → an [`Agent`]; anything else is 401. An API
/// token is not an agent credential (nor the reverse): each check takes only its own kind.
pub(crate) async fn authenticate_agent(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = bearer(req.headers().get(AUTHORIZATION)).ok_or(ApiError::AgentUnauthenticated)?;
    let host = state
        .store
        .authenticate_agent(token, jiff::Timestamp::now())
        .await
        .map_err(|e| match e {
            caulk_store::Error::Refused(_) => ApiError::AgentUnauthenticated,
            e => ApiError::from(e),
        })?;
    req.extensions_mut().insert(Agent { host });
    Ok(next.run(req).await)
}

impl<S: Send + Sync> FromRequestParts<S> for Agent {
    type Rejection = ApiError;

    /// Only the agent authentication layer puts one there: fails closed elsewhere.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Agent, ApiError> {
        parts
            .extensions
            .get::<Agent>()
            .copied()
            .ok_or(ApiError::AgentUnauthenticated)
    }
}

/// The token of an `Authorization: Bearer …` header (the scheme is case-insensitive).
fn bearer(value: Option<&axum::http::HeaderValue>) -> Option<&str> {
    let v = value?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= 256)
        .then_some(token)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    /// Only the authentication layer puts a caller there: a handler outside it fails closed.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or(ApiError::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn bearer_tokens_are_read_from_the_header() {
        let h = |s: &'static str| HeaderValue::from_static(s);
        assert_eq!(bearer(Some(&h("Bearer abc"))), Some("abc"));
        assert_eq!(bearer(Some(&h("bearer  abc "))), Some("abc"));
        assert_eq!(bearer(Some(&h("Basic abc"))), None);
        assert_eq!(bearer(Some(&h("Bearer "))), None);
        assert_eq!(bearer(Some(&h("Bearer"))), None);
        assert_eq!(bearer(None), None);
    }
}
