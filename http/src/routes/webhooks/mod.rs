//! Webhooks: subscribers (receivers), subscriptions (which events go where), and the
//! delivery audit log, each in its own module. Admin only: subscribers carry the secrets
//! receivers trust.

pub mod deliveries;
pub mod subscribers;
pub mod subscriptions;

use uuid::Uuid;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::reply::Response;

use crate::auth::caller;
use crate::extract::query;
use crate::respond::done;
use crate::state::{State, with_state};
use deliveries::{get_delivery, list_deliveries, retry_delivery};
use subscribers::{
    create_subscriber, delete_subscriber, get_subscriber, list_subscribers, patch_subscriber,
    put_subscriber, rotate_key, rotate_secret,
};
use subscriptions::{
    create_subscription, delete_subscription, get_subscription, list_subscriptions,
    patch_subscription, put_subscription,
};

pub fn routes(state: &State) -> BoxedFilter<(Response,)> {
    let subscribers = warp::path!("api" / "webhooks" / "subscribers" / ..);
    let deliveries = warp::path!("api" / "webhooks" / "deliveries" / ..);
    let auth = || with_state(state).and(caller(state));
    // `POST …/{id}/<name>/`
    let action = |name: &'static str| {
        warp::path::param::<Uuid>()
            .and(warp::path(name))
            .and(warp::path::end())
            .and(warp::post())
            .and(auth())
    };
    let rotate_key = subscribers
        .and(action("rotate-key"))
        .then(rotate_key)
        .map(done);
    let rotate_secret = subscribers
        .and(action("rotate-signing-secret"))
        .then(rotate_secret)
        .map(done);
    let list_deliveries = deliveries
        .and(warp::path::end())
        .and(warp::get())
        .and(auth())
        .and(query())
        .then(list_deliveries)
        .map(done);
    let get_delivery = deliveries
        .and(warp::path::param::<Uuid>())
        .and(warp::path::end())
        .and(warp::get())
        .and(auth())
        .then(get_delivery)
        .map(done);
    let retry = deliveries
        .and(action("retry"))
        .then(retry_delivery)
        .map(done);
    rotate_key
        .or(rotate_secret)
        .unify()
        .or(list_deliveries)
        .unify()
        .or(get_delivery)
        .unify()
        .or(retry)
        .unify()
        .or(crud_routes!(
            subscribers,
            state,
            list_subscribers,
            create_subscriber,
            get_subscriber,
            put_subscriber,
            patch_subscriber,
            delete_subscriber
        ))
        .unify()
        .or(crud_routes!(
            warp::path!("api" / "webhooks" / "subscriptions" / ..),
            state,
            list_subscriptions,
            create_subscription,
            get_subscription,
            put_subscription,
            patch_subscription,
            delete_subscription
        ))
        .unify()
        .boxed()
}
