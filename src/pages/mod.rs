//! One module per page: its components and the server functions that feed them.

pub mod analytics;
pub mod appointments;
pub mod audit;
pub mod backoffice;
pub mod campaigns;
pub mod contacts_import;
pub mod inbox;
pub mod knowledge;
pub mod login;
pub mod not_found;
pub mod simulator;
pub mod team;
pub mod templates;
