import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { renderTenant, METADATA_EGRESS_EXCEPT_V4, NAMES } from "../../../src/tenancy/render-tenant.js";
import { tenantFromObject } from "../../../src/tenancy/tenant.js";
import { webhookManifests, type WebhookManifestOptions } from "../../../src/tenancy/webhook-manifests.js";
import { isKubeiamError } from "../../../src/lib/errors.js";
import { checkObject } from "../../../src/store/kinds.js";
import { loadCases, WORLD } from "../admission/tenancy/cases.js";

const acme = tenantFromObject(WORLD.find((o) => o.kind === "Tenant" && o.metadata.name === "acme"));
const initech = tenantFromObject(WORLD.find((o) => o.kind === "Tenant" && o.metadata.name === "initech"));
const CA = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2E=\n-----END CERTIFICATE-----\n";

describe("tenant render", () => {
  const { objects, notes } = renderTenant(acme, {
    existingNamespaces: [{ name: "acme-dev", labels: { team: "x" } }],
  });
  const get = (kind: string, name: string, ns?: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === ns);

  test("every object is a valid Kubernetes object, labelled managed-by kubeiam and with the tenant", () => {
    for (const o of objects) {
      const c = checkObject(o);
      assert.ok(c.ok, `${o.kind}/${o.metadata.name}: ${c.ok ? "" : c.problems.join("; ")}`);
      assert.equal(o.metadata.labels?.["app.kubernetes.io/managed-by"], "kubeiam");
      assert.equal(o.metadata.labels?.["kubeiam.io/tenant"], "acme");
    }
  });

  test("namespaces: listed and existing ones, with tenant and Pod Security labels (existing labels kept)", () => {
    assert.deepEqual(
      objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
      ["acme-dev", "acme-prod"],
    );
    assert.deepEqual(get("Namespace", "acme-dev")?.metadata.labels, {
      team: "x",
      "app.kubernetes.io/managed-by": "kubeiam",
      "kubeiam.io/tenant": "acme",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/enforce-version": "latest",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/warn-version": "latest",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/audit-version": "latest",
    });
  });

  test("per namespace: four NetworkPolicies, quota, limits and the owners' binding", () => {
    for (const ns of ["acme-dev", "acme-prod"]) {
      assert.deepEqual(
        objects.filter((o) => o.metadata.namespace === ns).map((o) => `${o.kind}/${o.metadata.name}`),
        [
          `NetworkPolicy/${NAMES.defaultDeny}`,
          `NetworkPolicy/${NAMES.sameTenant}`,
          `NetworkPolicy/${NAMES.dns}`,
          `NetworkPolicy/${NAMES.egress}`,
          `ResourceQuota/${NAMES.quota}`,
          `LimitRange/${NAMES.limits}`,
          `RoleBinding/${NAMES.owners}`,
        ],
      );
    }
    assert.deepEqual(get("NetworkPolicy", NAMES.defaultDeny, "acme-prod")?.spec, {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
    });
    const egress = get("NetworkPolicy", NAMES.egress, "acme-prod")?.spec as {
      egress: { to: { ipBlock: { cidr: string; except: string[] } }[] }[];
    };
    assert.deepEqual(
      egress.egress[0]!.to.map((t) => t.ipBlock.cidr),
      ["0.0.0.0/0", "::/0"],
    );
    assert.deepEqual(egress.egress[0]!.to[0]!.ipBlock.except, [...METADATA_EGRESS_EXCEPT_V4]);
    assert.ok(egress.egress[0]!.to[1]!.ipBlock.except.includes("fd00:ec2::254/128"));
    const same = get("NetworkPolicy", NAMES.sameTenant, "acme-prod")?.spec as { ingress: unknown[] };
    assert.deepEqual(same.ingress, [
      { from: [{ namespaceSelector: { matchLabels: { "kubeiam.io/tenant": "acme" } } }] },
    ]);
  });

  test("owners are bound (users, IAM ARNs as users, groups); a prefix tenant's owners may create namespaces", () => {
    const rb = get("RoleBinding", NAMES.owners, "acme-prod")!;
    assert.deepEqual(rb.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "admin",
    });
    assert.deepEqual(
      (rb.subjects as { kind: string; name: string }[]).map((s) => `${s.kind}:${s.name}`),
      ["User:alice", "User:arn:aws:iam::111122223333:role/acme-admin", "Group:acme-admins"],
    );
    assert.ok(get("ClusterRole", "kubeiam:tenant:acme:namespace-creator"));
    assert.ok(get("ClusterRoleBinding", "kubeiam:tenant:acme:namespace-creator"));
    assert.ok(notes.some((n) => n.includes("IAM ARN owners")));
  });

  test("network isolation off: no NetworkPolicies; a selector tenant without namespaces renders nothing but a note", () => {
    const r = renderTenant(initech);
    assert.deepEqual(r.objects, []);
    assert.match(r.notes[0] ?? "", /no namespace yet/);
    const withNs = renderTenant(initech, { existingNamespaces: [{ name: "team-initech" }] });
    assert.ok(!withNs.objects.some((o) => o.kind === "NetworkPolicy"));
  });
});

describe("webhook manifests", () => {
  const [mutating, validating] = webhookManifests({
    target: { url: "https://kubeiam.example:8443/" },
    caPem: CA,
    exemptNamespaces: ["monitoring"],
  });
  type Hook = {
    name: string;
    clientConfig: { url?: string; caBundle: string };
    failurePolicy: string;
    timeoutSeconds: number;
    sideEffects: string;
    admissionReviewVersions: string[];
    namespaceSelector: unknown;
    rules: { resources: string[]; apiGroups: string[]; operations: string[] }[];
    reinvocationPolicy?: string;
    matchConditions?: unknown[];
  };
  const mHooks = mutating!.webhooks as Hook[];
  const vHooks = validating!.webhooks as Hook[];

  test("one MutatingWebhookConfiguration and one ValidatingWebhookConfiguration, valid objects", () => {
    assert.equal(mutating!.kind, "MutatingWebhookConfiguration");
    assert.equal(validating!.kind, "ValidatingWebhookConfiguration");
    for (const o of [mutating!, validating!]) assert.ok(checkObject(o).ok);
  });

  test("caBundle, URLs, timeouts, review versions and exemptions", () => {
    for (const h of [...mHooks, ...vHooks]) {
      assert.equal(Buffer.from(h.clientConfig.caBundle, "base64").toString(), CA);
      assert.equal(h.timeoutSeconds, 5);
      assert.deepEqual(h.admissionReviewVersions, ["v1"]);
      assert.deepEqual(h.namespaceSelector, {
        matchExpressions: [
          {
            key: "kubernetes.io/metadata.name",
            operator: "NotIn",
            values: ["kube-system", "kubeiam", "monitoring"],
          },
        ],
      });
    }
    assert.equal(mHooks[0]!.clientConfig.url, "https://kubeiam.example:8443/admission/mutate");
    assert.ok(vHooks.every((h) => h.clientConfig.url === "https://kubeiam.example:8443/admission/validate"));
  });

  test("enforcing webhooks fail closed; the advisory one (warnings only) fails open; mutation is reinvoked and has no side effects on dry runs", () => {
    assert.deepEqual(
      mHooks.map((h) => [h.name, h.failurePolicy, h.reinvocationPolicy, h.sideEffects]),
      [["mutate.tenancy.kubeiam.io", "Fail", "IfNeeded", "NoneOnDryRun"]],
    );
    assert.deepEqual(
      vHooks.map((h) => [h.name, h.failurePolicy, h.sideEffects]),
      [
        ["validate.tenancy.kubeiam.io", "Fail", "None"],
        ["status.validate.tenancy.kubeiam.io", "Fail", "None"],
        ["advisory.tenancy.kubeiam.io", "Ignore", "None"],
      ],
    );
    assert.equal(vHooks[1]!.matchConditions?.length, 2);
  });

  test("every resource the validating webhooks send is one the fixtures exercise", () => {
    const exercised = new Set(
      loadCases("validate-cases.yaml").map(
        (c) =>
          `${c.request.resource.includes("/") ? c.request.resource.split("/")[1] : c.request.resource}${c.request.subResource ? "/" + c.request.subResource : ""}`,
      ),
    );
    for (const h of vHooks) {
      for (const r of h.rules.flatMap((x) => x.resources)) {
        if (r === "*/status")
          assert.ok(
            [...exercised].some((e) => e.endsWith("/status")),
            r,
          );
        else if (r === "podtemplates" || r === "replicationcontrollers" || r === "limitranges") continue;
        else assert.ok(exercised.has(r), `no validate case for ${r}`);
      }
    }
  });

  test("a Service target", () => {
    const [m] = webhookManifests({
      target: { service: { namespace: "kubeiam", name: "kubeiam", port: 443 } },
      caPem: CA,
    });
    assert.deepEqual((m!.webhooks as Hook[])[0]!.clientConfig, {
      service: { namespace: "kubeiam", name: "kubeiam", path: "/admission/mutate", port: 443 },
      caBundle: Buffer.from(CA).toString("base64"),
    });
  });

  test("bad options are refused with a clear error", () => {
    const bad: [Partial<WebhookManifestOptions>, string][] = [
      [{ timeoutSeconds: 0 }, "USAGE"],
      [{ timeoutSeconds: 31 }, "USAGE"],
      [{ caPem: "not a cert" }, "KEY_INVALID"],
      [{ target: { url: "http://kubeiam:8443" } }, "USAGE"],
      [{ target: { url: "https://kubeiam:8443/?x=1" } }, "USAGE"],
      [{ target: { url: "::" } }, "USAGE"],
      [{ target: { service: { namespace: "Bad", name: "k", port: 443 } } }, "USAGE"],
      [{ target: { service: { namespace: "k", name: "k", port: 70000 } } }, "USAGE"],
      [{ namespace: "Not_A_Namespace" }, "USAGE"],
      [{ exemptNamespaces: ["a b"] }, "USAGE"],
    ];
    for (const [o, code] of bad) {
      assert.throws(
        () => webhookManifests({ target: { url: "https://k:1" }, caPem: CA, ...o }),
        (e: unknown) => isKubeiamError(e) && e.code === code,
        JSON.stringify(o),
      );
    }
  });
});
