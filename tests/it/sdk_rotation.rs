//! Rotation and emulated time over HTTP with aws-sdk-kms: the admin clock moves time, the
//! scheduler rotates and deletes, ListKeyRotations pages.

use crate::common;

use aws_sdk_kms::primitives::Blob;
use common::*;

const DAY: i64 = 86_400;

#[tokio::test]
async fn automatic_rotation_fires_after_the_clock_advances() {
    let (server, client) = setup().await;
    let key_id = create_key(&client).await;
    let blob = client
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("before"))
        .send()
        .await
        .unwrap()
        .ciphertext_blob
        .unwrap();
    let before = client
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id
        .unwrap();

    client
        .enable_key_rotation()
        .key_id(&key_id)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    let status = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(status.key_rotation_enabled);
    assert_eq!(status.rotation_period_in_days, Some(90));
    let due = status.next_rotation_date.unwrap().secs();

    let clock = advance_clock(&server, 90 * DAY).await;
    assert_eq!(clock["rotations"], 1);
    assert!(clock["offset_seconds"].as_i64().unwrap() >= 90 * DAY);
    let now = chrono::DateTime::parse_from_rfc3339(clock["now"].as_str().unwrap())
        .unwrap()
        .timestamp();
    assert!(now >= due, "the reported time is past the due date");

    let after = client
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id
        .unwrap();
    assert_ne!(before, after);
    let opened = client.decrypt().ciphertext_blob(blob).send().await.unwrap();
    assert_eq!(opened.plaintext.unwrap().as_ref(), b"before");
    assert_eq!(opened.key_material_id.as_deref(), Some(before.as_str()));

    let rotations = client
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let entries = rotations.rotations.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].rotation_type.as_ref().map(|t| t.as_str()),
        Some("AUTOMATIC")
    );
    assert_eq!(entries[0].rotation_date.unwrap().secs(), due);
    assert_eq!(entries[0].key_material_id.as_deref(), Some(after.as_str()));
    let next = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap()
        .next_rotation_date
        .unwrap()
        .secs();
    assert_eq!(next, due + 90 * DAY);
}

#[tokio::test]
async fn deletion_completes_after_the_clock_passes_the_window() {
    let (server, client) = setup().await;
    let key_id = create_key(&client).await;
    client
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let clock = advance_clock(&server, 7 * DAY).await;
    assert_eq!(clock["deletions"], 1);
    assert_err(
        client.describe_key().key_id(&key_id).send().await,
        "NotFoundException",
        &format!(
            "Key '{}' does not exist",
            key_arn(REGION, DEFAULT_ACCOUNT, &key_id)
        ),
    );
}

#[tokio::test]
async fn on_demand_rotations_page_and_stop_at_25() {
    let (_server, client) = setup().await;
    let key_id = create_key(&client).await;
    let arn = key_arn(REGION, DEFAULT_ACCOUNT, &key_id);
    for _ in 0..25 {
        let out = client
            .rotate_key_on_demand()
            .key_id(&key_id)
            .send()
            .await
            .unwrap();
        assert_eq!(out.key_id.as_deref(), Some(arn.as_str()));
    }
    assert_err(
        client.rotate_key_on_demand().key_id(&key_id).send().await,
        "LimitExceededException",
        &format!(
            "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: {arn}"
        ),
    );
    let mut seen = 0;
    let mut marker: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = client
            .list_key_rotations()
            .key_id(&key_id)
            .limit(10)
            .set_marker(marker.take())
            .send()
            .await
            .unwrap();
        let rotations = page.rotations.unwrap_or_default();
        assert!(rotations.len() <= 10);
        seen += rotations.len();
        pages += 1;
        if !page.truncated {
            break;
        }
        marker = page.next_marker;
    }
    assert_eq!((seen, pages), (25, 3));
}

#[tokio::test]
async fn the_clock_api_rejects_going_backwards() {
    let (server, _client) = setup().await;
    let before = http_request(&server, "GET", "/_kms/clock", &[], b"")
        .await
        .json();
    let resp = http_request(
        &server,
        "POST",
        "/_kms/clock",
        &[],
        br#"{"advance_seconds":-5}"#,
    )
    .await;
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["message"]
            .as_str()
            .unwrap()
            .contains("must not be negative")
    );
    let after = http_request(&server, "GET", "/_kms/clock", &[], b"")
        .await
        .json();
    assert_eq!(before["offset_seconds"], after["offset_seconds"]);
    let resp = http_request(&server, "POST", "/_kms/clock", &[], b"not json").await;
    assert_eq!(resp.status, 400);
}

#[tokio::test]
async fn rotation_of_a_disabled_key_is_refused_with_aws_text() {
    let (_server, client) = setup().await;
    let key_id = create_key(&client).await;
    client.disable_key().key_id(&key_id).send().await.unwrap();
    assert_err(
        client.rotate_key_on_demand().key_id(&key_id).send().await,
        "DisabledException",
        &format!("{} is disabled.", key_arn(REGION, DEFAULT_ACCOUNT, &key_id)),
    );
}

#[tokio::test]
async fn disable_key_rotation_stops_the_schedule() {
    let (server, client) = setup().await;
    let key_id = create_key(&client).await;
    client
        .enable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let on = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(on.key_rotation_enabled);
    assert_eq!(on.rotation_period_in_days, Some(365));
    client
        .disable_key_rotation()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    let off = client
        .get_key_rotation_status()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(!off.key_rotation_enabled);
    assert_eq!(
        (off.rotation_period_in_days, off.next_rotation_date),
        (None, None)
    );
    assert_eq!(
        off.key_id.as_deref(),
        Some(key_arn(REGION, DEFAULT_ACCOUNT, &key_id).as_str())
    );
    let clock = advance_clock(&server, 400 * DAY).await;
    assert_eq!(clock["rotations"], 0, "no rotation once disabled");
    let rotations = client
        .list_key_rotations()
        .key_id(&key_id)
        .send()
        .await
        .unwrap();
    assert!(rotations.rotations.unwrap_or_default().is_empty());
}

#[tokio::test]
async fn the_background_scheduler_rotates_and_deletes_without_being_asked() {
    // The engine's clock is moved directly, not through /_kms/clock, so only the server's
    // once-a-second scheduler can notice that work came due.
    let clock = std::sync::Arc::new(kms_api::ManualClock::at_epoch_seconds(1_800_000_000));
    let kms = kms_api::Kms::builder().clock(clock.clone()).build();
    let server = kms_emulator::start(kms_emulator::Config::default(), kms.clone(), "127.0.0.1:0")
        .await
        .unwrap();
    let client = client(&server);
    let rotating = create_key(&client).await;
    let doomed = create_key(&client).await;
    client
        .enable_key_rotation()
        .key_id(&rotating)
        .rotation_period_in_days(90)
        .send()
        .await
        .unwrap();
    client
        .schedule_key_deletion()
        .key_id(&doomed)
        .pending_window_in_days(7)
        .send()
        .await
        .unwrap();
    let before = client
        .describe_key()
        .key_id(&rotating)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id;

    clock.advance_seconds(90 * DAY);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let listed = client
            .list_key_rotations()
            .key_id(&rotating)
            .send()
            .await
            .unwrap()
            .rotations
            .unwrap_or_default();
        if listed.len() == 1 && kms.key_count() == 1 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the scheduler did not run within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let after = client
        .describe_key()
        .key_id(&rotating)
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .current_key_material_id;
    assert_ne!(before, after);
    server.shutdown().await;
}
