//! What the engine hands its persistence hook: every mutation is one commit, a rotation is
//! the key's metadata and one material version however long its history, and names of AWS
//! managed keys cannot conjure keys without bound, a grant is one row of its own.

use std::sync::{Arc, Mutex};

use kms_api::wire::keys::KeyIdRequest;
use kms_api::wire::rotation::EnableKeyRotationRequest;
use kms_api::{Change, Kms, ManualClock, Persistence, Scope};

/// Records each commit as a list of change kinds (`key`, `material N`, `alias`, ...).
#[derive(Default)]
struct Recorder(Mutex<Vec<Vec<String>>>);

impl Persistence for Recorder {
    fn commit(&self, changes: &[Change<'_>]) -> Result<(), String> {
        let kinds = changes
            .iter()
            .map(|c| match c {
                Change::PutKey(_) => "key".to_owned(),
                Change::PutMaterial(_, v) => format!("material {v}"),
                Change::DeleteMaterial(_, v) => format!("delete material {v}"),
                Change::DeleteKey(_) => "delete key".to_owned(),
                Change::PutGrant(..) => "grant".to_owned(),
                Change::DeleteGrant(..) => "delete grant".to_owned(),
                Change::PutAlias(..) => "alias".to_owned(),
                Change::DeleteAlias(..) => "delete alias".to_owned(),
                Change::ClockOffset(_) => "clock".to_owned(),
                Change::PutKeyStore(..) => "key store".to_owned(),
                Change::DeleteKeyStore(..) => "delete key store".to_owned(),
                Change::PutKeyUsage(_) => "key usage".to_owned(),
            })
            .collect();
        self.0.lock().unwrap().push(kinds);
        Ok(())
    }
    fn reset(&self) -> Result<(), String> {
        Ok(())
    }
}

impl Recorder {
    fn take(&self) -> Vec<Vec<String>> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

fn scope() -> Scope {
    Scope::new("111122223333", "us-east-1")
}

fn engine() -> (Kms, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let kms = Kms::builder()
        .clock(Arc::new(ManualClock::at_epoch_seconds(1_800_000_000)))
        .persistence(recorder.clone())
        .build();
    (kms, recorder)
}

#[test]
fn a_rotation_writes_one_material_version_however_long_the_history() {
    let (kms, recorder) = engine();
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata
        .key_id;
    kms.enable_key_rotation(
        &scope(),
        EnableKeyRotationRequest {
            key_id: Some(key.clone()),
            rotation_period_in_days: Some(90),
        },
    )
    .unwrap();
    assert_eq!(
        recorder.take(),
        vec![vec!["key", "material 1"], vec!["key"]]
    );

    // A thousand years at once: about 4,000 automatic rotations, caught up over sweeps.
    let mut work = kms.advance_clock(1000 * 365 * 86_400).unwrap().rotations;
    loop {
        let more = kms.run_scheduled().rotations;
        if more == 0 {
            break;
        }
        work += more;
    }
    assert!(work > 4000, "{work}");
    let commits = recorder.take();
    assert_eq!(commits[0], vec!["clock"]);
    for commit in &commits[1..] {
        assert_eq!(commit[0], "key");
        assert!(commit[1..].iter().all(|c| c.starts_with("material ")));
        assert!(
            commit.len() <= 101,
            "a sweep catches up at most 100 versions per key"
        );
    }

    kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key))
        .unwrap();
    let latest = work + 2;
    assert_eq!(
        recorder.take(),
        vec![vec!["key".to_owned(), format!("material {latest}")]],
        "the key's metadata and the one new version, nothing of the history"
    );
}

#[test]
fn an_aws_managed_key_is_one_commit_and_bounded_per_scope() {
    let (kms, recorder) = engine();
    kms.describe_key(&scope(), KeyIdRequest::new("alias/aws/ebs"))
        .unwrap();
    assert_eq!(recorder.take(), vec![vec!["key", "material 1", "alias"]]);
    for i in 1..kms_api::kms::MAX_AWS_MANAGED_KEYS_PER_SCOPE {
        kms.describe_key(&scope(), KeyIdRequest::new(format!("alias/aws/svc{i}")))
            .unwrap();
    }
    let err = kms
        .describe_key(&scope(), KeyIdRequest::new("alias/aws/onetoomany"))
        .unwrap_err();
    assert_eq!(err.aws_type(), "LimitExceededException");
    assert_eq!(
        kms.key_count(),
        kms_api::kms::MAX_AWS_MANAGED_KEYS_PER_SCOPE
    );
}

#[test]
fn a_grant_is_one_row_and_imported_material_changes_only_its_own() {
    use kms_api::wire::grants::{CreateGrantRequest, RevokeGrantRequest};
    let (kms, recorder) = engine();
    let key = kms
        .create_key(&scope(), Default::default())
        .unwrap()
        .key_metadata
        .key_id;
    recorder.take();
    let made = |name: &str| {
        kms.create_grant(
            &scope(),
            CreateGrantRequest {
                key_id: Some(key.clone()),
                grantee_principal: Some("arn:aws:iam::111122223333:role/app".into()),
                operations: Some(vec!["Decrypt".into()]),
                name: Some(name.into()),
                ..Default::default()
            },
        )
        .unwrap()
    };
    let a = made("a");
    made("b");
    assert_eq!(
        recorder.take(),
        vec![vec!["key", "grant"], vec!["key", "grant"]],
        "each grant is its own row; earlier grants are not written again"
    );
    assert_eq!(made("a").grant_id, a.grant_id);
    assert_eq!(
        recorder.take(),
        Vec::<Vec<String>>::new(),
        "a retry writes nothing"
    );
    kms.revoke_grant(
        &scope(),
        RevokeGrantRequest {
            key_id: Some(key.clone()),
            grant_id: Some(a.grant_id),
            dry_run: None,
        },
    )
    .unwrap();
    assert_eq!(recorder.take(), vec![vec!["key", "delete grant"]]);
    // Other mutations of a key with grants do not rewrite them.
    kms.rotate_key_on_demand(&scope(), KeyIdRequest::new(&key))
        .unwrap();
    assert_eq!(recorder.take(), vec![vec!["key", "material 2"]]);
}
