//! Everything that never reaches the browser. No view code lives here.

pub mod access;
pub mod ai;
pub mod analytics;
pub mod appointments;
pub mod auth;
pub mod backoffice;
pub mod booking;
pub mod campaigns;
pub mod config;
pub mod controller;
pub mod db;
pub mod error;
pub mod headers;
pub mod i18n;
pub mod import;
pub mod origin;
pub mod privacy;
pub mod realtime;
pub mod routes;
pub mod schedule;
pub mod scheduler;
pub mod session;
pub mod startup;
pub mod state;
pub mod team;
pub mod whatsapp;
