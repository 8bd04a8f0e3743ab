/**
 * kubeiam's CustomResourceDefinitions (src/crds/): one per kubeiam kind with the names the store's
 * paths use, schemas that are structural (the API server refuses others), typed fields that accept
 * every object kubeiam itself writes, printer columns whose types match the fields they print, and
 * `kubeiam install crds` printing them (applying them is tested against a real API server in
 * test/e2e/two-replicas.test.ts).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Command, CommanderError } from "commander";
import { parse, parseAllDocuments } from "yaml";
import "../../../src/kinds-setup.js";
import { registerInstallCommands } from "../../../src/cli/install.js";
import type { CliIO } from "../../../src/cli/io.js";
import { isEstablished } from "../../../src/crds/apply.js";
import { CRD_DEFINITIONS, type JsonSchema } from "../../../src/crds/definitions.js";
import { crdsYaml, kubeiamCrds, kubeiamKinds } from "../../../src/crds/generate.js";
import { asKubeiamError } from "../../../src/lib/errors.js";
import { oidcProviderObject, roleObject, userObject } from "../../../src/iam/objects.js";
import { checkObject } from "../../../src/store/kinds.js";
import { resourceFor } from "../../../src/store/kube/resources.js";
import type { KubeObject } from "../../../src/store/types.js";

interface Crd {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; listKind: string; plural: string; singular: string; categories: string[] };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: JsonSchema };
      additionalPrinterColumns: { name: string; type: string; jsonPath: string; priority?: number }[];
    }[];
  };
}

const crds = kubeiamCrds() as unknown as Crd[];

/**
 * The structural-schema rules of apiextensions.k8s.io/v1 that a generator can break: every node
 * has a type unless it preserves unknown fields, properties only on objects, items on arrays, and
 * metadata restricted to `type: object`.
 */
function structuralProblems(s: JsonSchema, path: string): string[] {
  const out: string[] = [];
  if (s.type === undefined && s["x-kubernetes-preserve-unknown-fields"] !== true)
    out.push(`${path}: no type and does not preserve unknown fields`);
  if (s.properties !== undefined && s.type !== "object")
    out.push(`${path}: properties on a ${s.type ?? "untyped"} node`);
  if (s.type === "array" && s.items === undefined) out.push(`${path}: an array without items`);
  if (s.items !== undefined && s.type !== "array")
    out.push(`${path}: items on a ${s.type ?? "untyped"} node`);
  for (const [k, v] of Object.entries(s.properties ?? {})) out.push(...structuralProblems(v, `${path}.${k}`));
  if (s.items) out.push(...structuralProblems(s.items, `${path}[]`));
  return out;
}

/** Type problems of `value` against the typed parts of a schema. */
function typeProblems(s: JsonSchema, value: unknown, path: string): string[] {
  const t = s.type;
  const is = (): boolean => {
    switch (t) {
      case undefined:
        return true;
      case "object":
        return typeof value === "object" && value !== null && !Array.isArray(value);
      case "array":
        return Array.isArray(value);
      case "integer":
        return Number.isInteger(value);
      case "number":
        return typeof value === "number";
      default:
        return typeof value === t;
    }
  };
  if (!is()) return [`${path}: expected ${t ?? "?"}, found ${JSON.stringify(value)}`];
  const out: string[] = [];
  if (t === "object" && s.properties)
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      if (s.properties[k]) out.push(...typeProblems(s.properties[k], v, `${path}.${k}`));
  if (t === "array" && s.items)
    (value as unknown[]).forEach((v, i) => out.push(...typeProblems(s.items!, v, `${path}[${i}]`)));
  return out;
}

const schemaOf = (kind: string): JsonSchema =>
  crds.find((c) => c.spec.names.kind === kind)!.spec.versions[0]!.schema.openAPIV3Schema;

describe("kubeiam CRDs", () => {
  test("one CRD per kubeiam kind, named <plural>.kubeiam.io with the plural the store's paths use", () => {
    assert.deepEqual(kubeiamKinds().sort(), [
      "AccessEntry",
      "IAMPolicy",
      "IAMRole",
      "IAMUser",
      "OIDCProvider",
      "Tenant",
    ]);
    assert.deepEqual(crds.map((c) => c.spec.names.kind).sort(), kubeiamKinds().sort());
    assert.deepEqual(
      CRD_DEFINITIONS.map((d) => d.kind).sort(),
      kubeiamKinds().sort(),
      "definitions.ts has no stray kinds",
    );
    for (const c of crds) {
      const r = resourceFor(c.spec.names.kind);
      assert.equal(c.metadata.name, `${r.plural}.kubeiam.io`);
      assert.equal(c.spec.group, "kubeiam.io");
      assert.equal(c.spec.scope, "Cluster");
      assert.deepEqual(c.spec.names, {
        kind: r.kind,
        listKind: `${r.kind}List`,
        plural: r.plural,
        singular: r.kind.toLowerCase(),
        categories: ["kubeiam"],
      });
      assert.deepEqual(
        c.spec.versions.map((v) => [v.name, v.served, v.storage]),
        [["v1alpha1", true, true]],
      );
      assert.equal(c.metadata.labels["app.kubernetes.io/part-of"], "kubeiam");
    }
  });

  test("schemas are structural; spec keeps unknown fields; spec is required", () => {
    for (const c of crds) {
      const s = c.spec.versions[0]!.schema.openAPIV3Schema;
      assert.deepEqual(structuralProblems(s, c.spec.names.kind), []);
      assert.equal(s.type, "object");
      assert.deepEqual(s.required, ["spec"]);
      assert.deepEqual(s.properties?.metadata, { type: "object" });
      assert.equal(s.properties?.spec?.["x-kubernetes-preserve-unknown-fields"], true);
      assert.ok(typeof s.description === "string" && s.description.length > 20);
    }
  });

  test("the structural check itself catches what it should", () => {
    assert.deepEqual(
      structuralProblems(
        {
          type: "object",
          properties: { a: {}, b: { type: "array" }, c: { type: "string", properties: {} } },
        },
        "x",
      ),
      [
        "x.a: no type and does not preserve unknown fields",
        "x.b: an array without items",
        "x.c: properties on a string node",
      ],
    );
  });

  test("printer columns: JSONPaths into the object, types matching the typed fields they print", () => {
    for (const c of crds) {
      const v = c.spec.versions[0]!;
      assert.equal(v.additionalPrinterColumns.at(-1)?.jsonPath, ".metadata.creationTimestamp");
      for (const col of v.additionalPrinterColumns) {
        assert.match(col.jsonPath, /^\.(spec|metadata)\.[A-Za-z.]+$/, `${c.spec.names.kind} ${col.name}`);
        const field = /^\.spec\.([A-Za-z]+)$/.exec(col.jsonPath)?.[1];
        const typed = field ? v.schema.openAPIV3Schema.properties?.spec?.properties?.[field] : undefined;
        if (typed?.type === "integer") assert.equal(col.type, "integer", `${c.spec.names.kind} ${col.name}`);
        if (typed?.type === "string") assert.equal(col.type, "string", `${c.spec.names.kind} ${col.name}`);
      }
    }
  });

  test("every object kubeiam writes for its IAM kinds passes the typed fields (the API server never refuses what kubeiam accepts)", () => {
    const objects: KubeObject[] = [
      roleObject({
        name: "app",
        path: "/team/",
        roleId: "AROAEXAMPLE",
        trustPolicy: '{"Version":"2012-10-17","Statement":[]}',
        maxSessionDuration: 7200,
        description: "d",
        createDate: "2024-01-01T00:00:00Z",
        inlinePolicies: { p: '{"Version":"2012-10-17"}' },
        attachedPolicyArns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
      }),
      userObject({
        name: "admin",
        path: "/",
        userId: "AIDAEXAMPLE",
        createDate: "2024-01-01T00:00:00Z",
        inlinePolicies: {},
        attachedPolicyArns: ["arn:aws:iam::aws:policy/AdministratorAccess"],
        accessKeys: [{ accessKeyId: "AKIAEXAMPLE", status: "Active", createDate: "2024-01-01T00:00:00Z" }],
      }),
      oidcProviderObject({
        objectName: "issuer",
        url: "https://issuer.example",
        clientIds: ["sts.amazonaws.com"],
        thumbprints: [],
        createDate: "2024-01-01T00:00:00Z",
      }),
      {
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "IAMPolicy",
        metadata: { name: "p" },
        spec: {
          path: "/",
          policyId: "ANPAEXAMPLE",
          document: { Version: "2012-10-17", Statement: [] },
          createDate: "2024-01-01T00:00:00Z",
        },
      },
      {
        apiVersion: "kubeiam.io/v1alpha1",
        kind: "AccessEntry",
        metadata: { name: "dev" },
        spec: {
          principalArn: "arn:aws:iam::111122223333:role/dev",
          type: "STANDARD",
          username: "dev:{{SessionName}}",
          kubernetesGroups: ["dev"],
        },
      },
    ];
    for (const o of objects) {
      assert.ok(checkObject(o).ok, `${o.kind} is valid for kubeiam`);
      assert.deepEqual(typeProblems(schemaOf(o.kind), o, o.kind), []);
    }
  });

  test("a field of the wrong type is caught by the type check used above", () => {
    const bad = {
      apiVersion: "kubeiam.io/v1alpha1",
      kind: "IAMRole",
      metadata: { name: "x" },
      spec: { maxSessionDuration: "3600", attachedPolicyArns: [1] },
    };
    assert.deepEqual(typeProblems(schemaOf("IAMRole"), bad, "IAMRole"), [
      'IAMRole.spec.maxSessionDuration: expected integer, found "3600"',
      "IAMRole.spec.attachedPolicyArns[0]: expected string, found 1",
    ]);
  });

  test("the YAML parses back into the same CRDs", () => {
    const docs = parseAllDocuments(crdsYaml()).map((d) => d.toJS() as unknown);
    assert.deepEqual(docs, kubeiamCrds());
  });

  test("Established needs Established=True and names not refused", () => {
    const withConds = (conds: unknown[]): unknown => ({ status: { conditions: conds } });
    const cases: [unknown, boolean][] = [
      [
        withConds([
          { type: "NamesAccepted", status: "True" },
          { type: "Established", status: "True" },
        ]),
        true,
      ],
      [withConds([{ type: "Established", status: "True" }]), true],
      [
        withConds([
          { type: "NamesAccepted", status: "False" },
          { type: "Established", status: "True" },
        ]),
        false,
      ],
      [withConds([{ type: "Established", status: "False" }]), false],
      [withConds([]), false],
      [{ status: {} }, false],
      [undefined, false],
      ["Established", false],
    ];
    for (const [crd, want] of cases) assert.equal(isEstablished(crd), want, JSON.stringify(crd));
  });
});

async function install(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIO = {
    out: (t) => (stdout += t.endsWith("\n") ? t : t + "\n"),
    err: (t) => (stderr += t.endsWith("\n") ? t : t + "\n"),
  };
  const program = new Command("kubeiam")
    .exitOverride()
    .configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
  registerInstallCommands(program, io);
  for (const c of program.commands)
    for (const s of [c, ...c.commands])
      s.exitOverride().configureOutput({ writeOut: (t) => io.out(t), writeErr: (t) => io.err(t) });
  try {
    await program.parseAsync(args, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (e) {
    if (e instanceof CommanderError) return { code: 2, stdout, stderr };
    const err = asKubeiamError(e);
    return { code: err.exitCode, stdout, stderr: stderr + `error: ${err.message}\n` };
  }
}

describe("kubeiam install crds", () => {
  test("prints the CRDs as multi-document YAML, or as a JSON List", async () => {
    const y = await install(["install", "crds"]);
    assert.equal(y.code, 0, y.stderr);
    assert.equal(y.stdout, crdsYaml().endsWith("\n") ? crdsYaml() : crdsYaml() + "\n");
    const j = await install(["install", "crds", "-o", "json"]);
    assert.equal(j.code, 0, j.stderr);
    assert.deepEqual(JSON.parse(j.stdout), { apiVersion: "v1", kind: "List", items: kubeiamCrds() });
    assert.equal((parse(y.stdout.split("---\n")[0]!) as Crd).spec.names.kind, crds[0]!.spec.names.kind);
  });

  test("bad usage and an unusable kubeconfig are clear errors, not stack traces", async () => {
    const badOut = await install(["install", "crds", "-o", "table"]);
    assert.deepEqual(
      [badOut.code, badOut.stderr],
      [2, 'error: unknown output format "table"; use one of: yaml, json\n'],
    );
    const badTimeout = await install([
      "install",
      "crds",
      "--apply",
      "--timeout",
      "soon",
      "--kubeconfig",
      "/nonexistent",
    ]);
    assert.deepEqual(
      [badTimeout.code, badTimeout.stderr],
      [2, 'error: --timeout: expected a duration such as 60s, 2m or 500ms, found "soon"\n'],
    );
    const missing = await install(["install", "crds", "--apply", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: cannot load \/nonexistent\/kubeconfig: ENOENT; set kubernetes\.kubeconfig in kubeiam\.yaml or pass --kubeconfig\n$/,
    );
  });
});
