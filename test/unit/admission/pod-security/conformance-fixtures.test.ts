/**
 * Upstream Pod Security Admission fixtures, read in place from ../shared (never copied):
 * `<level>/v1.<N>/{pass,fail}/<name>.yaml`; the folder is the expected verdict. Every file is checked.
 * Set KUBEIAM_PSA_FIXTURES to point at another copy of the tree (e.g. an older release's).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { evaluatePodSecurity } from "../../../../src/admission/pod-security/evaluate.js";

const ROOT =
  process.env.KUBEIAM_PSA_FIXTURES ??
  fileURLToPath(new URL("../../../../../shared/conformance/pod-security", import.meta.url));

/** ForbiddenReason of every check, as written in the spec (§2.5 / §2.2), independent of the engine. */
const REASONS: Record<string, RegExp> = {
  appArmorProfile: /^forbidden AppArmor profiles?$/,
  capabilities_baseline: /^non-default capabilities$/,
  hostNamespaces: /^host namespaces$/,
  hostPathVolumes: /^hostPath volumes$/,
  hostPorts: /^hostPort$/,
  hostProbesAndHostLifecycle: /^probe or lifecycle host$/,
  privileged: /^privileged$/,
  procMount: /^procMount$/,
  seLinuxOptions: /^seLinuxOptions$/,
  seccompProfile_baseline: /^seccompProfile$/,
  sysctls: /^forbidden sysctls$/,
  windowsHostProcess: /^hostProcess$/,
  allowPrivilegeEscalation: /^allowPrivilegeEscalation != false$/,
  capabilities_restricted: /^unrestricted capabilities$/,
  procMount_restricted: /^procMount$/,
  restrictedVolumes: /^restricted volume types$/,
  runAsNonRoot: /^runAsNonRoot != true$/,
  runAsUser: /^runAsUser=0$/,
  seccompProfile_restricted: /^seccompProfile$/,
};

/** Substring upstream's end-to-end tests expect per check (spec §2.5 `expectErrorSubstring`). */
const SUBSTRING: Record<string, string> = {
  appArmorProfile: "forbidden AppArmor profile",
  capabilities_baseline: "capabilities",
  capabilities_restricted: "unrestricted capabilities",
  hostNamespaces: "host namespaces",
  hostPathVolumes: "hostPath",
  hostPorts: "hostPort",
  hostProbesAndHostLifecycle: "probe or lifecycle host",
  procMount: "procMount",
  procMount_restricted: "procMount",
  restrictedVolumes: "restricted volume types",
  seLinuxOptions: "seLinuxOptions",
  seccompProfile_baseline: "seccompProfile",
  seccompProfile_restricted: "seccompProfile",
  sysctls: "forbidden sysctl",
  windowsHostProcess: "hostProcess",
  privileged: "privileged",
  allowPrivilegeEscalation: "allowPrivilegeEscalation",
  runAsNonRoot: "runAsNonRoot",
  runAsUser: "runAsUser",
};

/** Restricted checks that replace a baseline check from a version on (spec §2.2). */
const OVERRIDDEN_BY: Record<string, { by: string; fromMinor: number }> = {
  hostPathVolumes: { by: "restrictedVolumes", fromMinor: 0 },
  seccompProfile_baseline: { by: "seccompProfile_restricted", fromMinor: 19 },
  capabilities_baseline: { by: "capabilities_restricted", fromMinor: 22 },
  procMount: { by: "procMount_restricted", fromMinor: 35 },
};

const CHECK_BY_LOWER = new Map(Object.keys(REASONS).map((id) => [id.toLowerCase(), id]));

/** `privileged0.yaml` → `privileged`; `base*.yaml` → undefined. */
function checkOfFixture(file: string): string | undefined {
  const stem = basename(file, ".yaml");
  if (/^base(_\w+)?$/.test(stem)) return undefined;
  const m = /^(.*?)(\d+)$/.exec(stem);
  assert.ok(m, `fixture name ${file} is not <check><index>.yaml`);
  const id = CHECK_BY_LOWER.get(m[1]!);
  assert.ok(id, `fixture ${file} names no known check`);
  return id;
}

function expectedFailingCheck(level: string, minor: number, fixtureCheck: string): string {
  const o = OVERRIDDEN_BY[fixtureCheck];
  return level === "restricted" && o && minor >= o.fromMinor ? o.by : fixtureCheck;
}

interface Fixture {
  level: "baseline" | "restricted";
  version: string;
  minor: number;
  verdict: "pass" | "fail";
  file: string;
}

function listFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const level of ["baseline", "restricted"] as const) {
    for (const version of readdirSync(join(ROOT, level))) {
      const m = /^v1\.(\d+)$/.exec(version);
      assert.ok(m, `unexpected directory ${level}/${version}`);
      for (const verdict of ["pass", "fail"] as const) {
        const dir = join(ROOT, level, version, verdict);
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir).sort()) {
          if (f.endsWith(".yaml"))
            out.push({ level, version, minor: Number(m[1]), verdict, file: join(dir, f) });
        }
      }
    }
  }
  return out;
}

function loadPod(file: string): {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: unknown;
  kind: string;
} {
  return parse(readFileSync(file, "utf8")) as { metadata: { name: string }; spec: unknown; kind: string };
}

describe("upstream Pod Security fixtures", () => {
  const fixtures = existsSync(ROOT) ? listFixtures() : [];
  const newestMinor = Math.max(...fixtures.map((f) => f.minor));

  test("the tree is complete: both levels, every version from v1.0 to the newest, pass and fail files", () => {
    assert.ok(existsSync(ROOT), `fixtures not found at ${ROOT}`);
    assert.ok(fixtures.length > 1000, `only ${fixtures.length} fixtures found under ${ROOT}`);
    for (const level of ["baseline", "restricted"]) {
      for (let n = 0; n <= newestMinor; n++) {
        for (const verdict of ["pass", "fail"]) {
          assert.ok(
            fixtures.some((f) => f.level === level && f.minor === n && f.verdict === verdict),
            `no ${level}/v1.${n}/${verdict} fixtures`,
          );
        }
      }
    }
  });

  test("every fixture gets the verdict of its folder, and fail messages have the upstream format", () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const fx of fixtures) {
      const pod = loadPod(fx.file);
      assert.equal(pod.kind, "Pod", fx.file);
      assert.equal(
        pod.metadata.name,
        basename(fx.file, ".yaml"),
        `${fx.file}: metadata.name is the file stem`,
      );
      const r = evaluatePodSecurity({
        level: fx.level,
        version: fx.version,
        podMeta: pod.metadata,
        podSpec: pod.spec,
      });
      checked++;
      const where = `${fx.level}/${fx.version}/${fx.verdict}/${basename(fx.file)}`;
      if (r.allowed !== (fx.verdict === "pass")) {
        mismatches.push(
          `${where}: expected ${fx.verdict}, got ${r.allowed ? "allowed" : (r.message ?? "denied")}`,
        );
        continue;
      }
      if (fx.verdict === "pass") {
        assert.equal(r.violations.length, 0, where);
        assert.equal(r.message, undefined, where);
        continue;
      }
      // message: violates PodSecurity "<level>:v1.N": reason (detail), reason (detail), ...
      const prefix = `violates PodSecurity "${fx.level}:${fx.version}": `;
      assert.ok(r.message?.startsWith(prefix), `${where}: ${r.message}`);
      const body = r.violations
        .map((v) => (v.detail === "" ? v.reason : `${v.reason} (${v.detail})`))
        .join(", ");
      assert.equal(r.message, prefix + body, where);
      for (const v of r.violations) {
        const re = REASONS[v.check];
        assert.ok(re, `${where}: unknown check ${v.check}`);
        assert.match(v.reason, re, `${where}: reason of ${v.check}`);
        assert.notEqual(v.detail, "", `${where}: ${v.check} has a detail`);
        assert.ok(!v.detail.includes("\n"), where);
      }
      const fixtureCheck = checkOfFixture(fx.file);
      assert.ok(fixtureCheck, `${where}: a fail fixture names its check`);
      const expected = expectedFailingCheck(fx.level, fx.minor, fixtureCheck);
      assert.ok(
        r.violations.some((v) => v.check === expected),
        `${where}: expected ${expected} among ${r.violations.map((v) => v.check).join(", ")}`,
      );
      assert.ok(
        r.message.includes(SUBSTRING[expected]!),
        `${where}: upstream e2e substring "${SUBSTRING[expected]!}"`,
      );
    }
    assert.deepEqual(mismatches, [], `${mismatches.length} of ${checked} fixtures disagree`);
    assert.equal(checked, fixtures.length);
  });

  test("violations come in registry order: baseline IDs sorted, then restricted IDs sorted", () => {
    const baselineIds = Object.keys(REASONS).slice(0, 12);
    const order = (id: string): string => (baselineIds.includes(id) ? "0" : "1") + id;
    for (const fx of fixtures.filter((f) => f.verdict === "fail")) {
      const pod = loadPod(fx.file);
      const r = evaluatePodSecurity({
        level: fx.level,
        version: fx.version,
        podMeta: pod.metadata,
        podSpec: pod.spec,
      });
      const keys = r.violations.map((v) => order(v.check));
      assert.deepEqual(keys, [...keys].sort(), fx.file);
    }
  });

  test("latest and versions newer than the newest known give the newest directory's verdicts", () => {
    for (const fx of fixtures.filter((f) => f.minor === newestMinor)) {
      const pod = loadPod(fx.file);
      for (const version of ["latest", `v1.${newestMinor + 1}`, "v1.999"]) {
        const r = evaluatePodSecurity({ level: fx.level, version, podMeta: pod.metadata, podSpec: pod.spec });
        assert.equal(r.allowed, fx.verdict === "pass", `${fx.file} at ${version}`);
        if (!r.allowed)
          assert.ok(r.message?.startsWith(`violates PodSecurity "${fx.level}:${version}": `), r.message);
      }
    }
  });

  test("every fixture is allowed at the privileged level", () => {
    for (const fx of fixtures.filter((f) => f.verdict === "fail" && f.minor === newestMinor)) {
      const pod = loadPod(fx.file);
      const r = evaluatePodSecurity({
        level: "privileged",
        version: fx.version,
        podMeta: pod.metadata,
        podSpec: pod.spec,
      });
      assert.equal(r.allowed, true, fx.file);
      assert.deepEqual(r.violations, []);
    }
  });
});
