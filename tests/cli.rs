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
        stderr.contains("--region must be an AWS Region"),
        "{stderr}"
    );
}
