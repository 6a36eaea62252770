//! The Redis server on 127.0.0.1:6379 for read-side tests: each test takes a database index of its
//! own and empties it first. Without Redis the tests say they skipped — except under `CI=true`,
//! where that fails.

use crate::unavailable::skip_unless_ci;

const REDIS: &str = "redis://127.0.0.1:6379";

/// The URL of Redis database `index`, emptied; `None` (after saying so) when Redis does not answer
/// and this is not CI.
pub async fn fresh_database(index: u8) -> Option<String> {
    let url = format!("{REDIS}/{index}");
    let connected = async {
        let client = redis::Client::open(url.as_str())?;
        let mut connection = client.get_multiplexed_async_connection().await?;
        // ASYNC: the keys go at once, their memory is freed in the background (a big leaderboard
        // left by a benchmark would otherwise block Redis for seconds).
        redis::cmd("FLUSHDB")
            .arg("ASYNC")
            .query_async::<()>(&mut connection)
            .await
    };
    match tokio::time::timeout(std::time::Duration::from_secs(2), connected).await {
        Ok(Ok(())) => Some(url),
        outcome => {
            skip_unless_ci("Redis", REDIS, format!("{outcome:?}"));
            None
        }
    }
}

/// Runs one command on Redis database `url` (to break things, or to look behind the server's back).
pub async fn run<T: redis::FromRedisValue>(url: &str, command: &redis::Cmd) -> T {
    let client = redis::Client::open(url).expect("a Redis URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    command
        .query_async::<T>(&mut connection)
        .await
        .expect("the command runs")
}

/// Watches what Redis database `url`'s server runs (`MONITOR`) on a thread of its own and kills
/// process `pid` with SIGKILL the moment a command line containing `needle` runs (e.g. a script's
/// hash: the process is caught in the middle of what that script starts). The thread's result is
/// the command line it saw, or `None` if none came within `limit`.
pub fn kill_at_command(
    url: &str,
    needle: &str,
    pid: u32,
    limit: std::time::Duration,
) -> std::thread::JoinHandle<Option<String>> {
    let client = redis::Client::open(url).expect("a Redis URL");
    let needle = needle.to_owned();
    std::thread::spawn(move || {
        let mut connection = client.get_connection().expect("Redis answers");
        connection
            .set_read_timeout(Some(limit))
            .expect("a read timeout");
        redis::cmd("MONITOR")
            .query::<()>(&mut connection)
            .expect("MONITOR");
        loop {
            let line = match connection.recv_response() {
                Ok(redis::Value::SimpleString(line)) => line,
                Ok(_) => continue,
                Err(_) => return None,
            };
            if line.contains(&needle) {
                std::process::Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status()
                    .expect("kill runs");
                return Some(line);
            }
        }
    })
}
