import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { evaluatePodSecurity } from "../../../../src/admission/pod-security/evaluate.js";
import {
  effectiveMinor,
  formatVersion,
  NEWEST_POLICY_MINOR,
  parseLevel,
  parseVersion,
  tryParseVersion,
} from "../../../../src/admission/pod-security/level-version.js";
import { checksFor } from "../../../../src/admission/pod-security/registry.js";
import { KubeiamError } from "../../../../src/lib/errors.js";

const VALID: [string, string][] = [
  ["latest", "latest"],
  ["v1.0", "v1.0"],
  ["v1.9", "v1.9"],
  ["v1.10", "v1.10"],
  ["v1.37", "v1.37"],
  ["v1.999", "v1.999"],
  ["v1.9223372036854775807", "v1.9223372036854775807"],
];
const INVALID = [
  "",
  "Latest",
  "LATEST",
  "v1",
  "v1.",
  "1.25",
  "v1.025",
  "v1.00",
  "v2.0",
  "v0.25",
  "v1.25.0",
  " v1.25",
  "v1.25 ",
  "v1.-1",
  "v1.2a",
  "v1.9223372036854775808",
  "v1.99999999999999999999",
];

const isPolicyError = (value: string) => (e: unknown) =>
  e instanceof KubeiamError && e.code === "PSA_POLICY_INVALID" && e.message.includes(JSON.stringify(value));

describe("policy versions", () => {
  for (const [text, printed] of VALID) {
    test(`"${text}" is valid and prints as ${printed}`, () => {
      const v = tryParseVersion(text);
      assert.ok(v);
      assert.equal(formatVersion(v), printed);
      assert.deepEqual(parseVersion(text), v);
    });
  }
  for (const text of INVALID) {
    test(`"${text}" is rejected`, () => {
      assert.equal(tryParseVersion(text), undefined);
      assert.throws(() => parseVersion(text), isPolicyError(text));
      assert.throws(
        () => evaluatePodSecurity({ level: "baseline", version: text, podSpec: {} }),
        isPolicyError(text),
      );
    });
  }
  test("non-string versions are rejected", () => {
    for (const v of [undefined, null, 25, 1.25, {}, []]) {
      assert.throws(
        () => parseVersion(v),
        (e: unknown) => e instanceof KubeiamError && e.code === "PSA_POLICY_INVALID",
      );
    }
  });

  test("latest and versions newer than the newest known use the newest checks", () => {
    assert.equal(effectiveMinor(parseVersion("latest")), NEWEST_POLICY_MINOR);
    assert.equal(effectiveMinor(parseVersion(`v1.${NEWEST_POLICY_MINOR + 1}`)), NEWEST_POLICY_MINOR);
    assert.equal(effectiveMinor(parseVersion("v1.12")), 12);
    assert.equal(effectiveMinor(parseVersion("latest"), 29), 29);
    assert.equal(effectiveMinor(parseVersion("v1.30"), 29), 29);
  });
});

describe("policy levels", () => {
  for (const level of ["privileged", "baseline", "restricted"]) {
    test(`${level} is a level`, () => assert.equal(parseLevel(level), level));
  }
  for (const level of ["", "Restricted", "default", "strict", " baseline", undefined, 1]) {
    test(`${JSON.stringify(level)} is not a level`, () => {
      assert.throws(
        () => parseLevel(level),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "PSA_POLICY_INVALID" &&
          e.message.includes("privileged, baseline, restricted"),
      );
      assert.throws(
        () => evaluatePodSecurity({ level: level as "baseline", version: "latest", podSpec: {} }),
        (e: unknown) => e instanceof KubeiamError && e.code === "PSA_POLICY_INVALID",
      );
    });
  }
});

/** The checks in effect per level and version, as listed in the spec's catalogue (§2.2). */
const CHECKS_AT: { level: "baseline" | "restricted"; minor: number; ids: string[] }[] = [
  {
    level: "baseline",
    minor: 0,
    ids: [
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPathVolumes",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
    ],
  },
  {
    level: "baseline",
    minor: 34,
    ids: [
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPathVolumes",
      "hostPorts",
      "hostProbesAndHostLifecycle",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
    ],
  },
  {
    level: "restricted",
    minor: 0,
    ids: [
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
      "restrictedVolumes",
      "runAsNonRoot",
    ],
  },
  {
    level: "restricted",
    minor: 8,
    ids: [
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "restrictedVolumes",
      "runAsNonRoot",
    ],
  },
  {
    level: "restricted",
    minor: 19,
    ids: [
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "restrictedVolumes",
      "runAsNonRoot",
      "seccompProfile_restricted",
    ],
  },
  {
    level: "restricted",
    minor: 22,
    ids: [
      "appArmorProfile",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "restrictedVolumes",
      "runAsNonRoot",
      "seccompProfile_restricted",
    ],
  },
  {
    level: "restricted",
    minor: 23,
    ids: [
      "appArmorProfile",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "restrictedVolumes",
      "runAsNonRoot",
      "runAsUser",
      "seccompProfile_restricted",
    ],
  },
  {
    level: "restricted",
    minor: 34,
    ids: [
      "appArmorProfile",
      "hostNamespaces",
      "hostPorts",
      "hostProbesAndHostLifecycle",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "restrictedVolumes",
      "runAsNonRoot",
      "runAsUser",
      "seccompProfile_restricted",
    ],
  },
  {
    level: "restricted",
    minor: 37,
    ids: [
      "appArmorProfile",
      "hostNamespaces",
      "hostPorts",
      "hostProbesAndHostLifecycle",
      "privileged",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "procMount_restricted",
      "restrictedVolumes",
      "runAsNonRoot",
      "runAsUser",
      "seccompProfile_restricted",
    ],
  },
];

describe("checks in effect per level and version", () => {
  for (const c of CHECKS_AT) {
    test(`${c.level} v1.${c.minor}`, () => {
      assert.deepEqual(
        checksFor(c.level, c.minor).map((x) => x.id),
        c.ids,
      );
    });
  }
  test("privileged runs no checks; minors outside the known range are refused", () => {
    assert.deepEqual(checksFor("privileged", 10), []);
    assert.throws(() => checksFor("baseline", NEWEST_POLICY_MINOR + 1), RangeError);
    assert.throws(() => checksFor("baseline", -1), RangeError);
    assert.throws(() => checksFor("baseline", 1.5), RangeError);
  });
});

describe("the newest known version can be set lower (an older evaluator)", () => {
  const pod = { containers: [{ name: "a", livenessProbe: { httpGet: { host: "8.8.8.8", port: 80 } } }] };
  test("latest clamps to it and keeps printing latest", () => {
    assert.equal(
      evaluatePodSecurity({ level: "baseline", version: "latest", podSpec: pod, newestMinor: 33 }).allowed,
      true,
    );
    const r = evaluatePodSecurity({ level: "baseline", version: "latest", podSpec: pod });
    assert.equal(r.allowed, false);
    assert.match(r.message ?? "", /^violates PodSecurity "baseline:latest": probe or lifecycle host/);
    assert.equal(r.checksVersion, `v1.${NEWEST_POLICY_MINOR}`);
  });
  test("a bad newestMinor is refused", () => {
    for (const n of [-1, NEWEST_POLICY_MINOR + 1, 1.5, Number.NaN]) {
      assert.throws(
        () => evaluatePodSecurity({ level: "baseline", version: "latest", podSpec: pod, newestMinor: n }),
        (e: unknown) => e instanceof KubeiamError && e.code === "PSA_POLICY_INVALID",
      );
    }
  });
});
