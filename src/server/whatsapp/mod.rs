//! WhatsApp Cloud API: webhook payloads, their signature, the sender and the template list.

pub mod payload;
pub mod sender;
pub mod signature;
pub mod templates;
