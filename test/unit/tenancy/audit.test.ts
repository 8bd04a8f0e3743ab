import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { auditTenancy, AUDIT_CONTROLS, type AuditReport } from "../../../src/tenancy/audit.js";
import { escapeHtml, formatAuditText, renderAuditHtml } from "../../../src/tenancy/audit-report.js";
import { renderTenant } from "../../../src/tenancy/render-tenant.js";
import { tenantFromObject } from "../../../src/tenancy/tenant.js";
import { TenantIndex } from "../../../src/tenancy/tenant-index.js";
import { webhookManifests } from "../../../src/tenancy/webhook-manifests.js";
import type { KubeObject } from "../../../src/store/types.js";
import { WORLD } from "../admission/tenancy/cases.js";

function load(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(new URL(`../../fixtures/tenancy/${file}`, import.meta.url), "utf8"))
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

function source(objects: readonly KubeObject[]): { list(kind: string): KubeObject[] } {
  return { list: (kind) => objects.filter((o) => o.kind === kind) };
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n";

describe("audit of a cluster with mistakes", () => {
  const report = auditTenancy(source(load("audit-cluster.yaml")));
  const has = (tenant: string, control: string, object: string, field?: string): void => {
    const t = report.tenants.find((x) => x.tenant === tenant);
    assert.ok(t, tenant);
    const f = t.findings.find(
      (x) => x.control === control && x.object === object && (field === undefined || x.field === field),
    );
    assert.ok(
      f,
      `${tenant}: ${control} on ${object}${field ? ` at ${field}` : ""}\n  findings: ${t.findings.map((x) => `${x.control} ${x.object} ${x.field}`).join("\n    ")}`,
    );
    assert.ok(f.fix !== "" && f.message !== "", "each finding says what is wrong and how to fix it");
  };

  const expected: [string, string, string, string?][] = [
    ["shop", "tenant.namespaces", "Namespace shop-missing", "metadata.name"],
    ["shop", "tenant.namespaces", "Namespace shop-prod", "metadata.labels[kubeiam.io/tenant]"],
    [
      "shop",
      "pod-security.namespace-labels",
      "Namespace shop-prod",
      "metadata.labels[pod-security.kubernetes.io/enforce]",
    ],
    ["shop", "pod-security.pods", "Pod shop-prod/root-shell", "spec.hostPID"],
    [
      "shop",
      "pod-security.pods",
      "Pod shop-prod/root-shell",
      "spec.containers[0].securityContext.privileged",
    ],
    ["shop", "host-access", "Pod shop-prod/root-shell", "spec"],
    ["shop", "host-access", "Pod shop-prod/root-shell", "spec.containers[0].ports[0].hostPort"],
    [
      "shop",
      "capabilities",
      "Pod shop-prod/root-shell",
      "spec.containers[0].securityContext.capabilities.add[0]",
    ],
    ["shop", "node-isolation", "Pod shop-prod/twin-a", "spec.tolerations"],
    ["shop", "node-isolation", "Pod shop-prod/root-shell", "spec.tolerations[0]"],
    ["shop", "node-isolation", "Pod shop-prod/root-shell", "spec.nodeSelector"],
    ["shop", "selinux-mcs", "Pod shop-prod/twin-a", "spec.securityContext.seLinuxOptions.level"],
    ["shop", "selinux-mcs", "Pod shop-prod/twin-b", "spec.securityContext.seLinuxOptions.level"],
    ["shop", "selinux-mcs", "Pod shop-prod/root-shell", "spec.securityContext.seLinuxOptions.level"],
    ["shop", "seccomp", "Pod shop-prod/twin-a", "spec.securityContext.seccompProfile"],
    ["shop", "pod-security.workloads", "Deployment shop-prod/logs", "spec.template.spec.volumes[0].hostPath"],
    ["shop", "host-access", "Deployment shop-prod/logs", "spec.template.spec.volumes[0].hostPath"],
    ["shop", "services.types", "Service shop-prod/exposed", "spec.type"],
    ["shop", "services.external-ips", "Service shop-prod/exposed", "spec.externalIPs[0]"],
    ["shop", "network.default-deny", "Namespace shop-prod", "NetworkPolicy"],
    ["shop", "network.metadata", "Namespace shop-prod", "NetworkPolicy"],
    ["shop", "quota", "Namespace shop-prod", "ResourceQuota"],
    ["shop", "limit-range", "Namespace shop-prod", "LimitRange"],
    ["shop", "rbac.protected-writes", "RoleBinding shop-prod/quota", "roleRef"],
    ["blog", "network.default-deny", "NetworkPolicy blog/allow-all-in", "spec.ingress"],
    ["blog", "network.metadata", "NetworkPolicy blog/allow-all-in", "spec.egress"],
    ["blog", "quota", "ResourceQuota blog/q", "spec.hard"],
    ["blog", "rbac.cluster-admin", "RoleBinding blog/too-much", "roleRef.name"],
    ["blog", "rbac.foreign-subjects", "RoleBinding blog/too-much", "subjects[1]"],
    ["blog", "rbac.cluster-admin", "ClusterRoleBinding blog-admins", "roleRef.name"],
  ];
  for (const [tenant, control, object, field] of expected)
    test(`${tenant}: ${control} — ${object}${field ? ` ${field}` : ""}`, () =>
      has(tenant, control, object, field));

  test("an invalid tenant is a cluster finding", () => {
    const f = report.cluster.findings.find((x) => x.control === "tenants.valid");
    assert.ok(f);
    assert.equal(f.object, "Tenant broken");
    assert.match(f.message, /spec\.namespaces: give at least one of names, prefix or selector/);
  });

  test("missing webhooks are a cluster finding", () => {
    assert.deepEqual(
      report.cluster.findings
        .filter((x) => x.control === "webhooks.installed")
        .map((x) => x.object)
        .sort(),
      ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"],
    );
  });

  test("scores reflect failures, weighted by severity", () => {
    for (const t of report.tenants) {
      assert.ok(t.score >= 0 && t.score < 60, `${t.tenant}: ${t.score}`);
      assert.equal(t.controls.length, AUDIT_CONTROLS.length);
      assert.equal(
        t.findings.length,
        t.controls.reduce((n, c) => n + c.findings, 0),
      );
    }
    assert.equal(report.score, Math.min(...report.tenants.map((t) => t.score)));
    assert.equal(report.totals.findings, report.totals.high + report.totals.medium + report.totals.low);
  });

  test("controls that do not apply are n/a (blog has no pods, so no pod controls)", () => {
    const blog = report.tenants.find((t) => t.tenant === "blog")!;
    assert.equal(blog.controls.find((c) => c.id === "pod-security.pods")?.status, "n/a");
    assert.equal(blog.controls.find((c) => c.id === "selinux-mcs")?.status, "n/a");
  });
});

describe("audit after `tenant render` and `webhook manifests`", () => {
  const tenants = WORLD.filter((o) => o.kind === "Tenant");
  const parsed = tenants.map((t) => tenantFromObject(t));
  const index = new TenantIndex(parsed);
  const worldNamespaces = WORLD.filter((o) => o.kind === "Namespace");
  const rendered = parsed.flatMap((t) => {
    const existing = worldNamespaces
      .filter((n) => index.ownerOf(n.metadata.name, n.metadata.labels)?.tenant === t)
      .map((n) => ({ name: n.metadata.name, labels: n.metadata.labels }));
    return renderTenant(t, { existingNamespaces: existing }).objects;
  });
  const webhooks = webhookManifests({ target: { url: "https://kubeiam.example:8443" }, caPem: CA });
  const goodPod: KubeObject = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "acme-prod" },
    spec: {
      securityContext: {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        seLinuxOptions: { level: "s0:c10,c20" },
      },
      containers: [
        {
          name: "app",
          image: "nginx",
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
        },
      ],
      tolerations: [{ key: "kubeiam.io/tenant", operator: "Equal", value: "acme", effect: "NoSchedule" }],
      nodeSelector: { "kubeiam.io/tenant": "acme" },
    },
  };
  const report: AuditReport = auditTenancy(source([...tenants, ...rendered, ...webhooks, goodPod]));

  test("every tenant scores 100 with no finding", () => {
    for (const t of report.tenants)
      assert.deepEqual(
        { tenant: t.tenant, score: t.score, findings: t.findings },
        { tenant: t.tenant, score: 100, findings: [] },
      );
    assert.equal(report.cluster.score, 100);
    assert.equal(report.totals.findings, 0);
  });

  test("the generated objects make the network, quota and RBAC controls pass", () => {
    const acme = report.tenants.find((t) => t.tenant === "acme")!;
    for (const id of [
      "network.default-deny",
      "network.metadata",
      "network.dns",
      "quota",
      "limit-range",
      "rbac.owners",
      "pod-security.pods",
      "node-isolation",
      "selinux-mcs",
    ]) {
      assert.equal(acme.controls.find((c) => c.id === id)?.status, "pass", id);
    }
  });
});

describe("report renderings", () => {
  const report = auditTenancy(source(load("audit-cluster.yaml")));
  test("text names every tenant, control and finding", () => {
    const text = formatAuditText(report);
    assert.match(text, /^tenant blog: score \d+\/100/m);
    assert.match(
      text,
      /✗ \[high\] services\.external-ips: Service shop-prod\/exposed\n {8}field: spec\.externalIPs\[0\]\n {8}external IP 198\.51\.100\.7 is not allowed/,
    );
    assert.match(text, /overall score \d+\/100; findings: \d+/);
  });
  test("HTML is one self-contained page with every value escaped", () => {
    const html = renderAuditHtml(report, { generatedAt: "2026-01-01T00:00:00Z", source: "<dir>" });
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.ok(!/<script|<link|src=|href="http/i.test(html), "no scripts, links or external resources");
    assert.ok(html.includes("&lt;dir&gt;"));
    assert.ok(html.includes("Content-Security-Policy"));
    for (const t of report.tenants) assert.ok(html.includes(`Tenant ${t.tenant}`));
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
