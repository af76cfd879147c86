//! Staff accounts and sessions as the browser sees them.

use serde::{Deserialize, Serialize};

string_enum! {
    /// What a staff account may do.
    Role {
        Admin => "admin",
        Agent => "agent",
        Marketer => "marketer",
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Agent => "Agent",
            Role::Marketer => "Marketer",
        }
    }
}

/// A signed-in staff member, as the browser sees them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// What the frame around every page shows: who is signed in and what answers customers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub user: StaffUser,
    /// e.g. "Gemini (gemini-2.5-flash)" or "Offline receptionist".
    pub ai_provider: String,
    /// True when WhatsApp messages are recorded, not sent (no access token configured).
    pub whatsapp_outbox: bool,
}
