//! Game clients in other languages through `arbiter_ffi`'s C API, against the real binary: the C
//! example plays a match (and runs once under valgrind), the C# binding runs under Mono (Unity's
//! runtime is a fork of it), and a Python `ctypes` program misuses the API in every way a binding
//! can and sees error codes, never a crash.

use arbiter_testing::process::{ServerProcess, run_command};
use arbiter_testing::python::python_module_available;
use arbiter_testing::tools::program_available;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FFI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/ffi");
const MISUSE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/misuse.py");
const SMOKE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/clients/Smoke.cs");

/// A server whose matches are two players, start live at once and last the shortest time allowed.
struct Server {
    directory: tempfile::TempDir,
    config: PathBuf,
    _process: ServerProcess,
}

impl Server {
    fn start() -> Self {
        let directory = tempfile::tempdir().expect("temp dir");
        let config = directory.path().join("server.toml");
        let port = arbiter_testing::net::free_udp_port();
        std::fs::write(
            &config,
            format!(
                "[server]\nbind = \"127.0.0.1:{port}\"\ndata_dir = {:?}\n[admin]\nbind = \"127.0.0.1:0\"\n\
                 [query]\nbind = \"127.0.0.1:0\"\n[matchmaking]\nmatch_size = 2\n\
                 [matches]\nwarmup_secs = 0\ntime_limit_secs = 10\n",
                directory.path().join("data").display().to_string()
            ),
        )
        .expect("write config");
        let process = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &config);
        Self {
            directory,
            config,
            _process: process,
        }
    }

    fn token(&self, player_id: u64) -> String {
        let id = player_id.to_string();
        run_command(
            env!("CARGO_BIN_EXE_arbiter"),
            &self.config,
            &["token", "--player-id", &id],
        )
        .trim()
        .to_owned()
    }
}

/// The directory holding `libarbiter_ffi.so`, built beside this test as a dev-dependency.
fn library_dir() -> PathBuf {
    let executable = std::env::current_exe().expect("test executable");
    let deps = executable.parent().expect("deps directory");
    [deps.parent().expect("profile directory"), deps]
        .into_iter()
        .find(|dir| dir.join("libarbiter_ffi.so").exists())
        .expect("libarbiter_ffi.so is built with the tests")
        .to_path_buf()
}

/// Compiles `ffi/examples/match.c` against the generated header and the shared library, as strictly
/// as the header promises.
fn compile_example(into: &Path) -> PathBuf {
    let binary = into.join("match");
    let libraries = library_dir();
    let output = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-g"])
        .arg(format!("{FFI}/examples/match.c"))
        .arg(format!("-I{FFI}/include"))
        .arg(format!("-L{}", libraries.display()))
        .arg(format!("-Wl,-rpath,{}", libraries.display()))
        .args(["-larbiter_ffi", "-lm", "-o"])
        .arg(&binary)
        .output()
        .expect("cc runs");
    assert_success("cc", &output);
    binary
}

fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The summary line's `key=value` pairs, one map per player.
fn summary(output: &Output) -> Vec<std::collections::BTreeMap<String, String>> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("summary "))
        .unwrap_or_else(|| panic!("no summary line in:\n{stdout}"));
    let mut players = Vec::new();
    for pair in line.split(' ') {
        let (key, value) = pair.split_once('=').expect("key=value");
        if key == "player" {
            players.push(std::collections::BTreeMap::new());
        }
        players
            .last_mut()
            .expect("player first")
            .insert(key.to_owned(), value.to_owned());
    }
    players
}

fn assert_played_a_match(output: &Output, ids: [u64; 2]) {
    assert_success("the C example", output);
    let players = summary(output);
    assert_eq!(players.len(), 2, "{players:?}");
    for (player, id) in players.iter().zip(ids) {
        assert_eq!(player["player"], id.to_string(), "{players:?}");
        for flag in ["welcomed", "matched", "live", "ended", "disconnected"] {
            assert_eq!(player[flag], "1", "{flag}: {players:?}");
        }
        let (answered, fired) = player["shots"].split_once('/').expect("answered/fired");
        let (answered, fired): (u32, u32) = (
            answered.parse().expect("count"),
            fired.parse().expect("count"),
        );
        // One shot every half second, round trips far shorter: only the last shot can still be in
        // flight when the match ends, and a shot after the end gets no verdict.
        assert!(
            answered > 0 && answered + 1 >= fired,
            "every shot but one in flight gets a verdict: {players:?}"
        );
        assert!(
            player["snapshots"].parse::<u32>().expect("count") > 100,
            "{players:?}"
        );
    }
}

#[test]
fn the_c_example_connects_queues_plays_a_match_and_disconnects() {
    if !program_available("cc", "apt-get install gcc") {
        return;
    }
    let server = Server::start();
    let binary = compile_example(server.directory.path());
    let output = Command::new(&binary)
        .args([server.token(41), server.token(42)])
        .output()
        .expect("the example runs");
    assert_played_a_match(&output, [41, 42]);
}

#[test]
fn the_c_example_runs_under_valgrind_without_leaks_or_invalid_accesses() {
    if !program_available("cc", "apt-get install gcc")
        || !program_available("valgrind", "apt-get install valgrind")
    {
        return;
    }
    let server = Server::start();
    let binary = compile_example(server.directory.path());
    let output = Command::new("valgrind")
        .args([
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect",
        ])
        .arg(&binary)
        .args([server.token(51), server.token(52)])
        .output()
        .expect("valgrind runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("ERROR SUMMARY: 0 errors"),
        "valgrind found errors:\n{stderr}"
    );
    assert_played_a_match(&output, [51, 52]);
}

#[test]
fn the_csharp_binding_compiled_by_mono_connects_pings_disconnects_and_refuses_a_stale_handle() {
    if !program_available("mcs", "apt-get install mono-mcs")
        || !program_available("mono", "apt-get install mono-runtime")
    {
        return;
    }
    let server = Server::start();
    let assembly = server.directory.path().join("smoke.exe");
    let compiled = Command::new("mcs")
        .args(["-unsafe", "-langversion:7.2", "-warnaserror"])
        .arg(format!("-out:{}", assembly.display()))
        .arg(format!("{FFI}/csharp/NativeMethods.g.cs"))
        .arg(format!("{FFI}/csharp/ArbiterClient.cs"))
        .arg(SMOKE)
        .output()
        .expect("mcs runs");
    assert_success("mcs", &compiled);
    let output = Command::new("mono")
        .arg(&assembly)
        .arg(server.token(71))
        .env("LD_LIBRARY_PATH", library_dir())
        .output()
        .expect("mono runs");
    assert_success("the C# smoke test", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("welcomed=71 pong=True"), "{stdout}");
    assert!(
        stdout.contains("stale=ARBITER_RESULT_INVALID_HANDLE"),
        "{stdout}"
    );
}

#[test]
fn a_python_ctypes_binding_that_misuses_the_api_gets_error_codes_and_no_crash() {
    if !python_module_available("ctypes", "ctypes is part of CPython") {
        return;
    }
    let server = Server::start();
    let library = library_dir().join("libarbiter_ffi.so");
    let output = Command::new("python3")
        .arg(MISUSE)
        .arg(&library)
        .args([server.token(61), server.token(62)])
        .output()
        .expect("python3 runs");
    assert_success("the misuse test", &output);
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object");
    let checks = report["checks"].as_object().expect("checks");
    let failed: Vec<&String> = checks
        .iter()
        .filter(|(_, held)| **held != serde_json::Value::Bool(true))
        .map(|(name, _)| name)
        .collect();
    assert!(checks.len() >= 30, "{report}");
    assert!(
        failed.is_empty(),
        "misuse not refused: {failed:?} in {report}"
    );
    assert_eq!(report["welcomed"], 62, "{report}");
}
