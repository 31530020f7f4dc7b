//! `GET /metrics` over HTTP after real SDK traffic (a CreateKey, an Encrypt, a failing call, a
//! throttled burst): the exposition parses strictly, every family has exactly one `# HELP` and
//! one `# TYPE` line before its samples, and every metric and label that
//! `docs/grafana-dashboard.json` queries exists in it (so the dashboard cannot drift from the
//! code).
//!
//! The limiters run on a clock that never moves, so the burst is throttled exactly.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_kms::primitives::Blob;
use common::*;
use kms_emulator::throttle::{FakeRelativeClock, ThrottleClock};
use kms_emulator::{AppState, Config, RunningServer};

/// The families every scrape after [`exercised_server`]'s traffic must hold, with their type.
const FAMILIES: [(&str, &str); 8] = [
    ("kms_requests_total", "counter"),
    ("kms_request_duration_seconds", "histogram"),
    ("kms_throttled_total", "counter"),
    ("kms_keys", "gauge"),
    ("kms_quota_limit", "gauge"),
    ("kms_quota_used", "gauge"),
    ("kms_throttle_scopes", "gauge"),
    ("kms_throttle_scopes_evicted_total", "counter"),
];

const DASHBOARD: &str = include_str!("../../docs/grafana-dashboard.json");

/// A throttling server after a CreateKey, an Encrypt, a DescribeKey of a key that does not
/// exist, and a burst of CreateKey against a quota of 1/s; returns the server and its scrape.
async fn exercised_server() -> (RunningServer, String) {
    let config = Config {
        throttle: true,
        ..Config::default()
    };
    let state = AppState::new(kms_api::Kms::new(), config)
        .with_throttle_clock(ThrottleClock::manual(FakeRelativeClock::default()));
    let server = kms_emulator::start_with_state(state, "127.0.0.1:0")
        .await
        .expect("server starts");
    let client = client(&server);

    let key = create_key(&client).await;
    client
        .encrypt()
        .key_id(&key)
        .plaintext(Blob::new(&b"metrics"[..]))
        .send()
        .await
        .expect("Encrypt");
    let (code, _) = expect_err(
        client
            .describe_key()
            .key_id("alias/does-not-exist")
            .send()
            .await,
    );
    assert_eq!(code, "NotFoundException");

    let resp = http_request(&server, "PUT", "/_kms/quotas", &[], br#"{"CreateKey": 1}"#).await;
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
    let mut throttled = 0;
    for _ in 0..4 {
        if let Err(e) = client.create_key().send().await {
            let (code, _) = err_parts(e);
            assert_eq!(code, "ThrottlingException");
            throttled += 1;
        }
    }
    assert_eq!(throttled, 3, "1/s on a clock that never moves admits one");

    let resp = http_request(&server, "GET", "/metrics", &[], b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.header("content-type"),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let text = String::from_utf8(resp.body).expect("UTF-8 exposition");
    (server, text)
}

// ----------------------------------------------------------------------------------------------
// A strict parser of the Prometheus text format (version 0.0.4)
// ----------------------------------------------------------------------------------------------

/// One sample line.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// One metric family: its HELP text, TYPE and samples.
#[derive(Debug, Default)]
struct Family {
    help: Vec<String>,
    kind: Vec<String>,
    samples: Vec<Sample>,
}

/// The parsed exposition, families by name.
#[derive(Debug)]
struct Exposition {
    families: BTreeMap<String, Family>,
}

impl Exposition {
    /// Every sample name: what PromQL can select (a histogram's `_bucket`, `_sum` and
    /// `_count`, never its bare family name).
    fn names(&self) -> BTreeSet<&str> {
        self.families
            .values()
            .flat_map(|f| &f.samples)
            .map(|s| s.name.as_str())
            .collect()
    }

    /// Every label name of every sample.
    fn label_names(&self) -> BTreeSet<&str> {
        self.families
            .values()
            .flat_map(|f| &f.samples)
            .flat_map(|s| s.labels.keys().map(String::as_str))
            .collect()
    }

    fn sample(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let family = self.families.get(family_of(name, self))?;
        family
            .samples
            .iter()
            .find(|s| {
                s.name == name
                    && s.labels.len() == labels.len()
                    && labels
                        .iter()
                        .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(v))
            })
            .map(|s| s.value)
    }
}

/// The family a sample named `name` belongs to: a histogram's `_bucket`, `_sum` and `_count`
/// series belong to its base name.
fn family_of<'a>(name: &'a str, exposition: &Exposition) -> &'a str {
    family_in(name, |base| {
        exposition
            .families
            .get(base)
            .is_some_and(|f| f.kind.iter().any(|k| k == "histogram"))
    })
}

fn family_in(name: &str, is_histogram: impl Fn(&str) -> bool) -> &str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix) {
            if is_histogram(base) {
                return base;
            }
        }
    }
    name
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// A sample value as the text format writes it: a float, `+Inf`, `-Inf` or `NaN`.
fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ if text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            text.parse::<f64>().map_err(|e| format!("{text:?}: {e}"))
        }
        _ => Err(format!("{text:?} is not a sample value")),
    }
}

/// `{name="value",...}` at the start of `text`; returns the labels and the rest.
fn parse_labels(text: &str) -> Result<(BTreeMap<String, String>, &str), String> {
    let mut labels = BTreeMap::new();
    let mut rest = text
        .strip_prefix('{')
        .ok_or_else(|| format!("no '{{' in {text:?}"))?;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Ok((labels, after));
        }
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("no '=' in {rest:?}"))?;
        let name = &rest[..eq];
        if !is_label_name(name) {
            return Err(format!("bad label name {name:?}"));
        }
        rest = rest[eq + 1..]
            .strip_prefix('"')
            .ok_or_else(|| format!("label {name} is not quoted"))?;
        let mut value = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((i, '"')) => break i,
                Some((_, '\\')) => match chars.next() {
                    Some((_, '\\')) => value.push('\\'),
                    Some((_, '"')) => value.push('"'),
                    Some((_, 'n')) => value.push('\n'),
                    other => return Err(format!("bad escape {other:?} in label {name}")),
                },
                Some((_, '\n')) | None => return Err(format!("unterminated label {name}")),
                Some((_, c)) => value.push(c),
            }
        };
        if labels.insert(name.to_owned(), value).is_some() {
            return Err(format!("label {name} twice"));
        }
        rest = &rest[end + 1..];
        if let Some(after) = rest.strip_prefix(',') {
            rest = after;
        } else if !rest.starts_with('}') {
            return Err(format!("expected ',' or '}}' at {rest:?}"));
        }
    }
}

/// `name{labels} value` (labels and a trailing integer timestamp optional).
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let name = &line[..name_end];
    if !is_metric_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let (labels, rest) = if line[name_end..].starts_with('{') {
        parse_labels(&line[name_end..])?
    } else {
        (BTreeMap::new(), &line[name_end..])
    };
    let rest = rest
        .strip_prefix(' ')
        .ok_or_else(|| format!("no space before the value in {line:?}"))?;
    let mut fields = rest.split(' ');
    let value = parse_value(fields.next().unwrap_or_default())?;
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("bad timestamp {ts:?} in {line:?}"))?;
    }
    if fields.next().is_some() {
        return Err(format!("trailing text in {line:?}"));
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// Parses `text`, checking the format's rules: valid names, labels and values; exactly one
/// `# HELP` and one `# TYPE` per family, both before its first sample; a family's lines
/// together; no series twice; a histogram's samples only `_bucket{le}`, `_sum` and `_count`,
/// and other types' samples named as their family. Panics with the offending line.
fn parse(text: &str) -> Exposition {
    let mut families = BTreeMap::<String, Family>::new();
    let mut finished = BTreeSet::<String>::new();
    let mut current: Option<String> = None;
    let mut series = BTreeSet::new();
    // Moves to family `name`; a family seen before, then left, cannot come back.
    let mut enter = |name: &str, current: &mut Option<String>, line: &str| {
        if current.as_deref() != Some(name) {
            if let Some(prev) = current.take() {
                finished.insert(prev);
            }
            assert!(!finished.contains(name), "family {name} is split: {line:?}");
            *current = Some(name.to_owned());
        }
    };
    for (n, line) in text.lines().enumerate() {
        let at = format!("line {}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            let (keyword, name, rest) = (words.next(), words.next(), words.next());
            match (keyword, name) {
                (Some("HELP"), Some(name)) => {
                    assert!(is_metric_name(name), "{at}: bad name");
                    enter(name, &mut current, line);
                    let family = families.entry(name.to_owned()).or_default();
                    assert!(family.samples.is_empty(), "{at}: HELP after samples");
                    let help = rest.unwrap_or_default();
                    assert!(!help.trim().is_empty(), "{at}: empty HELP");
                    family.help.push(help.to_owned());
                }
                (Some("TYPE"), Some(name)) => {
                    assert!(is_metric_name(name), "{at}: bad name");
                    enter(name, &mut current, line);
                    let family = families.entry(name.to_owned()).or_default();
                    assert!(family.samples.is_empty(), "{at}: TYPE after samples");
                    let kind = rest.unwrap_or_default();
                    assert!(
                        ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                        "{at}: unknown type"
                    );
                    family.kind.push(kind.to_owned());
                }
                _ => {} // any other comment
            }
            continue;
        }
        let sample = parse_sample(line).unwrap_or_else(|e| panic!("{at}: {e}"));
        let name = family_in(&sample.name, |base| {
            families
                .get(base)
                .is_some_and(|f| f.kind.iter().any(|k| k == "histogram"))
        })
        .to_owned();
        enter(&name, &mut current, line);
        let family = families.entry(name.clone()).or_default();
        assert_eq!(family.help.len(), 1, "{at}: one # HELP {name} before it");
        assert_eq!(family.kind.len(), 1, "{at}: one # TYPE {name} before it");
        if family.kind[0] == "histogram" {
            assert_ne!(sample.name, name, "{at}: a histogram sample needs a suffix");
            assert_eq!(
                sample.labels.contains_key("le"),
                sample.name.ends_with("_bucket"),
                "{at}: `le` on buckets only"
            );
            if let Some(le) = sample.labels.get("le") {
                parse_value(le).unwrap_or_else(|e| panic!("{at}: le {e}"));
            }
        } else {
            assert_eq!(sample.name, name, "{at}: sample of family {name}");
        }
        if family.kind[0] == "counter" {
            assert!(sample.value >= 0.0, "{at}: negative counter");
        }
        assert!(
            series.insert((sample.name.clone(), sample.labels.clone())),
            "{at}: series twice"
        );
        family.samples.push(sample);
    }
    for (name, family) in &families {
        assert_eq!(family.help.len(), 1, "# HELP {name}: {family:?}");
        assert_eq!(family.kind.len(), 1, "# TYPE {name}: {family:?}");
    }
    Exposition { families }
}

/// Each histogram series' buckets ascend in `le`, never decrease, and end with `+Inf` equal
/// to `_count`.
fn check_histograms(exposition: &Exposition) {
    for (name, family) in &exposition.families {
        if family.kind[0] != "histogram" {
            continue;
        }
        let mut by_series = BTreeMap::<BTreeMap<String, String>, Vec<(f64, f64)>>::new();
        for s in family
            .samples
            .iter()
            .filter(|s| s.name.ends_with("_bucket"))
        {
            let mut labels = s.labels.clone();
            let le = parse_value(&labels.remove("le").unwrap()).unwrap();
            by_series.entry(labels).or_default().push((le, s.value));
        }
        assert!(!by_series.is_empty(), "{name} has buckets");
        for (labels, buckets) in by_series {
            let label_pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            assert!(
                buckets
                    .windows(2)
                    .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
                "{name}{labels:?}: {buckets:?}"
            );
            let (le, last) = *buckets.last().unwrap();
            assert_eq!(le, f64::INFINITY, "{name}{labels:?} ends with +Inf");
            let count = exposition.sample(&format!("{name}_count"), &label_pairs);
            assert_eq!(count, Some(last), "{name}_count{labels:?}");
            let sum = exposition.sample(&format!("{name}_sum"), &label_pairs);
            assert!(sum.is_some_and(|s| s >= 0.0), "{name}_sum{labels:?}");
        }
    }
}

// ----------------------------------------------------------------------------------------------
// The tests
// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_family_has_one_help_and_one_type_and_the_exposition_parses_strictly() {
    let (server, text) = exercised_server().await;
    let exposition = parse(&text);
    check_histograms(&exposition);

    for (name, kind) in FAMILIES {
        let family = exposition
            .families
            .get(name)
            .unwrap_or_else(|| panic!("no family {name} in\n{text}"));
        assert_eq!(family.kind, [kind], "{name}");
        assert!(!family.samples.is_empty(), "{name} has samples in\n{text}");
    }
    let unknown: Vec<&String> = exposition
        .families
        .keys()
        .filter(|n| !FAMILIES.iter().any(|(f, _)| f == n))
        .collect();
    assert!(unknown.is_empty(), "undocumented families {unknown:?}");

    // The traffic is counted as it happened.
    let count = |op: &str, outcome: &str| {
        exposition
            .sample(
                "kms_requests_total",
                &[("operation", op), ("outcome", outcome)],
            )
            .unwrap_or(0.0)
    };
    assert_eq!(count("CreateKey", "ok"), 2.0);
    assert_eq!(count("CreateKey", "ThrottlingException"), 3.0);
    assert_eq!(count("Encrypt", "ok"), 1.0);
    assert_eq!(count("DescribeKey", "NotFoundException"), 1.0);
    assert_eq!(
        exposition.sample("kms_throttled_total", &[("quota", "CreateKey")]),
        Some(3.0)
    );
    assert_eq!(exposition.sample("kms_keys", &[]), Some(2.0));
    let scope = [
        ("quota", "CreateKey"),
        ("account", DEFAULT_ACCOUNT),
        ("region", REGION),
    ];
    assert_eq!(exposition.sample("kms_quota_limit", &scope), Some(1.0));
    assert_eq!(exposition.sample("kms_quota_used", &scope), Some(1.0));
    assert_eq!(
        exposition.sample(
            "kms_request_duration_seconds_count",
            &[("operation", "CreateKey")]
        ),
        Some(5.0)
    );
    // Every quota of the default scope has a limit, used or not.
    assert_eq!(
        exposition.sample(
            "kms_quota_limit",
            &[
                ("quota", "ScheduleKeyDeletion"),
                ("account", DEFAULT_ACCOUNT),
                ("region", REGION)
            ]
        ),
        Some(15.0)
    );
    server.shutdown().await;
}

#[test]
fn the_parser_refuses_what_the_format_forbids() {
    let ok = "# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1\"} 2\n";
    parse(ok);
    for bad in [
        // no HELP
        "# TYPE a_total counter\na_total 1\n",
        // no TYPE
        "# HELP a_total A.\na_total 1\n",
        // HELP twice
        "# HELP a_total A.\n# HELP a_total A.\n# TYPE a_total counter\na_total 1\n",
        // HELP after the samples
        "# TYPE a gauge\na 1\n# HELP a A.\n",
        // not a float
        "# HELP a A.\n# TYPE a gauge\na one\n",
        "# HELP a A.\n# TYPE a gauge\na inf\n",
        // unquoted label, missing value
        "# HELP a A.\n# TYPE a gauge\na{x=1} 1\n",
        "# HELP a A.\n# TYPE a gauge\na{x=\"1\"}\n",
        // split family
        "# HELP a A.\n# TYPE a gauge\na 1\n# HELP b B.\n# TYPE b gauge\nb 1\na{x=\"\"} 1\n",
        // histogram sample without its suffix
        "# HELP h H.\n# TYPE h histogram\nh 1\n",
        // series twice
        "# HELP a A.\n# TYPE a gauge\na 1\na 2\n",
    ] {
        let refused = std::panic::catch_unwind(|| parse(bad)).is_err();
        assert!(refused, "accepted {bad:?}");
    }
}

// ----------------------------------------------------------------------------------------------
// The Grafana dashboard
// ----------------------------------------------------------------------------------------------

/// Every PromQL expression of the dashboard: panel target `expr`s (rows' nested panels too)
/// and query variables' queries.
fn dashboard_queries(dashboard: &serde_json::Value) -> Vec<String> {
    fn panels(list: &serde_json::Value, out: &mut Vec<String>) {
        for panel in list.as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(expr.to_owned());
                }
            }
            panels(&panel["panels"], out);
        }
    }
    let mut out = Vec::new();
    panels(&dashboard["panels"], &mut out);
    for var in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let query = &var["query"];
        if let Some(q) = query.as_str().or_else(|| query["query"].as_str()) {
            out.push(q.to_owned());
        }
    }
    out
}

/// The `kms_[a-z_]+` names in `expr`.
fn metric_names(expr: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("kms_") {
        let start = i + at;
        let boundary =
            start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        let mut end = start + 4;
        while end < bytes.len() && (bytes[end].is_ascii_lowercase() || bytes[end] == b'_') {
            end += 1;
        }
        if boundary && end > start + 4 {
            out.push(&expr[start..end]);
        }
        i = end;
    }
    out
}

/// Label names `expr` uses: in `{...}` matchers, `by (...)`/`without (...)`/`on (...)`/
/// `ignoring (...)` clauses, and `label_values(..., label)`.
fn label_names(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Matchers: identifiers directly before `=`, `!=`, `=~`, `!~` inside braces.
    let mut depth = 0;
    let mut in_string = false;
    let mut ident = String::new();
    let mut prev = '\0';
    for c in expr.chars() {
        if in_string {
            if c == '"' && prev != '\\' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
        } else if c == '{' {
            depth += 1;
            ident.clear();
        } else if c == '}' {
            depth -= 1;
        } else if depth > 0 && (c.is_ascii_alphanumeric() || c == '_') {
            ident.push(c);
        } else if depth > 0 && (c == '=' || c == '!') {
            if !ident.is_empty() {
                out.push(std::mem::take(&mut ident));
            }
        } else {
            ident.clear();
        }
        prev = c;
    }
    // Grouping clauses.
    for keyword in ["by", "without", "on", "ignoring"] {
        let mut rest = expr;
        while let Some(at) = rest.find(keyword) {
            let before = rest[..at].chars().next_back();
            let after = rest[at + keyword.len()..].trim_start();
            rest = &rest[at + keyword.len()..];
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(list) = after.strip_prefix('(') {
                let list = &list[..list.find(')').expect("closed grouping")];
                out.extend(
                    list.split(',')
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(str::to_owned),
                );
            }
        }
    }
    // label_values(metric, label)
    if let Some(args) = expr.trim().strip_prefix("label_values(") {
        let args = args.strip_suffix(')').expect("closed label_values");
        // The label is after the last top-level comma.
        let label = args.rsplit(',').next().unwrap().trim();
        out.push(label.to_owned());
    }
    out
}

#[test]
fn metric_name_and_label_extraction() {
    assert_eq!(
        metric_names(
            "histogram_quantile(0.99, sum by (le) (rate(kms_request_duration_seconds_bucket[1m]))) / kms_keys"
        ),
        ["kms_request_duration_seconds_bucket", "kms_keys"]
    );
    assert_eq!(
        label_names(
            r#"sum by (operation, le) (rate(x{outcome!="ok",quota=~"a|b"}[1m])) and on (quota) y"#
        ),
        ["outcome", "quota", "operation", "le", "quota"]
    );
    assert_eq!(
        label_names("label_values(kms_quota_limit{account=\"$account\"}, region)"),
        ["account", "region"]
    );
}

#[tokio::test]
async fn the_grafana_dashboard_queries_only_what_the_exposition_has() {
    let dashboard: serde_json::Value =
        serde_json::from_str(DASHBOARD).expect("docs/grafana-dashboard.json is JSON");
    assert!(dashboard["schemaVersion"].as_u64().is_some_and(|v| v >= 36));
    assert!(
        dashboard["__inputs"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["name"] == "DS_PROMETHEUS")),
        "the dashboard asks for its Prometheus data source on import"
    );
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .expect("templating")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for var in ["account", "region"] {
        assert!(variables.contains(&var), "variable {var}");
    }

    let (server, text) = exercised_server().await;
    let exposition = parse(&text);
    let names = exposition.names();
    let labels = exposition.label_names();
    let queries = dashboard_queries(&dashboard);
    assert!(queries.len() >= 8, "{queries:?}");
    let mut used = BTreeSet::new();
    for query in &queries {
        let metrics = metric_names(query);
        assert!(!metrics.is_empty(), "{query:?} names no kms_ metric");
        for name in metrics {
            assert!(
                names.contains(name),
                "the dashboard queries {name} ({query:?}), which /metrics does not export: {names:?}"
            );
            used.insert(family_of(name, &exposition).to_owned());
        }
        for label in label_names(query) {
            assert!(
                labels.contains(label.as_str()),
                "the dashboard uses label {label:?} ({query:?}), which /metrics has not: {labels:?}"
            );
        }
    }
    // And the dashboard shows every family.
    for (family, _) in FAMILIES {
        assert!(used.contains(family), "no panel shows {family}");
    }
    server.shutdown().await;
}
