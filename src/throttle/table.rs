//! [`QuotaTable`]: the rate of every quota in every (account, Region): AWS's defaults,
//! overridden by `--quota` flags, then by the quotas file's sections from least to most
//! specific, then by `PUT /_kms/quotas` at run time.
//!
//! The quotas file (TOML):
//! ```toml
//! [default]                                   # every account and Region
//! symmetric = 500
//! CreateKey = 10
//! [regions.us-west-2]                         # one Region, every account
//! symmetric = 2000
//! [accounts."000000000042"]                   # one account, every Region
//! DescribeKey = 50
//! [accounts."000000000042".regions.eu-west-1] # one account in one Region
//! "GenerateDataKeyPair:RSA_2048" = 0.5
//! ```

use std::collections::{BTreeMap, HashMap};

use kms_api::Scope;

use super::quotas::QuotaId;

/// Rates by quota; `f64` requests per second, fractions allowed (0.25 = one per 4 s).
pub type Rates = BTreeMap<QuotaId, f64>;

/// Quota overrides at four levels of specificity.
#[derive(Debug, Default, Clone)]
pub struct QuotaTable {
    everywhere: Rates,
    regions: HashMap<String, Rates>,
    accounts: HashMap<String, Rates>,
    account_regions: HashMap<(String, String), Rates>,
}

impl QuotaTable {
    /// The effective rate of `quota` in `scope`.
    pub fn rate(&self, scope: &Scope, quota: QuotaId) -> f64 {
        let key = (scope.account().to_owned(), scope.region().to_owned());
        self.account_regions
            .get(&key)
            .and_then(|r| r.get(&quota))
            .or_else(|| {
                self.accounts
                    .get(scope.account())
                    .and_then(|r| r.get(&quota))
            })
            .or_else(|| self.regions.get(scope.region()).and_then(|r| r.get(&quota)))
            .or_else(|| self.everywhere.get(&quota))
            .copied()
            .unwrap_or_else(|| quota.aws_default(scope.region()))
    }

    /// Sets (or with `None` removes) an override at the level `account`/`region` name.
    pub fn set(
        &mut self,
        account: Option<&str>,
        region: Option<&str>,
        quota: QuotaId,
        rate: Option<f64>,
    ) {
        let rates = match (account, region) {
            (None, None) => &mut self.everywhere,
            (None, Some(r)) => self.regions.entry(r.to_owned()).or_default(),
            (Some(a), None) => self.accounts.entry(a.to_owned()).or_default(),
            (Some(a), Some(r)) => self
                .account_regions
                .entry((a.to_owned(), r.to_owned()))
                .or_default(),
        };
        match rate {
            Some(rate) => rates.insert(quota, rate),
            None => rates.remove(&quota),
        };
    }

    /// Every override, as `(account, region, quota name, rate)`.
    pub fn overrides(&self) -> Vec<(Option<String>, Option<String>, String, f64)> {
        let mut out = Vec::new();
        let mut push = |a: Option<&str>, r: Option<&str>, rates: &Rates| {
            for (q, rate) in rates {
                out.push((a.map(str::to_owned), r.map(str::to_owned), q.name(), *rate));
            }
        };
        push(None, None, &self.everywhere);
        for (r, rates) in &self.regions {
            push(None, Some(r), rates);
        }
        for (a, rates) in &self.accounts {
            push(Some(a), None, rates);
        }
        for ((a, r), rates) in &self.account_regions {
            push(Some(a), Some(r), rates);
        }
        out
    }

    /// Parses `NAME=RATE` (a `--quota` flag) into the every-scope level.
    pub fn apply_flag(&mut self, flag: &str) -> Result<(), String> {
        let (name, rate) = flag
            .split_once('=')
            .ok_or_else(|| format!("--quota {flag:?}: expected NAME=RATE"))?;
        let quota = parse_name(name.trim())?;
        let rate = parse_rate(rate.trim()).map_err(|e| format!("--quota {flag:?}: {e}"))?;
        self.set(None, None, quota, Some(rate));
        Ok(())
    }

    /// Reads a quotas file (see the module docs) on top of what is set.
    pub fn apply_toml(&mut self, text: &str) -> Result<(), String> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| e.to_string())?;
        for (section, value) in &doc {
            let table = value
                .as_table()
                .ok_or_else(|| format!("[{section}] must be a table"))?;
            match section.as_str() {
                "default" => self.apply_rates(None, None, table, "[default]")?,
                "regions" => {
                    for (region, rates) in table {
                        let rates = rates
                            .as_table()
                            .ok_or_else(|| format!("[regions.{region}] must be a table"))?;
                        self.apply_rates(
                            None,
                            Some(region),
                            rates,
                            &format!("[regions.{region}]"),
                        )?;
                    }
                }
                "accounts" => {
                    for (account, body) in table {
                        let body = body
                            .as_table()
                            .ok_or_else(|| format!("[accounts.{account}] must be a table"))?;
                        for (key, value) in body {
                            if key == "regions" {
                                let regions = value.as_table().ok_or_else(|| {
                                    format!("[accounts.{account}.regions] must be a table")
                                })?;
                                for (region, rates) in regions {
                                    let rates = rates.as_table().ok_or_else(|| {
                                        format!(
                                            "[accounts.{account}.regions.{region}] must be a table"
                                        )
                                    })?;
                                    self.apply_rates(
                                        Some(account),
                                        Some(region),
                                        rates,
                                        &format!("[accounts.{account}.regions.{region}]"),
                                    )?;
                                }
                            } else {
                                let single = toml::Table::from_iter([(key.clone(), value.clone())]);
                                self.apply_rates(
                                    Some(account),
                                    None,
                                    &single,
                                    &format!("[accounts.{account}]"),
                                )?;
                            }
                        }
                    }
                }
                other => {
                    return Err(format!(
                        "unknown section [{other}]: expected [default], [regions.<region>] or [accounts.<account>]"
                    ));
                }
            }
        }
        Ok(())
    }

    fn apply_rates(
        &mut self,
        account: Option<&str>,
        region: Option<&str>,
        rates: &toml::Table,
        at: &str,
    ) -> Result<(), String> {
        if let Some(r) = region.filter(|r| !crate::regions::is_known(r)) {
            return Err(format!("{at}: {r:?} is not an AWS Region"));
        }
        if let Some(a) = account.filter(|a| !crate::config::is_account_id(a)) {
            return Err(format!("{at}: {a:?} is not an AWS account ID (12 digits)"));
        }
        for (name, value) in rates {
            let quota = parse_name(name).map_err(|e| format!("{at}: {e}"))?;
            let rate = match value {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                other => {
                    return Err(format!(
                        "{at} {name}: the rate must be a number, got {other}"
                    ));
                }
            };
            check_rate(rate).map_err(|e| format!("{at} {name}: {e}"))?;
            self.set(account, region, quota, Some(rate));
        }
        Ok(())
    }
}

/// A quota name, with a helpful error.
pub fn parse_name(name: &str) -> Result<QuotaId, String> {
    QuotaId::parse(name).ok_or_else(|| {
        format!(
            "unknown quota {name:?}: use symmetric, rsa, ecc, ml-dsa, a non-cryptographic operation name (e.g. CreateKey) or GenerateDataKeyPair:<spec>"
        )
    })
}

fn parse_rate(text: &str) -> Result<f64, String> {
    let rate: f64 = text
        .parse()
        .map_err(|_| format!("the rate {text:?} is not a number"))?;
    check_rate(rate)?;
    Ok(rate)
}

/// The smallest rate above 0: one request a year. The limiter's emission interval (1/rate) is
/// counted in nanoseconds in a `u64` (governor panics on an interval over 584 years, and adds
/// intervals to timestamps), so a year keeps a wide margin.
pub const MIN_RATE: f64 = 1.0 / (365.0 * 86_400.0);
/// The largest rate: one request per nanosecond, the finest interval governor counts (and a
/// burst of 10⁹ still fits its `u32`).
pub const MAX_RATE: f64 = 1e9;

/// The one check of a rate, for `--quota`, the quotas file and `PUT /_kms/quotas`: 0 refuses
/// every request; anything else must lie within [`MIN_RATE`]..=[`MAX_RATE`] requests per
/// second.
///
/// # Errors
/// A message naming the bounds, for a negative, non-finite or out-of-range rate.
pub fn check_rate(rate: f64) -> Result<(), String> {
    if rate == 0.0 || (MIN_RATE..=MAX_RATE).contains(&rate) {
        Ok(())
    } else {
        Err(format!(
            "the rate must be 0 (refuse every request) or between {MIN_RATE:.3e} (one request a year) and {MAX_RATE:.0} requests per second, got {rate}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_level_wins() {
        let mut t = QuotaTable::default();
        let scope = Scope::new("000000000042", "eu-west-1");
        assert_eq!(t.rate(&scope, QuotaId::SYMMETRIC), 100_000.0);
        t.apply_flag("symmetric=500").unwrap();
        assert_eq!(t.rate(&scope, QuotaId::SYMMETRIC), 500.0);
        t.apply_toml(
            r#"
            [default]
            symmetric = 400
            [regions.eu-west-1]
            symmetric = 300
            [accounts."000000000042"]
            symmetric = 200
            CreateKey = 1
            [accounts."000000000042".regions.eu-west-1]
            symmetric = 100
            "GenerateDataKeyPair:RSA_2048" = 0.5
            "#,
        )
        .unwrap();
        assert_eq!(t.rate(&scope, QuotaId::SYMMETRIC), 100.0);
        assert_eq!(
            t.rate(&Scope::new("000000000042", "us-east-1"), QuotaId::SYMMETRIC),
            200.0
        );
        assert_eq!(
            t.rate(&Scope::new("111122223333", "eu-west-1"), QuotaId::SYMMETRIC),
            300.0
        );
        assert_eq!(
            t.rate(&Scope::new("111122223333", "us-east-1"), QuotaId::SYMMETRIC),
            400.0
        );
        assert_eq!(t.rate(&scope, QuotaId::key_pair("RSA_2048").unwrap()), 0.5);
        t.set(
            Some("000000000042"),
            Some("eu-west-1"),
            QuotaId::SYMMETRIC,
            None,
        );
        assert_eq!(t.rate(&scope, QuotaId::SYMMETRIC), 200.0);
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let mut t = QuotaTable::default();
        assert!(t.apply_flag("symmetric").unwrap_err().contains("NAME=RATE"));
        assert!(
            t.apply_flag("Encrypt=5")
                .unwrap_err()
                .contains("unknown quota")
        );
        assert!(
            t.apply_flag("CreateKey=-1")
                .unwrap_err()
                .contains("between")
        );
        assert!(
            t.apply_toml("[default]\nCreateKey = \"fast\"")
                .unwrap_err()
                .contains("must be a number")
        );
        assert!(
            t.apply_toml("[nope]\nx = 1")
                .unwrap_err()
                .contains("unknown section")
        );
        assert!(t.apply_toml("not toml [").is_err());
        assert!(
            t.apply_toml("[regions.moon-1]\nCreateKey = 1")
                .unwrap_err()
                .contains("not an AWS Region")
        );
        assert!(
            t.apply_toml("[accounts.42]\nCreateKey = 1")
                .unwrap_err()
                .contains("not an AWS account ID")
        );
    }

    #[test]
    fn rates_are_zero_or_within_what_governor_represents() {
        for ok in [0.0, MIN_RATE, 0.25, 1.0, 100_000.0, MAX_RATE] {
            assert_eq!(check_rate(ok), Ok(()), "{ok}");
        }
        for bad in [
            -1.0,
            -MIN_RATE,
            1e-12,
            f64::MIN_POSITIVE,
            5e-324,
            MIN_RATE * 0.999,
            MAX_RATE * 1.001,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            assert!(check_rate(bad).unwrap_err().contains("between"), "{bad}");
        }
        // All three inputs refuse the same rate.
        let mut t = QuotaTable::default();
        assert!(t.apply_flag("symmetric=1e-12").is_err());
        assert!(t.apply_toml("[default]\nsymmetric = 1e-12").is_err());
        assert!(
            t.apply_toml("[default]\nsymmetric = 2_000_000_000")
                .is_err()
        );
        assert!(t.overrides().is_empty());
    }
}
