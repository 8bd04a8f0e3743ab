/**
 * Loads the tenancy admission fixtures (world.yaml, validate-cases.yaml), turns a case into an
 * AdmissionReview, builds a TenancyView over the world, and checks an answer against a case's
 * expectations. Shared by the unit tests and the HTTPS integration test.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { nodeInfo, tenantsFromObjects } from "../../../../src/admission/tenancy/cache-view.js";
import type { TenancyView } from "../../../../src/admission/tenancy/view.js";
import type { KubeObject } from "../../../../src/store/types.js";
import { TenantIndex } from "../../../../src/tenancy/tenant-index.js";

export const FIXTURES = fileURLToPath(new URL("../../../fixtures/tenancy/", import.meta.url));

export const WORLD_TEXT = readFileSync(`${FIXTURES}world.yaml`, "utf8");

export const WORLD: KubeObject[] = parseAllDocuments(WORLD_TEXT)
  .map((d) => d.toJS() as KubeObject | null)
  .filter((o): o is KubeObject => o !== null);

export interface CaseRequest {
  operation: string;
  resource: string;
  subResource?: string;
  namespace: string;
  name: string;
  user: string | { username: string; groups?: string[]; extra?: Record<string, string[]> };
  object?: Record<string, unknown>;
  oldObject?: Record<string, unknown>;
  dryRun?: boolean;
}

export interface CaseExpect {
  allowed: boolean;
  code?: number;
  reason?: string;
  message?: string;
  messageContains?: string[];
  warnings?: string[];
  warningsContain?: string[];
  audit?: Record<string, string>;
}

export interface AdmissionCase {
  name: string;
  request: CaseRequest;
  expect: CaseExpect;
}

export function loadCases(file: string): AdmissionCase[] {
  const doc = parse(readFileSync(`${FIXTURES}${file}`, "utf8"), { merge: true }) as {
    cases: AdmissionCase[];
  };
  return doc.cases;
}

const KIND_OF: Record<string, string> = {
  pods: "Pod",
  services: "Service",
  namespaces: "Namespace",
  nodes: "Node",
  rolebindings: "RoleBinding",
  deployments: "Deployment",
  replicasets: "ReplicaSet",
  statefulsets: "StatefulSet",
  daemonsets: "DaemonSet",
  jobs: "Job",
  cronjobs: "CronJob",
  networkpolicies: "NetworkPolicy",
  resourcequotas: "ResourceQuota",
  widgets: "Widget",
};

let uidCounter = 0;

/** The AdmissionReview v1 kube-apiserver would send for a case request. */
export function reviewOf(r: CaseRequest, uid = `uid-${++uidCounter}`): Record<string, unknown> {
  const slash = r.resource.indexOf("/");
  const group = slash < 0 ? "" : r.resource.slice(0, slash);
  const resource = slash < 0 ? r.resource : r.resource.slice(slash + 1);
  const version = group === "example.com" ? "v1" : "v1";
  const user = typeof r.user === "string" ? { username: r.user } : r.user;
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group, version, kind: KIND_OF[resource] ?? resource },
      resource: { group, version, resource },
      ...(r.subResource ? { subResource: r.subResource } : {}),
      name: r.name,
      ...(r.namespace ? { namespace: r.namespace } : {}),
      operation: r.operation,
      userInfo: user,
      object: r.object ?? null,
      oldObject: r.oldObject ?? null,
      dryRun: r.dryRun ?? false,
    },
  };
}

/** A view over the world's objects (what the server's cache holds after loading world.yaml). */
export function worldView(objects: readonly KubeObject[] = WORLD): TenancyView {
  const { tenants, invalid } = tenantsFromObjects(objects.filter((o) => o.kind === "Tenant"));
  assert.deepEqual(invalid, [], "world.yaml tenants are valid");
  const index = new TenantIndex(tenants);
  const ns = new Map(
    objects
      .filter((o) => o.kind === "Namespace")
      .map((o) => [o.metadata.name, o.metadata.labels ?? {}] as const),
  );
  const nodes = new Map(
    objects.filter((o) => o.kind === "Node").map((o) => [o.metadata.name, nodeInfo(o)] as const),
  );
  return {
    index,
    namespaceLabels: (n) => ns.get(n),
    node: (n) => nodes.get(n),
    podsInNamespace: (n) => objects.filter((o) => o.kind === "Pod" && o.metadata.namespace === n),
  };
}

export interface Answer {
  allowed: boolean;
  status?: { code?: number; reason?: string; message?: string };
  warnings?: readonly string[];
  auditAnnotations?: Readonly<Record<string, string>>;
}

export function checkAnswer(c: AdmissionCase, a: Answer): void {
  const e = c.expect;
  const ctx = `${c.name}\n  answer: ${JSON.stringify(a)}`;
  assert.equal(a.allowed, e.allowed, `allowed — ${ctx}`);
  if (e.code !== undefined) assert.equal(a.status?.code, e.code, `code — ${ctx}`);
  if (e.reason !== undefined) assert.equal(a.status?.reason, e.reason, `reason — ${ctx}`);
  if (e.message !== undefined) assert.equal(a.status?.message, e.message, `message — ${ctx}`);
  for (const s of e.messageContains ?? [])
    assert.ok(a.status?.message?.includes(s), `message contains ${JSON.stringify(s)} — ${ctx}`);
  if (!e.allowed) assert.ok((a.status?.message ?? "") !== "", `a denial explains itself — ${ctx}`);
  if (e.warnings !== undefined) assert.deepEqual([...(a.warnings ?? [])], e.warnings, `warnings — ${ctx}`);
  for (const s of e.warningsContain ?? [])
    assert.ok(
      (a.warnings ?? []).some((w) => w.includes(s)),
      `a warning contains ${JSON.stringify(s)} — ${ctx}`,
    );
  for (const [k, v] of Object.entries(e.audit ?? {}))
    assert.equal(a.auditAnnotations?.[k], v, `auditAnnotations[${k}] — ${ctx}`);
}
