/**
 * The pod identity webhook over HTTPS on loopback (POST /admission/pod-identity), including a
 * ServiceAccount that appears while the request waits, and `kubeiam admission review` offline.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { registerPodIdentityRoutes, POD_IDENTITY_PATH } from "../../src/server/routes/pod-identity.js";
import { registerAdmissionCommands } from "../../src/cli/admission.js";
import { CliExit, type CliIO } from "../../src/cli/io.js";
import { decodePatch, type AdmissionReviewResponse, type JsonPatchOp } from "../../src/admission/review.js";
import { asKubeiamError } from "../../src/lib/errors.js";
import { startTestServer } from "../helpers/server.js";
import { tempDir, writeFiles } from "../helpers/tmp.js";

const ROLE = "arn:aws:iam::111122223333:role/s3-reader";
const SA_YAML = `apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: team-a
  annotations:
    eks.amazonaws.com/role-arn: ${ROLE}
    eks.amazonaws.com/sts-regional-endpoints: "true"
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: plain, namespace: team-a}
`;

function reviewBody(
  opts: { uid?: string; namespace?: string; serviceAccountName?: string; object?: unknown } = {},
): string {
  return JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: opts.uid ?? "8c1e8a4e-0000-4000-8000-000000000001",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: opts.namespace ?? "team-a",
      operation: "CREATE",
      userInfo: {
        username: "system:serviceaccount:kube-system:replicaset-controller",
        groups: ["system:authenticated"],
      },
      object: opts.object ?? {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { generateName: "web-" },
        spec: {
          serviceAccountName: opts.serviceAccountName ?? "app",
          containers: [{ name: "app", image: "nginx" }],
        },
      },
      dryRun: false,
    },
  });
}

const JSON_HEADERS = { "content-type": "application/json" };

describe("POST /admission/pod-identity", () => {
  test("mutates a pod whose ServiceAccount has a role, records the decision", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML }, config: { region: "eu-west-1" } });
    registerPodIdentityRoutes(s.app);
    const r = await s.fetch(POD_IDENTITY_PATH, { method: "POST", headers: JSON_HEADERS, body: reviewBody() });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get("content-type"), "application/json");
    const review = r.json() as AdmissionReviewResponse;
    assert.equal(review.apiVersion, "admission.k8s.io/v1");
    assert.equal(review.kind, "AdmissionReview");
    assert.equal(review.response.uid, "8c1e8a4e-0000-4000-8000-000000000001");
    assert.equal(review.response.allowed, true);
    assert.equal(review.response.patchType, "JSONPatch");
    const ops = decodePatch(review.response.patch!);
    assert.deepEqual(ops, [
      {
        op: "add",
        path: "/spec/volumes",
        value: [
          {
            name: "aws-iam-token",
            projected: {
              sources: [
                {
                  serviceAccountToken: {
                    audience: "sts.amazonaws.com",
                    expirationSeconds: 86400,
                    path: "token",
                  },
                },
              ],
            },
          },
        ],
      },
      {
        op: "add",
        path: "/spec/containers",
        value: [
          {
            name: "app",
            image: "nginx",
            env: [
              { name: "AWS_STS_REGIONAL_ENDPOINTS", value: "regional" },
              { name: "AWS_DEFAULT_REGION", value: "eu-west-1" },
              { name: "AWS_REGION", value: "eu-west-1" },
              { name: "AWS_ROLE_ARN", value: ROLE },
              {
                name: "AWS_WEB_IDENTITY_TOKEN_FILE",
                value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
              },
            ],
            volumeMounts: [
              {
                name: "aws-iam-token",
                readOnly: true,
                mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
              },
            ],
          },
        ],
      },
    ] satisfies JsonPatchOp[]);
    const d = s.app.decisions.recent(10, { kind: "admission" });
    assert.equal(d.length, 1);
    assert.equal(d[0]!.action, "PodIdentity");
    assert.equal(d[0]!.subject, "system:serviceaccount:team-a:app");
    assert.equal(d[0]!.allowed, true);
    assert.match(d[0]!.summary, /given role arn:aws:iam::111122223333:role\/s3-reader/);
  });

  test("a ServiceAccount without a role: allowed, no patch, no waiting", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app, { serviceAccountWaitMs: 5000 });
    const start = Date.now();
    const r = await s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: reviewBody({ serviceAccountName: "plain", uid: "u2" }),
    });
    assert.ok(Date.now() - start < 2000, "a known ServiceAccount is not waited for");
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {
      kind: "AdmissionReview",
      apiVersion: "admission.k8s.io/v1",
      response: { uid: "u2", allowed: true },
    });
  });

  test("a ServiceAccount created while the request waits is used", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app, { serviceAccountWaitMs: 3000 });
    const start = Date.now();
    const pending = s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: reviewBody({ serviceAccountName: "late" }),
    });
    await new Promise((r) => setTimeout(r, 300));
    await s.app.store.put({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: "late", namespace: "team-a", annotations: { "eks.amazonaws.com/role-arn": ROLE } },
    });
    const r = await pending;
    const elapsed = Date.now() - start;
    assert.equal(r.status, 200);
    const review = r.json() as AdmissionReviewResponse;
    assert.ok(review.response.patch, "the late ServiceAccount's role is injected");
    assert.ok(decodePatch(review.response.patch).some((o) => JSON.stringify(o).includes(ROLE)));
    assert.ok(elapsed >= 250 && elapsed < 3000, `answered once the ServiceAccount appeared (${elapsed} ms)`);
    const wait = s.app.decisions
      .recent(1)[0]!
      .reasons.find((x) => x.check === "pod-identity.service-account-wait");
    assert.equal(wait?.ok, true);
  });

  test("a ServiceAccount file written by hand while the request waits is used", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app, { serviceAccountWaitMs: 4000 });
    const pending = s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: reviewBody({ serviceAccountName: "handmade" }),
    });
    await new Promise((r) => setTimeout(r, 200));
    await writeFile(
      join(s.stateDir, "objects", "handmade.yaml"),
      `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: handmade\n  namespace: team-a\n  annotations: {eks.amazonaws.com/role-arn: "${ROLE}"}\n`,
    );
    const review = (await pending).json() as AdmissionReviewResponse;
    assert.ok(review.response.patch, "picked up through the store's watch");
  });

  test("a ServiceAccount that never appears: allowed without a patch after the wait, never refused", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app, { serviceAccountWaitMs: 300 });
    const start = Date.now();
    const r = await s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: reviewBody({ serviceAccountName: "ghost", uid: "u3" }),
    });
    assert.ok(Date.now() - start >= 290);
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {
      kind: "AdmissionReview",
      apiVersion: "admission.k8s.io/v1",
      response: { uid: "u3", allowed: true },
    });
    const rec = s.app.decisions.recent(1)[0]!;
    assert.equal(rec.allowed, true);
    assert.deepEqual(
      rec.reasons.filter((x) => !x.ok).map((x) => x.check),
      ["pod-identity.service-account-wait", "pod-identity.service-account"],
    );
  });

  test("Content-Type other than exactly application/json: 415 with upstream's text", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app);
    for (const ct of ["text/plain", "application/json; charset=utf-8", "application/yaml"]) {
      const r = await s.fetch(POD_IDENTITY_PATH, {
        method: "POST",
        headers: { "content-type": ct },
        body: reviewBody(),
      });
      assert.equal(r.status, 415, ct);
      assert.equal(r.text, "Invalid Content-Type, expected `application/json`\n");
    }
  });

  test("bad bodies: HTTP 400 with the reason, never 500; too large: 413", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app);
    const fixtures = parse(
      readFileSync(
        fileURLToPath(new URL("../fixtures/pod-identity/bad-reviews.yaml", import.meta.url)),
        "utf8",
      ),
    ) as {
      cases: { name: string; body: string; message: string }[];
    };
    for (const c of fixtures.cases) {
      const r = await s.fetch(POD_IDENTITY_PATH, { method: "POST", headers: JSON_HEADERS, body: c.body });
      assert.equal(r.status, 400, `${c.name}: ${r.text}`);
      const e = r.json() as { code: string; message: string };
      assert.equal(e.code, "REQUEST_INVALID", c.name);
      assert.ok(e.message.includes(c.message), `${c.name}: ${e.message}`);
    }
    const big = reviewBody({
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { annotations: { x: "y".repeat(8 * 1024 * 1024) } },
      },
    });
    const r = await s.fetch(POD_IDENTITY_PATH, { method: "POST", headers: JSON_HEADERS, body: big });
    assert.equal(r.status, 413);
    assert.equal((r.json() as { code: string }).code, "REQUEST_TOO_LARGE");
    const get = await s.fetch(POD_IDENTITY_PATH);
    assert.equal(get.status, 405);
    assert.equal(
      s.app.decisions.recent(100, { kind: "admission" }).length,
      0,
      "nothing decided for requests that were not reviews",
    );
  });

  test("an object that is not a Pod: 200 with allowed=false and Go's decode error (upstream)", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app);
    const r = await s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: reviewBody({
        uid: "u4",
        object: { spec: { containers: [{ name: "a", env: [{ name: "X", value: 1 }] }] } },
      }),
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), {
      kind: "AdmissionReview",
      apiVersion: "admission.k8s.io/v1",
      response: {
        uid: "u4",
        allowed: false,
        status: {
          metadata: {},
          message:
            "json: cannot unmarshal number into Go struct field EnvVar.spec.containers.env.value of type string",
        },
      },
    });
    assert.equal(s.app.decisions.recent(1)[0]!.allowed, false);
  });

  test("concurrent reviews each get their own uid back", async (t) => {
    const s = await startTestServer(t, { objects: { "sa.yaml": SA_YAML } });
    registerPodIdentityRoutes(s.app);
    const uids = Array.from({ length: 40 }, (_, i) => `uid-${i}`);
    const answers = await Promise.all(
      uids.map((uid, i) =>
        s.fetch(POD_IDENTITY_PATH, {
          method: "POST",
          headers: JSON_HEADERS,
          body: reviewBody({ uid, serviceAccountName: i % 2 ? "app" : "plain" }),
        }),
      ),
    );
    answers.forEach((r, i) => {
      const review = r.json() as AdmissionReviewResponse;
      assert.equal(review.response.uid, uids[i]);
      assert.equal(review.response.patch !== undefined, i % 2 === 1);
    });
  });
});

// ------------------------------------------------------------------------------------------------
// kubeiam admission review

async function admissionCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (s) => (stdout += s.endsWith("\n") ? s : s + "\n"),
    err: (s) => (stderr += s.endsWith("\n") ? s : s + "\n"),
  };
  const program = new Command("kubeiam")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerAdmissionCommands(program, io);
  for (const c of program.commands)
    for (const sub of [c, ...c.commands])
      sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, stderr };
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    const err = asKubeiamError(e);
    stderr += `error: ${err.message}\n`;
    return { code: err.exitCode, stdout, stderr };
  }
}

describe("kubeiam admission review", () => {
  async function setup(t: { after(fn: () => Promise<void> | void): void }) {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "objects/sa.yaml": SA_YAML,
      "kubeiam.yaml": "region: ap-southeast-2\n",
      "review.json": reviewBody({ uid: "cli-1" }),
      "plain.json": reviewBody({ uid: "cli-2", serviceAccountName: "plain" }),
      "bad-pod.json": reviewBody({ uid: "cli-3", object: { spec: { containers: "nginx" } } }),
      "not-a-review.json": '{"apiVersion":"v1","kind":"Pod"}',
      "review.yaml": `apiVersion: admission.k8s.io/v1\nkind: AdmissionReview\nrequest:\n  uid: cli-4\n  namespace: team-a\n  object:\n    metadata: {name: web}\n    spec: {serviceAccountName: app, containers: [{name: app}]}\n`,
    });
    const state = [
      "--config",
      join(dir, "kubeiam.yaml"),
      "--state-dir",
      join(dir, "state"),
      "--objects",
      join(dir, "objects"),
    ];
    return { dir, state };
  }

  test("-o json prints the AdmissionReview the server would send; exit 0 when allowed", async (t) => {
    const { dir, state } = await setup(t);
    const r = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "review.json"),
      ...state,
      "-o",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const review = JSON.parse(r.stdout) as AdmissionReviewResponse;
    assert.equal(review.response.uid, "cli-1");
    assert.equal(review.response.allowed, true);
    const containers = decodePatch(review.response.patch!).find((o) => o.path === "/spec/containers") as {
      value: { env: { name: string; value: string }[] }[];
    };
    assert.deepEqual(
      containers.value[0]!.env.map((e) => e.name),
      [
        "AWS_STS_REGIONAL_ENDPOINTS",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
      ],
    );
    assert.equal(containers.value[0]!.env[1]!.value, "ap-southeast-2", "the region comes from the config");
  });

  test("text output shows the verdict, the patch and the reasons; the same answer as the server", async (t) => {
    const { dir, state } = await setup(t);
    const r = await admissionCli(["admission", "review", "-f", join(dir, "review.json"), ...state]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^allowed by pod-identity: pod team-a\/web-\(generated\) given role/m);
    assert.match(r.stdout, /^patch \(2 operations\):$/m);
    assert.match(r.stdout, /^ {2}add \/spec\/volumes /m);
    assert.match(r.stdout, /✓ pod-identity\.role-arn: role arn:aws:iam::111122223333:role\/s3-reader/);

    const s = await startTestServer(t, {
      objects: { "sa.yaml": SA_YAML },
      config: { region: "ap-southeast-2" },
    });
    registerPodIdentityRoutes(s.app);
    const online = await s.fetch(POD_IDENTITY_PATH, {
      method: "POST",
      headers: JSON_HEADERS,
      body: readFileSync(join(dir, "review.json"), "utf8"),
    });
    const offline = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "review.json"),
      ...state,
      "-o",
      "json",
    ]);
    assert.deepEqual(JSON.parse(offline.stdout), online.json());
  });

  test("no role: allowed without a patch; YAML review files are read too", async (t) => {
    const { dir, state } = await setup(t);
    const plain = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "plain.json"),
      ...state,
      "-o",
      "json",
    ]);
    assert.equal(plain.code, 0);
    assert.deepEqual(JSON.parse(plain.stdout), {
      kind: "AdmissionReview",
      apiVersion: "admission.k8s.io/v1",
      response: { uid: "cli-2", allowed: true },
    });
    const yaml = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "review.yaml"),
      ...state,
      "-o",
      "json",
      "--webhook",
      "pod-identity",
    ]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.equal((JSON.parse(yaml.stdout) as AdmissionReviewResponse).response.uid, "cli-4");
  });

  test("denied (an object that is not a Pod): exit 1 with the denial printed", async (t) => {
    const { dir, state } = await setup(t);
    const r = await admissionCli(["admission", "review", "-f", join(dir, "bad-pod.json"), ...state]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^denied by pod-identity/m);
    assert.match(
      r.stdout,
      /message: json: cannot unmarshal string into Go struct field PodSpec\.spec\.containers of type \[\]v1\.Container/,
    );
  });

  test("bad input: exit 2 with a message naming the file and the problem", async (t) => {
    const { dir, state } = await setup(t);
    const notReview = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "not-a-review.json"),
      ...state,
    ]);
    assert.equal(notReview.code, 2);
    assert.match(
      notReview.stderr,
      /not-a-review\.json: AdmissionReview: apiVersion: expected one of admission\.k8s\.io\/v1/,
    );
    const missing = await admissionCli(["admission", "review", "-f", join(dir, "nope.json"), ...state]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: cannot read: no such file or directory/);
    const webhook = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "review.json"),
      ...state,
      "--webhook",
      "validate",
    ]);
    assert.equal(webhook.code, 2);
    assert.match(webhook.stderr, /--webhook: unknown webhook "validate"; available: pod-identity/);
    const noFile = await admissionCli(["admission", "review", ...state]);
    assert.equal(noFile.code, 2);
    const format = await admissionCli([
      "admission",
      "review",
      "-f",
      join(dir, "review.json"),
      ...state,
      "-o",
      "yaml",
    ]);
    assert.equal(format.code, 2);
    assert.match(format.stderr, /unknown output format "yaml"/);
  });
});
