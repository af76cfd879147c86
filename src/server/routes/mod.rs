//! Plain axum routes: the ones that are not server functions.

pub mod auth;
pub mod health;
pub mod inbox_updates;
pub mod openapi;
pub mod webhook;
