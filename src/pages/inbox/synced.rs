//! Data on screen kept current by live events: each event is applied to what is shown, and
//! the server is asked again only when an event does not carry enough to apply it.

use std::future::Future;

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::model::{AppError, InboxEvent};

/// What applying one event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Unchanged,
    Changed,
    /// Applied as far as the event allows; the rest can only be fetched.
    Refetch,
}

/// Data that live events change in place.
pub trait Live {
    fn apply(&mut self, event: &InboxEvent) -> Applied;

    /// Applies an event that arrived while this data was being fetched, so the server may
    /// or may not have read it already. Events that are safe to apply twice need nothing else.
    fn replay(&mut self, event: &InboxEvent) -> Applied {
        self.apply(event)
    }
}

impl<T: Live> Live for Option<T> {
    fn apply(&mut self, event: &InboxEvent) -> Applied {
        self.as_mut().map_or(Applied::Unchanged, |data| data.apply(event))
    }

    fn replay(&mut self, event: &InboxEvent) -> Applied {
        self.as_mut().map_or(Applied::Unchanged, |data| data.replay(event))
    }
}

/// Events seen while a fetch is under way. A resource runs one fetch at a time, so one log
/// per resource is enough.
#[derive(Debug, Default)]
struct Log {
    fetching: bool,
    events: Vec<InboxEvent>,
}

/// A resource (server-rendered, then hydrated) that live events keep current.
pub struct LiveResource<T: Send + Sync + 'static> {
    resource: Resource<Result<T, AppError>>,
    log: StoredValue<Log>,
    /// Part of the resource's source: bumping it fetches again with the same arguments.
    generation: RwSignal<u64>,
}

impl<T: Send + Sync + 'static> Clone for LiveResource<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: Send + Sync + 'static> Copy for LiveResource<T> {}

impl<T> LiveResource<T>
where
    T: Live + Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
{
    pub fn new<S, Fut>(
        source: impl Fn() -> S + Send + Sync + 'static,
        fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
    ) -> Self
    where
        S: PartialEq + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    {
        let log = StoredValue::new(Log::default());
        let generation = RwSignal::new(0u64);
        let resource = Resource::new(
            move || (generation.get(), source()),
            move |(_, arguments)| replayed(log, generation, fetch(arguments)),
        );
        LiveResource {
            resource,
            log,
            generation,
        }
    }

    /// The data, to await inside `<Suspense/>` or `<Transition/>`.
    pub fn data(self) -> Resource<Result<T, AppError>> {
        self.resource
    }

    /// Fetches everything again (events were missed, or one could not be applied).
    pub fn refetch(self) {
        self.generation.update(|generation| *generation += 1);
    }

    pub fn apply(self, event: &InboxEvent) {
        if self.while_fetching(|log| log.events.push(event.clone())) {
            return; // applied to the fetched data when it lands
        }
        let applied = self.resource.try_maybe_update(|data| match data {
            Some(Ok(data)) => {
                let applied = data.apply(event);
                (applied != Applied::Unchanged, applied)
            }
            _ => (false, Applied::Unchanged),
        });
        if applied == Some(Applied::Refetch) {
            self.refetch();
        }
    }

    /// Changes the data on screen, unless a fetch is under way: its result replaces it.
    pub fn modify(self, change: impl FnOnce(&mut T)) {
        if !self.while_fetching(|_| ()) {
            self.resource.update(|data| {
                if let Some(Ok(data)) = data {
                    change(data);
                }
            });
        }
    }

    /// Runs `then` on the log if a fetch is under way, and says whether one is.
    fn while_fetching(self, then: impl FnOnce(&mut Log)) -> bool {
        self.log
            .try_update_value(|log| {
                if log.fetching {
                    then(log);
                }
                log.fetching
            })
            // Gone with its page: nothing to change any more.
            .unwrap_or(true)
    }
}

/// One fetch: the events that arrive while the server answers are applied to its answer,
/// since it may have been read before them.
async fn replayed<T: Live>(
    log: StoredValue<Log>,
    generation: RwSignal<u64>,
    fetch: impl Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    log.try_update_value(|log| {
        log.fetching = true;
        log.events.clear();
    });
    let mut fetched = fetch.await;
    let events = log
        .try_update_value(|log| {
            log.fetching = false;
            std::mem::take(&mut log.events)
        })
        .unwrap_or_default();
    if let Ok(data) = &mut fetched {
        // Every event is applied, whatever the others answered.
        let mut again = false;
        for event in &events {
            again |= data.replay(event) == Applied::Refetch;
        }
        if again {
            generation.try_update(|generation| *generation += 1);
        }
    }
    fetched
}
