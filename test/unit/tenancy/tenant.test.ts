import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { parseTenant, tenantFromObject, validateTenant, ruleAction } from "../../../src/tenancy/tenant.js";
import { isKubeiamError } from "../../../src/lib/errors.js";

interface Case {
  name: string;
  spec?: unknown;
  object?: unknown;
  tenantName?: string;
  problems: string[];
  resolved?: Record<string, unknown>;
}

const cases = (
  parse(readFileSync(new URL("../../fixtures/tenancy/tenant-validation.yaml", import.meta.url), "utf8")) as {
    cases: Case[];
  }
).cases;

function objectOf(c: Case): unknown {
  return c.object !== undefined
    ? c.object
    : {
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "Tenant",
        metadata: { name: c.tenantName ?? "t" },
        spec: c.spec,
      };
}

/** The parsed model as plain data (CIDRs shown as text). */
function plain(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === "bytes" ? undefined : x))) as unknown;
}

describe("validateTenant over tenant-validation.yaml", () => {
  for (const c of cases) {
    test(c.name, () => {
      assert.deepEqual(validateTenant(objectOf(c)), c.problems);
      const r = parseTenant(objectOf(c));
      assert.equal(
        r.tenant !== undefined,
        c.problems.length === 0,
        "a tenant is returned exactly when there is no problem",
      );
      if (c.resolved && r.tenant) {
        const got = plain(r.tenant) as Record<string, unknown>;
        for (const [k, v] of Object.entries(c.resolved)) {
          if (k === "services") {
            const s = got.services as {
              allowedTypes: string[];
              externalIPs: { allowed: { text: string }[] };
            };
            const e = v as { allowedTypes: string[]; externalIPs: { allowed: string[] } };
            assert.deepEqual(s.allowedTypes, e.allowedTypes);
            assert.deepEqual(
              s.externalIPs.allowed.map((x) => x.text),
              e.externalIPs.allowed,
            );
          } else assert.deepEqual(got[k], v, k);
        }
      }
    });
  }
});

describe("tenant model", () => {
  test("external IP entries are normalised to CIDR text (a bare address is a single-address block)", () => {
    const t = tenantFromObject({
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "Tenant",
      metadata: { name: "t" },
      spec: {
        namespaces: { prefix: "t-" },
        owners: { users: ["a"] },
        services: { externalIPs: { allowed: ["192.0.2.7", "2001:db8::1", "10.0.0.0/8"] } },
      },
    });
    assert.deepEqual(
      t.services.externalIPs.allowed.map((c) => c.text),
      ["192.0.2.7/32", "2001:db8::1/128", "10.0.0.0/8"],
    );
  });

  test("tenantFromObject throws STORE_OBJECT_INVALID listing every problem", () => {
    assert.throws(
      () =>
        tenantFromObject({
          apiVersion: "kubeiam.io/v1alpha1",
          kind: "Tenant",
          metadata: { name: "t" },
          spec: {},
        }),
      (e: unknown) =>
        isKubeiamError(e) &&
        e.code === "STORE_OBJECT_INVALID" &&
        e.message.includes("spec.namespaces: required") &&
        e.message.includes("spec.owners: required"),
    );
  });

  test("rule actions: the tenant's action unless a rule is overridden", () => {
    const t = tenantFromObject({
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "Tenant",
      metadata: { name: "t" },
      spec: {
        namespaces: { prefix: "t-" },
        owners: { users: ["a"] },
        enforcement: { action: "Warn", overrides: { "host-paths": "Deny" } },
      },
    });
    assert.equal(ruleAction(t, "host-paths"), "Deny");
    assert.equal(ruleAction(t, "capabilities"), "Warn");
  });
});
