//! What the benchmarks share to load the app from outside: signed webhook posts, one HTTP
//! client tuned for many connections, the timing of one post, runtimes and medians.

use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

/// A webhook body and its `X-Hub-Signature-256`, made before the clock starts.
pub struct Post {
    pub body: String,
    pub signature: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Posts one webhook; how long until its whole answer came, and whether it was a success.
pub async fn send(client: &reqwest::Client, url: &str, post: &Post) -> (Duration, bool) {
    let started = Instant::now();
    let result = client
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature-256", &post.signature)
        .body(post.body.clone())
        .send()
        .await;
    let ok = match result {
        Ok(response) => {
            let success = response.status().is_success();
            success && response.bytes().await.is_ok()
        }
        Err(_) => false,
    };
    (started.elapsed(), ok)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A runtime of its own, as a separate process would have.
pub fn runtime(name: &str, threads: usize) -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .unwrap()
}
