//! The OpenAPI document of `/api/v1`, generated from the code: every handler's
//! `#[utoipa::path]` and every wire type's `ToSchema` (crate::api). A route added without
//! its annotation is caught by the test that every served route is in the document
//! (`crates/cli/tests/server_cli.rs`).

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::api;
use crate::routes::*;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "caulk fleet server",
        description = "Hosts, their inventories and findings, fleet-wide remediations, tokens and the audit log. Every route but /healthz and /api/v1/enroll takes `Authorization: Bearer <token>`: an API token (roles admin, operator, auditor) or, under /api/v1/agent, an agent credential. Errors are {\"error\": {\"code\", \"message\"}}."
    ),
    paths(
        healthz, list_hosts, get_host, patch_host, delete_host, get_host_inventory, get_host_findings,
        get_host_history,
        fleet_remediations, get_vulnerability, sync_advisories, enroll, agent_check_in,
        agent_inventory, create_enrollment_token, list_enrollment_tokens,
        revoke_enrollment_token, list_api_tokens, create_api_token, revoke_api_token, audit,
        openapi
    ),
    components(schemas(api::ErrorBody, api::ErrorDetail)),
    modifiers(&Bearer),
    security(("api_token" = []))
)]
struct ApiDoc;

struct Bearer;

impl utoipa::Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer =
            || SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        components.add_security_scheme("api_token", bearer());
        components.add_security_scheme("agent", bearer());
    }
}

/// The document.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}
