//! One declaration per route. An operation's `#[utoipa::path(...)]` names its method, its
//! path template and its answers; the warp filter that serves it is built from that same
//! declaration by [`route!`], so a path is written once, and the OpenAPI document cannot list
//! a route the server lacks or miss one it has. The operation itself is a typed function
//! (`(…) -> Result<View, ApiError>`) that pages call as well; only here does its value become
//! JSON, with the status the declaration gives its success.

use std::str::FromStr;

use serde::Serialize;
use utoipa::__dev::{SchemaReferences, Tags};
use utoipa::openapi::OpenApi;
use utoipa::openapi::path::HttpMethod;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::path::FullPath;
use warp::reply::Response;

use crate::error::ApiError;
use crate::respond::{json_reply, no_content};

/// A path template of the document (`/api/organizations/{id}/`), split into segments.
#[derive(Clone)]
pub(crate) struct Template {
    segments: Vec<Option<String>>,
}

impl Template {
    pub fn parse(template: &str) -> Template {
        Template {
            segments: trimmed(template)
                .split('/')
                .map(|s| (!s.starts_with('{')).then(|| s.to_string()))
                .collect(),
        }
    }

    /// A request path's parameters (raw segments) when it is of this template. As with
    /// warp's own paths, one trailing slash more or less does not matter.
    pub fn params<'a>(&self, path: &'a str) -> Option<Vec<&'a str>> {
        let asked: Vec<&str> = trimmed(path).split('/').collect();
        if asked.len() != self.segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (segment, part) in self.segments.iter().zip(asked) {
            match segment {
                Some(literal) if literal == part => {}
                None if !part.is_empty() => params.push(part),
                _ => return None,
            }
        }
        Some(params)
    }

    /// How many of its segments are fixed words: among templates that match a path, the
    /// one with most wins (`/api/certificates/search/` over `/api/certificates/{id}/`).
    pub fn literals(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

fn trimmed(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path)
}

/// The method and template of a declared operation. Declarations are checked when the
/// routes are built, which every start and every test does: a route with the wrong number
/// of parameters does not start.
fn declared<P: utoipa::Path>(params: usize) -> (Template, BoxedFilter<()>) {
    let methods = P::methods();
    let [method] = methods.as_slice() else {
        panic!("{} declares {} methods, not one", P::path(), methods.len());
    };
    let template = Template::parse(&P::path());
    let found = template.segments.iter().filter(|s| s.is_none()).count();
    assert_eq!(found, params, "{} has {found} parameters", P::path());
    let method = match method {
        HttpMethod::Get => warp::get().boxed(),
        HttpMethod::Post => warp::post().boxed(),
        HttpMethod::Put => warp::put().boxed(),
        HttpMethod::Patch => warp::patch().boxed(),
        HttpMethod::Delete => warp::delete().boxed(),
        _ => panic!("{} declares a method no route serves", P::path()),
    };
    (template, method)
}

/// Requests whose path is of `template`, which has no parameter.
pub(crate) fn path(template: Template) -> BoxedFilter<()> {
    warp::path::full()
        .and_then(move |path: FullPath| {
            let found = template.params(path.as_str()).is_some();
            async move { found.then_some(()).ok_or_else(warp::reject::not_found) }
        })
        .untuple_one()
        .boxed()
}

/// Requests whose path is of `template`, with its one parameter parsed as `T` (a path whose
/// parameter does not parse is not this route's).
pub(crate) fn path_param<T: FromStr + Send + 'static>(template: Template) -> BoxedFilter<(T,)> {
    warp::path::full()
        .and_then(move |path: FullPath| {
            let found = template
                .params(path.as_str())
                .and_then(|params| params.first()?.parse::<T>().ok());
            async move { found.ok_or_else(warp::reject::not_found) }
        })
        .boxed()
}

/// Requests whose path is of `template`, with its two parameters parsed as `T` and `U`.
pub(crate) fn path_params<T, U>(template: Template) -> BoxedFilter<(T, U)>
where
    T: FromStr + Send + 'static,
    U: FromStr + Send + 'static,
{
    warp::path::full()
        .and_then(move |path: FullPath| {
            let found = template.params(path.as_str()).and_then(|params| {
                Some((
                    params.first()?.parse::<T>().ok()?,
                    params.get(1)?.parse::<U>().ok()?,
                ))
            });
            async move { found.ok_or_else(warp::reject::not_found) }
        })
        .untuple_one()
        .boxed()
}

/// A declared route without path parameters: its path, then its method (so a known path
/// with another method is a 405, as warp answers).
pub(crate) fn at<P: utoipa::Path>() -> BoxedFilter<()> {
    let (template, method) = declared::<P>(0);
    path(template).and(method).boxed()
}

/// A declared route with one path parameter.
pub(crate) fn at_param<P: utoipa::Path, T: FromStr + Send + 'static>() -> BoxedFilter<(T,)> {
    let (template, method) = declared::<P>(1);
    path_param(template).and(method).boxed()
}

/// A declared route with two path parameters.
pub(crate) fn at_params<P, T, U>() -> BoxedFilter<(T, U)>
where
    P: utoipa::Path,
    T: FromStr + Send + 'static,
    U: FromStr + Send + 'static,
{
    let (template, method) = declared::<P>(2);
    path_params(template).and(method).boxed()
}

/// The status a declared operation answers on success: its first 2xx.
pub(crate) fn success<P: utoipa::Path>() -> StatusCode {
    P::operation()
        .responses
        .responses
        .keys()
        .filter_map(|code| code.parse::<u16>().ok())
        .filter(|code| (200..300).contains(code))
        .min()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .unwrap_or_else(|| panic!("{} declares no success", P::path()))
}

/// An operation's typed result as the response: the declared success status with the value
/// as JSON (no body for a 204), or the error's answer.
pub(crate) fn answer<T: Serialize>(status: StatusCode, result: Result<T, ApiError>) -> Response {
    match result {
        Ok(_) if status == StatusCode::NO_CONTENT => no_content(),
        Ok(value) => json_reply(status, &value),
        Err(e) => e.into_response(),
    }
}

/// An entry of the OpenAPI document: adds one route's operations and the schemas they name.
pub(crate) type Entry = fn(&mut OpenApi);

/// Every served route's entry, gathered at link time from the `route!` (and `crud::collection!`)
/// that serve them: the document lists exactly the routes served, and no list names them
/// again.
#[linkme::distributed_slice]
pub(crate) static DOCUMENTED: [Entry];

/// The entry of a declared operation: its path, method and operation, and its schemas.
pub(crate) fn entry<P>(api: &mut OpenApi)
where
    P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
{
    let mut operation = P::operation();
    let tags = P::tags();
    if !tags.is_empty() {
        operation.tags = Some(tags.into_iter().map(String::from).collect());
    }
    api.paths
        .add_path_operation(P::path(), P::methods(), operation);
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}

/// One filter trying each route in turn.
pub(crate) fn any_of(routes: Vec<BoxedFilter<(Response,)>>) -> BoxedFilter<(Response,)> {
    routes
        .into_iter()
        .reduce(|all, route| all.or(route).unify().boxed())
        .expect("a module serves at least one route")
}

/// The route of the operation `handler`, from its `#[utoipa::path]`, and its entry in the
/// document: the filters after the name give the handler's other arguments in order;
/// `(param)` or `(first, second)` first when the path has parameters; `raw` for a handler that makes its own response (a file, a status of its own,
/// headers).
macro_rules! route {
    (@at $handler:ident) => {
        paste::paste! { crate::route::at::<[<__path_ $handler>]>() }
    };
    (@at $handler:ident ($param:ident)) => {
        paste::paste! { crate::route::at_param::<[<__path_ $handler>], _>() }
    };
    (@at $handler:ident ($first:ident, $second:ident)) => {
        paste::paste! { crate::route::at_params::<[<__path_ $handler>], _, _>() }
    };
    (@documented $handler:ident) => {
        paste::paste! {
            #[linkme::distributed_slice(crate::route::DOCUMENTED)]
            static ENTRY: crate::route::Entry = crate::route::entry::<[<__path_ $handler>]>;
        }
    };
    (raw $handler:ident $(($($param:ident),+))? $(, $filter:expr)* $(,)?) => {{
        use warp::Filter as _;
        route!(@documented $handler);
        route!(@at $handler $(($($param),+))?)
            $(.and($filter))*
            .then($handler)
            .map(crate::respond::done)
            .boxed()
    }};
    ($handler:ident $(($($param:ident),+))? $(, $filter:expr)* $(,)?) => {{
        use warp::Filter as _;
        route!(@documented $handler);
        let status = paste::paste! { crate::route::success::<[<__path_ $handler>]>() };
        route!(@at $handler $(($($param),+))?)
            $(.and($filter))*
            .then($handler)
            .map(move |result| crate::route::answer(status, result))
            .boxed()
    }};
}
pub(crate) use route;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_their_paths_with_or_without_the_last_slash() {
        let item = Template::parse("/api/organizations/{id}/");
        assert_eq!(item.params("/api/organizations/x/"), Some(vec!["x"]));
        assert_eq!(item.params("/api/organizations/x"), Some(vec!["x"]));
        assert_eq!(item.params("/api/organizations//"), None);
        assert_eq!(item.params("/api/organizations/x/y/"), None);
        assert_eq!(item.params("/api/organisations/x/"), None);
        let list = Template::parse("/api/organizations/");
        assert_eq!(list.params("/api/organizations"), Some(vec![]));
        assert_eq!(list.params("/api/organizations/x/"), None);
        let search = Template::parse("/api/certificates/search/");
        let certificate = Template::parse("/api/certificates/{id}/");
        assert!(search.params("/api/certificates/search/").is_some());
        assert!(certificate.params("/api/certificates/search/").is_some());
        assert!(search.literals() > certificate.literals());
        let number = Template::parse("/api/v1/certificate/{number}");
        assert_eq!(number.params("/api/v1/certificate/A-1/"), Some(vec!["A-1"]));
    }
}
