//! Runs due jobs from the persistent queue: claims a batch atomically, runs each in its own
//! task (bounded), keeps their locks fresh, and retries failures with backoff.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use tracing::Instrument;

use super::controller::{self, ProcessError};
use super::db::jobs::{self, Job};
use super::state::AppState;

/// How often the queue is looked at when nobody rings.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How often a claim also looks for jobs whose lock expired (their worker died); the
/// claims in between take queued jobs only, one statement instead of two.
const EXPIRED_POLL: Duration = Duration::from_secs(1);
/// First retry delay; it doubles per attempt up to the cap.
const RETRY_BASE: Duration = Duration::from_secs(5);
const RETRY_CAP: Duration = Duration::from_secs(600);
/// Finished jobs are kept this long (to look into what happened), then deleted, so the
/// queue does not grow without end. Longer than WhatsApp keeps redelivering a webhook.
const DONE_JOBS_KEPT: chrono::Duration = chrono::Duration::days(7);
/// How often finished jobs past [`DONE_JOBS_KEPT`] are deleted, at most this many at once
/// (a short write, so the job queue's other writes are not held up).
const FORGET_DONE_EVERY: Duration = Duration::from_secs(3600);
const FORGET_DONE_AT_ONCE: i64 = 5000;

/// Runs jobs until `shutdown` turns true. Dropping this future (a crash, in tests) drops
/// every running job with it; their locks expire and another run takes them up. One loop on
/// purpose: claiming, the heartbeat and shutdown share the set of running jobs.
pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    let settings = &app.settings.scheduler;
    let wake = app.wake_scheduler.clone();
    let lock = chrono::Duration::from_std(settings.job_lock).expect("lock duration fits");
    let permits = Arc::new(Semaphore::new(settings.workers));
    let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
    // Jobs that succeeded, marked done together at the next round: one write for many.
    let finished: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut tasks = JoinSet::new();
    let mut heartbeat = tokio::time::interval(settings.job_lock / 3);
    let mut expired_polled: Option<std::time::Instant> = None;
    let mut forget_done = tokio::time::interval(FORGET_DONE_EVERY);

    loop {
        while tasks.try_join_next().is_some() {}
        mark_done(&app, &finished).await;
        let free = permits.available_permits();
        let claimed = if free == 0 {
            Vec::new()
        } else {
            let now = Utc::now();
            let expired = expired_polled.is_none_or(|at| at.elapsed() >= EXPIRED_POLL);
            if expired {
                expired_polled = Some(std::time::Instant::now());
            }
            match jobs::claim_due(&app.db, now, now + lock, free as i64, expired).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(%error, "cannot claim jobs");
                    Vec::new()
                }
            }
        };
        let full_batch = !claimed.is_empty() && claimed.len() == free;
        for job in claimed {
            let permit = permits.clone().acquire_owned().await.expect("semaphore stays open");
            running.lock().expect("running set").insert(job.id);
            let (app, running, finished, wake) = (app.clone(), running.clone(), finished.clone(), wake.clone());
            let span = tracing::info_span!("job", job_id = job.id, kind = %job.kind);
            tasks.spawn(
                async move {
                    if run_one(&app, &job).await {
                        finished.lock().expect("finished list").push(job.id);
                    }
                    running.lock().expect("running set").remove(&job.id);
                    drop(permit);
                    // A finished job may unblock the next one of its lane.
                    wake.notify_one();
                }
                .instrument(span),
            );
        }
        if full_batch {
            continue;
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = heartbeat.tick() => {
                let ids: Vec<i64> = running.lock().expect("running set").iter().copied().collect();
                if let Err(error) = jobs::extend_locks(&app.db, &ids, Utc::now() + lock).await {
                    tracing::error!(%error, "cannot extend job locks");
                }
            }
            // On a task of its own: a long backlog (the first start after an upgrade) must
            // not hold up the claims.
            _ = forget_done.tick() => drop(tokio::spawn(forget_done_jobs(app.clone()))),
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
    // Running jobs get the grace time to finish; what is left is handed back (its lock ends
    // now), so the next start, or another instance, takes it up at once.
    let _ = tokio::time::timeout(app.settings.scheduler.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    tasks.abort_all();
    mark_done(&app, &finished).await;
    let left: Vec<i64> = running.lock().expect("running set").iter().copied().collect();
    if let Err(error) = jobs::extend_locks(&app.db, &left, Utc::now()).await {
        tracing::error!(%error, "cannot hand back unfinished jobs; they are taken up when their lock ends");
    }
}

/// Deletes finished jobs past [`DONE_JOBS_KEPT`], a batch at a time. Every instance does
/// it now and then; a second instance deleting at the same time finds less to delete.
async fn forget_done_jobs(app: AppState) {
    loop {
        match jobs::forget_done(&app.db, Utc::now() - DONE_JOBS_KEPT, FORGET_DONE_AT_ONCE).await {
            Ok(forgotten) if forgotten == FORGET_DONE_AT_ONCE as u64 => tokio::task::yield_now().await,
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(%error, "cannot delete old finished jobs; trying again later");
                return;
            }
        }
    }
}

/// Marks the jobs that succeeded since the last round done. If that fails, they stay on the
/// list for the next round (and, should the app stop first, run again: every job is safe to
/// repeat).
async fn mark_done(app: &AppState, finished: &Mutex<Vec<i64>>) {
    let ids = std::mem::take(&mut *finished.lock().expect("finished list"));
    if let Err(error) = jobs::complete(&app.db, &ids, Utc::now()).await {
        tracing::error!(%error, "cannot mark finished jobs done");
        finished.lock().expect("finished list").extend(ids);
    }
}

/// Runs a job; returns true when it succeeded (the caller marks it done). A failure is
/// recorded here: retried later with backoff, or given up.
async fn run_one(app: &AppState, job: &Job) -> bool {
    let error = match controller::run_job(app, &job.kind, &job.payload).await {
        Ok(()) => return true,
        Err(error) => error,
    };
    let now = Utc::now();
    let delay = match &error {
        ProcessError::Retry(_, Some(server_delay)) => *server_delay,
        _ => {
            let doublings = (job.attempts.clamp(1, 10) - 1) as u32;
            (RETRY_BASE * 2u32.pow(doublings)).min(RETRY_CAP)
        }
    };
    tracing::warn!(attempt = job.attempts, %error, "job failed");
    let run_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
    let outcome = jobs::retry_or_fail(&app.db, job, &error.to_string(), run_at, now).await;
    match outcome {
        Ok(true) => {
            tracing::error!("job gave up after its last attempt");
            controller::give_up(app, &job.kind, &job.payload).await;
        }
        Ok(false) => {}
        Err(error) => tracing::error!(%error, "cannot record a job's result"),
    }
    false
}
