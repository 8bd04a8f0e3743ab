import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_POD_IDENTITY_CONFIG } from "../../../../src/admission/pod-identity/config.js";
import { mutatePodForIdentity } from "../../../../src/admission/pod-identity/mutate-pod.js";
import { parseAdmissionReviewValue } from "../../../../src/admission/review.js";
import { applyPatch } from "../../../../src/admission/tenancy/lib/json-patch.js";
import { tenancyRequest, type TenancyRequest } from "../../../../src/admission/tenancy/lib/request.js";
import {
  mutateTenancyRequest,
  type MutationContext,
  type PodIdentityStep,
} from "../../../../src/admission/tenancy/mutate-request.js";
import { fixedClock } from "../../../../src/lib/clock.js";
import { isKubeiamError } from "../../../../src/lib/errors.js";
import type { KubeObject } from "../../../../src/store/types.js";
import { McsAllocator } from "../../../../src/tenancy/mcs.js";
import { reviewOf, worldView, type CaseRequest } from "./cases.js";

type Pod = Record<string, unknown> & { metadata: Record<string, unknown>; spec: Record<string, unknown> };

const view = worldView();

function ctx(extra: Partial<MutationContext> = {}): MutationContext & { mcs: McsAllocator } {
  return { view, mcs: new McsAllocator({ clock: fixedClock(0) }), ...extra } as MutationContext & {
    mcs: McsAllocator;
  };
}

function req(object: Record<string, unknown>, over: Partial<CaseRequest> = {}): TenancyRequest {
  const r: CaseRequest = {
    operation: "CREATE",
    resource: "pods",
    namespace: "acme-prod",
    name: (object.metadata as { name?: string } | undefined)?.name ?? "",
    user: "alice",
    object,
    ...over,
  };
  return tenancyRequest(parseAdmissionReviewValue(reviewOf(r)).request);
}

function pod(name: string, spec: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, ...metadata },
    spec: { containers: [{ name: "app", image: "nginx" }], ...spec },
  };
}

/** The SELinux level a mutation gives a pod. */
function levelOf(p: Pod, c: MutationContext, over: Partial<CaseRequest> = {}): string {
  const patched = applyPatch(p, mutateTenancyRequest(req(p, over), c).patch);
  return (patched.spec.securityContext as { seLinuxOptions: { level: string } }).seLinuxOptions.level;
}

/** Mutates, applies the patch, and checks that a reinvocation on the result adds nothing. */
function mutateTwice(
  p: Pod,
  c: MutationContext,
  over: Partial<CaseRequest> = {},
): { patched: Pod; ops: readonly { op: string; path: string }[] } {
  const r = mutateTenancyRequest(req(p, over), c);
  const patched = applyPatch(p, r.patch);
  const again = mutateTenancyRequest(req(patched, over), c);
  assert.deepEqual(again.patch, [], `reinvocation adds nothing: ${JSON.stringify(again.patch)}`);
  return { patched, ops: r.patch };
}

describe("tenant pod mutation", () => {
  test("a bare acme pod gets toleration, node selector, seccomp default, MCS level and tenant label, in that order", () => {
    const c = ctx();
    const { patched, ops } = mutateTwice(pod("web"), c);
    assert.deepEqual(
      ops.map((o) => `${o.op} ${o.path}`),
      [
        "add /spec/tolerations",
        "add /spec/nodeSelector",
        "add /spec/securityContext",
        "add /spec/securityContext/seLinuxOptions",
        "add /metadata/labels",
      ],
    );
    assert.deepEqual(patched.spec.tolerations, [
      { key: "kubeiam.io/tenant", operator: "Equal", value: "acme", effect: "NoSchedule" },
    ]);
    assert.deepEqual(patched.spec.nodeSelector, { "kubeiam.io/tenant": "acme" });
    const sc = patched.spec.securityContext as { seccompProfile: unknown; seLinuxOptions: { level: string } };
    assert.deepEqual(sc.seccompProfile, { type: "RuntimeDefault" });
    assert.match(sc.seLinuxOptions.level, /^s0:c\d{1,4},c\d{1,4}$/);
    assert.equal(
      sc.seLinuxOptions.level,
      c.mcs.allocate("acme-prod/web"),
      "the level is the one reserved for the pod",
    );
    assert.deepEqual(patched.metadata.labels, { "kubeiam.io/tenant": "acme" });
  });

  test("existing lists and maps are appended to, not replaced", () => {
    const p = pod(
      "web",
      {
        tolerations: [{ key: "x", operator: "Exists", effect: "NoSchedule" }],
        nodeSelector: { zone: "a" },
        securityContext: { runAsNonRoot: true, seLinuxOptions: { type: "container_t" } },
      },
      { labels: { app: "web", "kubeiam.io/tenant": "spoofed" } },
    );
    const { patched, ops } = mutateTwice(p, ctx());
    assert.deepEqual(
      ops.map((o) => `${o.op} ${o.path}`),
      [
        "add /spec/tolerations/-",
        "add /spec/nodeSelector/kubeiam.io~1tenant",
        "add /spec/securityContext/seccompProfile",
        "add /spec/securityContext/seLinuxOptions/level",
        "replace /metadata/labels/kubeiam.io~1tenant",
      ],
    );
    assert.equal((patched.spec.tolerations as unknown[]).length, 2);
    assert.deepEqual(patched.spec.nodeSelector, { zone: "a", "kubeiam.io/tenant": "acme" });
    const sc = patched.spec.securityContext as Record<string, unknown>;
    assert.equal(sc.runAsNonRoot, true);
    assert.equal((sc.seLinuxOptions as { type: string }).type, "container_t");
    assert.deepEqual(patched.metadata.labels, { app: "web", "kubeiam.io/tenant": "acme" });
  });

  test("what the pod already sets is kept", () => {
    const p = pod(
      "web",
      {
        tolerations: [{ key: "kubeiam.io/tenant", operator: "Equal", value: "acme", effect: "NoSchedule" }],
        nodeSelector: { "kubeiam.io/tenant": "other" },
        securityContext: {
          seccompProfile: { type: "Localhost", localhostProfile: "p.json" },
          seLinuxOptions: { level: "s0:c1,c2" },
        },
      },
      { labels: { "kubeiam.io/tenant": "acme" } },
    );
    const r = mutateTenancyRequest(req(p), ctx());
    assert.deepEqual(
      r.patch,
      [],
      "a conflicting nodeSelector value is left for the validating webhook to deny",
    );
  });

  test("Windows pods get no seccomp profile and no SELinux level", () => {
    const { ops } = mutateTwice(pod("win", { os: { name: "windows" } }), ctx());
    assert.deepEqual(
      ops.map((o) => o.path),
      ["/spec/tolerations", "/spec/nodeSelector", "/metadata/labels"],
    );
  });

  test("a tenant with MCS disabled and taint-only isolation (globex)", () => {
    const { patched, ops } = mutateTwice(pod("g"), ctx(), { namespace: "globex", user: "bob" });
    assert.deepEqual(
      ops.map((o) => o.path),
      ["/spec/tolerations", "/spec/securityContext", "/metadata/labels"],
    );
    assert.deepEqual(patched.spec.tolerations, [
      { key: "kubeiam.io/tenant", operator: "Equal", value: "globex", effect: "NoExecute" },
    ]);
  });

  test("pods outside tenant namespaces are not changed", () => {
    const r = mutateTenancyRequest(req(pod("p"), { namespace: "shared", user: "admin" }), ctx());
    assert.deepEqual(r.patch, []);
    assert.equal(r.tenant, undefined);
  });

  test("UPDATE, DELETE and subresources are never mutated", () => {
    const p = pod("web");
    for (const over of [
      { operation: "UPDATE", oldObject: p },
      { operation: "CREATE", subResource: "binding" },
    ] as Partial<CaseRequest>[]) {
      assert.deepEqual(mutateTenancyRequest(req(p, over), ctx()).patch, [], JSON.stringify(over));
    }
    assert.deepEqual(mutateTenancyRequest(req(p, { operation: "DELETE", oldObject: p }), ctx()).patch, []);
  });

  test("a field of the wrong type is ADMISSION_OBJECT_INVALID naming it", () => {
    assert.throws(
      () => mutateTenancyRequest(req(pod("web", { tolerations: "all" })), ctx()),
      (e: unknown) =>
        isKubeiamError(e) &&
        e.code === "ADMISSION_OBJECT_INVALID" &&
        e.message.startsWith("spec.tolerations: expected a list"),
    );
  });
});

describe("SELinux MCS levels", () => {
  test("1,000 pods get 1,000 distinct levels; a retry of the same pod gets its level again", () => {
    const c = ctx();
    const levels = new Map<string, string>();
    for (let i = 0; i < 1000; i++) levels.set(`p${i}`, levelOf(pod(`p${i}`), c));
    assert.equal(new Set(levels.values()).size, 1000);
    for (const name of ["p0", "p500", "p999"])
      assert.equal(levelOf(pod(name), c), levels.get(name), `${name} retried`);
  });

  test("1,000 generateName pods (no name yet) get distinct levels", () => {
    const c = ctx();
    const levels = new Set<string>();
    for (let i = 0; i < 1000; i++)
      levels.add(levelOf(pod("", {}, { generateName: "web-" }), c, { name: "" }));
    assert.equal(levels.size, 1000);
  });

  test("levels already held by 1,000 live pods are avoided by a new replica's allocator", () => {
    const first = ctx();
    const live: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const { patched } = mutateTwice(pod(`p${i}`), first);
      live.push((patched.spec.securityContext as { seLinuxOptions: { level: string } }).seLinuxOptions.level);
    }
    // a second allocator that only knows the live pods (as the cache feeds it)
    const second = ctx();
    live.forEach((l, i) => second.mcs.observe(`acme-prod/p${i}`, l));
    const fresh = new Set<string>();
    for (let i = 0; i < 1000; i++) fresh.add(levelOf(pod(`q${i}`), second));
    assert.equal(fresh.size, 1000);
    for (const l of live) assert.ok(!fresh.has(l), `live level ${l} reused`);
    // a live pod re-submitted keeps its level
    assert.equal(levelOf(pod("p7"), second), live[7]);
  });

  test("dry runs get a level but reserve nothing", () => {
    const c = ctx();
    const dry = mutateTenancyRequest(req(pod("web"), { dryRun: true }), c);
    assert.ok(dry.patch.some((o) => o.path === "/spec/securityContext"));
    assert.deepEqual(c.mcs.stats(), { live: 0, reserved: 0 });
    mutateTenancyRequest(req(pod("web")), c);
    assert.deepEqual(c.mcs.stats(), { live: 0, reserved: 1 });
  });
});

describe("composition with pod identity", () => {
  const sa: KubeObject = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: {
      name: "app",
      namespace: "acme-prod",
      annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/app" },
    },
  };
  const identity: PodIdentityStep = (p, r) =>
    mutatePodForIdentity({
      pod: p,
      namespace: r.namespace,
      serviceAccount: sa,
      config: DEFAULT_POD_IDENTITY_CONFIG,
    }).patch;

  test("pod identity comes first, tenant steps follow, one patch, idempotent", () => {
    const p = pod("web", { serviceAccountName: "app" });
    const c = ctx({ podIdentity: identity });
    const r = mutateTenancyRequest(req(p), c);
    assert.deepEqual(
      r.steps.map((s) => s.step),
      ["pod-identity", "node-isolation", "seccomp-default", "selinux-mcs", "tenant-labels"],
    );
    const identityOps = r.steps[0]!.patch.length;
    assert.ok(identityOps > 0);
    assert.deepEqual(r.patch.slice(0, identityOps), r.steps[0]!.patch);
    const patched = applyPatch(p, r.patch);
    const env = (
      (patched.spec.containers as Record<string, unknown>[])[0]!.env as { name: string; value?: string }[]
    ).map((e) => e.name);
    assert.ok(env.includes("AWS_ROLE_ARN") && env.includes("AWS_WEB_IDENTITY_TOKEN_FILE"), env.join(","));
    assert.ok((patched.spec.volumes as { name: string }[]).some((v) => v.name === "aws-iam-token"));
    assert.deepEqual(patched.spec.nodeSelector, { "kubeiam.io/tenant": "acme" });
    assert.deepEqual(mutateTenancyRequest(req(patched), c).patch, [], "reinvocation adds nothing");
  });

  test("later steps see what earlier steps added (a step creating securityContext, the next adding to it)", () => {
    const addsSecurityContext: PodIdentityStep = () => [
      { op: "add", path: "/spec/securityContext", value: { fsGroup: 1000 } },
    ];
    const r = mutateTenancyRequest(req(pod("web")), ctx({ podIdentity: addsSecurityContext }));
    const patched = applyPatch(pod("web"), r.patch);
    assert.deepEqual(Object.keys(patched.spec.securityContext as object), [
      "fsGroup",
      "seccompProfile",
      "seLinuxOptions",
    ]);
  });

  test("pods outside tenants still get pod identity", () => {
    const r = mutateTenancyRequest(
      req(pod("p", { serviceAccountName: "app" }), { namespace: "shared", user: "admin" }),
      ctx({
        podIdentity: (p) =>
          mutatePodForIdentity({
            pod: p,
            namespace: "shared",
            serviceAccount: { ...sa, metadata: { ...sa.metadata, namespace: "shared" } },
            config: DEFAULT_POD_IDENTITY_CONFIG,
          }).patch,
      }),
    );
    assert.ok(r.patch.length > 0);
    assert.ok(
      r.patch.every((o) => !o.path.startsWith("/metadata/labels") && !o.path.startsWith("/spec/tolerations")),
    );
  });
});

describe("namespace mutation", () => {
  const ns = (name: string, labels?: Record<string, string>): Record<string, unknown> => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, ...(labels ? { labels } : {}) },
  });
  test("a namespace an owner creates gets the tenant label", () => {
    const r = mutateTenancyRequest(
      req(ns("acme-dev"), { resource: "namespaces", namespace: "", name: "acme-dev" }),
      ctx(),
    );
    assert.deepEqual(r.patch, [
      { op: "add", path: "/metadata/labels", value: { "kubeiam.io/tenant": "acme" } },
    ]);
  });
  test("other users' namespaces and already-labelled ones are not changed", () => {
    assert.deepEqual(
      mutateTenancyRequest(
        req(ns("acme-dev"), { resource: "namespaces", namespace: "", name: "acme-dev", user: "admin" }),
        ctx(),
      ).patch,
      [],
    );
    assert.deepEqual(
      mutateTenancyRequest(
        req(ns("acme-dev", { "kubeiam.io/tenant": "acme" }), {
          resource: "namespaces",
          namespace: "",
          name: "acme-dev",
        }),
        ctx(),
      ).patch,
      [],
    );
  });
});
