//! The server's own logs: always on stderr (so `--audit-log -` is a clean JSON stream on
//! stdout), coloured only when stderr is a terminal, as text or as JSON lines
//! (`--log-format json`), filtered by a `--log` filter that is checked strictly: a word that
//! is neither a level nor `target=level` is an error, not a filter that silently logs nothing.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event (timestamp, level, fields), for log collectors.
    Json,
}

const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Parses a log filter: comma-separated directives, each a level (`debug`) or
/// `target=level` (`kms_emulator=debug`, `hyper=warn`). `flag` names where the text came
/// from (`--log` or `KMS_LOG`) for the error.
///
/// ```
/// use kms_emulator::logging::parse_filter;
/// assert!(parse_filter("info,kms_emulator=debug", "--log").is_ok());
/// let err = parse_filter("verbose", "KMS_LOG").unwrap_err();
/// assert!(err.starts_with("KMS_LOG"));
/// ```
pub fn parse_filter(text: &str, flag: &str) -> Result<EnvFilter, String> {
    let refuse = |directive: &str| {
        Err(format!(
            "{flag} {text:?}: {directive:?} is not a log level ({}) or target=level",
            LEVELS.join(", ")
        ))
    };
    if text.trim().is_empty() {
        return refuse(text);
    }
    for directive in text.split(',').map(str::trim) {
        let level = match directive.split_once('=') {
            Some((target, level)) if !target.is_empty() && !target.contains(['[', '{']) => level,
            Some(_) => return refuse(directive),
            None => directive,
        };
        if !LEVELS.contains(&level.to_ascii_lowercase().as_str()) {
            return refuse(directive);
        }
    }
    let directives: Vec<&str> = text.split(',').map(str::trim).collect();
    EnvFilter::try_new(directives.join(",")).map_err(|e| format!("{flag} {text:?}: {e}"))
}

/// Installs the global subscriber: `filter`'s events to stderr in `format`, with ANSI
/// colours only when stderr is a terminal.
pub fn init(filter: EnvFilter, format: LogFormat) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_ansi(false).init(),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_filter;

    #[test]
    fn levels_and_targets_parse_and_anything_else_is_refused() {
        for good in [
            "info",
            "DEBUG",
            "off",
            "warn,kms_emulator=debug",
            "kms_api=trace, hyper=warn",
        ] {
            assert!(parse_filter(good, "--log").is_ok(), "{good}");
        }
        for bad in [
            "",
            "verbose",
            "kms_emulator",
            "info,loud",
            "kms_emulator=loud",
            "=debug",
            "x[span]=debug",
        ] {
            let err = parse_filter(bad, "--log").unwrap_err();
            assert!(err.starts_with("--log "), "{bad}: {err}");
        }
        assert!(
            parse_filter("verbose", "KMS_LOG")
                .unwrap_err()
                .contains("KMS_LOG \"verbose\": \"verbose\" is not a log level")
        );
    }
}
