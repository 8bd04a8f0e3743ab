/**
 * The tenancy webhooks over HTTPS on loopback (every validate fixture case, mutation, bad input:
 * a clear answer and never a 500), and the tenant / webhook / audit commands in-process.
 */
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Command, CommanderError } from "commander";
import { parseAllDocuments, stringify } from "yaml";
import { decodePatch } from "../../src/admission/review.js";
import { applyPatch } from "../../src/admission/tenancy/lib/json-patch.js";
import { addWebhookManifestsCommand, registerTenantCommands } from "../../src/cli/tenant.js";
import { registerAuditCommands } from "../../src/cli/audit.js";
import { CliExit, type CliIO } from "../../src/cli/io.js";
import { asKubeiamError } from "../../src/lib/errors.js";
import { MUTATE_PATH, registerTenancyRoutes, VALIDATE_PATH } from "../../src/server/routes/tenancy.js";
import type { KubeObject } from "../../src/store/types.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir, writeFiles } from "../helpers/tmp.js";
import {
  checkAnswer,
  FIXTURES,
  loadCases,
  reviewOf,
  WORLD_TEXT,
  type CaseRequest,
} from "../unit/admission/tenancy/cases.js";

const SERVICE_ACCOUNT = `---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: app
  namespace: acme-prod
  annotations:
    eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/app
`;

interface ReviewAnswer {
  apiVersion: string;
  kind: string;
  response: {
    uid: string;
    allowed: boolean;
    status?: { code?: number; reason?: string; message?: string; status?: string };
    patch?: string;
    patchType?: string;
    warnings?: string[];
    auditAnnotations?: Record<string, string>;
  };
}

async function post(
  s: TestServer,
  path: string,
  body: string,
  contentType = "application/json",
): Promise<{ status: number; json: () => unknown; text: string }> {
  return s.fetch(path, { method: "POST", headers: { "content-type": contentType }, body });
}

async function review(s: TestServer, path: string, r: CaseRequest, uid?: string): Promise<ReviewAnswer> {
  const res = await post(s, path, JSON.stringify(reviewOf(r, uid)));
  assert.equal(res.status, 200, res.text);
  return res.json() as ReviewAnswer;
}

function pod(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}

describe("POST /admission/validate over HTTPS", () => {
  const cases = loadCases("validate-cases.yaml");
  test("every fixture case, allowed and denied, with the uid echoed", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT } });
    registerTenancyRoutes(s.app, { serviceAccountWaitMs: 0 });
    let i = 0;
    for (const c of cases) {
      const uid = `case-${i++}`;
      const a = await review(s, VALIDATE_PATH, c.request, uid);
      assert.equal(a.apiVersion, "admission.k8s.io/v1");
      assert.equal(a.kind, "AdmissionReview");
      assert.equal(a.response.uid, uid);
      if (!a.response.allowed) assert.equal(a.response.status?.status, "Failure");
      checkAnswer(c, {
        allowed: a.response.allowed,
        ...(a.response.status ? { status: a.response.status } : {}),
        warnings: a.response.warnings ?? [],
        auditAnnotations: a.response.auditAnnotations ?? {},
      });
    }
    const recorded = s.app.decisions
      .recent(1000, { kind: "admission" })
      .filter((d) => d.action === "TenancyValidate");
    assert.equal(recorded.length, cases.length, "every answer is in the decision log");
    const denial = recorded.find((d) => !d.allowed && d.summary.includes("[service.type]"));
    assert.ok(
      denial && denial.reasons.some((r) => r.check === "tenancy.service.type" && r.source === "spec.type"),
      "denials carry the rule and field as a reason",
    );
    assert.ok(
      recorded.some((d) => d.summary.endsWith("(dry run)")),
      "dry runs are marked in the log",
    );
  });

  test("a Tenant added while running applies to the next request", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT } });
    registerTenancyRoutes(s.app, { serviceAccountWaitMs: 0 });
    const svc: CaseRequest = {
      operation: "CREATE",
      resource: "services",
      namespace: "newco-web",
      name: "s",
      user: "nina",
      object: { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { type: "NodePort" } },
    };
    assert.equal((await review(s, VALIDATE_PATH, svc)).response.allowed, true);
    await s.app.store.put({
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "Tenant",
      metadata: { name: "newco" },
      spec: { namespaces: { prefix: "newco-" }, owners: { users: ["nina"] } },
    });
    await s.app.cache.waitFor({ kind: "Tenant", name: "newco" }, 2000);
    const after = await review(s, VALIDATE_PATH, svc);
    assert.equal(after.response.allowed, false);
    assert.match(
      after.response.status?.message ?? "",
      /\[service\.type\] tenant "newco": spec\.type: Service type NodePort is not allowed/,
    );
  });
});

describe("POST /admission/mutate over HTTPS", () => {
  test("tenant pods: one patch, applied then re-sent gives no patch; dry runs; pod identity composed first", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT + SERVICE_ACCOUNT } });
    registerTenancyRoutes(s.app, { serviceAccountWaitMs: 0 });
    const p = pod("web", { serviceAccountName: "app" });
    const r: CaseRequest = {
      operation: "CREATE",
      resource: "pods",
      namespace: "acme-prod",
      name: "web",
      user: "alice",
      object: p,
    };
    const a = await review(s, MUTATE_PATH, r);
    assert.equal(a.response.allowed, true);
    assert.equal(a.response.patchType, "JSONPatch");
    const ops = decodePatch(a.response.patch!);
    const patched = applyPatch(p, ops) as {
      metadata: { labels: Record<string, string> };
      spec: {
        containers: { env?: { name: string }[] }[];
        tolerations: unknown[];
        nodeSelector: Record<string, string>;
        securityContext: { seccompProfile: unknown; seLinuxOptions: { level: string } };
      };
    };
    assert.ok(
      ops.findIndex((o) => o.path.includes("env") || o.path.includes("volumes")) <
        ops.findIndex((o) => o.path.startsWith("/spec/tolerations")),
      "pod identity comes first",
    );
    assert.ok(patched.spec.containers[0]!.env!.some((e) => e.name === "AWS_ROLE_ARN"));
    assert.deepEqual(patched.spec.nodeSelector, { "kubeiam.io/tenant": "acme" });
    assert.deepEqual(patched.spec.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.match(patched.spec.securityContext.seLinuxOptions.level, /^s0:c\d+,c\d+$/);
    assert.equal(patched.metadata.labels["kubeiam.io/tenant"], "acme");

    const again = await review(s, MUTATE_PATH, { ...r, object: patched });
    assert.equal(again.response.patch, undefined, "reinvocation yields no new patch");

    // what the mutating webhook produced breaks no tenant rule (Pod Security still wants container settings)
    const v = await review(s, VALIDATE_PATH, {
      ...r,
      object: {
        ...patched,
        spec: { ...patched.spec, securityContext: { ...patched.spec.securityContext, runAsNonRoot: true } },
      },
    });
    assert.equal(v.response.allowed, false, "restricted still asks for runAsNonRoot and container settings");
    assert.doesNotMatch(v.response.status?.message ?? "", /node-isolation|seccompProfile/);

    // a retry of the same pod gets the same level; a dry run of another reserves nothing
    const retry = applyPatch(
      p,
      decodePatch((await review(s, MUTATE_PATH, r)).response.patch!),
    ) as typeof patched;
    assert.equal(
      retry.spec.securityContext.seLinuxOptions.level,
      patched.spec.securityContext.seLinuxOptions.level,
    );
    const dry1 = applyPatch(
      pod("d"),
      decodePatch(
        (await review(s, MUTATE_PATH, { ...r, name: "d", object: pod("d"), dryRun: true })).response.patch!,
      ),
    ) as typeof patched;
    const real = applyPatch(
      pod("d"),
      decodePatch((await review(s, MUTATE_PATH, { ...r, name: "d", object: pod("d") })).response.patch!),
    ) as typeof patched;
    assert.equal(
      dry1.spec.securityContext.seLinuxOptions.level,
      real.spec.securityContext.seLinuxOptions.level,
      "same key, same level, whether dry or not",
    );
    assert.ok(
      s.app.decisions
        .recent(100)
        .some((d) => d.action === "TenancyMutate" && d.summary.includes("(dry run)")),
    );
  });

  test("200 pods over HTTPS get 200 distinct SELinux levels", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT } });
    registerTenancyRoutes(s.app, { podIdentity: false });
    const levels = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const a = await review(s, MUTATE_PATH, {
        operation: "CREATE",
        resource: "pods",
        namespace: "acme-prod",
        name: "",
        user: "rs-controller",
        object: { ...pod(""), metadata: { generateName: "web-" } },
      });
      const patched = applyPatch(pod(""), decodePatch(a.response.patch!)) as {
        spec: { securityContext: { seLinuxOptions: { level: string } } };
      };
      levels.add(patched.spec.securityContext.seLinuxOptions.level);
    }
    assert.equal(levels.size, 200);
  });

  test("objects other than pods and namespaces pass unchanged", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT } });
    registerTenancyRoutes(s.app, { serviceAccountWaitMs: 0 });
    const a = await review(s, MUTATE_PATH, {
      operation: "CREATE",
      resource: "services",
      namespace: "acme-prod",
      name: "s",
      user: "alice",
      object: { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: {} },
    });
    assert.deepEqual(a.response, { uid: a.response.uid, allowed: true });
  });
});

describe("bad input: a clear answer, never a 500", () => {
  test("envelope, content type, size, versions, kinds and malformed objects", async (t) => {
    const s = await startTestServer(t, { objects: { "world.yaml": WORLD_TEXT } });
    registerTenancyRoutes(s.app, { serviceAccountWaitMs: 0 });
    const good = reviewOf(
      {
        operation: "CREATE",
        resource: "pods",
        namespace: "acme-prod",
        name: "web",
        user: "alice",
        object: pod("web"),
      },
      "u-1",
    ) as { request: Record<string, unknown> } & Record<string, unknown>;
    const withRequest = (patch: Record<string, unknown>): string =>
      JSON.stringify({ ...good, request: { ...good.request, ...patch } });
    const http400: [string, string, RegExp, string?][] = [
      ["not JSON", "{", /not valid JSON/],
      ["empty body", "", /empty/],
      ["a list", "[]", /expected a JSON object/],
      ["a number", "42", /expected a JSON object/],
      ["null", "null", /expected a JSON object/],
      [
        "unknown AdmissionReview version",
        JSON.stringify({ ...good, apiVersion: "admission.k8s.io/v2" }),
        /apiVersion: expected one of admission\.k8s\.io\/v1/,
      ],
      [
        "not an AdmissionReview",
        JSON.stringify({ ...good, kind: "TokenReview" }),
        /kind: expected "AdmissionReview"/,
      ],
      [
        "no request",
        JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }),
        /request: missing/,
      ],
      ["no uid", withRequest({ uid: "" }), /request\.uid: missing/],
      ["wrong content type", JSON.stringify(good), /Content-Type must be application\/json/, "text/plain"],
    ];
    for (const path of [VALIDATE_PATH, MUTATE_PATH]) {
      for (const [name, body, msg, ct] of http400) {
        const r = await post(s, path, body, ct);
        assert.equal(r.status, 400, `${path} ${name}: ${r.text}`);
        const j = r.json() as { code: string; message: string };
        assert.equal(j.code, "REQUEST_INVALID", name);
        assert.match(j.message, msg, name);
      }
      // too large: the route's body limit answers 413
      const huge = JSON.stringify({
        ...good,
        request: {
          ...good.request,
          object: {
            ...pod("web"),
            metadata: { name: "web", annotations: { big: "x".repeat(8 * 1024 * 1024) } },
          },
        },
      });
      const big = await post(s, path, huge);
      assert.equal(big.status, 413, big.text);
      assert.equal((big.json() as { code: string }).code, "REQUEST_TOO_LARGE");

      // uid known: answered inside the review as 400 BadRequest
      const inReview: [string, string, RegExp][] = [
        ["no resource", withRequest({ resource: null }), /request\.resource: missing/],
        ["no operation", withRequest({ operation: null }), /request\.operation: missing/],
        [
          "CREATE without object",
          withRequest({ object: null }),
          /request\.object: missing; required for CREATE/,
        ],
        [
          "UPDATE without oldObject",
          withRequest({ operation: "UPDATE" }),
          /request\.oldObject: missing; required for UPDATE/,
        ],
        [
          "spec of the wrong type",
          withRequest({ object: { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: "yes" } }),
          /spec/,
        ],
        [
          "tolerations of the wrong type",
          withRequest({ object: pod("web", { tolerations: { key: "x" } }) }),
          /spec\.tolerations: expected a list/,
        ],
      ];
      for (const [name, body, msg] of inReview) {
        const r = await post(s, path, body);
        assert.equal(r.status, 200, `${path} ${name}: ${r.text}`);
        const a = r.json() as ReviewAnswer;
        assert.equal(a.response.uid, "u-1");
        assert.equal(a.response.allowed, false, `${path} ${name}`);
        assert.equal(a.response.status?.code, 400, `${path} ${name}`);
        assert.equal(a.response.status?.reason, "BadRequest");
        assert.match(a.response.status?.message ?? "", msg, `${path} ${name}`);
      }
      // an unknown kind is simply not this webhook's business
      const unknown = await post(
        s,
        path,
        withRequest({
          kind: { group: "example.com", version: "v9", kind: "Gizmo" },
          resource: { group: "example.com", version: "v9", resource: "gizmos" },
          object: { apiVersion: "example.com/v9", kind: "Gizmo", metadata: { name: "g" } },
        }),
      );
      assert.equal(unknown.status, 200);
      assert.equal((unknown.json() as ReviewAnswer).response.allowed, true);
      // v1beta1 has the same wire shape and is answered in kind
      const beta = await post(s, path, JSON.stringify({ ...good, apiVersion: "admission.k8s.io/v1beta1" }));
      assert.equal((beta.json() as ReviewAnswer).apiVersion, "admission.k8s.io/v1beta1");
    }
    // GET is not a review
    const get = await s.fetch(VALIDATE_PATH);
    assert.equal(get.status, 405);
  });
});

// ------------------------------------------------------------------------------------------ CLI

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (s) => (stdout += s.endsWith("\n") ? s : s + "\n"),
    err: (s) => (stderr += s.endsWith("\n") ? s : s + "\n"),
  };
  const program = new Command("kubeiam")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  registerTenantCommands(program, io);
  registerAuditCommands(program, io);
  addWebhookManifestsCommand(program.command("webhook"), io);
  const inherit = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
      inherit(sub);
    }
  };
  inherit(program);
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

function docs(text: string): KubeObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
}

describe("kubeiam tenant / webhook / audit", () => {
  test("tenant render prints what the tenant needs; unknown tenant exits 1", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "objects/world.yaml": WORLD_TEXT });
    const r = await cli(["tenant", "render", "acme", "--state-dir", dir]);
    assert.equal(r.code, 0, r.stderr);
    const objs = docs(r.stdout);
    assert.deepEqual(
      [...new Set(objs.map((o) => o.kind))],
      [
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
      ],
    );
    assert.match(r.stderr, /note: IAM ARN owners/);
    const json = await cli(["tenant", "render", "initech", "--state-dir", dir, "-o", "json"]);
    const list = JSON.parse(json.stdout) as { kind: string; items: KubeObject[] };
    assert.equal(list.kind, "List");
    assert.deepEqual(
      list.items.filter((o) => o.kind === "Namespace").map((o) => [o.metadata.name, o.metadata.labels?.team]),
      [["team-initech", "initech"]],
      "existing selector namespaces are rendered with their labels",
    );
    const missing = await cli(["tenant", "render", "nope", "--state-dir", dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no Tenant "nope" .*\(known: acme, globex, initech\)/);
    assert.equal((await cli(["tenant", "render", "acme", "--state-dir", dir, "-o", "xml"])).code, 2);
  });

  test("tenant list and validate", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "objects/world.yaml": WORLD_TEXT,
      "bad.yaml":
        "apiVersion: kubeiam.io/v1alpha1\nkind: Tenant\nmetadata: {name: bad}\nspec:\n  namespaces: {prefix: kube-x-}\n  owners: {users: [a]}\n",
    });
    const l = await cli(["tenant", "list", "--state-dir", dir]);
    assert.equal(l.code, 0);
    assert.match(
      l.stdout,
      /^acme\tnamespaces: acme-prod, acme-\*\towners: user:alice, group:acme-admins, arn:aws:iam::111122223333:role\/acme-admin\tpod security: restricted:latest\tnodes: kubeiam.io\/tenant=acme$/m,
    );
    const ok = await cli(["tenant", "validate", "--state-dir", dir]);
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /✓ Tenant acme/);
    const bad = await cli(["tenant", "validate", "-f", join(dir, "bad.yaml"), "-o", "json"]);
    assert.equal(bad.code, 1);
    const j = JSON.parse(bad.stdout) as { valid: boolean; tenants: { name: string; problems: string[] }[]; loadProblems: string[] };
    assert.equal(j.valid, false);
    // The store checks Tenant objects when it loads them, so the problem arrives as a load problem.
    const all = [...j.tenants.flatMap((t) => t.problems), ...j.loadProblems];
    assert.ok(
      all.some((p) => /spec\.namespaces\.prefix: "kube-x-" would claim a reserved namespace/.test(p)),
      all.join("\n"),
    );
    const nofile = await cli(["tenant", "validate", "-f", join(dir, "missing.yaml")]);
    assert.equal(nofile.code, 2);
    assert.match(nofile.stderr, /missing\.yaml: cannot read: no such file/);
  });

  test("webhook manifests uses kubeiam's CA and the issuer origin by default", async (t) => {
    const s = await startTestServer(t);
    const r = await cli(["webhook", "manifests", "--config", s.configFile, "--state-dir", s.stateDir]);
    assert.equal(r.code, 0, r.stderr);
    const [m, v] = docs(r.stdout);
    assert.equal(m!.kind, "MutatingWebhookConfiguration");
    assert.equal(v!.kind, "ValidatingWebhookConfiguration");
    const hook = (m!.webhooks as { clientConfig: { url: string; caBundle: string } }[])[0]!;
    assert.equal(hook.clientConfig.url, `${s.url}/admission/mutate`);
    assert.equal(Buffer.from(hook.clientConfig.caBundle, "base64").toString().trim(), s.ca.trim());
    const svc = await cli([
      "webhook",
      "manifests",
      "--config",
      s.configFile,
      "--state-dir",
      s.stateDir,
      "--service",
      "kubeiam/kubeiam:8443",
      "--timeout",
      "3",
      "-o",
      "json",
    ]);
    const items = (
      JSON.parse(svc.stdout) as {
        items: { webhooks: { clientConfig: { service: unknown }; timeoutSeconds: number }[] }[];
      }
    ).items;
    assert.deepEqual(items[0]!.webhooks[0]!.clientConfig.service, {
      namespace: "kubeiam",
      name: "kubeiam",
      path: "/admission/mutate",
      port: 8443,
    });
    assert.equal(items[0]!.webhooks[0]!.timeoutSeconds, 3);
    for (const [args, msg] of [
      [["--url", "https://a", "--service", "a/b"], /either --url or --service/],
      [["--timeout", "60"], /--timeout: expected whole seconds from 1 to 30/],
      [["--timeout", "soon"], /--timeout/],
      [["--service", "nonsense"], /--service: expected NAMESPACE\/NAME/],
      [["--url", "http://plain:80"], /--url: expected https/],
      [["--ca-file", "/nonexistent/ca.pem"], /--ca-file .*cannot read/],
    ] as [string[], RegExp][]) {
      const bad = await cli([
        "webhook",
        "manifests",
        "--config",
        s.configFile,
        "--state-dir",
        s.stateDir,
        ...args,
      ]);
      assert.equal(bad.code, 2, args.join(" "));
      assert.match(bad.stderr, msg);
    }
  });

  test("audit: text, json and a self-contained html page; exit 1 on findings, 0 when clean", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "cluster/all.yaml": await readFile(join(FIXTURES, "audit-cluster.yaml"), "utf8"),
    });
    const text = await cli(["audit", "-f", join(dir, "cluster")]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^tenant shop: score \d+\/100/m);
    assert.match(text.stdout, /fix: /);
    const json = await cli(["audit", "-f", join(dir, "cluster", "all.yaml"), "-o", "json"]);
    const report = JSON.parse(json.stdout) as {
      tenants: {
        tenant: string;
        score: number;
        findings: { object: string; field: string; fix: string }[];
      }[];
    };
    assert.deepEqual(
      report.tenants.map((x) => x.tenant),
      ["blog", "shop"],
    );
    assert.ok(report.tenants.every((x) => x.findings.every((f) => f.object && f.field && f.fix)));
    const html = await cli(["audit", "-f", join(dir, "cluster"), "-o", "html"]);
    assert.match(html.stdout, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html.stdout, /<script|<link /);
    const high = await cli(["audit", "-f", join(dir, "cluster"), "--fail-on", "none"]);
    assert.equal(high.code, 0);

    // a clean cluster: rendered objects + webhooks
    await writeFiles(dir, { "objects/world.yaml": WORLD_TEXT.split("\n---\n# live pods")[0]! });
    const rendered = await Promise.all(
      ["acme", "globex", "initech"].map((n) => cli(["tenant", "render", n, "--state-dir", dir])),
    );
    const hooks = await cli(["webhook", "manifests", "--state-dir", dir]);
    const tenants = docs(WORLD_TEXT)
      .filter((o) => o.kind === "Tenant")
      .map((o) => stringify(o));
    await writeFiles(dir, {
      "clean/a.yaml": [...tenants, ...rendered.map((r) => r.stdout), hooks.stdout].join("\n---\n"),
    });
    const clean = await cli(["audit", "-f", join(dir, "clean"), "-o", "json"]);
    const cleanReport = JSON.parse(clean.stdout) as {
      score: number;
      totals: { findings: number };
      tenants: { findings: unknown[] }[];
    };
    assert.deepEqual(
      { code: clean.code, score: cleanReport.score, findings: cleanReport.totals.findings },
      { code: 0, score: 100, findings: 0 },
      JSON.stringify(cleanReport.tenants.map((x) => x.findings)),
    );

    for (const [args, msg] of [
      [["-o", "pdf"], /unknown output format "pdf"/],
      [["--fail-on", "sometimes"], /--fail-on: expected low, medium, high or none/],
      [["-f", join(dir, "nothing-here")], /cannot read: no such file or directory/],
    ] as [string[], RegExp][]) {
      const bad = await cli(["audit", ...args]);
      assert.equal(bad.code, 2, args.join(" "));
      assert.match(bad.stderr, msg);
    }
  });
});
