//! The gate that enforces `model::access`: layered on every server function and every plain
//! route, it refuses a caller the declaration does not admit before the handler runs (and
//! before a body is read). An endpoint without a declaration is refused, so a new one cannot
//! be called until someone has said who may call it.
//!
//! The session gate (`session::require_staff`) runs first and makes the signed-in user
//! available; this gate only decides whether their role may call what they asked for.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::error::{server_fn_refusal, status};
use crate::model::access::{self, Access, Endpoint};
use crate::model::{AppError, Role, StaffUser};

fn role(request: &Request) -> Option<Role> {
    request.extensions().get::<StaffUser>().map(|user| user.role)
}

/// In front of the server functions: refuses with the [`AppError`] their client decodes.
pub async fn server_functions(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let verdict = match access::server_function(path) {
        Some(endpoint) => endpoint.admit(role(&request)),
        None => {
            tracing::error!(path, "refused a server function that has no declared access");
            Err(AppError::Forbidden)
        }
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(refusal) => server_fn_refusal(&refusal),
    }
}

/// In front of the plain routes: refuses with a JSON `{"error": …}`, like the routes' own
/// errors. A route that finds its caller itself ([`Access::StaffOrToken`]) reads its
/// declaration from the request's extensions.
pub async fn plain_routes(mut request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| request.uri().path(), MatchedPath::as_str);
    let Some(endpoint) = access::plain_route(request.method().as_str(), path) else {
        tracing::error!(method = %request.method(), path, "refused a route that has no declared access");
        return route_refusal(&AppError::Forbidden);
    };
    if let Access::Staff(_) = endpoint.access {
        if let Err(refusal) = endpoint.admit(role(&request)) {
            return route_refusal(&refusal);
        }
    }
    request.extensions_mut().insert::<&'static Endpoint>(endpoint);
    next.run(request).await
}

#[derive(serde::Serialize)]
struct RouteRefusal {
    error: String,
}

fn route_refusal(refusal: &AppError) -> Response {
    let body = Json(RouteRefusal {
        error: refusal.to_string(),
    });
    (status(refusal), body).into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::body::Body;
    use axum::http::StatusCode;
    use axum::routing::{get, post};
    use axum::{middleware, Router};
    use tower::ServiceExt;

    use super::*;

    /// Calls `router` as a staff member in `role` (`None`: no session) and returns the status
    /// and body.
    async fn call(router: &Router, method: &str, path: &str, role: Option<Role>) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(path).body(Body::empty()).unwrap();
        if let Some(role) = role {
            request.extensions_mut().insert(StaffUser {
                id: 1,
                email: "staff@example.com".into(),
                display_name: "Staff".into(),
                role,
            });
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn the_gate_admits_declared_roles_and_refuses_the_undeclared() {
        let ran = || async { "ran" };
        let server_functions = Router::new()
            .route("/api/inbox/reply", post(ran))
            .route("/api/not/declared", post(ran))
            .route_layer(middleware::from_fn(super::server_functions));
        let reply = |role| call(&server_functions, "POST", "/api/inbox/reply", role);
        assert_eq!(reply(Some(Role::Agent)).await, (StatusCode::OK, "ran".into()));
        assert_eq!(
            reply(Some(Role::Marketer)).await,
            (StatusCode::FORBIDDEN, r#""Forbidden""#.into())
        );
        assert_eq!(
            reply(None).await,
            (StatusCode::UNAUTHORIZED, r#""Unauthorized""#.into())
        );
        let undeclared = call(&server_functions, "POST", "/api/not/declared", Some(Role::Admin)).await;
        assert_eq!(undeclared, (StatusCode::FORBIDDEN, r#""Forbidden""#.into()));

        let routes = Router::new()
            .route("/api/campaigns/{id}/recipients.csv", get(ran))
            .route("/api/not/declared", get(ran))
            .route_layer(middleware::from_fn(super::plain_routes));
        let csv = |role| call(&routes, "GET", "/api/campaigns/7/recipients.csv", role);
        assert_eq!(csv(Some(Role::Marketer)).await, (StatusCode::OK, "ran".into()));
        assert_eq!(csv(None).await.0, StatusCode::UNAUTHORIZED);
        let undeclared = call(&routes, "GET", "/api/not/declared", Some(Role::Admin)).await;
        assert_eq!(
            undeclared,
            (
                StatusCode::FORBIDDEN,
                r#"{"error":"Your role does not allow this."}"#.into()
            )
        );
    }

    /// A server function or route added without a declaration is refused by the gate; this
    /// says so before anyone tries, and also finds declarations left behind by removed ones.
    #[test]
    fn every_registered_endpoint_is_declared_and_every_declaration_is_registered() {
        let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, method)| format!("{method} {path}"))
            .collect();
        let declared: BTreeSet<String> = access::SERVER_FUNCTIONS
            .iter()
            .map(|endpoint| format!("{} {}", endpoint.method, endpoint.path))
            .collect();
        assert_eq!(registered, declared, "server functions");

        let document = serde_json::to_value(super::super::routes::document()).unwrap();
        let mut served = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                served.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
        let declared: BTreeSet<String> = access::ROUTES
            .iter()
            .map(|endpoint| format!("{} {}", endpoint.method, endpoint.path))
            .collect();
        assert_eq!(served, declared, "plain routes");
    }
}
