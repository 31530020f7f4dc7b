//! The `kms-emulator` command line: bad values are clear errors (exit code 2), never panics.

use std::process::Command;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("KMS_LOG", "error")
        .output()
        .expect("runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn extreme_clock_offsets_are_clear_errors() {
    for offset in [
        "-9223372036854775808",
        "9223372036854775807",
        "-31536000001",
        "31536000001",
    ] {
        let (code, stderr) = run(&[&format!("--clock-offset-seconds={offset}")]);
        assert_eq!(code, Some(2), "{offset}: {stderr}");
        assert!(
            stderr.contains("--clock-offset-seconds must be within"),
            "{offset}: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn bad_quotas_and_regions_are_clear_errors() {
    let (code, stderr) = run(&["--quota", "symmetric=1e-12"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("between"), "{stderr}");
    let (code, stderr) = run(&["--region", "moon-1"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("'--region <REGION>': must be an AWS Region"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--account-id", "42"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("AWS account ID (12 digits)"), "{stderr}");
    // A value from the environment is named as such.
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .env("KMS_ACCOUNT_ID", "42")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("(set by KMS_ACCOUNT_ID)"), "{stderr}");
}

/// Starts the binary with `args`, waits for its start-up line on stderr, and returns the child,
/// the address it listens on, and the start-up line.
fn start(
    args: &[&str],
) -> (
    std::process::Child,
    String,
    String,
    std::io::Lines<std::io::BufReader<std::process::ChildStderr>>,
) {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("KMS_LOG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    while let Some(Ok(line)) = stderr.next() {
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            return (child, addr, line, stderr);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server never said where it listens");
}

#[test]
fn logs_go_to_stderr_uncoloured_so_the_audit_log_owns_stdout() {
    use std::io::BufRead;
    let (mut child, addr, banner, _) = start(&["--audit-log", "-", "--log", "info"]);
    assert!(
        !banner.contains('\u{1b}'),
        "ANSI colours on a pipe: {banner:?}"
    );
    let response = post(&addr, Some("TrentService.ListKeys"));
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    // The audit event is the first thing on stdout, and it is JSON.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let event: serde_json::Value = serde_json::from_str(&line).expect("stdout is JSON lines");
    assert_eq!(event["eventName"], "ListKeys");
}

#[test]
fn log_format_json_writes_one_object_per_line() {
    let (mut child, _, banner, _) = start(&["--log-format", "json"]);
    child.kill().unwrap();
    child.wait().unwrap();
    let event: serde_json::Value = serde_json::from_str(&banner).expect("a JSON log line");
    assert_eq!(event["level"], "INFO");
    assert!(
        event["fields"]["message"]
            .as_str()
            .unwrap()
            .contains("listening on http://127.0.0.1:")
    );
}

#[test]
fn an_unknown_log_filter_is_an_error_naming_what_was_set() {
    let (code, stderr) = run(&["--log", "verbose"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("error: --log \"verbose\": \"verbose\" is not a log level"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .env("KMS_LOG", "info,loud")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("error: KMS_LOG \"info,loud\""), "{stderr}");
}

#[test]
fn negative_numbers_must_not_be_negative_and_errors_name_the_variable_set() {
    for flag in [
        "--port",
        "--body-limit",
        "--max-throttle-scopes",
        "--header-timeout",
        "--idle-timeout",
    ] {
        let (code, stderr) = run(&[flag, "-5"]);
        assert_eq!(code, Some(2), "{flag}: {stderr}");
        assert!(
            stderr.contains(&format!("for '{flag}"))
                && stderr.contains("must not be negative, got -5"),
            "{flag}: {stderr}"
        );
    }
    // A negative clock offset is a value, not an unknown argument.
    let (code, stderr) = run(&["--clock-offset-seconds", "-5", "--log", "nope"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("--log \"nope\""), "{stderr}");
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .env("KMS_BODY_LIMIT", "-4")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("must not be negative, got -4 (set by KMS_BODY_LIMIT)"),
        "{stderr}"
    );
}

/// A raw `POST /` of `{}` with this `X-Amz-Target` (or none); the whole response.
fn post(addr: &str, target: Option<&str>) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let target = target.map_or(String::new(), |t| format!("X-Amz-Target: {t}\r\n"));
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-amz-json-1.1\r\n{target}Content-Length: 2\r\nConnection: close\r\n\r\n{{}}"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn a_missing_or_unknown_target_is_aws_error_and_a_log_line_naming_the_header() {
    let (mut child, addr, _, mut stderr) = start(&["--log", "info"]);
    let missing = post(&addr, None);
    let unknown = post(&addr, Some("TrentService.MakeCoffee"));
    child.kill().unwrap();
    child.wait().unwrap();
    for response in [&missing, &unknown] {
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
        assert!(response.contains("UnknownOperationException"), "{response}");
    }
    let logged: Vec<String> = stderr.by_ref().map_while(Result::ok).collect();
    assert!(
        logged
            .iter()
            .any(|l| l.contains("the request has no X-Amz-Target header")),
        "{logged:?}"
    );
    assert!(
        logged
            .iter()
            .any(|l| l.contains("X-Amz-Target \"TrentService.MakeCoffee\" is not")),
        "{logged:?}"
    );
}

#[test]
fn a_root_key_given_twice_is_an_error_and_without_a_data_dir_a_warning() {
    const KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0", "--root-key-file", "/nonexistent"])
        .env("KMS_ROOT_KEY", KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: KMS_ROOT_KEY and --root-key-file are both set"),
        "{stderr}"
    );
    assert!(!stderr.contains(KEY), "the key leaked: {stderr}");
    // Without --data-dir: a warning, then start-up goes on (here to a port already taken, so
    // that the process ends by itself).
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", &taken.local_addr().unwrap().to_string()])
        .args(["--root-key", KEY])
        .env_remove("KMS_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--root-key is ignored without --data-dir"),
        "{stderr}"
    );
    assert!(stderr.contains("cannot listen on"), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked: {stderr}");
}

#[test]
fn the_start_up_line_says_what_is_in_force_after_every_step() {
    let dir = std::env::temp_dir().join(format!("kms-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.yaml");
    std::fs::write(
        &seed,
        "Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: bc436485-5092-42b8-92a3-0aa8b93536dc\n        BackingKeys:\n          - 5cdaead27fe7da2de47945d73cd6d79e36494e73802f3cd3869f1d2cb0b5d7a9\n",
    )
    .unwrap();
    let (mut child, _, banner, _) = start(&[
        "--quota",
        "symmetric=100",
        "--audit-log",
        "-",
        "--seed",
        seed.to_str().unwrap(),
        "--clock-offset-seconds",
        "3600",
    ]);
    child.kill().unwrap();
    child.wait().unwrap();
    for part in [
        "keys: 1,",
        "storage: in memory",
        "throttling as AWS",
        "quota overrides symmetric=100",
        "auth none with 0 principals",
        "audit log stdout",
        &format!("seeded from {}", seed.display()),
        "clock offset 3600 s",
    ] {
        assert!(banner.contains(part), "{part:?} missing from {banner}");
    }
    // A step that fails after seeding (the audit log cannot be opened): no start-up line.
    let out = Command::new(env!("CARGO_BIN_EXE_kms-emulator"))
        .args(["--listen", "127.0.0.1:0", "--seed", seed.to_str().unwrap()])
        .args(["--audit-log", "/nonexistent-dir/audit.log"])
        .env_remove("KMS_LOG")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot open the audit log"), "{stderr}");
    assert!(!stderr.contains("listening on"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
