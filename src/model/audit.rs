//! The audit log as admins read it, and a customer's data as exported on request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Appointment, Contact, ConversationMode, Message, RecipientStatus};

string_enum! {
    /// What an audit entry records.
    AuditAction {
        TakeOver => "take_over",
        HandBack => "hand_back",
        CampaignLaunch => "campaign_launch",
        RoleChange => "role_change",
        ContactExport => "contact_export",
        ContactErase => "contact_erase",
        StaffInvite => "staff_invite",
        PasswordReset => "password_reset",
        StaffDeactivate => "staff_deactivate",
        StaffReactivate => "staff_reactivate",
    }
}

impl AuditAction {
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::TakeOver => "Took over a conversation",
            AuditAction::HandBack => "Handed a conversation back to the bot",
            AuditAction::CampaignLaunch => "Launched a campaign",
            AuditAction::RoleChange => "Changed a role",
            AuditAction::ContactExport => "Exported a contact's data",
            AuditAction::ContactErase => "Erased a contact",
            AuditAction::StaffInvite => "Invited a staff member",
            AuditAction::PasswordReset => "Reset a password",
            AuditAction::StaffDeactivate => "Deactivated a staff account",
            AuditAction::StaffReactivate => "Reactivated a staff account",
        }
    }
}

string_enum! {
    /// What an audit entry is about; with its id, never with personal data.
    AuditSubject {
        Conversation => "conversation",
        Campaign => "campaign",
        User => "user",
        Contact => "contact",
    }
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The staff account, while it exists.
    pub actor_user_id: Option<i64>,
    pub actor_email: String,
    pub actor_name: String,
    /// The API token the account acted through, by name, if it did.
    pub api_token: Option<String>,
    pub action: AuditAction,
    pub subject: AuditSubject,
    pub subject_id: i64,
    pub detail: String,
}

/// A page of the audit log, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// The id to ask for entries before, when there are older ones.
    pub next_before: Option<i64>,
}

/// Everything stored about one customer: what `contacts/export` and
/// `GET /api/contacts/{id}/export.json` answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContactExport {
    /// The version of this document's shape.
    pub format: u32,
    pub exported_at: DateTime<Utc>,
    pub contact: Contact,
    pub tags: Vec<String>,
    /// The contact's conversation, when they have one.
    pub conversation: Option<ExportedConversation>,
    pub appointments: Vec<Appointment>,
    pub campaign_sends: Vec<CampaignSend>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportedConversation {
    pub id: i64,
    pub mode: ConversationMode,
    pub created_at: DateTime<Utc>,
    /// Every message, oldest first.
    pub messages: Vec<Message>,
}

/// One campaign as it reached (or skipped) the contact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CampaignSend {
    pub campaign_id: i64,
    pub campaign_name: String,
    pub status: RecipientStatus,
    pub reason: Option<String>,
    /// The message as written for them.
    pub text: String,
    pub scheduled_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What erasing a contact removed, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReport {
    pub conversations: u64,
    pub messages: u64,
    pub appointments: u64,
    pub campaign_sends: u64,
    pub tags: u64,
    /// Queued or finished background jobs about them (their messages, follow-ups).
    pub jobs: u64,
}

impl ErasureReport {
    /// "1 conversation, 12 messages, …": counts only, for the audit log and the inbox.
    pub fn summary(&self) -> String {
        let part = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        [
            part(self.conversations, "conversation", "conversations"),
            part(self.messages, "message", "messages"),
            part(self.appointments, "appointment", "appointments"),
            part(self.campaign_sends, "campaign send", "campaign sends"),
            part(self.tags, "tag link", "tag links"),
            part(self.jobs, "job", "jobs"),
        ]
        .join(", ")
    }
}
