//! A TCP proxy on loopback between the app and its database, which a test can cut (every
//! connection dropped, new ones refused, as when PostgreSQL restarts or the network fails)
//! and restore on the same port.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

pub struct TcpProxy {
    pub port: u16,
    target: SocketAddr,
    /// The accepting loop and every connection it opened; dropped to cut them all.
    running: Mutex<Option<JoinSet<()>>>,
}

impl TcpProxy {
    /// A proxy on a free loopback port to `target`, accepting at once.
    pub async fn start(target: SocketAddr) -> Arc<TcpProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let proxy = Arc::new(TcpProxy {
            port: listener.local_addr().unwrap().port(),
            target,
            running: Mutex::new(None),
        });
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let target = self.target;
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            // The connections belong to this task: aborting it drops the set, which aborts them.
            let mut connections = JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                connections.spawn(pipe(client, target));
                while connections.try_join_next().is_some() {}
            }
        });
        *self.running.lock().unwrap() = Some(tasks);
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        if let Some(mut tasks) = self.running.lock().unwrap().take() {
            tasks.abort_all();
        }
    }

    /// Accepts connections again, on the same port.
    pub async fn restore(&self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("the proxy's port is free again");
        self.serve(listener);
    }
}

async fn pipe(mut client: TcpStream, target: SocketAddr) {
    if let Ok(mut server) = TcpStream::connect(target).await {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
    }
}
