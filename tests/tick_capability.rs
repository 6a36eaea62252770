//! The image's way of letting the tick go real-time although the server runs as an ordinary user:
//! the Dockerfile gives the binary CAP_SYS_NICE as a file capability, permitted only
//! (`setcap cap_sys_nice=p`), and the server raises it on the tick's thread for the one call that
//! schedules it. Run here as a container runs it — user 10001, every capability dropped from the
//! bounding set except those granted (Kubernetes' `capabilities`), with and without no_new_privs
//! (`allowPrivilegeEscalation: false`) — through `setpriv`. No container runtime runs here, so
//! this is as close as the tests come to `deploy/agones/matchmaker.yaml`.

use arbiter_testing::http;
use arbiter_testing::process::ServerProcess;
use arbiter_testing::tools::{program_available, root_available};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The image's user (Dockerfile, `runAsUser` in the manifests).
const CONTAINER_USER: &str = "10001";
/// CAP_SYS_NICE's bit in `/proc/<pid>/task/<tid>/status`'s capability masks.
const SYS_NICE_BIT: u64 = 1 << 23;

/// What the server reported and held, started as the container's user under `limits`.
struct Outcome {
    /// `arbiter_tick_thread_realtime` once the first tick applied the settings.
    realtime: f64,
    /// Every thread's effective and permitted capabilities at that point.
    threads: Vec<(u64, u64)>,
}

/// Starts the capable copy of the binary in `directory` as user 10001 under `setpriv` with
/// `limits`, waits for the tick's scheduling to be reported, and reads what is in force.
fn run_as_the_container_user(directory: &Path, limits: &[&str]) -> Outcome {
    let binary = directory.join("arbiter");
    let mut command = vec![
        "--reuid",
        CONTAINER_USER,
        "--regid",
        CONTAINER_USER,
        "--clear-groups",
        "--inh-caps=-all",
    ];
    command.extend_from_slice(limits);
    command.extend_from_slice(&["--", binary.to_str().expect("UTF-8 path"), "serve"]);
    let server = ServerProcess::start_command("setpriv", &command, &directory.join("server.toml"));
    let admin = server.admin_address();
    let deadline = Instant::now() + Duration::from_secs(20);
    let realtime = loop {
        let (status, text) = http::get(admin, "/metrics").expect("GET /metrics");
        assert_eq!(status, 200);
        if let Some(value) = http::metric_value(&text, "arbiter_tick_thread_realtime") {
            break value;
        }
        assert!(
            Instant::now() < deadline,
            "the tick never reported its scheduling"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    Outcome {
        realtime,
        threads: thread_capabilities(server.pid()),
    }
}

/// (effective, permitted) of every thread of process `pid`.
fn thread_capabilities(pid: u32) -> Vec<(u64, u64)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).expect("the server's threads");
    let mask = |status: &str, field: &str| {
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .unwrap_or_else(|| panic!("{field} in a thread's status"));
        u64::from_str_radix(line.trim(), 16).expect("a hexadecimal mask")
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("status")).ok())
        .map(|status| (mask(&status, "CapEff:"), mask(&status, "CapPrm:")))
        .collect()
}

/// A directory user 10001 can read, holding a copy of the binary with the image's file
/// capability, a config that asks for the real-time tick, and a data directory it may write.
fn container_directory() -> tempfile::TempDir {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let binary = path.join("arbiter");
    std::fs::copy(env!("CARGO_BIN_EXE_arbiter"), &binary).expect("copy the binary");
    let setcap = Command::new("setcap")
        .arg("cap_sys_nice=p")
        .arg(&binary)
        .status()
        .expect("setcap runs");
    assert!(setcap.success(), "setcap cap_sys_nice=p failed");
    let data = path.join("data");
    std::fs::create_dir(&data).expect("data dir");
    std::os::unix::fs::chown(&data, Some(10001), Some(10001)).expect("chown the data dir");
    std::fs::write(
        path.join("server.toml"),
        format!(
            "[server]\nbind = \"127.0.0.1:0\"\ndata_dir = {:?}\ntick_realtime = true\n\n\
             [admin]\nbind = \"127.0.0.1:0\"\n[query]\nbind = \"127.0.0.1:0\"\n",
            data.display().to_string()
        ),
    )
    .expect("write config");
    directory
}

#[test]
fn an_ordinary_user_gets_the_real_time_tick_only_where_the_container_grants_sys_nice() {
    if !root_available("to set a file capability and start the server as another user")
        || !program_available("setcap", "apt-get install libcap2-bin")
        || !program_available("setpriv", "apt-get install util-linux")
    {
        return;
    }
    let directory = container_directory();

    // As shipped: SYS_NICE added to the container's capabilities, privilege escalation allowed
    // (the file capability needs it). The tick's thread goes real-time, and no thread keeps the
    // capability effective afterwards: it stays only permitted.
    let granted = run_as_the_container_user(directory.path(), &["--bounding-set=-all,+sys_nice"]);
    assert_eq!(granted.realtime, 1.0);
    assert!(!granted.threads.is_empty());
    for (effective, permitted) in &granted.threads {
        assert_eq!(*effective, 0, "a thread kept a capability effective");
        assert_eq!(*permitted, SYS_NICE_BIT);
    }

    // allowPrivilegeEscalation: false (no_new_privs). prctl(2) says the kernel then adds no file
    // capability to the permitted set; the kernel here (6.18) adds a permitted-only one anyway.
    // Either way the tick takes what the kernel granted, and no thread keeps it effective.
    let no_escalation = run_as_the_container_user(
        directory.path(),
        &["--bounding-set=-all,+sys_nice", "--no-new-privs"],
    );
    let permitted_anyway = no_escalation
        .threads
        .iter()
        .all(|(_, permitted)| *permitted == SYS_NICE_BIT);
    assert_eq!(
        no_escalation.realtime,
        if permitted_anyway { 1.0 } else { 0.0 }
    );
    for (effective, permitted) in &no_escalation.threads {
        assert_eq!(*effective, 0, "a thread kept a capability effective");
        assert!(*permitted == 0 || permitted_anyway);
    }

    // A container that does not grant SYS_NICE still starts the binary (its file capability is
    // not effective, so exec does not refuse it), at the ordinary policy.
    let withheld = run_as_the_container_user(directory.path(), &["--bounding-set=-all"]);
    assert_eq!(withheld.realtime, 0.0);
    for (effective, permitted) in &withheld.threads {
        assert_eq!((*effective, *permitted), (0, 0));
    }
}
