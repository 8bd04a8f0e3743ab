/**
 * `kubeiam rbac can-i | who-can | risks` over folders of manifests (-f) and the state's object
 * directory: the seed flows, kubectl's arguments, warnings, exit codes and tables, impersonation
 * groups, malformed objects, tenant grouping. Table-driven from test/fixtures/rbac-cli/.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cp } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { RisksAnswer, RulesAnswer, WhoCanAnswer } from "../../../src/rbac/http-api.js";
import { impersonatedUser, listRows, parseTarget, tabwrite } from "../../../src/cli/rbac.js";
import { tempDir, writeFiles } from "../../helpers/tmp.js";
import { rbacCli } from "./rbac-harness.js";

const FIXTURES = fileURLToPath(new URL("../../fixtures/rbac-cli/", import.meta.url));
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the fixture's shape
const fixture = <T>(name: string): T => parse(readFileSync(join(FIXTURES, name), "utf8")) as T;

interface Case {
  name: string;
  args: string[];
  from?: string[];
  code: number;
  stdout?: string;
  stdoutContains?: string[];
  stderrContains?: string[];
  stderrLacks?: string[];
  json?: Record<string, unknown>;
}

/** The -f input of a case: one fixture folder as is, several merged into a temporary folder. */
async function input(
  t: { after(fn: () => Promise<void> | void): void },
  from: readonly string[],
): Promise<string[]> {
  if (from.length === 0) return [];
  if (from.length === 1) return ["-f", join(FIXTURES, from[0]!)];
  const dir = await tempDir(t);
  for (const f of from) await cp(join(FIXTURES, f), join(dir, f), { recursive: true });
  return ["-f", dir];
}

describe("kubeiam rbac (cases.yaml)", () => {
  for (const c of fixture<Case[]>("cases.yaml")) {
    test(c.name, async (t) => {
      const r = await rbacCli(["rbac", ...c.args, ...(await input(t, c.from ?? ["manifests"]))]);
      const show = `\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
      assert.equal(r.code, c.code, `exit code${show}`);
      if (c.stdout !== undefined) assert.equal(r.stdout, c.stdout, show);
      for (const s of c.stdoutContains ?? [])
        assert.ok(r.stdout.includes(s), `stdout lacks ${JSON.stringify(s)}${show}`);
      for (const s of c.stderrContains ?? [])
        assert.ok(r.stderr.includes(s), `stderr lacks ${JSON.stringify(s)}${show}`);
      for (const s of c.stderrLacks ?? [])
        assert.ok(!r.stderr.includes(s), `stderr has ${JSON.stringify(s)}${show}`);
      if (c.json) {
        const j = JSON.parse(r.stdout) as Record<string, unknown>;
        for (const [k, v] of Object.entries(c.json)) assert.deepEqual(j[k], v, k);
      }
    });
  }
});

describe("--as builds the user as impersonation does (users.yaml)", () => {
  for (const row of fixture<{ as: string; groups: string[]; want: string[]; note?: string }[]>(
    "users.yaml",
  )) {
    test(`${row.as} ${JSON.stringify(row.groups)}${row.note ? ` (${row.note})` : ""}`, () => {
      assert.deepEqual(impersonatedUser(row.as, row.groups), { name: row.as, groups: row.want });
    });
  }
  test("a uid is kept", () => {
    assert.deepEqual(impersonatedUser("jane", [], "42"), {
      name: "jane",
      groups: ["system:authenticated"],
      uid: "42",
    });
  });
});

describe("VERB and TYPE[/NAME] | URL as kubectl reads them", () => {
  const base = { namespace: "team", allNamespaces: false };
  test("plural.group, short names, singular names and TYPE/NAME map to the request", () => {
    const rows: [string, Record<string, string>][] = [
      ["deployments.apps", { apiGroup: "apps", resource: "deployments", name: "", namespace: "team" }],
      ["deploy/web", { apiGroup: "apps", resource: "deployments", name: "web", namespace: "team" }],
      ["deployments.v1.apps", { apiGroup: "apps", resource: "deployments", name: "", namespace: "team" }],
      ["po/x", { apiGroup: "", resource: "pods", name: "x", namespace: "team" }],
      ["pod", { apiGroup: "", resource: "pods", name: "", namespace: "team" }],
      [
        "crb/admin",
        {
          apiGroup: "rbac.authorization.k8s.io",
          resource: "clusterrolebindings",
          name: "admin",
          namespace: "team",
        },
      ],
    ];
    for (const [arg, want] of rows) {
      const t = parseTarget("get", arg, base);
      assert.equal(t.request.resourceRequest, true);
      assert.ok(t.request.resourceRequest);
      assert.deepEqual(
        {
          apiGroup: t.request.apiGroup,
          resource: t.request.resource,
          name: t.request.name,
          namespace: t.request.namespace,
        },
        want,
        arg,
      );
    }
  });
  test("-A takes the namespace away; * is no unknown type", () => {
    const t = parseTarget("*", "*", { namespace: "team", allNamespaces: true });
    assert.deepEqual(t.warnings, []);
    assert.deepEqual(t.request, {
      resourceRequest: true,
      verb: "*",
      namespace: "",
      apiGroup: "",
      resource: "*",
      subresource: "",
      name: "",
    });
  });
  test("a URL is a non-resource request; kubectl's non-resource verbs", () => {
    assert.deepEqual(parseTarget("get", "/healthz", base), {
      request: { resourceRequest: false, verb: "get", path: "/healthz" },
      warnings: [],
      clusterScoped: true,
    });
    assert.deepEqual(parseTarget("list", "/healthz", base).warnings, ["verb 'list' is not a known verb"]);
    assert.deepEqual(parseTarget("post", "/api", base).warnings, []);
  });
  test("bad input is a usage error", () => {
    for (const [verb, arg] of [
      ["", "pods"],
      ["get", "pods/"],
      ["get", "Pods With Space"],
      ["get", ".apps"],
    ] as const)
      assert.throws(() => parseTarget(verb, arg, base), { code: "USAGE" }, `${verb} ${arg}`);
  });
});

describe("tables", () => {
  test("tabwrite pads tab-terminated cells like Go's text/tabwriter (the last cell is not padded)", () => {
    assert.equal(
      tabwrite(
        [
          ["a", "bb", "c"],
          ["dddd", "", "e"],
        ],
        0,
        2,
      ),
      "a     bb  c\ndddd      e",
    );
    assert.equal(tabwrite([["a", "b"]], 6, 3), "a     b");
    assert.equal(
      tabwrite(
        [
          ["é😀", "x"],
          ["ab", "y"],
        ],
        0,
        1,
      ),
      "é😀 x\nab y",
    );
  });
  test("--list rows: broken down, compacted by verb, sorted by the rule's Go string", () => {
    const rows = listRows({
      resourceRules: [
        { verbs: ["list", "get"], apiGroups: ["", "apps"], resources: ["pods", "deployments/scale"] },
        { verbs: ["get"], apiGroups: [""], resources: ["pods"] },
        { verbs: ["get"], apiGroups: [""], resources: ["secrets"], resourceNames: ["b", "a"] },
      ],
      nonResourceRules: [{ verbs: ["get", "post"], nonResourceURLs: ["/b", "/a"] }],
    });
    assert.deepEqual(rows, [
      ["", "[/a]", "[]", "[get]"],
      ["", "[/b]", "[]", "[get]"],
      ["secrets", "[]", "[a]", "[get]"],
      ["secrets", "[]", "[b]", "[get]"],
      ["deployments/scale", "[]", "[]", "[list get]"],
      ["pods", "[]", "[]", "[list get]"],
      ["deployments.apps/scale", "[]", "[]", "[list get]"],
      ["pods.apps", "[]", "[]", "[list get]"],
      ["", "[/a]", "[]", "[post]"],
      ["", "[/b]", "[]", "[post]"],
    ]);
  });
});

describe("-o json", () => {
  test("--list answers the SelfSubjectRulesReview status with where each rule comes from", async () => {
    const r = await rbacCli([
      "rbac",
      "can-i",
      "--list",
      "--as",
      "jane",
      "-n",
      "prod",
      "-o",
      "json",
      "-f",
      join(FIXTURES, "manifests"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as RulesAnswer;
    assert.equal(a.namespace, "prod");
    assert.equal(a.incomplete, false);
    const logs = a.sources.find((s) => s.binding.name === "jane-logs");
    assert.deepEqual(logs?.role, { kind: "Role", name: "log-reader", namespace: "prod" });
    assert.deepEqual(a.resourceRules.at(-1), {
      verbs: ["get"],
      apiGroups: [""],
      resources: ["pods/log"],
      resourceNames: ["web-0"],
    });
  });
  test("who-can lists users, groups and service accounts with their grants", async () => {
    const r = await rbacCli([
      "rbac",
      "who-can",
      "create",
      "deployments",
      "-n",
      "prod",
      "-o",
      "json",
      "-f",
      join(FIXTURES, "manifests"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as WhoCanAnswer;
    assert.deepEqual(a.serviceAccounts, [
      {
        kind: "ServiceAccount",
        name: "demo",
        namespace: "default",
        grants: [
          {
            binding: { kind: "RoleBinding", name: "demo-edit", namespace: "prod" },
            role: { kind: "ClusterRole", name: "edit" },
          },
        ],
      },
    ]);
    assert.ok(a.groups.some((g) => g.name === "system:masters" && g.privileged === true));
    assert.ok(!a.groups.some((g) => g.name === "gid:/testgroup"), "read-deployments does not create");
  });
  test("who-can drops the namespace of a cluster-scoped resource: RoleBindings cannot grant it", async () => {
    const r = await rbacCli([
      "rbac",
      "who-can",
      "list",
      "nodes",
      "-n",
      "prod",
      "-o",
      "json",
      "-f",
      join(FIXTURES, "manifests"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as WhoCanAnswer;
    assert.equal(a.request.resourceRequest && a.request.namespace, "");
    assert.ok(a.clusterRoleBindings.some((row) => row.binding.name === "ops-node-reader"));
    assert.ok(!r.stderr.includes("not namespace scoped"));
  });
});

describe("risks", () => {
  test("grouped by tenant: cluster-wide, each tenant's namespaces, then namespaces of no tenant", async () => {
    const r = await rbacCli(["rbac", "risks", "-o", "json", "-f", join(FIXTURES, "tenants")]);
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as RisksAnswer;
    assert.equal(a.groupedBy, "tenant");
    assert.deepEqual(
      a.groups.map((g) => [
        g.scope,
        g.name,
        g.namespaces,
        [...new Set(g.findings.map((f) => f.risk))].sort(),
      ]),
      [
        ["cluster", "", [], ["impersonate"]],
        ["tenant", "acme", ["acme-dev", "acme-prod"], ["exec", "impersonate", "read-secrets"]],
        ["tenant", "globex", ["globex"], ["exec"]],
        [
          "namespace",
          "sandbox",
          ["sandbox"],
          ["bind", "escalate", "exec", "impersonate", "proxy-nodes", "read-secrets", "wildcard"],
        ],
      ],
    );
    assert.equal(
      a.total,
      a.groups.reduce((n, g) => n + g.findings.length, 0),
    );
    assert.ok(a.hiddenDefaults > 0, "the default policy's own findings are hidden");
    const ci = a.groups[1]!.findings.find((f) => f.binding.name === "ci-admin");
    assert.deepEqual(ci?.subject, {
      kind: "ServiceAccount",
      name: "ci",
      namespace: "acme-dev",
      apiGroup: "",
    });
  });
  test("--include-defaults shows the default policy's findings; -n limits to one namespace", async () => {
    const all = JSON.parse(
      (await rbacCli(["rbac", "risks", "-o", "json", "--include-defaults", "-f", join(FIXTURES, "tenants")]))
        .stdout,
    ) as RisksAnswer;
    assert.equal(all.hiddenDefaults, 0);
    assert.ok(
      all.groups[0]!.findings.some((f) => f.binding.name === "cluster-admin" && f.risk === "wildcard"),
    );
    const one = JSON.parse(
      (await rbacCli(["rbac", "risks", "-o", "json", "-n", "globex", "-f", join(FIXTURES, "tenants")]))
        .stdout,
    ) as RisksAnswer;
    assert.deepEqual(
      one.groups.map((g) => g.name),
      ["", "globex"],
    );
  });
  test("without tenants the groups are namespaces; text output", async () => {
    const r = await rbacCli(["rbac", "risks", "-f", join(FIXTURES, "manifests")]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^== namespace prod: 3 findings\nRISK {10}SUBJECT {22}BINDING {21}ROLE {14}RULE\n/m,
    );
    assert.match(
      r.stdout,
      /^read-secrets {2}ServiceAccount default\/demo {2}RoleBinding prod\/demo-edit {2}ClusterRole edit {2}#0 verbs=\[get,list,watch\]/m,
    );
    assert.match(
      r.stdout,
      /\n3 findings; \d+ more from Kubernetes' unchanged default policy are hidden \(--include-defaults shows them\)\n$/,
    );
  });
  test("a changed default binding is no longer hidden", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "crb.yaml":
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: cluster-admin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: Group, name: system:masters}, {apiGroup: rbac.authorization.k8s.io, kind: User, name: eve}]\n",
    });
    const a = JSON.parse((await rbacCli(["rbac", "risks", "-o", "json", "-f", dir])).stdout) as RisksAnswer;
    assert.ok(a.groups[0]!.findings.some((f) => f.subject.name === "eve" && f.risk === "wildcard"));
  });
});

describe("the state's object directory (offline)", () => {
  test("reads --state-dir/objects; embedded mode includes the default policy, cluster mode does not", async (t) => {
    const state = await tempDir(t);
    await cp(join(FIXTURES, "manifests"), join(state, "objects"), { recursive: true });
    const embedded = await rbacCli(["rbac", "can-i", "get", "/apis", "--as", "bob", "--state-dir", state]);
    assert.equal(embedded.code, 0, embedded.stderr);
    const group = await rbacCli([
      "rbac",
      "can-i",
      "list",
      "deploy",
      "-A",
      "--as",
      "a",
      "--as-group",
      "gid:/testgroup",
      "--state-dir",
      state,
    ]);
    assert.equal(group.code, 0, group.stderr);
    // like the server's store, the object directory does not take `kind: List` documents
    const list = await rbacCli([
      "rbac",
      "can-i",
      "get",
      "/metrics",
      "--as",
      "op",
      "--as-group",
      "ops",
      "--state-dir",
      state,
    ]);
    assert.equal(list.code, 1, list.stderr);
    assert.match(list.stderr, /list\.yaml:2:1: metadata: expected a mapping/);
    await writeFiles(state, { "kubeiam.yaml": "mode: cluster\n" });
    const cluster = await rbacCli([
      "rbac",
      "can-i",
      "get",
      "/apis",
      "--as",
      "bob",
      "--state-dir",
      state,
      "--config",
      join(state, "kubeiam.yaml"),
    ]);
    assert.equal(cluster.code, 1, cluster.stderr);
  });
  test("an object defined twice keeps its first copy and the duplicate is reported", async (t) => {
    const dir = await tempDir(t);
    const crb = (user: string): string =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${user}}]\n`;
    await writeFiles(dir, { "a.yaml": crb("first"), "b.yaml": crb("second") });
    const first = await rbacCli(["rbac", "can-i", "get", "pods", "--as", "first", "-f", dir]);
    const second = await rbacCli(["rbac", "can-i", "get", "pods", "--as", "second", "-f", dir]);
    assert.deepEqual([first.code, second.code], [0, 1]);
    assert.match(
      second.stderr,
      /b\.yaml: ClusterRoleBinding x is also defined in .*a\.yaml; this copy is skipped/,
    );
  });
  test("a file with a YAML syntax error is reported; the other files still decide", async (t) => {
    const dir = await tempDir(t);
    await writeFiles(dir, {
      "bad.yaml": "kind: [unclosed\n",
      "ok.json": JSON.stringify({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: "j" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
        subjects: [{ kind: "User", name: "json-user" }],
      }),
    });
    const r = await rbacCli(["rbac", "can-i", "get", "pods", "--as", "json-user", "-f", dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /bad\.yaml:\d+:\d+: not valid YAML/);
  });
});
