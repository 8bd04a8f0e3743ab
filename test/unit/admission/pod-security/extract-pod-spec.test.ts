import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  extractPodSpec,
  isPodSecurityKind,
} from "../../../../src/admission/pod-security/extract-pod-spec.js";
import { evaluatePodSecurity } from "../../../../src/admission/pod-security/evaluate.js";
import { KubeiamError } from "../../../../src/lib/errors.js";

const podMeta = {
  labels: { app: "x" },
  annotations: { "container.apparmor.security.beta.kubernetes.io/a": "unconfined" },
};
const podSpec = { containers: [{ name: "a", securityContext: { privileged: true } }] };
const template = { metadata: podMeta, spec: podSpec };

/** kind, apiVersion, object body (besides apiVersion/kind/metadata), field path prefix */
const KINDS: [string, string, Record<string, unknown>, string][] = [
  ["Pod", "v1", { spec: podSpec }, ""],
  ["PodTemplate", "v1", { template }, "template."],
  ["ReplicationController", "v1", { spec: { replicas: 1, template } }, "spec.template."],
  ["ReplicaSet", "apps/v1", { spec: { template } }, "spec.template."],
  ["Deployment", "apps/v1", { spec: { replicas: 2, template } }, "spec.template."],
  ["StatefulSet", "apps/v1", { spec: { serviceName: "s", template } }, "spec.template."],
  ["DaemonSet", "apps/v1", { spec: { template } }, "spec.template."],
  ["Job", "batch/v1", { spec: { template } }, "spec.template."],
  [
    "CronJob",
    "batch/v1",
    { spec: { schedule: "* * * * *", jobTemplate: { spec: { template } } } },
    "spec.jobTemplate.spec.template.",
  ],
];

describe("extractPodSpec", () => {
  for (const [kind, apiVersion, body, prefix] of KINDS) {
    test(`${kind} (${apiVersion})`, () => {
      const meta =
        kind === "Pod" ? { name: "obj", namespace: "ns", ...podMeta } : { name: "obj", namespace: "ns" };
      const x = extractPodSpec({ apiVersion, kind, metadata: meta, ...body });
      assert.ok(x);
      assert.equal(x.kind, kind);
      assert.equal(x.name, "obj");
      assert.equal(x.namespace, "ns");
      assert.equal(x.fieldPathPrefix, prefix);
      assert.deepEqual(x.podSpec, podSpec);
      assert.deepEqual(x.podMeta.annotations, podMeta.annotations);
      assert.ok(isPodSecurityKind(apiVersion, kind));

      const r = evaluatePodSecurity({
        level: "baseline",
        version: "latest",
        podMeta: x.podMeta,
        podSpec: x.podSpec,
        fieldPathPrefix: x.fieldPathPrefix,
      });
      assert.equal(
        r.message,
        'violates PodSecurity "baseline:latest": forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a="unconfined""), privileged (container "a" must not set securityContext.privileged=true)',
      );
      assert.deepEqual(r.violations[1]?.fieldPaths, [
        `${prefix}spec.containers[0].securityContext.privileged`,
      ]);
      assert.deepEqual(r.violations[0]?.fieldPaths, [
        `${prefix}metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]`,
      ]);
    });
  }

  test("a ReplicationController without a template has nothing to evaluate", () => {
    assert.equal(
      extractPodSpec({
        apiVersion: "v1",
        kind: "ReplicationController",
        metadata: { name: "rc" },
        spec: { replicas: 0 },
      }),
      null,
    );
    assert.equal(
      extractPodSpec({ apiVersion: "v1", kind: "ReplicationController", metadata: { name: "rc" } }),
      null,
    );
  });

  test("other kinds without a template evaluate an empty pod", () => {
    const x = extractPodSpec({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } });
    assert.deepEqual(x?.podSpec, {});
    assert.deepEqual(x?.podMeta, {});
    const p = extractPodSpec({ apiVersion: "v1", kind: "Pod" });
    assert.equal(p?.name, "");
    assert.equal(p?.namespace, undefined);
  });

  const BAD: [string, unknown, RegExp][] = [
    ["not an object", "Pod", /expected a Kubernetes object/],
    ["a list", [], /found a list/],
    ["null", null, /found null/],
    ["no kind", { apiVersion: "v1" }, /no kind/],
    ["no apiVersion", { kind: "Pod" }, /Pod has no apiVersion/],
    [
      "unknown kind",
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } },
      /kind ConfigMap of v1 has no pod template.*supported kinds: Pod \(core\)/,
    ],
    ["wrong group", { apiVersion: "v1", kind: "Deployment" }, /kind Deployment of v1 has no pod template/],
    [
      "extensions group is gone",
      { apiVersion: "extensions/v1beta1", kind: "Deployment" },
      /kind Deployment of extensions\/v1beta1/,
    ],
    ["custom kind", { apiVersion: "example.com/v1", kind: "Pod" }, /kind Pod of example.com\/v1/],
    ["inherited property as kind", { apiVersion: "v1", kind: "toString" }, /kind toString/],
    ["bad metadata", { apiVersion: "v1", kind: "Pod", metadata: "x" }, /Pod: metadata: expected an object/],
    [
      "bad name",
      { apiVersion: "v1", kind: "Pod", metadata: { name: 1 } },
      /metadata.name: expected a string/,
    ],
    [
      "bad namespace",
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: 1 } },
      /metadata.namespace: expected a string/,
    ],
    [
      "bad template",
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" }, spec: { template: [] } },
      /Deployment d: spec.template: expected an object/,
    ],
    [
      "bad job template",
      { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "c" }, spec: { jobTemplate: "x" } },
      /CronJob c: spec.jobTemplate: expected an object/,
    ],
    [
      "bad template metadata",
      { apiVersion: "batch/v1", kind: "Job", metadata: { name: "j" }, spec: { template: { metadata: 1 } } },
      /Job j: spec.template.metadata: expected an object/,
    ],
  ];
  for (const [name, obj, re] of BAD) {
    test(`refused: ${name}`, () => {
      assert.throws(
        () => extractPodSpec(obj),
        (e: unknown) => e instanceof KubeiamError && e.code === "POD_OBJECT_INVALID" && re.test(e.message),
      );
    });
  }
});
