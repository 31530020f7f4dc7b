//! IAM wildcard matching: `*` matches any run of characters (also none), `?` exactly one.
//! Used for actions (ASCII case-insensitive), resources and `StringLike`/`ArnLike` values
//! (case-sensitive). A pattern is text, or [`Token`]s when a policy variable put characters
//! into it that must match only themselves (`${*}`, or a tag value holding a `*`).

/// One element of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Token {
    /// This byte and no other.
    Byte(u8),
    /// `*`: any run of bytes, also none.
    AnyRun,
    /// `?`: exactly one byte.
    AnyOne,
}

impl From<u8> for Token {
    fn from(b: u8) -> Self {
        match b {
            b'*' => Token::AnyRun,
            b'?' => Token::AnyOne,
            b => Token::Byte(b),
        }
    }
}

impl From<&Token> for Token {
    fn from(t: &Token) -> Self {
        *t
    }
}

impl From<&u8> for Token {
    fn from(b: &u8) -> Self {
        Token::from(*b)
    }
}

/// Whether `subject` matches `pattern` (text bytes or tokens), comparing bytes with `eq`.
///
/// Iterative with one backtrack point, so it is linear in practice and never recurses:
/// a hostile pattern such as `*a*a*a*...` costs O(pattern × subject) at worst.
fn matches_with<T>(pattern: &[T], subject: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool
where
    for<'t> &'t T: Into<Token>,
{
    let at = |i: usize| -> Token { (&pattern[i]).into() };
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < subject.len() {
        let token = (p < pattern.len()).then(|| at(p));
        match token {
            Some(Token::AnyRun) => {
                star = Some((p, s));
                p += 1;
                continue;
            }
            Some(Token::AnyOne) => {
                // One character, not one byte: `?` matches `é` (two bytes in UTF-8).
                p += 1;
                s = (s + utf8_width(subject[s])).min(subject.len());
                continue;
            }
            Some(Token::Byte(b)) if eq(b, subject[s]) => {
                p += 1;
                s += 1;
                continue;
            }
            _ => {}
        }
        if let Some((sp, ss)) = star {
            p = sp + 1;
            s = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    (p..pattern.len()).all(|i| at(i) == Token::AnyRun)
}

/// The length of the UTF-8 sequence a byte starts (1 for a byte that starts none).
fn utf8_width(b: u8) -> usize {
    match b {
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF7 => 4,
        _ => 1,
    }
}

/// Case-sensitive wildcard match of a pattern given as text bytes or as tokens.
pub(crate) fn matches_tokens<T>(pattern: &[T], subject: &str) -> bool
where
    for<'t> &'t T: Into<Token>,
{
    matches_with(pattern, subject.as_bytes(), |a, b| a == b)
}

/// Case-sensitive wildcard match.
pub(crate) fn matches(pattern: &str, subject: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    matches_with(pattern.as_bytes(), subject.as_bytes(), |a, b| a == b)
}

/// ASCII case-insensitive wildcard match (action names).
pub(crate) fn matches_ignore_case(pattern: &str, subject: &str) -> bool {
    matches_with(pattern.as_bytes(), subject.as_bytes(), |a, b| {
        a.eq_ignore_ascii_case(&b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", ""));
        assert!(matches("*", "anything"));
        assert!(matches(
            "arn:aws:kms:*:111122223333:key/*",
            "arn:aws:kms:us-east-1:111122223333:key/abc"
        ));
        assert!(!matches(
            "arn:aws:kms:*:111122223333:key/*",
            "arn:aws:kms:us-east-1:444455556666:key/abc"
        ));
        assert!(matches("a?c", "abc"));
        assert!(matches("a?c", "aéc"), "? is one character");
        assert!(!matches("a??c", "aéc"));
        assert!(matches("*?", "é"));
        assert!(!matches("a?c", "ac"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("**", "x"));
        assert!(!matches("abc", "abcd"));
        assert!(!matches("Abc", "abc"));
        assert!(matches("", ""));
        assert!(!matches("", "a"));
    }

    #[test]
    fn actions_ignore_case() {
        assert!(matches_ignore_case("kms:Gen*", "KMS:generateDataKey"));
        assert!(matches_ignore_case("KMS:DECRYPT", "kms:Decrypt"));
        assert!(!matches_ignore_case("kms:Decrypt", "kms:DecryptX"));
    }

    #[test]
    fn tokens_keep_literal_wildcards_literal() {
        let mut pattern: Vec<Token> = b"key/".iter().map(Token::from).collect();
        pattern.push(Token::Byte(b'*'));
        pattern.push(Token::AnyRun);
        assert!(matches_tokens(&pattern, "key/*"));
        assert!(matches_tokens(&pattern, "key/*abc"));
        assert!(!matches_tokens(&pattern, "key/abc"));
        let one = [Token::AnyOne, Token::Byte(b'?')];
        assert!(matches_tokens(&one, "x?"));
        assert!(!matches_tokens(&one, "xy"));
    }

    #[test]
    fn hostile_patterns_finish() {
        let pattern = "*a".repeat(200);
        let subject = "a".repeat(5000) + "b";
        assert!(!matches(&pattern, &subject));
    }
}
