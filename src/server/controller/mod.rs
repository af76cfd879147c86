//! The message controller (the seed's `message_controller`), in rooms:
//!
//! - [`inbound`]: one customer message, from stored to answered;
//! - [`booking`]: the booking conversation (free times, booking, offers);
//! - [`outbound`]: the bot's replies, notes for staff, WhatsApp delivery, inbox events;
//! - [`followups`]: the abandoned-booking follow-up and the holding message;
//! - [`staff`]: takeover, hand-back, staff replies and contact edits from the inbox;
//! - [`jobs`]: the kinds of background work and the one place that runs each;
//! - [`sentences`]: every sentence the bot writes, in one place;
//! - [`flow`]: what a conversation is in the middle of, between messages.
//!
//! Each room takes the [`AppState`](crate::server::state::AppState) it works with.

pub mod booking;
pub mod flow;
pub mod followups;
pub mod inbound;
pub mod jobs;
pub mod outbound;
pub mod sentences;
pub mod staff;

use std::time::Duration;

pub use jobs::{give_up, inbound_job, run_job, JobKind};
pub use staff::{ContactEdit, StaffReplyError};

use crate::server::db::DbError;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Try the job again later (AI down, WhatsApp busy), after the delay the service asked
    /// for if it named one.
    #[error("{0}")]
    Retry(String, Option<Duration>),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("bad job payload: {0}")]
    BadPayload(String),
}
