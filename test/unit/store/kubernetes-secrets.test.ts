/**
 * What cluster mode keeps in Secrets (src/store/kube/secret-files.ts, src/keys/secret-persistence.ts)
 * over the in-memory API: creation with the namespace, per-field optimistic writes (a field changed
 * by another process is a conflict; another field's change is merged), the watch that tells a
 * replica about a rotation, two KeyManagers opening at once agreeing on one key, a rotation by one
 * reaching the other, and access keys shared through the seam in src/iam/access-keys.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AccessKeyStore } from "../../../src/iam/access-keys.js";
import { fixedClock } from "../../../src/lib/clock.js";
import { KubeiamError } from "../../../src/lib/errors.js";
import {
  openSharedKeyManager,
  retryOnConflict,
  SecretAccessKeyPersistence,
  SecretKeyPersistence,
} from "../../../src/keys/secret-persistence.js";
import { SecretFiles, secretField } from "../../../src/store/kube/secret-files.js";
import { FakeKubeApi } from "./kube-fake-api.js";

const SECRET = "/api/v1/namespaces/kubeiam-system/secrets/kubeiam-keys";
const keyOpts = {
  algorithm: "ES256" as const,
  retentionSeconds: 3 * 86_400,
  clock: fixedClock(Date.parse("2025-01-01T00:00:00Z")),
};

async function until(what: string, pred: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("SecretFiles", () => {
  test("the first write creates the namespace and the Secret; reads decode the field", async () => {
    const api = new FakeKubeApi();
    api.requireNamespaces = true;
    const files = new SecretFiles(api, { namespace: "kubeiam-system", name: "kubeiam-keys" });
    assert.equal(await files.read("signing.json"), undefined);
    await files.write("signing.json", '{"k":"ü"}');
    assert.ok(await api.request("GET", "/api/v1/namespaces/kubeiam-system"), "namespace created");
    const secret = (await api.request("GET", SECRET)) as Record<string, unknown> & {
      metadata: { labels: Record<string, string> };
      type: string;
    };
    assert.equal(secret.type, "Opaque");
    assert.deepEqual(secret.metadata.labels, { "app.kubernetes.io/managed-by": "kubeiam" });
    assert.equal(secretField(secret, "signing.json"), '{"k":"ü"}');
    assert.equal(
      await new SecretFiles(api, { namespace: "kubeiam-system", name: "kubeiam-keys" }).read("signing.json"),
      '{"k":"ü"}',
    );
    assert.equal(files.describe("signing.json"), "Secret kubeiam-system/kubeiam-keys (signing.json)");
  });

  test("a field changed by another process since it was read is a conflict; the other fields are merged", async () => {
    const api = new FakeKubeApi();
    const ref = { namespace: "kubeiam-system", name: "kubeiam-keys" };
    const a = new SecretFiles(api, ref);
    const b = new SecretFiles(api, ref);
    await a.write("signing.json", "a1");
    assert.equal(await b.read("signing.json"), "a1");
    assert.equal(await b.read("sealing.json"), undefined);
    await a.write("signing.json", "a2"); // b's basis for signing.json is now stale
    await assert.rejects(
      b.write("signing.json", "b1"),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "STORE_CONFLICT" &&
        e.message ===
          "Secret kubeiam-system/kubeiam-keys (signing.json) was changed by another process since it was read; read it again and retry",
    );
    await b.write("sealing.json", "b-seal"); // a different field: fine, merged
    assert.equal(await a.read("signing.json"), "a2");
    assert.equal(await a.read("sealing.json"), "b-seal");
    // After a conflict the writer must read again; then it may write.
    assert.equal(await b.read("signing.json"), "a2");
    await b.write("signing.json", "b2");
    assert.equal(await a.read("signing.json"), "b2");
  });

  test("a field read as absent and created by someone else meanwhile is a conflict too", async () => {
    const api = new FakeKubeApi();
    const ref = { namespace: "ns", name: "s" };
    const a = new SecretFiles(api, ref);
    const b = new SecretFiles(api, ref);
    assert.equal(await a.read("f"), undefined);
    assert.equal(await b.read("f"), undefined);
    await a.write("f", "from-a");
    await assert.rejects(
      b.write("f", "from-b"),
      (e: unknown) => e instanceof KubeiamError && e.code === "STORE_CONFLICT",
    );
  });

  test("the watch calls back on changes after it started, not for the state it found", async () => {
    const api = new FakeKubeApi();
    const ref = { namespace: "ns", name: "s" };
    const writer = new SecretFiles(api, ref);
    await writer.write("f", "1");
    let calls = 0;
    const stop = new SecretFiles(api, ref).watch(() => calls++);
    try {
      await until("the watch to open", () => api.openWatches === 1);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(calls, 0);
      await writer.write("f", "2");
      await until("the callback", () => calls === 1);
      // Another Secret in the namespace does not count.
      await new SecretFiles(api, { namespace: "ns", name: "other" }).write("f", "x");
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(calls, 1);
    } finally {
      stop();
    }
  });
});

describe("keys and access keys in Secrets", () => {
  test("two replicas opening at once on an empty Secret agree on one signing key and one sealing key", async () => {
    const api = new FakeKubeApi();
    const [a, b] = await Promise.all([
      openSharedKeyManager(SecretKeyPersistence.inCluster(api, "kubeiam-system"), keyOpts),
      openSharedKeyManager(SecretKeyPersistence.inCluster(api, "kubeiam-system"), keyOpts),
    ]);
    assert.equal(a.active().kid, b.active().kid);
    assert.equal(a.sealingKeys().active.kid, b.sealingKeys().active.kid);
    assert.equal(a.jwks().body, b.jwks().body);
  });

  test("a rotation by one replica is served by the other once the Secret's watch reports it", async () => {
    const api = new FakeKubeApi();
    const a = await openSharedKeyManager(SecretKeyPersistence.inCluster(api, "kubeiam-system"), keyOpts);
    const b = await openSharedKeyManager(SecretKeyPersistence.inCluster(api, "kubeiam-system"), keyOpts);
    b.watch();
    try {
      await until("b's watch", () => api.openWatches === 1);
      const rotated = await a.rotate();
      await until("b reloads", () => b.active().kid === rotated.kid);
      assert.deepEqual(
        b
          .verificationKeys()
          .map((k) => k.kid)
          .sort(),
        a
          .verificationKeys()
          .map((k) => k.kid)
          .sort(),
      );
      assert.equal(b.verificationKeys().length, 2, "the old key stays for the retention window");
    } finally {
      b.close();
    }
  });

  test("access keys written by one replica are read by the other; the Secret is named in messages", async () => {
    const api = new FakeKubeApi();
    const one = new AccessKeyStore(SecretAccessKeyPersistence.inCluster(api, "kubeiam-system"));
    const two = new AccessKeyStore(SecretAccessKeyPersistence.inCluster(api, "kubeiam-system"));
    await one.load();
    const key = await one.create("admin", Date.parse("2025-01-01T00:00:00Z"));
    assert.ok(key);
    await two.load();
    assert.equal(two.get(key.accessKeyId)?.secretAccessKey, key.secretAccessKey);
    assert.equal(two.file, "Secret kubeiam-system/kubeiam-access-keys (access-keys.json)");
    const raw = (await api.request(
      "GET",
      "/api/v1/namespaces/kubeiam-system/secrets/kubeiam-access-keys",
    )) as Record<string, unknown>;
    assert.equal((JSON.parse(secretField(raw, "access-keys.json")!) as { keys: unknown[] }).keys.length, 1);
  });

  test("a key file in the Secret that is not kubeiam's is KEY_INVALID naming the Secret", async () => {
    const api = new FakeKubeApi();
    await new SecretFiles(api, { namespace: "kubeiam-system", name: "kubeiam-access-keys" }).write(
      "access-keys.json",
      "not json",
    );
    const store = new AccessKeyStore(SecretAccessKeyPersistence.inCluster(api, "kubeiam-system"));
    await assert.rejects(
      store.load(),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.code === "KEY_INVALID" &&
        e.message.startsWith(
          "Secret kubeiam-system/kubeiam-access-keys (access-keys.json): not a kubeiam access key file",
        ),
    );
  });

  test("retryOnConflict retries STORE_CONFLICT only, a bounded number of times", async () => {
    let n = 0;
    assert.equal(
      await retryOnConflict(
        () => (++n < 3 ? Promise.reject(new KubeiamError("STORE_CONFLICT", "x")) : Promise.resolve("ok")),
        5,
        1,
      ),
      "ok",
    );
    assert.equal(n, 3);
    n = 0;
    await assert.rejects(
      retryOnConflict(() => (++n, Promise.reject(new KubeiamError("STORE_CONFLICT", "x"))), 3, 1),
      /x/,
    );
    assert.equal(n, 3);
    n = 0;
    await assert.rejects(
      retryOnConflict(() => (++n, Promise.reject(new KubeiamError("KEY_INVALID", "y"))), 3, 1),
      /y/,
    );
    assert.equal(n, 1);
  });
});
