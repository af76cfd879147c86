//! Requests that change something, and websocket upgrades, are accepted only from this site.
//! The session cookie is `SameSite=Lax`, which a sibling subdomain or another port of the
//! same host does not count as another site; without this check a page there could post a
//! reply as the signed-in agent or read the live inbox. Browsers say where a request comes
//! from (`Sec-Fetch-Site`, else `Origin`); a client that says neither is not a browser
//! carrying someone else's cookie (WhatsApp's signed webhook posts, scripts with a token).

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The middleware in front of every route.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if changes_something(&request) && !from_this_site(request.headers(), request.uri()) {
        return (StatusCode::FORBIDDEN, "Refused: this request came from another site.").into_response();
    }
    next.run(request).await
}

fn changes_something(request: &Request) -> bool {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let upgrade = request
        .headers()
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"));
    !safe || upgrade
}

fn from_this_site(headers: &HeaderMap, uri: &Uri) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none`: typed or bookmarked by the user themselves.
        return matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = uri
        .authority()
        .map(|a| a.as_str())
        .or_else(|| headers.get(header::HOST).and_then(|h| h.to_str().ok()));
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host);
    match (origin_host, host) {
        (Some(origin), Some(host)) => without_default_port(origin).eq_ignore_ascii_case(without_default_port(host)),
        // `Origin: null` (sandboxed frames, file pages) or no host to compare with.
        _ => false,
    }
}

fn without_default_port(host: &str) -> &str {
    host.strip_suffix(":80")
        .or_else(|| host.strip_suffix(":443"))
        .unwrap_or(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn only_this_site_may_change_something() {
        let uri: Uri = "/api/inbox/reply".parse().unwrap();
        let host = ("host", "salon.example:3000");
        assert!(from_this_site(&headers(&[host]), &uri), "not a browser");
        assert!(from_this_site(
            &headers(&[host, ("origin", "http://salon.example:3000")]),
            &uri
        ));
        assert!(!from_this_site(
            &headers(&[host, ("origin", "http://salon.example:3001")]),
            &uri
        ));
        assert!(!from_this_site(
            &headers(&[host, ("origin", "http://evil.salon.example:3000")]),
            &uri
        ));
        assert!(!from_this_site(&headers(&[host, ("origin", "null")]), &uri));
        assert!(from_this_site(
            &headers(&[("host", "salon.example"), ("origin", "https://salon.example:443")]),
            &uri
        ));
        assert!(!from_this_site(
            &headers(&[host, ("sec-fetch-site", "same-site")]),
            &uri
        ));
        assert!(from_this_site(
            &headers(&[host, ("sec-fetch-site", "same-origin")]),
            &uri
        ));
    }
}
