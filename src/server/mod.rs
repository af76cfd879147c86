//! Everything that never reaches the browser. No view code lives here.

pub mod auth;
pub mod config;
pub mod db;
pub mod error;
pub mod routes;
pub mod startup;
pub mod state;
