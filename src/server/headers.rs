//! Security headers on every response: what the browser may load and run, no framing, no
//! MIME sniffing, no referrer to other sites, and no caching of anything but public files.

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of everything but pages: only this site's own files, and the browser bundle's
/// WebAssembly. `connect-src 'self'` covers the inbox's websocket on the same host.
const POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
                      img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; \
                      form-action 'self'; frame-ancestors 'none'";

/// Public files that may be cached: the browser bundle and `public/`'s files.
fn cacheable(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/robots.txt" || path == "/favicon.svg"
}

/// The policy of a rendered page: Leptos writes inline scripts (the hydration bootstrap and
/// the data of resources it streams), each with this response's nonce; no other inline
/// script runs.
pub fn page_policy(nonce: &str) -> String {
    POLICY.replacen("script-src 'self'", &format!("script-src 'self' 'nonce-{nonce}'"), 1)
}

/// Sets the policy of the page being rendered (called from the HTML shell, before the
/// response's headers are sent).
pub fn allow_page_scripts() {
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// The middleware in front of every route.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let cacheable = cacheable(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !cacheable {
        // Pages and answers carry customers' personal data: never kept by the browser or a proxy.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_allows_only_its_own_inline_scripts() {
        let policy = page_policy("abc");
        assert!(
            policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"),
            "{policy}"
        );
        assert!(policy.ends_with("frame-ancestors 'none'"), "{policy}");
        assert!(!POLICY.contains("nonce") && !POLICY.contains("unsafe-inline"));
    }
}
