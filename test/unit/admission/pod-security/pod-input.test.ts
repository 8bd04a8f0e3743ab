/** Shape checking of the pod given to the engine: wrong types are refused naming the field; null is "unset". */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evaluatePodSecurity } from "../../../../src/admission/pod-security/evaluate.js";
import { KubeiamError } from "../../../../src/lib/errors.js";

const compliantContainer = {
  name: "a",
  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
};
const compliantPod = {
  securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  containers: [compliantContainer],
};

/** [field named in the error, podMeta, podSpec] */
const BAD: [string, unknown, unknown][] = [
  ["spec", {}, "a string"],
  ["spec", {}, []],
  ["metadata", "x", {}],
  ["metadata.annotations", { annotations: ["a"] }, {}],
  ["metadata.annotations[a]", { annotations: { a: 1 } }, {}],
  ["spec.hostNetwork", {}, { hostNetwork: "true" }],
  ["spec.hostPID", {}, { hostPID: 1 }],
  ["spec.hostIPC", {}, { hostIPC: "yes" }],
  ["spec.hostUsers", {}, { hostUsers: "false" }],
  ["spec.os", {}, { os: "windows" }],
  ["spec.os.name", {}, { os: { name: 1 } }],
  ["spec.containers", {}, { containers: { name: "a" } }],
  ["spec.containers[0]", {}, { containers: ["a"] }],
  ["spec.containers[0].name", {}, { containers: [{ name: 7 }] }],
  ["spec.initContainers[0].securityContext", {}, { initContainers: [{ name: "a", securityContext: true }] }],
  [
    "spec.containers[0].securityContext.privileged",
    {},
    { containers: [{ name: "a", securityContext: { privileged: "true" } }] },
  ],
  [
    "spec.containers[0].securityContext.allowPrivilegeEscalation",
    {},
    { containers: [{ name: "a", securityContext: { allowPrivilegeEscalation: 0 } }] },
  ],
  [
    "spec.containers[0].securityContext.runAsNonRoot",
    {},
    { containers: [{ name: "a", securityContext: { runAsNonRoot: "true" } }] },
  ],
  [
    "spec.containers[0].securityContext.runAsUser",
    {},
    { containers: [{ name: "a", securityContext: { runAsUser: "0" } }] },
  ],
  [
    "spec.containers[0].securityContext.runAsUser",
    {},
    { containers: [{ name: "a", securityContext: { runAsUser: 0.5 } }] },
  ],
  [
    "spec.containers[0].securityContext.procMount",
    {},
    { containers: [{ name: "a", securityContext: { procMount: true } }] },
  ],
  [
    "spec.containers[0].securityContext.capabilities",
    {},
    { containers: [{ name: "a", securityContext: { capabilities: ["ALL"] } }] },
  ],
  [
    "spec.containers[0].securityContext.capabilities.drop",
    {},
    { containers: [{ name: "a", securityContext: { capabilities: { drop: "ALL" } } }] },
  ],
  [
    "spec.containers[0].securityContext.capabilities.add[1]",
    {},
    { containers: [{ name: "a", securityContext: { capabilities: { add: ["CHOWN", 5] } } }] },
  ],
  [
    "spec.containers[0].securityContext.seLinuxOptions.type",
    {},
    { containers: [{ name: "a", securityContext: { seLinuxOptions: { type: 1 } } }] },
  ],
  [
    "spec.containers[0].securityContext.seccompProfile",
    {},
    { containers: [{ name: "a", securityContext: { seccompProfile: "RuntimeDefault" } }] },
  ],
  [
    "spec.containers[0].securityContext.appArmorProfile.type",
    {},
    { containers: [{ name: "a", securityContext: { appArmorProfile: { type: false } } }] },
  ],
  [
    "spec.containers[0].securityContext.windowsOptions.hostProcess",
    {},
    { containers: [{ name: "a", securityContext: { windowsOptions: { hostProcess: "true" } } }] },
  ],
  ["spec.containers[0].ports", {}, { containers: [{ name: "a", ports: { hostPort: 80 } }] }],
  ["spec.containers[0].ports[0].hostPort", {}, { containers: [{ name: "a", ports: [{ hostPort: "80" }] }] }],
  [
    "spec.containers[0].ports[0].hostPort",
    {},
    { containers: [{ name: "a", ports: [{ hostPort: 2 ** 31 }] }] },
  ],
  [
    "spec.containers[0].livenessProbe.httpGet.host",
    {},
    { containers: [{ name: "a", livenessProbe: { httpGet: { host: 1 } } }] },
  ],
  [
    "spec.containers[0].lifecycle.preStop.tcpSocket",
    {},
    { containers: [{ name: "a", lifecycle: { preStop: { tcpSocket: "x" } } }] },
  ],
  [
    "spec.ephemeralContainers[0].securityContext.privileged",
    {},
    { ephemeralContainers: [{ name: "e", securityContext: { privileged: 1 } }] },
  ],
  ["spec.securityContext", {}, { securityContext: "x" }],
  ["spec.securityContext.runAsNonRoot", {}, { securityContext: { runAsNonRoot: "true" } }],
  ["spec.securityContext.sysctls", {}, { securityContext: { sysctls: { name: "a" } } }],
  ["spec.securityContext.sysctls[0].name", {}, { securityContext: { sysctls: [{ name: 1 }] } }],
  ["spec.securityContext.seLinuxOptions.user", {}, { securityContext: { seLinuxOptions: { user: [] } } }],
  ["spec.volumes", {}, { volumes: "x" }],
  ["spec.volumes[0].name", {}, { volumes: [{ name: 1 }] }],
  ["spec.volumes[0].hostPath", {}, { volumes: [{ name: "v", hostPath: "/etc" }] }],
];

describe("malformed pods are refused with the field named", () => {
  for (const [field, podMeta, podSpec] of BAD) {
    test(`${field} ← ${JSON.stringify(podSpec)}`, () => {
      for (const level of ["privileged", "baseline", "restricted"] as const) {
        assert.throws(
          () => evaluatePodSecurity({ level, version: "latest", podMeta: podMeta as never, podSpec }),
          (e: unknown) =>
            e instanceof KubeiamError &&
            e.code === "POD_OBJECT_INVALID" &&
            e.message.startsWith(`${field}: `) &&
            e.context.field === field,
        );
      }
    });
  }

  test("the field path prefix appears in errors", () => {
    assert.throws(
      () =>
        evaluatePodSecurity({
          level: "baseline",
          version: "latest",
          podSpec: { hostPID: "x" },
          fieldPathPrefix: "spec.template.",
        }),
      (e: unknown) =>
        e instanceof KubeiamError &&
        e.message.startsWith("spec.template.spec.hostPID: expected a boolean, found string"),
    );
  });
});

describe("Go decoding semantics", () => {
  test("null means unset everywhere", () => {
    const pod = {
      hostNetwork: null,
      hostUsers: null,
      os: null,
      volumes: null,
      initContainers: null,
      ephemeralContainers: null,
      securityContext: {
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        seLinuxOptions: null,
        sysctls: null,
        runAsUser: null,
      },
      containers: [
        {
          name: "a",
          ports: null,
          lifecycle: null,
          livenessProbe: null,
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: null,
            procMount: null,
            capabilities: { drop: ["ALL"], add: null },
          },
        },
      ],
    };
    assert.equal(
      evaluatePodSecurity({
        level: "restricted",
        version: "latest",
        podMeta: { annotations: null },
        podSpec: pod,
      }).allowed,
      true,
    );
  });

  test("null inside arrays is the zero value (a nameless, empty container; an empty capability)", () => {
    const r = evaluatePodSecurity({
      level: "baseline",
      version: "latest",
      podSpec: { containers: [null, { name: "b", securityContext: { capabilities: { add: [null] } } }] },
    });
    assert.equal(
      r.message,
      'violates PodSecurity "baseline:latest": non-default capabilities (container "b" must not include "" in securityContext.capabilities.add)',
    );
    const s = evaluatePodSecurity({
      level: "restricted",
      version: "latest",
      podSpec: { ...compliantPod, containers: [null] },
    });
    assert.match(s.message ?? "", /allowPrivilegeEscalation != false \(container "" must set/);
  });

  test("a null annotation value reads as empty", () => {
    const r = evaluatePodSecurity({
      level: "baseline",
      version: "latest",
      podMeta: { annotations: { "container.apparmor.security.beta.kubernetes.io/a": null } },
      podSpec: { containers: [{ name: "a" }] },
    });
    assert.equal(r.allowed, true);
  });

  test("unknown fields are ignored", () => {
    const pod = {
      ...compliantPod,
      somethingNew: { privileged: true },
      containers: [
        {
          ...compliantContainer,
          extra: 1,
          securityContext: { ...compliantContainer.securityContext, futureField: "x" },
        },
      ],
    };
    assert.equal(evaluatePodSecurity({ level: "restricted", version: "latest", podSpec: pod }).allowed, true);
  });

  test("a missing container name reads as empty", () => {
    const r = evaluatePodSecurity({
      level: "baseline",
      version: "latest",
      podSpec: { containers: [{ securityContext: { privileged: true } }] },
    });
    assert.equal(
      r.message,
      'violates PodSecurity "baseline:latest": privileged (container "" must not set securityContext.privileged=true)',
    );
  });

  test("an absent spec or metadata is an empty one", () => {
    assert.equal(
      evaluatePodSecurity({ level: "restricted", version: "latest", podSpec: undefined }).allowed,
      true,
    );
    assert.equal(
      evaluatePodSecurity({ level: "restricted", version: "latest", podMeta: null, podSpec: null }).allowed,
      true,
    );
  });

  test("the engine does not modify its input", () => {
    const pod = structuredClone({ ...compliantPod, volumes: [{ name: "v" }] });
    const copy = structuredClone(pod);
    evaluatePodSecurity({ level: "restricted", version: "latest", podSpec: pod });
    assert.deepEqual(pod, copy);
  });
});

describe("reasons", () => {
  test("one policy reason, then one per check run, in message order", () => {
    const r = evaluatePodSecurity({
      level: "restricted",
      version: "v1.40",
      podSpec: { ...compliantPod, hostPID: true },
    });
    assert.equal(r.reasons[0]?.check, "psa.policy");
    assert.match(r.reasons[0]?.message ?? "", /restricted:v1\.40 with the checks of v1\.37/);
    assert.equal(r.checksVersion, "v1.37");
    assert.equal(r.levelVersion, "restricted:v1.40");
    assert.equal(r.reasons.length, 1 + 15);
    const bad = r.reasons.filter((x) => !x.ok);
    assert.deepEqual(
      bad.map((x) => x.check),
      ["psa.hostNamespaces"],
    );
    assert.equal(bad[0]?.message, "host namespaces (hostPID=true)");
    assert.equal(bad[0]?.source, "spec.hostPID");
    assert.deepEqual(bad[0]?.actual, ["hostPID=true"]);
    assert.equal(typeof bad[0]?.expected, "string");
    for (const ok of r.reasons.filter((x) => x.ok && x.check !== "psa.policy")) {
      assert.match(ok.source ?? "", /^pod-security\.kubernetes\.io\/(baseline|restricted):v1\.\d+$/);
      assert.equal(typeof ok.expected, "string");
    }
  });

  test("privileged has a single reason", () => {
    const r = evaluatePodSecurity({ level: "privileged", version: "latest", podSpec: { hostPID: true } });
    assert.deepEqual(
      r.reasons.map((x) => x.check),
      ["psa.policy"],
    );
    assert.equal(r.allowed, true);
  });
});
