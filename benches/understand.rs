//! How long the offline receptionist takes to read one message (and to word its own answer),
//! in English and Spanish, on the demo salon's knowledge. It runs inside every pipeline job,
//! so it must stay far below a millisecond for the pipeline's throughput targets to hold.
//!
//! Each message of the corpus (ordinary salon messages in both languages, gibberish, emoji
//! and a 4,096-character message) is read `BENCH_ROUNDS` times (default 2,000); the report
//! gives the median and p99 per call over all calls, and the median of the slowest message.
//!
//! Run: `cargo bench --no-default-features --features ssr --bench understand`

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use frontdesk::model::CustomerContext;
use frontdesk::server::ai::{offline, AiContext};
use frontdesk::server::booking::KnowledgeSnapshot;
use frontdesk::server::db::demo;
use frontdesk::server::i18n::Lang;
use frontdesk::testing::{env_or, ms, percentile, TestDb};

const MESSAGES: &[&str] = &[
    "hi",
    "Hi, I'm Marta. I'd like highlights on Tuesday at 10",
    "Can I get a men's haircut on Friday after 5?",
    "the first one",
    "second one works for me",
    "half past ten",
    "with Ana",
    "Please don't cancel my appointment, I'll be there!",
    "Can you move it to Thursday at the same time?",
    "Are you open on Sunday?",
    "what time do you close on Saturday?",
    "how long does colour take?",
    "Hola, me llamo Carmen",
    "Quiero una cita para un corte de pelo el martes por la tarde",
    "¿Cuánto cuesta el tinte?",
    "¿Puedes cambiarla al jueves a la misma hora?",
    "cancela mi cita",
    "asdkj qwe zzz",
    "💇‍♀️✨",
];

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let knowledge = runtime.block_on(async {
        let test_db = TestDb::sqlite().await;
        let tz = chrono_tz::Europe::Madrid;
        demo::load_demo_salon(&test_db.db, tz, Utc::now())
            .await
            .expect("demo data");
        let snapshot = KnowledgeSnapshot::load(&test_db.db).await.expect("knowledge");
        test_db.cleanup().await;
        Arc::new(snapshot)
    });
    let rounds: usize = env_or("BENCH_ROUNDS", 2000);
    let long = "Quiero una cita para un corte de pelo el martes por la tarde, ".repeat(80);
    let long: String = long.chars().take(4096).collect();
    let mut corpus: Vec<String> = MESSAGES.iter().map(|m| m.to_string()).collect();
    corpus.push(long);

    let mut context = AiContext {
        business_name: "Salon Lumière".into(),
        timezone: chrono_tz::Europe::Madrid,
        currency: "EUR".into(),
        knowledge,
        customer: CustomerContext::NewCustomer,
        name: None,
        name_asks: 0,
        appointments: Vec::new(),
        history: Vec::new(),
        message: String::new(),
        pending_booking: None,
        offered: vec!["Friday 4 December at 12:00 (Ana García)".into()],
        confirming: None,
        language: Lang::english(),
        now: Utc::now(),
    };

    for (label, answer) in [("understand", false), ("understand + answer", true)] {
        let mut all: Vec<Duration> = Vec::new();
        let mut slowest: (Duration, &str) = (Duration::ZERO, "");
        for message in &corpus {
            context.message = message.clone();
            let mut times = Vec::with_capacity(rounds);
            for _ in 0..rounds {
                let started = Instant::now();
                if answer {
                    std::hint::black_box(offline::reply(&context));
                } else {
                    std::hint::black_box(offline::understand(&context));
                }
                times.push(started.elapsed());
            }
            times.sort();
            let median = percentile(&times, 0.5);
            if median > slowest.0 {
                slowest = (median, message.as_str());
            }
            all.extend(times);
        }
        all.sort();
        let shown: String = slowest.1.chars().take(40).collect();
        println!(
            "{label}: {} calls, median {:.4} ms, p99 {:.4} ms; slowest message median {:.4} ms ({shown}…)",
            all.len(),
            ms(percentile(&all, 0.5)),
            ms(percentile(&all, 0.99)),
            ms(slowest.0),
        );
    }
}
