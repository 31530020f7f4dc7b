//! Policy variables: a `Resource` pattern or a string or ARN condition value that holds
//! `${...}` placeholders, compiled once into a [`Template`] and filled in from the request's
//! condition keys each time it is matched.
//!
//! The rules are the IAM user guide's ("IAM policy elements: Variables and tags"):
//! - variables are recognised only in a policy whose `Version` is `2012-10-17`; in any other
//!   they are literal text; in a `Resource`, only in the resource part of the ARN (after the
//!   fifth colon);
//! - `${key}` is replaced with the request's single value of the condition key `key` (parsed
//!   as [`ConditionKey::parse`] parses a condition's key); a key the request lacks, or a
//!   multivalued key, leaves the variable without a value, and a value or pattern with such a
//!   variable matches nothing;
//! - `${key, 'default'}` gives a value to use when the key has none;
//! - `${*}`, `${?}` and `${$}` are a literal `*`, `?` and `$`;
//! - substitution is done once: a value that itself looks like `${...}` stays as it is.
//!
//! Where the guide is silent, this module chooses: `''` in a default is one `'`, spaces around
//! the name and the quotes are ignored, and text that is not a well-formed variable (`${`
//! with no `}`, or a variable longer than [`MAX_VARIABLE`] bytes) is kept as written. A
//! substituted value matches only itself, even where the pattern has wildcards: a tag value
//! holding `*` cannot widen what a policy allows.

use std::borrow::Cow;

use crate::policy::condition::{ConditionContext, ConditionKey, Values};
use crate::policy::glob::{self, Token};

/// A pattern or value as a policy wrote it, with its variables found once.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    /// The text as written (what is matched when there are no variables).
    text: String,
    /// The pieces, when the text holds at least one variable.
    parts: Option<Box<[Part]>>,
}

#[derive(Debug, Clone)]
enum Part {
    /// Text as written, wildcards included.
    Text(String),
    /// `${*}`, `${?}` or `${$}`: this character and no other.
    Literal(u8),
    /// `${key}` or `${key, 'default'}`.
    Variable {
        key: ConditionKey,
        default: Option<String>,
    },
}

/// The longest `${...}` read as a variable, so a policy of many unclosed `${` compiles in
/// linear time.
pub(crate) const MAX_VARIABLE: usize = 512;

impl Template {
    /// Compiles `text`; with `variables` false (a policy of another version than
    /// `2012-10-17`) it is literal.
    pub(crate) fn compile(text: String, variables: bool) -> Self {
        Self::compile_from(text, variables, 0)
    }

    /// Compiles a `Resource` ARN: variables only after its fifth colon, as IAM allows.
    pub(crate) fn compile_resource(text: String, variables: bool) -> Self {
        let resource_part = text.match_indices(':').nth(4).map(|(i, _)| i + 1);
        match resource_part {
            Some(at) => Self::compile_from(text, variables, at),
            None => Self::compile(text, false),
        }
    }

    /// Compiles `text` with variables recognised from byte `from` on.
    fn compile_from(text: String, variables: bool, from: usize) -> Self {
        let parts = if variables && text[from..].contains("${") {
            let mut parts = Vec::new();
            if from > 0 {
                parts.push(Part::Text(text[..from].to_owned()));
            }
            parts.extend(split(&text[from..]));
            parts
                .iter()
                .any(|p| !matches!(p, Part::Text(_)))
                .then(|| parts.into_boxed_slice())
        } else {
            None
        };
        Self { text, parts }
    }

    /// The text as the policy wrote it.
    pub(crate) fn as_written(&self) -> &str {
        &self.text
    }

    /// Whether the template holds a variable (or an escaped character).
    pub(crate) fn has_variables(&self) -> bool {
        self.parts.is_some()
    }

    /// The condition keys its variables read.
    pub(crate) fn variable_keys(&self) -> impl Iterator<Item = &ConditionKey> {
        self.parts
            .iter()
            .flat_map(|parts| parts.iter())
            .filter_map(|p| match p {
                Part::Variable { key, .. } => Some(key),
                _ => None,
            })
    }

    /// The value with its variables filled in, for exact comparisons; `None` when a variable
    /// has no value.
    pub(crate) fn text<'a>(&'a self, ctx: &dyn ConditionContext) -> Option<Cow<'a, str>> {
        let Some(parts) = &self.parts else {
            return Some(Cow::Borrowed(&self.text));
        };
        let mut out = String::with_capacity(self.text.len());
        for part in parts.iter() {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Literal(c) => out.push(char::from(*c)),
                Part::Variable { key, default } => out.push_str(&value(ctx, key, default)?),
            }
        }
        Some(Cow::Owned(out))
    }

    /// The pattern with its variables filled in, for wildcard matching: the template's own
    /// text keeps its `*` and `?`, substituted values and escapes match only themselves.
    /// `None` when a variable has no value.
    pub(crate) fn pattern(&self, ctx: &dyn ConditionContext) -> Option<Pattern<'_>> {
        let Some(parts) = &self.parts else {
            return Some(Pattern::Text(&self.text));
        };
        let mut out = Vec::with_capacity(self.text.len());
        for part in parts.iter() {
            match part {
                Part::Text(t) => out.extend(t.bytes().map(Token::from)),
                Part::Literal(c) => out.push(Token::Byte(*c)),
                Part::Variable { key, default } => {
                    out.extend(value(ctx, key, default)?.bytes().map(Token::Byte))
                }
            }
        }
        Some(Pattern::Tokens(out))
    }

    /// Whether `subject` matches this wildcard pattern, variables filled in from `ctx`.
    pub(crate) fn glob_matches(&self, subject: &str, ctx: &dyn ConditionContext) -> bool {
        match self.pattern(ctx) {
            Some(Pattern::Text(text)) => glob::matches(text, subject),
            Some(Pattern::Tokens(tokens)) => glob::matches_tokens(&tokens, subject),
            None => false,
        }
    }
}

/// A wildcard pattern ready to match: the policy's text, or tokens once variables are in.
#[derive(Debug)]
pub(crate) enum Pattern<'a> {
    /// No variables: `*` and `?` in the text are wildcards.
    Text(&'a str),
    /// Filled in.
    Tokens(Vec<Token>),
}

/// The single value of `key` in the request, or the default.
fn value<'a>(
    ctx: &'a dyn ConditionContext,
    key: &ConditionKey,
    default: &'a Option<String>,
) -> Option<Cow<'a, str>> {
    match ctx.values(key) {
        Some(Values::One(v)) => Some(v),
        _ => default.as_deref().map(Cow::Borrowed),
    }
}

/// Splits `text` into literal text and variables.
fn split(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        literal.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match variable(after) {
            Some((part, used)) => {
                if !literal.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut literal)));
                }
                parts.push(part);
                rest = &after[used..];
            }
            None => {
                literal.push_str("${");
                rest = after;
            }
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Text(literal));
    }
    parts
}

/// Reads one variable from just after its `${`: the part and the bytes used, closing `}`
/// included; `None` when it is not well formed or longer than [`MAX_VARIABLE`].
fn variable(after: &str) -> Option<(Part, usize)> {
    let mut end = after.len().min(MAX_VARIABLE);
    while !after.is_char_boundary(end) {
        end -= 1;
    }
    let after = &after[..end];
    for (escape, c) in [("*}", b'*'), ("?}", b'?'), ("$}", b'$')] {
        if after.starts_with(escape) {
            return Some((Part::Literal(c), escape.len()));
        }
    }
    // The key runs to `,` or `}`; a default is a quoted string in which `''` is one quote.
    let end = after.find([',', '}'])?;
    let name = after[..end].trim();
    if name.is_empty() || name.contains(char::is_whitespace) || name.contains("${") {
        return None;
    }
    let key = ConditionKey::parse(name);
    if after.as_bytes()[end] == b'}' {
        return Some((Part::Variable { key, default: None }, end + 1));
    }
    let rest = &after[end + 1..];
    let quoted = rest.trim_start();
    let mut at = rest.len() - quoted.len();
    let body = quoted.strip_prefix('\'')?;
    at += 1;
    let mut default = String::new();
    let mut chars = body.char_indices().peekable();
    loop {
        let (i, c) = chars.next()?;
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, n)| n == '\'') {
                chars.next();
                default.push('\'');
                continue;
            }
            let tail = &body[i + 1..];
            let closing = tail.trim_start();
            if !closing.starts_with('}') {
                return None;
            }
            let used = end + 1 + at + i + 1 + (tail.len() - closing.len()) + 1;
            return Some((
                Part::Variable {
                    key,
                    default: Some(default),
                },
                used,
            ));
        }
        default.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Ctx(HashMap<ConditionKey, Values<'static>>);

    impl ConditionContext for Ctx {
        fn values(&self, key: &ConditionKey) -> Option<Values<'_>> {
            self.0.get(key).cloned()
        }
    }

    fn ctx() -> Ctx {
        let mut m = HashMap::new();
        m.insert(ConditionKey::Username, Values::One("alice".into()));
        m.insert(
            ConditionKey::PrincipalTag("Project".into()),
            Values::One("alpha".into()),
        );
        m.insert(
            ConditionKey::PrincipalTag("Star".into()),
            Values::One("a*".into()),
        );
        m.insert(
            ConditionKey::TagKeys,
            Values::Many(vec!["a".into(), "b".into()]),
        );
        Ctx(m)
    }

    fn text(t: &str) -> Option<String> {
        Template::compile(t.into(), true)
            .text(&ctx())
            .map(Cow::into_owned)
    }

    #[test]
    fn variables_are_filled_in_from_the_request() {
        assert_eq!(text("key/${aws:username}").as_deref(), Some("key/alice"));
        assert_eq!(text("${AWS:UserName}-x").as_deref(), Some("alice-x"));
        assert_eq!(
            text("${aws:PrincipalTag/Project}/${aws:username}").as_deref(),
            Some("alpha/alice")
        );
        assert_eq!(text("plain").as_deref(), Some("plain"));
    }

    #[test]
    fn a_variable_without_a_value_matches_nothing_unless_it_has_a_default() {
        assert_eq!(text("${aws:PrincipalTag/Missing}"), None);
        assert_eq!(text("${aws:TagKeys}"), None, "multivalued");
        assert_eq!(
            text("${aws:PrincipalTag/Missing, 'none'}").as_deref(),
            Some("none")
        );
        assert_eq!(
            text("${ aws:PrincipalTag/Missing ,  'it''s' }!").as_deref(),
            Some("it's!")
        );
        assert_eq!(
            text("${aws:username, 'guest'}").as_deref(),
            Some("alice"),
            "a present key wins over the default"
        );
        assert_eq!(
            text("${aws:PrincipalTag/Missing, '${aws:username}'}").as_deref(),
            Some("${aws:username}"),
            "substitution is done once"
        );
    }

    #[test]
    fn escapes_and_malformed_variables() {
        assert_eq!(text("a${*}b${?}c${$}").as_deref(), Some("a*b?c$"));
        assert_eq!(text("${aws:username").as_deref(), Some("${aws:username"));
        assert_eq!(text("${}x").as_deref(), Some("${}x"));
        assert_eq!(
            text("${aws:username, guest}").as_deref(),
            Some("${aws:username, guest}")
        );
        assert_eq!(text("$${aws:username}").as_deref(), Some("$alice"));
        assert_eq!(text("é${aws:username}é").as_deref(), Some("éaliceé"));
        let long_default = format!("${{aws:username, '{}'}}", "x".repeat(MAX_VARIABLE));
        assert_eq!(text(&long_default).as_deref(), Some(long_default.as_str()));
    }

    #[test]
    fn many_unclosed_variables_stay_literal() {
        // Each `${` fails to parse and is kept as text (the scan after each is bounded by
        // MAX_VARIABLE, which keeps a hostile policy's compile linear).
        let hostile = "${".repeat(16 * 1024) + "é";
        let t = Template::compile(hostile.clone(), true);
        assert!(!t.has_variables());
        assert_eq!(t.text(&ctx()).as_deref(), Some(hostile.as_str()));
        let hostile = "${a, '".repeat(5000);
        assert!(!Template::compile(hostile, true).has_variables());
    }

    #[test]
    fn resources_have_variables_only_in_their_resource_part() {
        let c = ctx();
        let t = Template::compile_resource(
            "arn:aws:kms:*:${aws:username}:alias/${aws:username}-*".into(),
            true,
        );
        assert!(t.glob_matches("arn:aws:kms:us-east-1:${aws:username}:alias/alice-x", &c));
        assert!(!t.glob_matches("arn:aws:kms:us-east-1:alice:alias/alice-x", &c));
        let t = Template::compile_resource("${aws:username}".into(), true);
        assert!(!t.has_variables(), "not an ARN: literal");
    }

    #[test]
    fn only_the_2012_version_has_variables() {
        let t = Template::compile("key/${aws:username}".into(), false);
        assert!(!t.has_variables());
        assert_eq!(t.text(&ctx()).as_deref(), Some("key/${aws:username}"));
    }

    #[test]
    fn substituted_values_and_escapes_match_only_themselves() {
        let c = ctx();
        let t = Template::compile("key/${aws:PrincipalTag/Star}".into(), true);
        assert!(t.glob_matches("key/a*", &c));
        assert!(
            !t.glob_matches("key/abc", &c),
            "a value's * is not a wildcard"
        );
        let t = Template::compile("key/${aws:username}/*".into(), true);
        assert!(t.glob_matches("key/alice/x", &c));
        assert!(!t.glob_matches("key/bob/x", &c));
        let t = Template::compile("key/${*}".into(), true);
        assert!(t.glob_matches("key/*", &c));
        assert!(!t.glob_matches("key/x", &c));
        let t = Template::compile("key/${aws:PrincipalTag/Missing}*".into(), true);
        assert!(!t.glob_matches("key/anything", &c));
    }
}
