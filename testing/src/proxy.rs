//! A TCP proxy in front of a real database that a test can cut and restore: the database "goes
//! away" (open connections are closed, new ones refused) and comes back, as in an outage.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// The proxy, forwarding on its own threads until it is dropped.
#[derive(Debug)]
pub struct FlakyProxy {
    /// Where it listens: point the server at this address instead of the database's.
    pub addr: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<AbortHandle>>>,
    _runtime: tokio::runtime::Runtime,
}

impl FlakyProxy {
    /// Listens on a free loopback port and forwards to `target`, on its own threads.
    pub fn start(target: SocketAddr) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("proxy runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("proxy port");
        let addr = listener.local_addr().expect("proxy address");
        let up = Arc::new(AtomicBool::new(true));
        let connections: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (accepting, tracked) = (up.clone(), connections.clone());
        runtime.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::Acquire) {
                    continue; // dropped: the client sees its connection closed
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tracked
                    .lock()
                    .expect("connection list")
                    .push(task.abort_handle());
            }
        });
        Self {
            addr,
            up,
            connections,
            _runtime: runtime,
        }
    }

    /// The database goes away: every open connection is closed and new ones are refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::Release);
        for connection in self.connections.lock().expect("connection list").drain(..) {
            connection.abort();
        }
    }

    /// The database is back.
    pub fn restore(&self) {
        self.up.store(true, Ordering::Release);
    }
}
