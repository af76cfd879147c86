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

/// A staff account as the Team page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// False once an admin has deactivated the account: it cannot sign in.
    pub active: bool,
}

/// What an admin fills in to invite a staff member. `role` is checked on the server
/// ([`Role::parse`]); an empty `password` asks for a generated one, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteForm {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
}

/// Never prints the password.
impl std::fmt::Debug for InviteForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteForm")
            .field("role", &self.role)
            .field("password", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The fewest characters a staff password may have (the first admin's too).
pub const MIN_PASSWORD_CHARS: usize = 8;
