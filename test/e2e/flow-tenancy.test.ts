/**
 * The seed's tenancy flow against a real kube-apiserver wired to kubeiam's admission webhooks
 * (`kubeiam webhook manifests | kubectl apply -f -`): a tenant's privileged pod, hostPath pod,
 * externalIPs Service, and pods carrying another tenant's toleration or nodeSelector are rejected
 * by kube-apiserver with kubeiam's messages; an allowed pod is stored with the tenant's toleration,
 * node selector, label and the seccomp default. The same objects in a namespace of no tenant are
 * admitted.
 *
 * The Tenants live in kubeiam's object dir (embedded store); the namespaces are created with kubectl
 * and carry no Pod Security labels, so kube-apiserver's own PodSecurity admission (which runs
 * before the webhooks) stays out of the way and every message below is kubeiam's.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { e2ePrerequisites, startWiredCluster, type WiredCluster } from "./lib/kubeiam.js";

const pre = await e2ePrerequisites(["kubectl"]);

const TENANTS = `apiVersion: kubeiam.io/v1alpha1
kind: Tenant
metadata: {name: acme}
spec:
  namespaces: {names: [acme-prod]}
  owners: {users: [alice]}
  nodeIsolation: {key: kubeiam.io/tenant, value: acme}
---
apiVersion: kubeiam.io/v1alpha1
kind: Tenant
metadata: {name: globex}
spec:
  namespaces: {names: [globex-prod]}
  owners: {users: [bob]}
  nodeIsolation: {key: kubeiam.io/tenant, value: globex}
`;

/** A container that meets Pod Security "restricted" once the mutating webhook adds the seccomp default. */
const RESTRICTED = {
  name: "c",
  image: "nginx",
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 1000,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
  },
};

function pod(name: string, namespace: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { containers: [RESTRICTED], ...spec },
  });
}

const DENIED = (resource: string, name: string): string =>
  `Error from server (Forbidden): error when creating "STDIN": admission webhook "validate.tenancy.kubeiam.io" denied the request: ${resource} "${name}" is forbidden: `;

interface Case {
  what: string;
  resource: "pods" | "services";
  name: string;
  manifest: (namespace: string) => string;
  /** Parts of kubeiam's message (after the prefix kubectl and kube-apiserver add). */
  parts: string[];
}

const CASES: Case[] = [
  {
    what: "a privileged pod",
    resource: "pods",
    name: "privileged",
    manifest: (ns) =>
      pod("privileged", ns, {
        containers: [
          {
            ...RESTRICTED,
            securityContext: {
              ...RESTRICTED.securityContext,
              allowPrivilegeEscalation: undefined,
              privileged: true,
            },
          },
        ],
      }),
    parts: [
      'violates PodSecurity "restricted:latest": privileged (container "c" must not set securityContext.privileged=true)',
      '[pod-security] tenant "acme": spec.containers[0].securityContext.privileged',
      'the tenant requires Pod Security "restricted:latest"',
    ],
  },
  {
    what: "a hostPath pod",
    resource: "pods",
    name: "host-path",
    manifest: (ns) =>
      pod("host-path", ns, {
        volumes: [{ name: "h", hostPath: { path: "/etc" } }],
        containers: [
          { ...RESTRICTED, volumeMounts: [{ name: "h", mountPath: "/host-etc", readOnly: true }] },
        ],
      }),
    parts: [
      'restricted volume types (volume "h" uses restricted volume type "hostPath")',
      '[host-paths] tenant "acme": spec.volumes[0].hostPath: hostPath volumes are not allowed (volume "h", path "/etc")',
    ],
  },
  {
    what: "a Service with externalIPs",
    resource: "services",
    name: "external",
    manifest: (ns) =>
      JSON.stringify({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "external", namespace: ns },
        spec: { ports: [{ port: 80 }], externalIPs: ["203.0.113.10"] },
      }),
    parts: [
      '[service.external-ips] tenant "acme": spec.externalIPs[0]: external IP 203.0.113.10 is not allowed',
    ],
  },
  {
    what: "a pod tolerating another tenant's taint",
    resource: "pods",
    name: "foreign-toleration",
    manifest: (ns) =>
      pod("foreign-toleration", ns, {
        tolerations: [{ key: "kubeiam.io/tenant", operator: "Equal", value: "globex", effect: "NoSchedule" }],
      }),
    parts: [
      `[node-isolation.foreign-toleration] tenant "acme": spec.tolerations[0]: tolerates a taint reserved for other tenants' nodes (kubeiam.io/tenant=globex:NoSchedule)`,
    ],
  },
  {
    what: "a pod selecting another tenant's nodes",
    resource: "pods",
    name: "foreign-selector",
    manifest: (ns) => pod("foreign-selector", ns, { nodeSelector: { "kubeiam.io/tenant": "globex" } }),
    parts: [
      '[node-isolation.foreign-node-selector] tenant "acme": spec.nodeSelector[kubeiam.io/tenant]: selects nodes reserved for another tenant (kubeiam.io/tenant=globex)',
    ],
  },
];

interface StoredPod {
  metadata: { labels?: Record<string, string> };
  spec: {
    nodeSelector?: Record<string, string>;
    tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
    securityContext?: { seccompProfile?: { type: string } };
  };
}

void describe("tenancy flow: kube-apiserver enforces kubeiam's tenant rules", { skip: pre.skip }, () => {
  let w: WiredCluster;

  before(
    async () => {
      assert.ok(pre.skip === false);
      w = await startWiredCluster({
        binaries: pre.binaries,
        kubeiam: { objects: { "tenants.yaml": TENANTS } },
      });
      for (const ns of ["acme-prod", "globex-prod", "sandbox"]) {
        await w.cluster.kubectl(["create", "namespace", ns]);
        // no kube-controller-manager: create the namespace's default ServiceAccount
        await w.cluster.kubectl(["create", "serviceaccount", "default", "--namespace", ns]);
      }
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await w?.stop();
  });

  for (const c of CASES) {
    void test(
      `${c.what} in a tenant namespace is rejected with kubeiam's message`,
      { timeout: 60_000 },
      async () => {
        const r = await w.cluster.kubectl(["create", "-f", "-"], {
          input: c.manifest("acme-prod"),
          allowFailure: true,
        });
        assert.equal(r.code, 1, r.stdout);
        const line = r.stderr.split("\n").find((l) => l.startsWith("Error from server")) ?? "";
        assert.ok(line.startsWith(DENIED(c.resource, c.name)), line);
        for (const part of c.parts)
          assert.ok(line.includes(part), `missing ${JSON.stringify(part)} in:\n${line}`);
        const stored = await w.cluster.kubectl(["get", c.resource, c.name, "--namespace", "acme-prod"], {
          allowFailure: true,
        });
        assert.match(stored.stderr, /NotFound/, "nothing was stored");
        const decision = w.kubeiam
          .decisions({ kind: "admission", allowed: false })
          .filter((d) => d.action === "TenancyValidate")
          .at(-1);
        assert.ok(decision);
        assert.ok(decision.summary.includes(c.name), decision.summary);
      },
    );
  }

  void test("the same objects outside any tenant are admitted", { timeout: 120_000 }, async () => {
    for (const c of CASES) {
      const r = await w.cluster.kubectl(["create", "-f", "-"], {
        input: c.manifest("sandbox"),
        allowFailure: true,
      });
      assert.equal(r.code, 0, `${c.what}: ${r.stderr}`);
    }
  });

  void test(
    "an allowed pod is stored with the tenant's toleration, node selector, label and the seccomp default",
    { timeout: 60_000 },
    async () => {
      for (const [tenant, ns] of [
        ["acme", "acme-prod"],
        ["globex", "globex-prod"],
      ] as const) {
        const created = await w.cluster.kubectl(["create", "-f", "-"], { input: pod("web", ns) });
        assert.match(created.stdout, /^pod\/web created/);
        const stored = JSON.parse(
          (await w.cluster.kubectl(["get", "pod", "web", "--namespace", ns, "-o", "json"])).stdout,
        ) as StoredPod;
        assert.deepEqual(
          stored.spec.tolerations?.filter((t) => t.key === "kubeiam.io/tenant"),
          [{ key: "kubeiam.io/tenant", operator: "Equal", value: tenant, effect: "NoSchedule" }],
        );
        assert.deepEqual(stored.spec.nodeSelector, { "kubeiam.io/tenant": tenant });
        assert.deepEqual(stored.spec.securityContext?.seccompProfile, { type: "RuntimeDefault" });
        assert.equal(stored.metadata.labels?.["kubeiam.io/tenant"], tenant);
      }
      const outside = await w.cluster.kubectl(["create", "-f", "-"], { input: pod("web", "sandbox") });
      assert.match(outside.stdout, /^pod\/web created/);
      const plain = JSON.parse(
        (await w.cluster.kubectl(["get", "pod", "web", "--namespace", "sandbox", "-o", "json"])).stdout,
      ) as StoredPod;
      assert.equal(plain.spec.nodeSelector, undefined, "no tenant, no node isolation");
      assert.equal(plain.metadata.labels?.["kubeiam.io/tenant"], undefined);
      assert.equal(
        plain.spec.securityContext?.seccompProfile,
        undefined,
        "the seccomp default is a tenant's",
      );
    },
  );
});
