//! Requests on any node: on a node of several sharing a PostgreSQL store, a request for a
//! tenant whose shard another node holds is sent on to that node's internal listener and
//! its answer passed back unchanged. The owner serves it as it serves its own (a write is
//! answered after its commit there), so the guarantees are the owner's.
//!
//! The tenant is known before the body is read, from the request's credential — a sign-in
//! token (header or session cookie) or an API key — or the supplier link's token in its path;
//! bodies and answers stream through without being held here. An invitation's acceptance
//! names its tenant only in its JSON body: its route asks [`on_owner`] once it has read it.
//! Requests of no tenant (sign-in, sign-up, health, metrics) are served where they land. Between nodes a request carries
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
use warp::{Filter, Rejection, Reply};

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

/// The tenant a request's credential belongs to, if it names one this store knows: its
/// sign-in token or API key, or the token of the supplier link in its path.
fn tenant_of(state: &State, path: &str, headers: &HeaderMap) -> Option<Uuid> {
    let store = state.store();
    if let Some(link) = path.strip_prefix("/supplier/") {
        let token = link.split('/').next().unwrap_or_default();
        return tables::cert_requests::by_token(store, &key_hash(token))
            .ok()
            .flatten()
            .map(|r| r.tenant_id);
    }
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
    elsewhere(state, tenant_of(state, path, headers)?)
}

/// Where requests for `tenant` go, when this node is one of several and does not run it.
fn elsewhere(state: &State, tenant: Uuid) -> Option<Target> {
    state.actors.node()?;
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

/// Headers not passed on: the connection's own, and what the forwarding node sets. The
/// length is passed on: the owner's routes refuse a JSON body without one.
const DROPPED: [&str; 6] = [
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "x-forwarded-for",
    NODE_HEADER,
];

/// Sends the request on to `address`: the owner's answer, its body still to be read.
async fn send_on(
    state: &State,
    address: &str,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    client_address: &Client,
    body: reqwest::Body,
) -> Result<reqwest::Response, ApiError> {
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
                signature(state, &node, secs, &method, path)
            ),
        )
        .header(
            "x-forwarded-for",
            client_address.ip(&state.config).to_string(),
        )
        .body(body);
    for (name, value) in headers {
        if !DROPPED.contains(&name.as_str()) {
            request = request.header(name, value);
        }
    }
    request.send().await.map_err(|e| {
        tracing::warn!(%address, error = %e, "the tenant's node did not answer");
        ApiError::Unavailable("The node serving this account did not answer; try again.".into())
    })
}

/// The owner's answer as this node's, unchanged; its body passed on as it arrives.
fn passed_back(answer: reqwest::Response) -> Response {
    use futures_util::{SinkExt, StreamExt};
    let status = answer.status();
    let headers = answer.headers().clone();
    // A channel between the two: warp's body must be `Sync`, the driver's stream is not.
    let (mut chunks, body) = futures_channel::mpsc::channel::<Result<Bytes, reqwest::Error>>(4);
    tokio::spawn(async move {
        let mut from_owner = std::pin::pin!(answer.bytes_stream());
        while let Some(chunk) = from_owner.next().await {
            if chunks.send(chunk).await.is_err() {
                // The client went away.
                return;
            }
        }
    });
    let mut response = warp::reply::stream(body).into_response();
    *response.status_mut() = status;
    for (name, value) in &headers {
        if !DROPPED.contains(&name.as_str()) {
            response.headers_mut().append(name, value.clone());
        }
    }
    response
}

/// A request's body as it arrives, sent on without being held here; refused past
/// [`MAX_FORWARDED_BYTES`] — at once when its length says so, else when it gets there, which
/// ends the request to the owner before it is complete (the owner commits nothing of it).
fn streamed(
    headers: &HeaderMap,
    body: impl futures_util::Stream<Item = Result<impl bytes::Buf, warp::Error>> + Send + 'static,
) -> Result<reqwest::Body, ApiError> {
    use futures_util::StreamExt;
    let too_large = || {
        ApiError::Status(
            warp::http::StatusCode::PAYLOAD_TOO_LARGE,
            "The request is too large.".into(),
        )
    };
    let length = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if length.is_some_and(|l| l > MAX_FORWARDED_BYTES) {
        return Err(too_large());
    }
    let mut seen = 0u64;
    let chunks = body.map(move |chunk| {
        let mut chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.remaining() as u64;
        if seen > MAX_FORWARDED_BYTES {
            return Err(std::io::Error::other("the request is too large"));
        }
        Ok(chunk.copy_to_bytes(chunk.remaining()))
    });
    Ok(reqwest::Body::wrap_stream(chunks))
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
                    let answered = forwarded(
                        &state,
                        target,
                        method,
                        &path,
                        &headers,
                        &client_address,
                        body,
                    )
                    .await;
                    Ok::<_, Rejection>(answered.unwrap_or_else(|e| e.into_response()))
                }
            },
        )
        .boxed()
}

/// The request sent on to `target` and the owner's answer passed back.
async fn forwarded(
    state: &State,
    target: Target,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    client_address: &Client,
    body: impl futures_util::Stream<Item = Result<impl bytes::Buf, warp::Error>> + Send + 'static,
) -> Result<Response, ApiError> {
    let Target::Node(address) = target else {
        return Err(moving());
    };
    let body = streamed(headers, body)?;
    let answer = send_on(state, &address, method, path, headers, client_address, body).await?;
    Ok(passed_back(answer))
}

/// The answer while no node holds a tenant's shard.
fn moving() -> ApiError {
    ApiError::Unavailable(
        "This account is moving between nodes; try again in a few seconds.".into(),
    )
}

/// For a request whose tenant only its JSON body names (an invitation's token), found once
/// the route has read it: when another node runs `tenant`, the same request made there —
/// its answer, or its refusal as this node gives refusals. `None`: the tenant is served here.
pub async fn on_owner<T: serde::de::DeserializeOwned>(
    state: &State,
    tenant: Uuid,
    path: &str,
    body: &serde_json::Value,
    client_address: &Client,
) -> Result<Option<T>, ApiError> {
    let address = match elsewhere(state, tenant) {
        None => return Ok(None),
        Some(Target::Nobody) => return Err(moving()),
        Some(Target::Node(address)) => address,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        "content-type",
        warp::http::HeaderValue::from_static("application/json"),
    );
    let answer = send_on(
        state,
        &address,
        Method::POST,
        path,
        &headers,
        client_address,
        reqwest::Body::from(body.to_string()),
    )
    .await?;
    let status = answer.status();
    let retry_after = answer
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let broke_off = |e: reqwest::Error| {
        ApiError::Unavailable(format!("The node serving this account broke off: {e}"))
    };
    if status.is_success() {
        return answer.json().await.map(Some).map_err(broke_off);
    }
    let refusal: serde_json::Value = answer.json().await.map_err(broke_off)?;
    Err(ApiError::from_answer(status, refusal, retry_after))
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
