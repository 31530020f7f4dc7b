//! IAM wildcard matching: `*` matches any run of characters (also none), `?` exactly one.
//! Used for actions (ASCII case-insensitive), resources and `StringLike`/`ArnLike` values
//! (case-sensitive).

/// Whether `subject` matches `pattern`, comparing bytes with `eq`.
///
/// Iterative with one backtrack point, so it is linear in practice and never recurses:
/// a hostile pattern such as `*a*a*a*...` costs O(pattern × subject) at worst.
fn matches_with(pattern: &[u8], subject: &[u8], eq: impl Fn(u8, u8) -> bool) -> bool {
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < subject.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, s));
            p += 1;
        } else if p < pattern.len() && (pattern[p] == b'?' || eq(pattern[p], subject[s])) {
            p += 1;
            s += 1;
        } else if let Some((sp, ss)) = star {
            p = sp + 1;
            s = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
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
    fn hostile_patterns_finish() {
        let pattern = "*a".repeat(200);
        let subject = "a".repeat(5000) + "b";
        assert!(!matches(&pattern, &subject));
    }
}
