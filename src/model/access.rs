//! Who may call what: the one declaration of access for every server function and plain
//! route. The server enforces it in one gate in front of them (`server::access`), the OpenAPI
//! document states it, pages ask it what to offer a role, and the tests walk it.
//!
//! A page calls server functions directly while it renders on the server, not through the
//! gate: it offers a role only what this declaration lets that role call ([`may`]).

use leptos::server_fn::ServerFn;

use super::{AppError, Role};

/// Who may call an endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not. The route may ask for something else itself (the webhook
    /// checks Meta's signature).
    Public,
    /// Staff signed in with a session, in one of these roles.
    Staff(&'static [Role]),
    /// Staff in one of these roles, with a session or an API token (which acts as the admin
    /// who made it). Outside the session gate: the route finds its caller itself and asks
    /// [`Endpoint::admit`].
    StaffOrToken(&'static [Role]),
}

impl Access {
    /// The roles that may call, or `None` when anyone may.
    pub fn roles(self) -> Option<&'static [Role]> {
        match self {
            Access::Public => None,
            Access::Staff(roles) | Access::StaffOrToken(roles) => Some(roles),
        }
    }
}

/// Anyone signed in.
pub const EVERY_ROLE: &[Role] = Role::ALL;
/// Act on conversations; marketers may read them.
pub const INBOX_ROLES: &[Role] = &[Role::Admin, Role::Agent];
/// Compose, launch and control campaigns and what they send to; agents follow them read-only.
pub const CAMPAIGN_ROLES: &[Role] = &[Role::Admin, Role::Marketer];
pub const ADMIN: &[Role] = &[Role::Admin];

const CAMPAIGNS_REFUSAL: &str = "Only marketers and admins can change campaigns.";
const TOKENS_REFUSAL: &str = "Only an admin can manage API tokens.";
const SIMULATOR_REFUSAL: &str = "Only an admin can play a customer in the simulator.";
const BACKOFFICE_REFUSAL: &str = "Only an admin can change services, staff, hours and closures, FAQs and tags.";
const APPOINTMENTS_REFUSAL: &str = "Only admins and agents can change appointments.";
/// Shown on the Team page to agents and marketers too.
pub const TEAM_REFUSAL: &str = "Only an admin can manage the team.";
const PRIVACY_REFUSAL: &str = "Only an admin can export or erase a customer's data.";

/// An endpoint and who may call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    /// As the router matches it: `/api/campaigns/{id}/recipients.csv`.
    pub path: &'static str,
    pub access: Access,
    /// What a signed-in caller whose role may not call it is told; without one, "Your role
    /// does not allow this."
    pub refusal: Option<&'static str>,
}

impl Endpoint {
    /// Whether a caller in `role` (`None`: not signed in) may call it; if not, the refusal
    /// to answer with.
    pub fn admit(&self, role: Option<Role>) -> Result<(), AppError> {
        let Some(roles) = self.access.roles() else {
            return Ok(());
        };
        match role {
            None => Err(AppError::Unauthorized),
            Some(role) if roles.contains(&role) => Ok(()),
            Some(_) => Err(self
                .refusal
                .map_or(AppError::Forbidden, |refusal| AppError::Refused(refusal.into()))),
        }
    }

    const fn told(self, refusal: &'static str) -> Endpoint {
        Endpoint {
            refusal: Some(refusal),
            ..self
        }
    }
}

/// A server function (`/api/` and the `endpoint` of its `#[server]`) for staff in `roles`.
const fn server_fn(path: &'static str, roles: &'static [Role]) -> Endpoint {
    Endpoint {
        method: "POST",
        path,
        access: Access::Staff(roles),
        refusal: None,
    }
}

const fn route(method: &'static str, path: &'static str, access: Access) -> Endpoint {
    Endpoint {
        method,
        path,
        access,
        refusal: None,
    }
}

/// Every server function. One missing here cannot be called: the gate refuses it.
pub const SERVER_FUNCTIONS: &[Endpoint] = &[
    server_fn("/api/session/me", EVERY_ROLE),
    server_fn("/api/knowledge", EVERY_ROLE),
    // The back office: everyone reads what the receptionist knows; admins change it.
    server_fn("/api/backoffice", EVERY_ROLE),
    server_fn("/api/backoffice/service/save", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/service/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/faq/save", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/faq/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/tag/save", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/tag/merge", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/schedule", EVERY_ROLE),
    server_fn("/api/backoffice/staff/save", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/staff/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/staff/time-off/add", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/staff/time-off/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/hours/save", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/closure/add", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/closure/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    server_fn("/api/backoffice/tag/delete", ADMIN).told(BACKOFFICE_REFUSAL),
    // Appointments: everyone reads the day; those who serve customers change it.
    server_fn("/api/appointments/day", EVERY_ROLE),
    server_fn("/api/appointments/mark", INBOX_ROLES).told(APPOINTMENTS_REFUSAL),
    server_fn("/api/appointments/cancel", INBOX_ROLES).told(APPOINTMENTS_REFUSAL),
    server_fn("/api/appointments/save", INBOX_ROLES).told(APPOINTMENTS_REFUSAL),
    server_fn("/api/inbox/conversations", EVERY_ROLE),
    server_fn("/api/inbox/conversation", EVERY_ROLE),
    server_fn("/api/inbox/read", EVERY_ROLE),
    server_fn("/api/inbox/mode", INBOX_ROLES),
    server_fn("/api/inbox/reply", INBOX_ROLES),
    server_fn("/api/inbox/template", INBOX_ROLES),
    server_fn("/api/inbox/contact", INBOX_ROLES),
    server_fn("/api/campaigns/overview", EVERY_ROLE),
    server_fn("/api/campaigns/options", EVERY_ROLE),
    server_fn("/api/campaigns/detail", EVERY_ROLE),
    server_fn("/api/campaigns/plan", CAMPAIGN_ROLES).told(CAMPAIGNS_REFUSAL),
    server_fn("/api/campaigns/launch", CAMPAIGN_ROLES).told(CAMPAIGNS_REFUSAL),
    server_fn("/api/campaigns/act", CAMPAIGN_ROLES).told(CAMPAIGNS_REFUSAL),
    // The inbox offers templates too.
    server_fn("/api/campaigns/templates", EVERY_ROLE),
    server_fn("/api/campaigns/templates/sync", CAMPAIGN_ROLES),
    server_fn("/api/contacts/import", CAMPAIGN_ROLES),
    // A token acts as the admin who made it.
    server_fn("/api/campaigns/tokens", ADMIN).told(TOKENS_REFUSAL),
    server_fn("/api/campaigns/tokens/create", ADMIN).told(TOKENS_REFUSAL),
    server_fn("/api/campaigns/tokens/revoke", ADMIN).told(TOKENS_REFUSAL),
    // Speaking as a customer is an admin's test tool (and only while replies cannot reach
    // real people, which the simulator checks itself).
    server_fn("/api/simulator/access", ADMIN).told(SIMULATOR_REFUSAL),
    server_fn("/api/simulator/send", ADMIN).told(SIMULATOR_REFUSAL),
    server_fn("/api/simulator/thread", ADMIN).told(SIMULATOR_REFUSAL),
    server_fn("/api/contacts/export", ADMIN).told(PRIVACY_REFUSAL),
    server_fn("/api/contacts/erase", ADMIN).told(PRIVACY_REFUSAL),
    // Each role sees its part of the figures (`RoiReport::seen_by`).
    server_fn("/api/analytics/roi", EVERY_ROLE),
    server_fn("/api/audit/log", ADMIN).told("Only an admin can read the audit log."),
    // Staff accounts: who may sign in, and as what.
    server_fn("/api/team", ADMIN).told(TEAM_REFUSAL),
    server_fn("/api/team/invite", ADMIN).told(TEAM_REFUSAL),
    server_fn("/api/team/role", ADMIN).told(TEAM_REFUSAL),
    server_fn("/api/team/password", ADMIN).told(TEAM_REFUSAL),
    server_fn("/api/team/active", ADMIN).told(TEAM_REFUSAL),
];

/// Every plain route, as the OpenAPI document lists them. One missing here is refused.
pub const ROUTES: &[Endpoint] = &[
    route("POST", "/auth/login", Access::Public),
    route("POST", "/auth/logout", Access::Public),
    route("GET", "/api/health", Access::Public),
    route("GET", "/api/openapi.json", Access::Public),
    route("GET", "/webhook/whatsapp", Access::Public),
    route("POST", "/webhook/whatsapp", Access::Public),
    route("GET", "/", Access::Staff(EVERY_ROLE)),
    route("GET", "/ws/inbox-updates", Access::Staff(EVERY_ROLE)),
    route("GET", "/api/campaigns/{id}/recipients.csv", Access::Staff(EVERY_ROLE)),
    route("GET", "/api/contacts/{id}/export.json", Access::Staff(ADMIN)).told(PRIVACY_REFUSAL),
    route("POST", "/api/campaigns/broadcast", Access::StaffOrToken(CAMPAIGN_ROLES))
        .told("Only marketers and admins can launch campaigns."),
    // Each role gets its part of the ROI figures (`RoiReport::seen_by`).
    route("GET", "/api/analytics/roi", Access::StaffOrToken(EVERY_ROLE)),
    route("GET", "/api/analytics/roi.csv", Access::StaffOrToken(EVERY_ROLE)),
];

/// The declaration of the server function at `path`.
pub fn server_function(path: &str) -> Option<&'static Endpoint> {
    SERVER_FUNCTIONS.iter().find(|endpoint| endpoint.path == path)
}

/// The declaration of the plain route `method path` (`path` as the router matches it).
pub fn plain_route(method: &str, path: &str) -> Option<&'static Endpoint> {
    // A GET route answers HEAD too.
    let method = if method.eq_ignore_ascii_case("HEAD") {
        "GET"
    } else {
        method
    };
    ROUTES
        .iter()
        .find(|endpoint| endpoint.path == path && endpoint.method.eq_ignore_ascii_case(method))
}

/// Whether `role` may call the server function `F`: what a page offers that role.
pub fn may<F: ServerFn>(role: Role) -> bool {
    admit::<F>(Some(role)).is_ok()
}

/// [`Endpoint::admit`] for the server function `F`; one without a declaration admits nobody.
pub fn admit<F: ServerFn>(role: Option<Role>) -> Result<(), AppError> {
    server_function(F::PATH).map_or(Err(AppError::Forbidden), |endpoint| endpoint.admit(role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declaration_admits_its_roles_and_tells_the_others_why_not() {
        let act = server_function("/api/campaigns/act").unwrap();
        assert_eq!(act.admit(None), Err(AppError::Unauthorized));
        assert_eq!(act.admit(Some(Role::Marketer)), Ok(()));
        assert_eq!(
            act.admit(Some(Role::Agent)),
            Err(AppError::Refused(CAMPAIGNS_REFUSAL.into()))
        );
        let reply = server_function("/api/inbox/reply").unwrap();
        assert_eq!(reply.admit(Some(Role::Marketer)), Err(AppError::Forbidden));
        let health = plain_route("GET", "/api/health").unwrap();
        assert_eq!(health.admit(None), Ok(()));
        assert_eq!(plain_route("HEAD", "/api/health"), Some(health));
        assert_eq!(plain_route("POST", "/api/health"), None);
    }

    #[test]
    fn each_endpoint_is_declared_once() {
        for table in [SERVER_FUNCTIONS, ROUTES] {
            for (i, endpoint) in table.iter().enumerate() {
                let twice = table[i + 1..]
                    .iter()
                    .any(|other| other.path == endpoint.path && other.method == endpoint.method);
                assert!(!twice, "{} {} is declared twice", endpoint.method, endpoint.path);
            }
        }
    }
}
