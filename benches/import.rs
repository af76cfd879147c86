//! CSV import of 100,000 contacts on SQLite, while "live traffic" writes beside it: a task
//! stands in for the webhook, storing a first message's contact every 5 ms through the same
//! single writer. The report gives the import's time (reading and writing) and the live
//! writes' latency during it, which must stay small: the import writes in short chunks and
//! yields between them.
//!
//! `IMPORT_LINES` (default 100,000) sets the file's size; a tenth of its numbers repeat and
//! one line in a hundred is malformed, as in a real export.
//!
//! Run: `cargo bench --no-default-features --features ssr --bench import`

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::WaId;
use frontdesk::server::db::contacts;
use frontdesk::server::import::{import_contacts, read_file, ReadOptions};
use frontdesk::testing::{env_or, ms, percentile, TestDb};

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run());
}

fn file(lines: usize) -> String {
    let mut csv = String::with_capacity(lines * 48);
    csv.push_str("phone,name,tags,consent\n");
    for i in 0..lines {
        if i % 100 == 99 {
            csv.push_str("not a number,Broken,,\n");
            continue;
        }
        let number = 600_000_000 + (i % (lines - lines / 10)) as u64;
        let consent = if i % 2 == 0 { "yes" } else { "" };
        csv.push_str(&format!("+34 {number},Client {i},vip;t{},{consent}\n", i % 20));
    }
    csv
}

async fn run() {
    let lines: usize = env_or("IMPORT_LINES", 100_000);
    let csv = file(lines);
    let options = ReadOptions {
        country: phonenumber::country::Id::ES,
        timezone: chrono_tz::Europe::Madrid,
        now: Utc::now(),
    };
    println!("file: {lines} lines, {:.1} MB", csv.len() as f64 / 1e6);

    let started = Instant::now();
    let read = read_file(csv.as_bytes(), &options).expect("the file reads");
    println!(
        "reading and checking alone: {:.0} ms ({} contacts, {} rejected, {} repeated)",
        ms(started.elapsed()),
        read.contacts.len(),
        read.rejected.len(),
        read.duplicates
    );

    let test_db = TestDb::sqlite().await;
    let db = test_db.db.clone();
    let importing = Arc::new(AtomicBool::new(true));
    let live = {
        let db = db.clone();
        let importing = importing.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0u64;
            while importing.load(Ordering::Relaxed) {
                n += 1;
                let wa_id = WaId::parse(&format!("44770090{n:04}")).expect("a number");
                let at = Instant::now();
                contacts::get_or_create_contact(&db, &wa_id, Some("Live"), Utc::now(), Some(Utc::now()))
                    .await
                    .expect("a live write");
                latencies.push(at.elapsed());
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            latencies
        })
    };

    let started = Instant::now();
    let report = import_contacts(&db, csv.into_bytes(), options, None)
        .await
        .expect("the import");
    let took = started.elapsed();
    importing.store(false, Ordering::Relaxed);
    let mut latencies = live.await.expect("the live writer");
    latencies.sort();
    println!(
        "import: {:.2} s — {} lines, {} created, {} merged, {} repeated, {} rejected, {} consents",
        took.as_secs_f64(),
        report.lines,
        report.created,
        report.merged,
        report.duplicates,
        report.rejected.len(),
        report.consent_given
    );
    println!(
        "live writes during the import: {}, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default())
    );
    test_db.cleanup().await;
}
