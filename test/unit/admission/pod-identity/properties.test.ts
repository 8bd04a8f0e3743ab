/**
 * Properties of the mutation over generated pods: only "add" operations in upstream's order, the
 * input untouched, container order and count kept, existing env never changed, every non-skipped
 * container ends up with the identity (its own or ours), and a second pass adds nothing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { mutatePodForIdentity } from "../../../../src/admission/pod-identity/mutate-pod.js";
import { podIdentityConfig } from "../../../../src/admission/pod-identity/config.js";
import type { KubeObject } from "../../../../src/store/types.js";
import { applyJsonPatch } from "./helpers.js";

/** Objects with Object.prototype, like parsed JSON (the patch applier copies with structuredClone). */
const plain = { noNullPrototype: true } as const;
const VARS = [
  "AWS_ROLE_ARN",
  "AWS_WEB_IDENTITY_TOKEN_FILE",
  "AWS_REGION",
  "AWS_DEFAULT_REGION",
  "AWS_STS_REGIONAL_ENDPOINTS",
  "HOME",
  "PATH",
];
const name = fc.constantFrom("app", "sidecar", "init", "proxy", "a,b", " x");
const env = fc.array(
  fc.record({ name: fc.constantFrom(...VARS), value: fc.string({ maxLength: 5 }) }, plain),
  { maxLength: 4 },
);
const mounts = fc.array(
  fc.record(
    { name: fc.constantFrom("aws-iam-token", "data"), mountPath: fc.constantFrom("/data", "/custom") },
    plain,
  ),
  { maxLength: 2 },
);
const container = fc.record(
  {
    name,
    image: fc.constant("img"),
    env: fc.option(env, { nil: undefined }),
    volumeMounts: fc.option(mounts, { nil: undefined }),
  },
  { requiredKeys: ["name"], noNullPrototype: true },
);
const podArb = fc.record(
  {
    annotations: fc.dictionary(
      fc.constantFrom("eks.amazonaws.com/token-expiration", "eks.amazonaws.com/skip-containers", "other"),
      fc.oneof(
        fc.constantFrom("700", "10", "abc", "app", "app,sidecar", '"a,b"', 'x"y'),
        fc.string({ maxLength: 6 }),
      ),
      plain,
    ),
    nodeSelector: fc.option(
      fc.constantFrom({ "kubernetes.io/os": "windows" }, { "kubernetes.io/os": "linux" }),
      { nil: undefined },
    ),
    volumes: fc.option(
      fc.array(fc.record({ name: fc.constantFrom("aws-iam-token", "data", "cfg") }, plain), { maxLength: 2 }),
      { nil: undefined },
    ),
    initContainers: fc.option(fc.array(container, { maxLength: 2 }), { nil: undefined }),
    containers: fc.array(container, { maxLength: 3 }),
  },
  plain,
);
const configArb = fc.record(
  { region: fc.constantFrom("", "us-west-2"), stsRegionalEndpoints: fc.boolean() },
  plain,
);
const saArb = fc.dictionary(
  fc.constantFrom(
    "eks.amazonaws.com/audience",
    "eks.amazonaws.com/sts-regional-endpoints",
    "eks.amazonaws.com/token-expiration",
  ),
  fc.constantFrom("", "true", "false", "yes", "3600", "1", "aud"),
  plain,
);

interface Container {
  name: string;
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string }[];
}

test("generated pods: structure of the patch, input untouched, second pass adds nothing", () => {
  fc.assert(
    fc.property(podArb, configArb, saArb, (p, cfg, saAnnotations) => {
      const pod = {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", annotations: p.annotations },
        spec: {
          serviceAccountName: "app",
          containers: p.containers,
          ...(p.nodeSelector ? { nodeSelector: p.nodeSelector } : {}),
          ...(p.volumes ? { volumes: p.volumes } : {}),
          ...(p.initContainers ? { initContainers: p.initContainers } : {}),
        },
      };
      const sa: KubeObject = {
        apiVersion: "v1",
        kind: "ServiceAccount",
        metadata: {
          name: "app",
          namespace: "ns",
          annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/r", ...saAnnotations },
        },
      };
      const config = podIdentityConfig(cfg);
      const before = structuredClone(pod);
      const r = mutatePodForIdentity({ pod, namespace: "ns", serviceAccount: sa, config });
      assert.deepEqual(pod, before);
      for (const op of r.patch) assert.equal(op.op, "add");
      const paths = r.patch.map((o) => o.path);
      if (paths.length > 0) {
        const i = paths.indexOf("/spec/containers");
        assert.ok(i === 0 || (i === 1 && /^\/spec\/volumes(\/0)?$/.test(paths[0]!)), paths.join(" "));
        assert.ok(
          paths.length === i + 1 || (paths.length === i + 2 && paths[i + 1] === "/spec/initContainers"),
        );
      }
      const after = applyJsonPatch(pod, r.patch) as {
        spec: { containers: Container[]; initContainers?: Container[]; volumes?: { name: string }[] };
      };
      assert.deepEqual(
        after.spec.containers.map((c) => c.name),
        p.containers.map((c) => c.name),
      );
      if (r.patch.length > 0) assert.ok((after.spec.volumes ?? []).some((v) => v.name === "aws-iam-token"));
      const originals = [...(p.initContainers ?? []), ...p.containers];
      const mutated = [...(after.spec.initContainers ?? []), ...after.spec.containers];
      originals.forEach((orig, i) => {
        const now = mutated[i]!;
        // existing variables are kept, in place, unchanged
        assert.deepEqual(now.env?.slice(0, orig.env?.length ?? 0) ?? [], orig.env ?? []);
        const added = (now.env ?? []).slice(orig.env?.length ?? 0).map((e) => e.name);
        assert.equal(new Set(added).size, added.length, "no variable added twice");
        for (const n of added)
          assert.ok(!(orig.env ?? []).some((e) => e.name === n), `${n} was already there`);
      });
      const again = mutatePodForIdentity({ pod: after, namespace: "ns", serviceAccount: sa, config });
      assert.deepEqual(again.patch, []);
    }),
    { numRuns: 400 },
  );
});
