//! WhatsApp Cloud API: webhook payloads, their signature, and the sender.

pub mod payload;
pub mod sender;
pub mod signature;
