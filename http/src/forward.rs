//! Requests on any node: on a node of several sharing a PostgreSQL store, a request for a
//! tenant whose shard another node holds is sent on to that node's internal listener and
//! its answer passed back unchanged. The owner serves it as it serves its own (a write is
//! answered after its commit there), so the guarantees are the owner's.
//!
//! The tenant is known from the request's credential alone — a sign-in token (header or
//! session cookie) or an API key — before the body is read; requests of no tenant (sign-in,
//! sign-up, health, metrics) are served where they land. Between nodes a request carries
//! `x-certwatch-node: <node>:<unix seconds>:<HMAC>`, the HMAC over the node, the time, the
//! method and the path with the key file's key (which every node shares); the internal
//! listener refuses any other request, and believes its `X-Forwarded-For` (the client's
//! address as the first node saw it) because only a node can have sent it.

use std::sync::OnceLock;
use std::time::Duration;

use certwatch_store::engine::leases::shard_of;
use certwatch_store::engine::secrets::{hex, key_hash};
use certwatch_store::tables;
use uuid::Uuid;
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, Method};
use warp::hyper::body::Bytes;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::auth::token_key;
use crate::error::ApiError;
use crate::extract::{Client, client_addr};
use crate::pages::session::SESSION_COOKIE;
use crate::routes::v1::presented_key;
use crate::state::State;

/// The header a node's request to another carries.
const NODE_HEADER: &str = "x-certwatch-node";

/// How far a forwarded request's time may be from the receiving node's clock.
const SKEW: u64 = 60;

/// The largest body forwarded: a bulk upload's whole request.
const MAX_FORWARDED_BYTES: u64 = 512 << 20;

/// Paths every node answers for itself.
const OWN_PATHS: [&str; 2] = ["/api/health/", "/metrics"];

/// Where a request goes instead of being served here.
enum Target {
    /// The owner's internal address.
    Node(String),
    /// No node holds the shard at this moment (it is moving).
    Nobody,
}

/// The tenant a request's credential belongs to, if it names one this store knows.
fn tenant_of(state: &State, headers: &HeaderMap) -> Option<Uuid> {
    let store = state.store();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let authorization = header("authorization");
    let cookie_token = header("cookie").and_then(|cookies| {
        cookies.split(';').find_map(|c| {
            let (name, value) = c.trim().split_once('=')?;
            SESSION_COOKIE.contains(&name).then_some(value)
        })
    });
    if let Some(key) = authorization.and_then(token_key).or(cookie_token) {
        return tables::tokens::get(store, &key_hash(key))
            .ok()
            .flatten()
            .map(|t| t.tenant_id);
    }
    let api_key = presented_key(authorization, header("x-api-key"))?;
    tables::api_keys::get(store, &key_hash(&api_key))
        .ok()
        .flatten()
        .map(|k| k.tenant_id)
}

/// Where a request should go, if not here.
fn target(state: &State, path: &str, headers: &HeaderMap) -> Option<Target> {
    state.actors.node()?;
    if OWN_PATHS.contains(&path) {
        return None;
    }
    let tenant = tenant_of(state, headers)?;
    if state.actors.runs(tenant) {
        return None;
    }
    let owner = state.store().postgres()?.owner(shard_of(tenant)).ok()?;
    Some(match owner {
        Some((_, address)) => Target::Node(address),
        None => Target::Nobody,
    })
}

/// The signature a node puts on a request it sends on.
fn signature(state: &State, node: &str, secs: u64, method: &Method, path: &str) -> String {
    let message = format!("{node}\n{secs}\n{method}\n{path}");
    hex(&state
        .store()
        .keyring()
        .mac("node forwarding", message.as_bytes()))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Whether `value` is a node's signature on this request, made within [`SKEW`].
fn from_a_node(state: &State, value: &str, method: &Method, path: &str) -> bool {
    let mut parts = value.splitn(3, ':');
    let (Some(node), Some(secs), Some(mac)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(secs) = secs.parse::<u64>() else {
        return false;
    };
    now_secs().abs_diff(secs) <= SKEW
        && crate::auth::same_secret(mac, &signature(state, node, secs, method, path))
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(300))
            .build()
            .expect("the forwarding client builds")
    })
}

/// The path with its query, as the request named it.
fn path_and_query() -> impl Filter<Extract = (String,), Error = std::convert::Infallible> + Clone {
    warp::path::full()
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .map(|path: warp::path::FullPath, query: String| {
            if query.is_empty() {
                path.as_str().to_string()
            } else {
                format!("{}?{query}", path.as_str())
            }
        })
}

/// Headers not passed on: the connection's own, and what the forwarding node sets.
const DROPPED: [&str; 7] = [
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "x-forwarded-for",
    NODE_HEADER,
];

/// Sends the request on to `address` and answers with what the owner answered.
async fn send_on(
    state: State,
    address: String,
    method: Method,
    path: String,
    headers: HeaderMap,
    client_address: Client,
    body: Bytes,
) -> Result<Response, ApiError> {
    let node = state
        .actors
        .node()
        .map(|n| n.id.clone())
        .unwrap_or_default();
    let secs = now_secs();
    let mut request = client()
        .request(method.clone(), format!("http://{address}{path}"))
        .header(
            NODE_HEADER,
            format!(
                "{node}:{secs}:{}",
                signature(&state, &node, secs, &method, &path)
            ),
        )
        .header(
            "x-forwarded-for",
            client_address.ip(&state.config).to_string(),
        )
        .body(body);
    for (name, value) in &headers {
        if !DROPPED.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.map_err(|e| {
        tracing::warn!(%address, error = %e, "the tenant's node did not answer");
        ApiError::Unavailable("The node serving this account did not answer; try again.".into())
    })?;
    let mut response = Response::new(Default::default());
    *response.status_mut() = answer.status();
    for (name, value) in answer.headers() {
        if !DROPPED.contains(&name.as_str()) {
            response.headers_mut().append(name, value.clone());
        }
    }
    let bytes = answer.bytes().await.map_err(|e| {
        ApiError::Unavailable(format!("The node serving this account broke off: {e}"))
    })?;
    *response.body_mut() = bytes.into();
    Ok(response)
}

/// A request's body, read whole up to [`MAX_FORWARDED_BYTES`] (a longer one is refused), with
/// or without a `Content-Length`.
async fn capped(
    body: impl futures_util::Stream<Item = Result<impl bytes::Buf, warp::Error>>,
) -> Result<Bytes, ApiError> {
    use bytes::BufMut;
    use futures_util::TryStreamExt;
    let mut body = std::pin::pin!(body);
    let mut whole = bytes::BytesMut::new();
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| ApiError::BadRequest(format!("The request's body broke off: {e}")))?
    {
        if (whole.len() + chunk.remaining()) as u64 > MAX_FORWARDED_BYTES {
            return Err(ApiError::Status(
                warp::http::StatusCode::PAYLOAD_TOO_LARGE,
                "The request is too large.".into(),
            ));
        }
        whole.put(chunk);
    }
    Ok(whole.freeze())
}

/// The requests this node sends on to the tenant's node (and answers for them); every
/// other request is rejected as not found before its body is read, for the routes to serve.
pub fn filter(state: &State) -> BoxedFilter<(Response,)> {
    let decide = state.clone();
    let sending = state.clone();
    warp::path::full()
        .and(warp::header::headers_cloned())
        .and_then(move |path: warp::path::FullPath, headers: HeaderMap| {
            let target = target(&decide, path.as_str(), &headers);
            async move { target.ok_or_else(warp::reject::not_found) }
        })
        .and(warp::method())
        .and(path_and_query())
        .and(warp::header::headers_cloned())
        .and(client_addr())
        .and(warp::body::stream())
        .and_then(
            move |target: Target,
                  method: Method,
                  path: String,
                  headers: HeaderMap,
                  client_address: Client,
                  body| {
                let state = sending.clone();
                async move {
                    let answered = match target {
                        Target::Node(address) => match capped(body).await {
                            Ok(body) => {
                                send_on(state, address, method, path, headers, client_address, body)
                                    .await
                            }
                            Err(e) => Err(e),
                        },
                        Target::Nobody => Err(ApiError::Unavailable(
                            "This account is moving between nodes; try again in a few seconds."
                                .into(),
                        )),
                    };
                    Ok::<_, Rejection>(answered.unwrap_or_else(|e| e.into_response()))
                }
            },
        )
        .boxed()
}

/// What the internal listener accepts: requests another node signed; anything else is
/// refused with 403 before a route sees it.
pub fn from_nodes(state: &State) -> BoxedFilter<()> {
    let state = state.clone();
    warp::method()
        .and(path_and_query())
        .and(warp::header::optional::<String>(NODE_HEADER))
        .and_then(
            move |method: Method, path: String, signed: Option<String>| {
                let trusted = signed.is_some_and(|s| from_a_node(&state, &s, &method, &path));
                async move {
                    if trusted {
                        Ok(())
                    } else {
                        Err(warp::reject::custom(crate::error::Refused(
                            ApiError::Forbidden("Only the nodes of the cluster call here.".into()),
                        )))
                    }
                }
            },
        )
        .untuple_one()
        .boxed()
}
