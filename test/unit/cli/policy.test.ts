/** `kubeiam policy check`, run in-process on a commander program with captured output. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerPolicyCommands, MAX_INPUT_BYTES } from "../../../src/cli/policy.js";
import { CliExit, type CliIO } from "../../../src/cli/io.js";
import { isKubeiamError } from "../../../src/lib/errors.js";
import { tempDir, writeFiles } from "../../helpers/tmp.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Builds a program like the real CLI (root --version, exit override) and runs `args`. */
async function run(args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
    err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
  };
  const program = new Command("kubeiam").version("0.1.0").exitOverride().enablePositionalOptions(); // as buildProgram does
  const quiet = { writeOut: (s: string) => io.out(s), writeErr: (s: string) => io.err(s) };
  program.configureOutput(quiet);
  registerPolicyCommands(program, io);
  const inherit = (c: Command): void => {
    for (const sub of c.commands) {
      sub.exitOverride().configureOutput(quiet);
      inherit(sub);
    }
  };
  inherit(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CliExit) return { code: e.exitCode, stdout, stderr };
    if (e instanceof CommanderError)
      return {
        code: e.code === "commander.version" || e.code === "commander.helpDisplayed" ? 0 : 2,
        stdout,
        stderr,
      };
    if (isKubeiamError(e)) {
      stderr += `error: ${e.message}\n`;
      return { code: e.exitCode, stdout, stderr };
    }
    throw e;
  }
}

const RSC = "{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}";
const RPSC = "{runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}";

const GOOD_POD = `apiVersion: v1
kind: Pod
metadata: {name: good, namespace: apps}
spec:
  securityContext: ${RPSC}
  containers: [{name: app, image: nginx, securityContext: ${RSC}}]
`;
const BAD_POD = `apiVersion: v1
kind: Pod
metadata: {name: bad}
spec:
  containers: [{name: app, image: nginx}]
`;
const WORKLOADS = `# several kinds in one file
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      securityContext: ${RPSC}
      containers: [{name: app, image: nginx, securityContext: ${RSC}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          securityContext: ${RPSC}
          containers: [{name: job, image: busybox, securityContext: ${RSC}}]
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: agent}
  spec:
    template:
      spec:
        securityContext: ${RPSC}
        containers: [{name: a, image: x, securityContext: ${RSC}}]
- apiVersion: v1
  kind: ReplicationController
  metadata: {name: legacy}
  spec: {replicas: 0}
---
`;

const BAD_POD_RESTRICTED =
  'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe("kubeiam policy check", () => {
  test("an allowed pod: exit 0, prints allowed", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "good.yaml": GOOD_POD });
    const r = await run(["policy", "check", "-f", join(dir, "good.yaml")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${join(dir, "good.yaml")}: Pod/good: allowed\n`);
    assert.equal(r.stderr, "");
  });

  test("a violating pod: exit 1, prints the exact message (default restricted:latest)", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "bad.yaml": BAD_POD, "good.yaml": GOOD_POD });
    const r = await run(["policy", "check", "-f", join(dir, "good.yaml"), join(dir, "bad.yaml")]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      `${join(dir, "good.yaml")}: Pod/good: allowed\n${join(dir, "bad.yaml")}: Pod/bad: ${BAD_POD_RESTRICTED}\n`,
    );
  });

  test("--level and --version (also with the root program's own --version flag)", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "bad.yaml": BAD_POD });
    const baseline = await run(["policy", "check", "--level", "baseline", "-f", join(dir, "bad.yaml")]);
    assert.equal(baseline.code, 0);
    assert.match(baseline.stdout, /Pod\/bad: allowed$/m);
    const old = await run(["policy", "check", "-f", join(dir, "bad.yaml"), "--version", "v1.7"]);
    assert.equal(old.code, 1);
    assert.match(
      old.stdout,
      /Pod\/bad: violates PodSecurity "restricted:v1\.7": runAsNonRoot != true \(pod or container "app" must set securityContext\.runAsNonRoot=true\)$/m,
    );
    const version = await run(["--version"]);
    assert.equal(version.stdout, "0.1.0\n");
  });

  test("multi-document files, workload kinds and Lists; -f may repeat", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "w.yaml": WORKLOADS, "good.yaml": GOOD_POD });
    const w = join(dir, "w.yaml");
    const r = await run(["policy", "check", "-f", w, "-f", join(dir, "good.yaml")]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stdout,
      [
        `${w}: Deployment/web: allowed`,
        `${w}: CronJob/nightly: violates PodSecurity "restricted:latest": host namespaces (hostNetwork=true)`,
        `${w}: DaemonSet/agent: allowed`,
        `${w}: ReplicationController/legacy: allowed (no pod template to evaluate)`,
        `${join(dir, "good.yaml")}: Pod/good: allowed`,
        "",
      ].join("\n"),
    );
  });

  test("-o json", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, { "w.yaml": WORKLOADS, "good.yaml": GOOD_POD });
    const r = await run([
      "policy",
      "check",
      "-f",
      join(dir, "w.yaml"),
      join(dir, "good.yaml"),
      "-o",
      "json",
      "--version",
      "v1.30",
    ]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout);
    assert.equal(report.level, "restricted");
    assert.equal(report.version, "v1.30");
    assert.equal(report.allowed, false);
    assert.deepEqual(
      report.objects.map(
        (o: { kind: string; name: string; allowed: boolean; document: number; item?: number }) => [
          o.kind,
          o.name,
          o.allowed,
          o.document,
          o.item,
        ],
      ),
      [
        ["Deployment", "web", true, 0, undefined],
        ["CronJob", "nightly", false, 1, undefined],
        ["DaemonSet", "agent", true, 2, 0],
        ["ReplicationController", "legacy", true, 2, 1],
        ["Pod", "good", true, 0, undefined],
      ],
    );
    const cron = report.objects[1];
    assert.equal(cron.message, 'violates PodSecurity "restricted:v1.30": host namespaces (hostNetwork=true)');
    assert.deepEqual(cron.violations, [
      {
        check: "hostNamespaces",
        reason: "host namespaces",
        detail: "hostNetwork=true",
        fieldPaths: ["spec.jobTemplate.spec.template.spec.hostNetwork"],
      },
    ]);
    assert.equal(report.objects[4].namespace, "apps");
  });

  test("a directory of upstream fixtures gives the folder's verdict", async () => {
    const root = fileURLToPath(
      new URL("../../../../shared/conformance/pod-security/restricted/v1.37", import.meta.url),
    );
    const fail = await run(["policy", "check", "-f", join(root, "fail"), "--version", "v1.37"]);
    assert.equal(fail.code, 1);
    const lines = fail.stdout.trim().split("\n");
    assert.ok(lines.length > 10);
    for (const l of lines) assert.match(l, /: Pod\/\S+: violates PodSecurity "restricted:v1\.37": /);
    const pass = await run(["policy", "check", "-f", join(root, "pass"), "--version", "v1.37"]);
    assert.equal(pass.code, 0, pass.stdout);
    for (const l of pass.stdout.trim().split("\n")) assert.match(l, /: Pod\/\S+: allowed$/);
  });

  describe("bad usage and bad input: exit 2 with the file named", () => {
    const CASES: [string, Record<string, string>, (dir: string) => string[], RegExp][] = [
      [
        "unknown level",
        { "p.yaml": GOOD_POD },
        (d) => ["-f", join(d, "p.yaml"), "--level", "strict"],
        /--level: expected privileged, baseline or restricted, found "strict"/,
      ],
      [
        "bad version",
        { "p.yaml": GOOD_POD },
        (d) => ["-f", join(d, "p.yaml"), "--version", "1.30"],
        /--version: expected latest or v1\.N .*found "1\.30"/,
      ],
      [
        "unknown output format",
        { "p.yaml": GOOD_POD },
        (d) => ["-f", join(d, "p.yaml"), "-o", "yaml"],
        /unknown output format "yaml"/,
      ],
      [
        "missing file",
        {},
        (d) => ["-f", join(d, "nope.yaml")],
        /nope\.yaml: cannot read: no such file or directory/,
      ],
      [
        "malformed YAML",
        { "m.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: [\n" },
        (d) => ["-f", join(d, "m.yaml")],
        /m\.yaml:\d+:\d+: not valid YAML/,
      ],
      [
        "duplicate keys",
        { "d.yaml": "apiVersion: v1\nkind: Pod\nkind: Pod\n" },
        (d) => ["-f", join(d, "d.yaml")],
        /d\.yaml:\d+:\d+: not valid YAML/,
      ],
      [
        "unknown kind",
        { "k.yaml": GOOD_POD + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n" },
        (d) => ["-f", join(d, "k.yaml")],
        /k\.yaml \(document 2\): kind ConfigMap of v1 has no pod template/,
      ],
      [
        "a scalar document",
        { "s.yaml": "just text\n" },
        (d) => ["-f", join(d, "s.yaml")],
        /s\.yaml \(document 1\): expected a Kubernetes object/,
      ],
      [
        "a malformed pod field",
        {
          "f.yaml":
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  template:\n    spec:\n      containers: [{name: a, securityContext: {privileged: 'yes'}}]\n",
        },
        (d) => ["-f", join(d, "f.yaml")],
        /f\.yaml \(document 1\): spec\.template\.spec\.containers\[0\]\.securityContext\.privileged: expected a boolean, found string/,
      ],
      [
        "an empty file",
        { "e.yaml": "" },
        (d) => ["-f", join(d, "e.yaml")],
        /no Kubernetes objects found in .*e\.yaml/,
      ],
      ["an empty directory", {}, (d) => ["-f", d], /directory holds no \.yaml, \.yml or \.json file/],
    ];
    for (const [name, files, args, re] of CASES) {
      test(name, async (t) => {
        const dir = await tempDir(t);
        await writeFiles(dir, files);
        const r = await run(["policy", "check", ...args(dir)]);
        assert.equal(r.code, 2, r.stdout + r.stderr);
        assert.match(r.stderr, re);
        assert.equal(r.stdout, "");
      });
    }

    test("missing -f", async () => {
      const r = await run(["policy", "check"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /required option '-f, --filename <file\.\.\.>' not specified/);
    });

    test("every problem is listed, and nothing is evaluated", async (t) => {
      const dir = await tempDir(t);
      await writeFiles(dir, { "good.yaml": GOOD_POD, "bad.yaml": "kind: Secret\napiVersion: v1\n" });
      const r = await run([
        "policy",
        "check",
        "-f",
        join(dir, "good.yaml"),
        join(dir, "bad.yaml"),
        join(dir, "gone.yaml"),
      ]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /2 input problems:\n {2}.*gone\.yaml: cannot read.*\n {2}.*bad\.yaml \(document 1\): kind Secret/,
      );
      assert.equal(r.stdout, "");
    });

    test("a file over the size limit", async (t) => {
      const dir = await tempDir(t);
      const big = join(dir, "big.yaml");
      await writeFile(big, "");
      await truncate(big, MAX_INPUT_BYTES + 1);
      const r = await run(["policy", "check", "-f", big]);
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        new RegExp(
          `big\\.yaml: ${MAX_INPUT_BYTES + 1} bytes is larger than the ${MAX_INPUT_BYTES}-byte limit`,
        ),
      );
    });
  });
});
