//! The real `arbiter` binary (or an embedder's own) as a child process: started with a config file,
//! its admin address read from its JSON log, signalled, and waited for. Killed if a test fails
//! before it stops.
//!
//! Cargo tells only the binary's own package where it is: pass `env!("CARGO_BIN_EXE_arbiter")` (or
//! your binary's `CARGO_BIN_EXE_<name>`) from an integration test.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// The server process; killed if a test fails before it stops it.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    log_lines: Receiver<String>,
    /// Lines read while looking for another, kept for the next look.
    read: std::cell::RefCell<Vec<String>>,
}

/// Log lines a failing test prints: the server's side of what went wrong.
const LOG_LINES_ON_FAILURE: usize = 60;

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            self.print_log_tail();
        }
    }
}

impl ServerProcess {
    /// Prints the last lines the server logged (the reader ends when the killed process's pipe
    /// closes), so a failed test shows the server's view next to its own message.
    fn print_log_tail(&self) {
        let mut lines = self.read.take();
        while let Ok(line) = self.log_lines.recv_timeout(Duration::from_secs(2)) {
            lines.push(line);
        }
        let skipped = lines.len().saturating_sub(LOG_LINES_ON_FAILURE);
        // Straight to stderr (the harness captures only the print macros): into the CI log.
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(
            stderr,
            "--- the server's last {} log lines ---",
            lines.len() - skipped
        );
        for line in &lines[skipped..] {
            let _ = writeln!(stderr, "{line}");
        }
    }

    /// Runs `binary serve --config <config>`, logging JSON to a pipe this reads.
    pub fn start(binary: impl AsRef<OsStr>, config: &Path) -> Self {
        Self::start_command(binary, &["serve"], config)
    }

    /// Runs `binary <command…> --config <config>` (`["matchmaker"]`, `["serve", "--role", "game"]`),
    /// logging JSON to a pipe this reads.
    pub fn start_command(binary: impl AsRef<OsStr>, command: &[&str], config: &Path) -> Self {
        let mut child = Command::new(binary)
            .args(command)
            .arg("--config")
            .arg(config)
            .env("ARBITER_LOG_FORMAT", "json")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the arbiter binary starts");
        let stderr = child.stderr.take().expect("stderr is piped");
        let (sender, log_lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            log_lines,
            read: std::cell::RefCell::default(),
        }
    }

    /// Reads the log until the admin endpoint reports the address it bound.
    pub fn admin_address(&self) -> SocketAddr {
        self.logged_address("admin endpoint listening")
    }

    /// Reads the log until the query API reports the address it bound.
    pub fn query_address(&self) -> SocketAddr {
        self.logged_address("query endpoint listening")
    }

    /// The `addr` of the first log event whose message starts with `message`.
    fn logged_address(&self, message: &str) -> SocketAddr {
        let address = |line: &String| {
            let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
                panic!("log line is not JSON although ARBITER_LOG_FORMAT=json: {line}");
            };
            let fields = &event["fields"];
            let matches = fields["message"]
                .as_str()
                .is_some_and(|logged| logged.starts_with(message));
            fields["addr"]
                .as_str()
                .filter(|_| matches)
                .map(|address| address.parse().expect("a socket address"))
        };
        if let Some(found) = self.read.borrow().iter().find_map(address) {
            return found;
        }
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let line = self
                .log_lines
                .recv_timeout(remaining)
                .unwrap_or_else(|_| panic!("the server logs {message:?} before the timeout"));
            let found = address(&line);
            self.read.borrow_mut().push(line);
            if let Some(found) = found {
                return found;
            }
        }
    }

    /// Sends signal `name` (`TERM`, `INT`, `KILL`, …) to the process.
    /// The process id, for a signal sent from elsewhere (e.g. [`crate::redis_server::kill_at_command`]).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `timeout` (then panics); returns how it exited.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait on child") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Runs `binary` with `args` and `--config config` (a command such as `token` or `verify`); its
/// standard output. Panics if it fails.
pub fn run_command(binary: impl AsRef<OsStr>, config: &Path, args: &[&str]) -> String {
    let output = Command::new(binary)
        .args(args)
        .arg("--config")
        .arg(config)
        .output()
        .expect("the binary runs");
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Writes `dir/server.toml` for the real binary: the game socket on a free loopback port, admin
/// and query on any, data in `dir/data`, players stored on `shards`; returns its path.
pub fn write_shard_config(dir: &Path, shards: &[String]) -> std::path::PathBuf {
    let config = dir.join("server.toml");
    let game_port = crate::net::free_udp_port();
    std::fs::write(
        &config,
        format!(
            "[server]\nbind = \"127.0.0.1:{game_port}\"\ndata_dir = {:?}\n\
             [admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n\
             [persistence]\nshards = {shards:?}\n",
            dir.join("data").display().to_string()
        ),
    )
    .expect("write config");
    config
}
