//! An optional SQL statement profile for the benchmarks (`BENCH_PROFILE=1`): sqlx reports
//! each statement with its execution time (on SQLite measured on the worker thread, busy waits
//! for the write lock included; on PostgreSQL the round trip) as a `sqlx::query` event at DEBUG
//! level; this counts them.
//! It adds overhead, so its timings are not a benchmark's results.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Default)]
struct Stat {
    count: u64,
    total: f64,
    max: f64,
}

type Stats = Arc<Mutex<HashMap<String, Stat>>>;

static STATS: OnceLock<Stats> = OnceLock::new();

struct SqlLayer(Stats);

#[derive(Default)]
struct Fields {
    summary: String,
    statement: String,
    elapsed: f64,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "summary" => self.summary = value.to_string(),
            "db.statement" => self.statement = value.to_string(),
            _ => {}
        }
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.elapsed = value;
        }
    }
    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> Layer<S> for SqlLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        let sql = if fields.statement.trim().is_empty() {
            fields.summary
        } else {
            fields.statement
        };
        let mut key: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        if key.len() > 150 {
            let cut = (0..=150).rev().find(|i| key.is_char_boundary(*i)).unwrap_or(0);
            key.truncate(cut);
            key.push('…');
        }
        let mut stats = self.0.lock().unwrap();
        let stat = stats.entry(key).or_default();
        stat.count += 1;
        stat.total += fields.elapsed;
        stat.max = stat.max.max(fields.elapsed);
    }
}

pub struct Profile(Option<Stats>);

pub fn start(enabled: bool) -> Profile {
    if !enabled {
        return Profile(None);
    }
    let stats = STATS
        .get_or_init(|| {
            let stats = Stats::default();
            let filter = tracing_subscriber::EnvFilter::new("off,sqlx::query=debug");
            tracing_subscriber::registry()
                .with(SqlLayer(stats.clone()).with_filter(filter))
                .init();
            stats
        })
        .clone();
    Profile(Some(stats))
}

impl Profile {
    pub fn reset(&self) {
        if let Some(stats) = &self.0 {
            stats.lock().unwrap().clear();
        }
    }

    /// Prints the statements run since the start (or the last print), slowest in all first;
    /// with `per` (messages sent, webhook posts…) also how many of each that made.
    pub fn print(&self, title: &str, per: Option<usize>) {
        let Some(stats) = &self.0 else { return };
        let stats = std::mem::take(&mut *stats.lock().unwrap());
        let total: f64 = stats.values().map(|s| s.total).sum();
        let count: u64 = stats.values().map(|s| s.count).sum();
        let mut rows: Vec<_> = stats.into_iter().collect();
        rows.sort_by(|a, b| b.1.total.total_cmp(&a.1.total));
        let per_unit = |n: f64| per.map_or(String::new(), |units| format!("{:>9.2} ", n / units.max(1) as f64));
        println!(
            "\nSQL statement profile, {title} (execution time as sqlx measured it; {count} statements, {total:.2} s{})",
            per.map_or(String::new(), |units| format!(
                ", {:.1} per unit",
                count as f64 / units.max(1) as f64
            ))
        );
        println!(
            "{:>8} {}{:>9} {:>6} {:>9} {:>9}  statement",
            "count",
            if per.is_some() {
                format!("{:>9} ", "per unit")
            } else {
                String::new()
            },
            "total s",
            "share",
            "mean ms",
            "max ms"
        );
        for (sql, stat) in rows.iter().take(25) {
            println!(
                "{:>8} {}{:>9.3} {:>5.1}% {:>9.3} {:>9.1}  {sql}",
                stat.count,
                per_unit(stat.count as f64),
                stat.total,
                100.0 * stat.total / total.max(f64::MIN_POSITIVE),
                1000.0 * stat.total / stat.count.max(1) as f64,
                1000.0 * stat.max
            );
        }
    }
}
