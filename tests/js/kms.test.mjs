// The AWS SDK for JavaScript v3 (@aws-sdk/client-kms, unchanged but for the endpoint) against
// a running kms-emulator: symmetric round trips, data keys, signatures checked independently
// with node:crypto, and throttling with the SDK's standard retry mode.
//
// Needs KMS_ENDPOINT (e.g. http://127.0.0.1:8080) of an emulator started with throttling on
// (`--throttle aws`, the default). scripts/js-test.sh starts one and runs this file:
//
//   KMS_BIN=target/debug/kms-emulator scripts/js-test.sh
//
// The throttle test changes a server-wide quota through PUT /_kms/quotas, so the tests in this
// file run one after another (node:test's default within a file) and the throttle test restores
// the quota when it ends.

import assert from "node:assert/strict";
import crypto from "node:crypto";
import { after, describe, test } from "node:test";

import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetPublicKeyCommand,
  KMSClient,
  SignCommand,
  VerifyCommand,
} from "@aws-sdk/client-kms";

const endpoint = process.env.KMS_ENDPOINT;
if (!endpoint) {
  throw new Error("set KMS_ENDPOINT to the emulator's URL (scripts/js-test.sh does)");
}

const THROTTLED =
  "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

function client(extra = {}) {
  return new KMSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    ...extra,
  });
}

const kms = client();
after(() => kms.destroy());

const utf8 = (s) => new TextEncoder().encode(s);

/** Runs `promise`, which must reject, and returns its error. */
async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail("expected the call to fail");
}

async function createKey(input = {}, c = kms) {
  const { KeyMetadata } = await c.send(new CreateKeyCommand(input));
  assert.ok(KeyMetadata?.KeyId, "CreateKey returns a KeyId");
  return KeyMetadata;
}

describe("symmetric keys", () => {
  test("Encrypt/Decrypt round trip with an encryption context", async () => {
    const key = await createKey({ KeySpec: "SYMMETRIC_DEFAULT", KeyUsage: "ENCRYPT_DECRYPT" });
    assert.equal(key.KeySpec, "SYMMETRIC_DEFAULT");
    const plaintext = utf8("attack at dawn");
    const context = { purpose: "js-test", tenant: "42" };

    const enc = await kms.send(
      new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: context }),
    );
    assert.ok(enc.CiphertextBlob instanceof Uint8Array);
    assert.equal(enc.KeyId, key.Arn, "Encrypt names the key by ARN");
    assert.equal(enc.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");

    const dec = await kms.send(
      new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context }),
    );
    assert.deepEqual(Buffer.from(dec.Plaintext), Buffer.from(plaintext));
    assert.equal(dec.KeyId, key.Arn, "Decrypt finds the key from the ciphertext");
    assert.equal(dec.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");

    const wrong = await rejection(
      kms.send(
        new DecryptCommand({
          CiphertextBlob: enc.CiphertextBlob,
          EncryptionContext: { ...context, tenant: "43" },
        }),
      ),
    );
    assert.equal(wrong.name, "InvalidCiphertextException", String(wrong));
    assert.equal(wrong.$metadata.httpStatusCode, 400);

    const missing = await rejection(
      kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })),
    );
    assert.equal(missing.name, "InvalidCiphertextException", "no context at all also fails");
  });

  test("GenerateDataKey AES_256: 32 bytes that Decrypt gives back", async () => {
    const key = await createKey();
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
    assert.equal(dk.Plaintext.length, 32);
    assert.equal(dk.KeyId, key.Arn);
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }));
    assert.deepEqual(Buffer.from(dec.Plaintext), Buffer.from(dk.Plaintext));
  });
});

describe("asymmetric signatures, verified with node:crypto", () => {
  /** The key's public key as a node:crypto KeyObject, from GetPublicKey's DER SPKI. */
  async function publicKey(keyId, expectSpec) {
    const pub = await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));
    assert.equal(pub.KeySpec, expectSpec);
    assert.equal(pub.KeyUsage, "SIGN_VERIFY");
    return { der: Buffer.from(pub.PublicKey), algorithms: pub.SigningAlgorithms };
  }

  test("ECC_NIST_P256 with ECDSA_SHA_256", async () => {
    const key = await createKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    const { der, algorithms } = await publicKey(key.KeyId, "ECC_NIST_P256");
    assert.deepEqual(algorithms, ["ECDSA_SHA_256"]);
    const message = utf8("a message signed by kms-emulator");

    const signed = await kms.send(
      new SignCommand({
        KeyId: key.KeyId,
        Message: message,
        MessageType: "RAW",
        SigningAlgorithm: "ECDSA_SHA_256",
      }),
    );
    assert.equal(signed.KeyId, key.Arn);
    assert.equal(signed.SigningAlgorithm, "ECDSA_SHA_256");
    const signature = Buffer.from(signed.Signature);

    const spki = { key: der, format: "der", type: "spki" };
    assert.equal(crypto.createPublicKey(spki).asymmetricKeyDetails.namedCurve, "prime256v1");
    assert.equal(crypto.verify("sha256", message, spki, signature), true, "node:crypto accepts it");
    assert.equal(
      crypto.verify("sha256", utf8("another message"), spki, signature),
      false,
      "node:crypto refuses it for another message",
    );

    const verified = await kms.send(
      new VerifyCommand({
        KeyId: key.KeyId,
        Message: message,
        MessageType: "RAW",
        Signature: signature,
        SigningAlgorithm: "ECDSA_SHA_256",
      }),
    );
    assert.equal(verified.SignatureValid, true);

    const tampered = Buffer.from(message);
    tampered[0] ^= 1;
    const err = await rejection(
      kms.send(
        new VerifyCommand({
          KeyId: key.KeyId,
          Message: tampered,
          MessageType: "RAW",
          Signature: signature,
          SigningAlgorithm: "ECDSA_SHA_256",
        }),
      ),
    );
    assert.equal(err.name, "KMSInvalidSignatureException", String(err));
  });

  test("RSA_2048 with RSASSA_PSS_SHA_256", async () => {
    const key = await createKey({ KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" });
    const { der, algorithms } = await publicKey(key.KeyId, "RSA_2048");
    assert.ok(algorithms.includes("RSASSA_PSS_SHA_256"), algorithms.join());
    const message = utf8("a message signed with RSA-PSS");

    const signed = await kms.send(
      new SignCommand({
        KeyId: key.KeyId,
        Message: message,
        MessageType: "RAW",
        SigningAlgorithm: "RSASSA_PSS_SHA_256",
      }),
    );
    const signature = Buffer.from(signed.Signature);
    assert.equal(signature.length, 256);

    const pss = {
      key: der,
      format: "der",
      type: "spki",
      padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    };
    assert.equal(crypto.createPublicKey(pss).asymmetricKeyDetails.modulusLength, 2048);
    assert.equal(crypto.verify("sha256", message, pss, signature), true, "node:crypto accepts it");

    const verified = await kms.send(
      new VerifyCommand({
        KeyId: key.KeyId,
        Message: message,
        MessageType: "RAW",
        Signature: signature,
        SigningAlgorithm: "RSASSA_PSS_SHA_256",
      }),
    );
    assert.equal(verified.SignatureValid, true);
  });
});

// The limiter (src/throttle/limiter.rs) is a GCRA bucket per (account, Region, quota): at rate R
// it holds max(1, ⌊R⌋) requests and refills one every 1/R s, and a quota change rebuilds every
// bucket full. At CreateKey = 2/s a burst of 8 sent at once can have at most 2 + 2·t admitted
// after t seconds, so unless the burst takes over 3 s, at least one of them is throttled; and the
// SDK's standard retry mode (jittered back-off, base 1 s for throttles, up to 10 attempts) gets
// every one of them through within a few seconds.
describe("throttling", () => {
  const quotas = (body) =>
    fetch(`${endpoint}/_kms/quotas`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then(async (r) => {
      const text = await r.text();
      assert.equal(r.status, 200, text);
      return JSON.parse(text);
    });

  /** kms_throttled_total{quota="CreateKey"} from GET /metrics (0 if no request was throttled yet). */
  async function throttledCreateKeys() {
    const r = await fetch(`${endpoint}/metrics`);
    assert.equal(r.status, 200);
    const text = await r.text();
    const line = text
      .split("\n")
      .find((l) => /^kms_throttled_total\{(?:[^}]*,)?quota="CreateKey"(?:,[^}]*)?\}\s/.test(l));
    return line ? Number(line.trim().split(/\s+/).pop()) : 0;
  }

  test("standard retry rides out a low quota; one attempt sees AWS's ThrottlingException", { timeout: 120_000 }, async (t) => {
    const before = await throttledCreateKeys();
    const set = await quotas({ CreateKey: 2 });
    assert.equal(set.throttle, "aws", "the emulator must run with --throttle aws");
    assert.equal(set.quotas.CreateKey, 2);
    t.after(async () => {
      const restored = await quotas({ CreateKey: null });
      assert.ok(
        !restored.overrides.some((o) => o.quota === "CreateKey"),
        "null removes the CreateKey override",
      );
    });

    const retrying = client({ retryMode: "standard", maxAttempts: 10 });
    const once = client({ maxAttempts: 1 });
    t.after(() => {
      retrying.destroy();
      once.destroy();
    });

    // 8 at once with retries: all succeed, and some only after being throttled.
    const burst = () => Array.from({ length: 8 }, (_, i) => ({ Description: `js throttle ${i}` }));
    const made = await Promise.all(
      burst().map((input) => retrying.send(new CreateKeyCommand(input))),
    );
    assert.equal(new Set(made.map((m) => m.KeyMetadata.KeyId)).size, 8, "8 distinct keys");
    const attempts = made.map((m) => m.$metadata.attempts);
    assert.ok(
      attempts.some((a) => a > 1),
      `some CreateKey needed a retry (attempts: ${attempts.join(", ")})`,
    );

    // 8 at once without retries: the bucket of 2 cannot admit them all.
    const results = await Promise.allSettled(
      burst().map((input) => once.send(new CreateKeyCommand(input))),
    );
    const refused = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    assert.ok(refused.length >= 1, "at least one CreateKey of the burst is throttled");
    for (const err of refused) {
      assert.equal(err.name, "ThrottlingException", String(err));
      assert.equal(err.message, THROTTLED);
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.$metadata.attempts, 1);
    }

    const throttled = await throttledCreateKeys();
    assert.ok(throttled > 0, `kms_throttled_total{quota="CreateKey"} = ${throttled}`);
    assert.ok(
      throttled >= before + refused.length,
      `the counter grew by at least the ${refused.length} refusals seen (${before} -> ${throttled})`,
    );
  });
});
