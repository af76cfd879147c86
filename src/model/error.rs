use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// The one error type server functions return. It carries only what a user can act on;
/// the cause of an internal failure is logged on the server, never sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("You are not signed in. Please sign in again.")]
    Unauthorized,
    #[error("Your role does not allow this.")]
    Forbidden,
    /// Refused (403) for a reason the user can read: what is off, and why.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Invalid(String),
    /// Clashes with something already done (409), e.g. an idempotency key reused for another request.
    #[error("{0}")]
    Conflict(String),
    #[error("{0} was not found.")]
    NotFound(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never reached our code, or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // On the server these are a request whose arguments cannot be read: the caller's
        // mistake (400), not a failure of ours (500).
        #[cfg(feature = "ssr")]
        if matches!(
            value,
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) | ServerFnErrorErr::Deserialization(_)
        ) {
            crate::server::error::answer_bad_request();
        }
        AppError::Transport(value.to_string())
    }
}
