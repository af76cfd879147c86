//! The Team page: admins invite staff accounts, change their roles, reset their passwords
//! and deactivate them. Everyone else is told only admins manage the team, and sees no
//! controls. A generated password is shown once, to the admin who asked for it.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;

use crate::components::confirm::ConfirmBar;
use crate::components::error::{ActionError, ErrorMessage};
use crate::components::form::FormButtons;
use crate::components::frame::{load_session_info, AppFrame};
use crate::model::access;
use crate::model::{AppError, InviteForm, Role, TeamMember, MIN_PASSWORD_CHARS};

/// Who is acting, for the audit log.
#[cfg(feature = "ssr")]
async fn actor() -> Result<crate::server::db::audit::Actor, AppError> {
    let user = crate::server::session::require_user().await?;
    Ok(crate::server::db::audit::Actor::staff(&user))
}

#[server(endpoint = "team")]
pub async fn load_team() -> Result<Vec<TeamMember>, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        Ok(crate::server::db::users::list_team(&state.db).await?)
    })
    .await
}

/// Creates a staff account; returns its password when it was generated (empty
/// `form.password`), to show once.
#[server(endpoint = "team/invite", input = Json)]
pub async fn invite_member(form: InviteForm) -> Result<Option<String>, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let invited = crate::server::team::invite(&state.db, &form, &actor().await?, chrono::Utc::now()).await?;
        Ok(invited.generated_password)
    })
    .await
}

#[server(endpoint = "team/role")]
pub async fn change_role(user_id: i64, role: String) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let now = chrono::Utc::now();
        Ok(crate::server::team::change_role(&state.db, user_id, &role, &actor().await?, now).await?)
    })
    .await
}

/// Sets a new password (empty: a generated one, returned to show once) and signs the
/// account out everywhere.
#[server(endpoint = "team/password", input = Json)]
pub async fn reset_password(user_id: i64, password: String) -> Result<Option<String>, AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let now = chrono::Utc::now();
        Ok(crate::server::team::reset_password(&state.db, user_id, &password, &actor().await?, now).await?)
    })
    .await
}

/// Deactivates (signing the account out at once) or reactivates an account.
#[server(endpoint = "team/active")]
pub async fn set_member_active(user_id: i64, active: bool) -> Result<(), AppError> {
    crate::server::error::respond(async move {
        let state = crate::server::session::app_state()?;
        let now = chrono::Utc::now();
        Ok(crate::server::team::set_active(&state.db, user_id, active, &actor().await?, now).await?)
    })
    .await
}

/// A password shown once: whose it is, and the password.
type Revealed = RwSignal<Option<(String, String)>>;

/// Whose password was set, and the generated one if any.
type PasswordSet = Result<(String, Option<String>), AppError>;

/// The page's actions. They live above the list, which is rendered anew after each change,
/// so their messages stay in view.
#[derive(Clone, Copy)]
struct TeamActions {
    role: Action<(i64, String), Result<(), AppError>>,
    active: Action<(i64, bool), Result<(), AppError>>,
    password: Action<(TeamMember, String), PasswordSet>,
    invite: Action<InviteForm, PasswordSet>,
    revealed: Revealed,
}

impl TeamActions {
    fn new(saved: RwSignal<u32>) -> TeamActions {
        let revealed: Revealed = RwSignal::new(None);
        let actions = TeamActions {
            role: Action::new(|(id, role): &(i64, String)| change_role(*id, role.clone())),
            active: Action::new(|(id, active): &(i64, bool)| set_member_active(*id, *active)),
            password: Action::new(|(member, password): &(TeamMember, String)| {
                let (id, name, password) = (member.id, member.display_name.clone(), password.clone());
                async move { reset_password(id, password).await.map(|generated| (name, generated)) }
            }),
            invite: Action::new(|form: &InviteForm| {
                let form = form.clone();
                async move {
                    let email = form.email.trim().to_lowercase();
                    invite_member(form).await.map(|generated| (email, generated))
                }
            }),
            revealed,
        };
        // Any answer, even a refusal, reloads the list: a role select shows what is stored.
        Effect::new(move |_| {
            let role_done = actions.role.value().with(Option::is_some);
            let active_done = actions.active.value().with(Option::is_some);
            if role_done || active_done {
                saved.update(|n| *n += 1);
            }
        });
        reveal_after(actions.password, revealed, saved);
        reveal_after(actions.invite, revealed, saved);
        actions
    }
}

/// After `action` succeeds: shows the password it generated, if any, and reloads the list.
fn reveal_after<I>(action: Action<I, PasswordSet>, revealed: Revealed, saved: RwSignal<u32>)
where
    I: Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok((whose, generated))) = action.value().get() {
            revealed.set(generated.map(|password| (whose, password)));
            saved.update(|n| *n += 1);
        }
    });
}

#[component]
pub fn TeamPage() -> impl IntoView {
    let saved = RwSignal::new(0u32);
    // Asked while the page renders on the server, where server functions are called directly
    // rather than through the access gate: the declaration is asked first.
    let team = Resource::new(
        move || saved.get(),
        |_| async move {
            let me = load_session_info().await?.user;
            access::admit::<LoadTeam>(Some(me.role))?;
            load_team().await.map(|members| (me.id, members))
        },
    );
    let actions = TeamActions::new(saved);
    view! {
        <Title text="Team · Frontdesk"/>
        <AppFrame>
            <section class="page backoffice team">
                <h1>"Team"</h1>
                <p class="muted">"Who can sign in to Frontdesk, and as what: admins manage everything, agents answer customers, marketers run campaigns."</p>
                <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match team.await {
                            Ok((me, members)) => view! {
                                <RevealedPassword revealed=actions.revealed/>
                                <Members members me actions/>
                                <Invite actions/>
                            }
                            .into_any(),
                            Err(AppError::Refused(message)) => view! { <p class="notice">{message}</p> }.into_any(),
                            Err(e) => view! { <ErrorMessage message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </AppFrame>
    }
    .into_any()
}

/// A generated password, until the admin has noted it.
#[component]
fn RevealedPassword(revealed: Revealed) -> impl IntoView {
    move || {
        revealed.get().map(|(whose, password)| {
            view! {
                <div class="notice revealed" role="status">
                    <p>
                        {format!("The new password for {whose}: ")}
                        <code>{password}</code>
                    </p>
                    <p class="small">"It is shown only this once: give it to them now. They can sign in with it at once."</p>
                    <button type="button" on:click=move |_| revealed.set(None)>"Done"</button>
                </div>
            }
        })
    }
}

#[component]
fn Members(members: Vec<TeamMember>, me: i64, actions: TeamActions) -> impl IntoView {
    let resetting: RwSignal<Option<TeamMember>> = RwSignal::new(None);
    let asking: RwSignal<Option<(i64, String)>> = RwSignal::new(None);
    let question = Signal::derive(move || {
        asking.with(|a| {
            a.as_ref().map(|(_, name)| {
                format!("Deactivate “{name}”? They are signed out at once and cannot sign in until an admin reactivates them.")
            })
        })
    });
    let on_confirm = Callback::new(move |()| {
        if let Some((id, _)) = asking.get_untracked() {
            actions.active.dispatch((id, false));
        }
        asking.set(None);
    });
    let rows = members
        .into_iter()
        .map(|member| {
            let (id, name) = (member.id, member.display_name.clone());
            let stored = StoredValue::new(member.clone());
            let role_options = Role::ALL
                .iter()
                .map(|role| view! { <option value=role.as_str() selected=*role == member.role>{role.label()}</option> })
                .collect_view();
            let standing = if member.active {
                let name = name.clone();
                view! {
                    <button type="button" class="danger" aria-label=format!("Deactivate {name}") on:click=move |_| asking.set(Some((id, name.clone())))>
                        "Deactivate"
                    </button>
                }
                .into_any()
            } else {
                view! {
                    <button type="button" aria-label=format!("Reactivate {name}") on:click=move |_| { actions.active.dispatch((id, true)); }>
                        "Reactivate"
                    </button>
                }
                .into_any()
            };
            view! {
                <tr>
                    <th scope="row">
                        {member.display_name.clone()}
                        {(id == me).then_some(" (you)")}
                    </th>
                    <td>{member.email.clone()}</td>
                    <td>
                        <select
                            class="role-select"
                            aria-label=format!("Role of {}", member.display_name)
                            on:change=move |ev| { actions.role.dispatch((id, event_target_value(&ev))); }
                        >
                            {role_options}
                        </select>
                    </td>
                    <td>{if member.active { "Active" } else { "Deactivated" }}</td>
                    <td class="actions">
                        <button type="button" aria-label=format!("Reset the password of {}", member.display_name) on:click=move |_| resetting.set(Some(stored.get_value()))>
                            "Reset password"
                        </button>
                        {standing}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="members-title">
            <h2 id="members-title">"Staff accounts"</h2>
            <ConfirmBar question on_confirm on_cancel=Callback::new(move |()| asking.set(None))/>
            <ActionError action=actions.role/>
            <ActionError action=actions.active/>
            <div class="table-scroll">
                <table>
                    <thead>
                        <tr>
                            <th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th>
                            <th><span class="visually-hidden">"Actions"</span></th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            {move || resetting.get().map(|member| view! { <ResetPassword member resetting actions/> })}
        </section>
    }
    .into_any()
}

#[component]
fn ResetPassword(member: TeamMember, resetting: RwSignal<Option<TeamMember>>, actions: TeamActions) -> impl IntoView {
    let title = format!("New password for {}", member.display_name);
    let password = RwSignal::new(String::new());
    let pending = actions.password.pending();
    let member = StoredValue::new(member);
    // Closes once the new password is set.
    Effect::new(move |previous: Option<bool>| {
        let pending = pending.get();
        if previous == Some(true) && !pending && actions.password.value().with(|v| matches!(v, Some(Ok(_)))) {
            resetting.set(None);
        }
        pending
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        actions
            .password
            .dispatch((member.get_value(), password.get_untracked()));
    };
    let label = title.clone();
    view! {
        <form class="editor" on:submit=on_submit aria-label=label>
            <h3>{title}</h3>
            <label>
                {format!("Password (at least {MIN_PASSWORD_CHARS} characters; leave empty to generate one)")}
                <input type="password" autocomplete="new-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
            </label>
            <p class="muted small">"They are signed out everywhere and sign in again with the new password."</p>
            <ActionError action=actions.password/>
            <FormButtons pending label="Set password" busy="Saving…" cancel=Some(Callback::new(move |()| resetting.set(None)))/>
        </form>
    }
    .into_any()
}

#[component]
fn Invite(actions: TeamActions) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Agent.as_str().to_string());
    let password = RwSignal::new(String::new());
    let pending = actions.invite.pending();
    // A new form once the account exists.
    Effect::new(move |_| {
        if actions.invite.value().with(|v| matches!(v, Some(Ok(_)))) {
            for field in [email, name, password] {
                field.set(String::new());
            }
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        actions.invite.dispatch(InviteForm {
            email: email.get_untracked(),
            display_name: name.get_untracked(),
            role: role.get_untracked(),
            password: password.get_untracked(),
        });
    };
    let role_options = Role::ALL
        .iter()
        .map(|r| {
            let value = r.as_str();
            view! { <option value=value selected=move || role.get() == value>{r.label()}</option> }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="invite-title">
            <form class="editor" on:submit=on_submit aria-labelledby="invite-title">
                <h2 id="invite-title">"Invite a staff member"</h2>
                <div class="fields">
                    <label>"Email"<input type="email" required autocomplete="off" prop:value=email on:input=move |ev| email.set(event_target_value(&ev))/></label>
                    <label>"Name"<input type="text" required maxlength="80" prop:value=name on:input=move |ev| name.set(event_target_value(&ev))/></label>
                    <label>"Role"<select on:change=move |ev| role.set(event_target_value(&ev))>{role_options}</select></label>
                </div>
                <label>
                    {format!("Password (at least {MIN_PASSWORD_CHARS} characters; leave empty to generate one)")}
                    <input type="password" autocomplete="new-password" prop:value=password on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                <ActionError action=actions.invite/>
                {move || {
                    actions.invite.value().with(|v| match v {
                        Some(Ok((email, None))) => Some(view! { <p class="notice" role="status">{format!("{email} can sign in now with the password you chose.")}</p> }),
                        _ => None,
                    })
                }}
                <FormButtons pending label="Invite" busy="Inviting…"/>
            </form>
        </section>
    }
    .into_any()
}
