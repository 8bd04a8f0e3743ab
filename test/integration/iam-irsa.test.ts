/**
 * `kubeiam irsa create` and `kubeiam doctor irsa`, offline on a state dir: what create writes
 * (provider, role with the exact trust policy, attachments, ServiceAccount), idempotence, conflicts;
 * a running server picking the objects up and honouring them end to end; and the doctor's links for
 * a working chain and for each way the chain breaks.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { irsaTrustPolicy } from "../../src/irsa/trust-policy.js";
import type { IrsaDiagnosis } from "../../src/irsa/doctor.js";
import { startTestServer } from "../helpers/server.js";
import { tempDir, writeFiles } from "../helpers/tmp.js";
import { cli, xmlField } from "./sts-support.js";
import { fetch as undiciFetch } from "undici";

const ISSUER = "https://127.0.0.1:8443";
const HP = "127.0.0.1:8443";
const PROVIDER_ARN = `arn:aws:iam::000000000000:oidc-provider/${HP}`;
const roleArn = (n: string): string => `arn:aws:iam::000000000000:role/${n}`;

async function stateDir(
  t: { after(fn: () => Promise<void> | void): void },
  objects: Record<string, string> = {},
): Promise<{ dir: string; flags: string[] }> {
  const dir = await tempDir(t);
  await writeFiles(dir, { "kubeiam.yaml": stringify({ listen: "127.0.0.1:8443" }) });
  if (Object.keys(objects).length > 0) await writeFiles(join(dir, "objects"), objects);
  return { dir, flags: ["--config", join(dir, "kubeiam.yaml"), "--state-dir", dir] };
}

const yamlOf = async (
  dir: string,
  path: string,
): Promise<{ metadata: { annotations?: Record<string, string> }; spec: Record<string, unknown> }> =>
  parse(await readFile(join(dir, "objects", path), "utf8")) as {
    metadata: { annotations?: Record<string, string> };
    spec: Record<string, unknown>;
  };

describe("irsa create", () => {
  test("registers the issuer, creates the role with the exact trust policy, attaches, creates the ServiceAccount; a second run changes nothing", async (t) => {
    const { dir, flags } = await stateDir(t);
    const args = [
      "irsa",
      "create",
      ...flags,
      "--namespace",
      "team-a",
      "--service-account",
      "app",
      "--role-name",
      "app-s3",
      "--attach-policy-arn",
      "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
    ];
    const first = await cli(args);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(first.stdout.trim().split("\n"), [
      `+ OIDC provider ${PROVIDER_ARN} created for issuer ${ISSUER} (client ID sts.amazonaws.com)`,
      `+ role ${roleArn("app-s3")} created, trusting system:serviceaccount:team-a:app (audience sts.amazonaws.com)`,
      "+ policy arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess attached",
      `+ ServiceAccount team-a/app created with eks.amazonaws.com/role-arn=${roleArn("app-s3")}`,
      `role ${roleArn("app-s3")} is ready for ServiceAccount team-a/app`,
    ]);
    const role = await yamlOf(dir, "iamrole/app-s3.yaml");
    assert.equal(role.spec.assumeRolePolicyDocument, irsaTrustPolicy(PROVIDER_ARN, HP, "team-a", "app"));
    assert.deepEqual(JSON.parse(role.spec.assumeRolePolicyDocument), {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Federated: PROVIDER_ARN },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              [`${HP}:aud`]: "sts.amazonaws.com",
              [`${HP}:sub`]: "system:serviceaccount:team-a:app",
            },
          },
        },
      ],
    });
    assert.deepEqual(role.spec.attachedPolicyArns, ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
    assert.match(String(role.spec.roleId), /^AROA[A-Z2-7]{17}$/);
    const sa = await yamlOf(dir, "serviceaccount/team-a/app.yaml");
    assert.deepEqual(sa.metadata.annotations, { "eks.amazonaws.com/role-arn": roleArn("app-s3") });

    const again = await cli([...args, "-o", "json"]);
    assert.equal(again.code, 0, again.stderr);
    const r = JSON.parse(again.stdout) as {
      roleArn: string;
      providerArn: string;
      changes: { kind: string; action: string }[];
    };
    assert.deepEqual([r.roleArn, r.providerArn], [roleArn("app-s3"), PROVIDER_ARN]);
    assert.deepEqual(
      r.changes.map((c) => `${c.kind}:${c.action}`),
      ["OIDCProvider:unchanged", "IAMRole:unchanged", "AttachedPolicy:unchanged", "ServiceAccount:unchanged"],
    );
    assert.equal((await yamlOf(dir, "iamrole/app-s3.yaml")).spec.roleId, role.spec.roleId);
  });

  test("an existing ServiceAccount is annotated; a custom audience goes to the provider and the ServiceAccount; another ServiceAccount reuses a role only if its trust allows it", async (t) => {
    const { dir, flags } = await stateDir(t, {
      "sa.yaml":
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: team-a, labels: {keep: me}, annotations: {other: x}}\n",
    });
    const r = await cli([
      "irsa",
      "create",
      ...flags,
      "-n",
      "team-a",
      "--service-account",
      "app",
      "--role-name",
      "app",
      "--audience",
      "kubeiam",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^~ ServiceAccount team-a\/app annotated eks\.amazonaws\.com\/role-arn=arn:aws:iam::000000000000:role\/app and eks\.amazonaws\.com\/audience=kubeiam$/m,
    );
    const sa = await yamlOf(dir, "sa.yaml");
    assert.deepEqual(sa.metadata.annotations, {
      other: "x",
      "eks.amazonaws.com/role-arn": roleArn("app"),
      "eks.amazonaws.com/audience": "kubeiam",
    });
    assert.deepEqual((sa.metadata as { labels?: unknown }).labels, { keep: "me" });
    const provider = parse(
      await readFile(join(dir, "objects", "oidcprovider", "127.0.0.1-8443.yaml"), "utf8"),
    ) as { spec: { clientIDList: string[] } };
    assert.deepEqual(provider.spec.clientIDList, ["kubeiam"]);

    const second = await cli([
      "irsa",
      "create",
      ...flags,
      "-n",
      "team-a",
      "--service-account",
      "app2",
      "--role-name",
      "app2",
    ]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stdout,
      new RegExp(
        `^~ client ID sts\\.amazonaws\\.com added to OIDC provider ${PROVIDER_ARN.replace(/\./g, "\\.")}$`,
        "m",
      ),
    );
    const updated = parse(
      await readFile(join(dir, "objects", "oidcprovider", "127.0.0.1-8443.yaml"), "utf8"),
    ) as { spec: { clientIDList: string[] } };
    assert.deepEqual(updated.spec.clientIDList, ["kubeiam", "sts.amazonaws.com"]);

    const reuse = await cli([
      "irsa",
      "create",
      ...flags,
      "-n",
      "team-b",
      "--service-account",
      "app",
      "--role-name",
      "app",
    ]);
    assert.equal(reuse.code, 1);
    assert.match(
      reuse.stderr,
      /role app already exists and its trust policy does not let system:serviceaccount:team-b:app \(audience sts\.amazonaws\.com\) assume it; choose another --role-name, or add this statement to its trust policy/,
    );
    // nothing was written for the refused request
    await assert.rejects(readFile(join(dir, "objects", "serviceaccount", "team-b", "app.yaml")));
  });

  test("conflicts and bad input: annotated with another role (exit 1, then --override-existing-serviceaccounts), unknown policy, bad names (exit 2)", async (t) => {
    const { dir, flags } = await stateDir(t, {
      "sa.yaml": `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: app, namespace: team-a, annotations: {eks.amazonaws.com/role-arn: ${roleArn("old")}}}\n`,
    });
    const args = [
      "irsa",
      "create",
      ...flags,
      "-n",
      "team-a",
      "--service-account",
      "app",
      "--role-name",
      "new",
    ];
    const refused = await cli(args);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /ServiceAccount team-a\/app is already annotated eks\.amazonaws\.com\/role-arn=arn:aws:iam::000000000000:role\/old; pass --override-existing-serviceaccounts/,
    );
    await assert.rejects(readFile(join(dir, "objects", "iamrole", "new.yaml")));
    const roleOnly = await cli([...args, "--role-only"]);
    assert.equal(roleOnly.code, 0, roleOnly.stderr);
    assert.match(roleOnly.stdout, /^- ServiceAccount team-a\/app left alone \(--role-only\)/m);
    assert.equal(
      (await yamlOf(dir, "sa.yaml")).metadata.annotations?.["eks.amazonaws.com/role-arn"],
      roleArn("old"),
    );
    const override = await cli([...args, "--override-existing-serviceaccounts"]);
    assert.equal(override.code, 0, override.stderr);
    assert.equal(
      (await yamlOf(dir, "sa.yaml")).metadata.annotations?.["eks.amazonaws.com/role-arn"],
      roleArn("new"),
    );

    const bad: [string[], RegExp][] = [
      [
        ["--attach-policy-arn", "arn:aws:iam::000000000000:policy/missing"],
        /policy arn:aws:iam::000000000000:policy\/missing does not exist/,
      ],
      [
        ["--attach-policy-arn", "AmazonS3ReadOnlyAccess"],
        /--attach-policy-arn "AmazonS3ReadOnlyAccess" is not a policy ARN/,
      ],
      [["--max-session-duration", "60"], /--max-session-duration must be whole seconds from 3600 to 43200/],
    ];
    for (const [extra, message] of bad) {
      const r = await cli([
        "irsa",
        "create",
        ...flags,
        "-n",
        "team-a",
        "--service-account",
        "x",
        "--role-name",
        "x",
        ...extra,
      ]);
      assert.equal(r.code, 2, extra.join(" "));
      assert.match(r.stderr, message);
    }
    for (const [ns, sa, role, message] of [
      ["Team_A", "x", "x", /--namespace "Team_A" is not a valid namespace name/],
      ["ns", "X Y", "x", /--service-account "X Y" is not a valid ServiceAccount name/],
      ["ns", "x", "has space", /--role-name "has space" is not a valid IAM role name/],
    ] as const) {
      const r = await cli([
        "irsa",
        "create",
        ...flags,
        "-n",
        ns,
        "--service-account",
        sa,
        "--role-name",
        role,
      ]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    }
  });

  test("a running server follows what irsa create writes: the service account's token assumes the role", async (t) => {
    const s = await startTestServer(t);
    const r = await cli([
      "irsa",
      "create",
      "--config",
      s.configFile,
      "--state-dir",
      s.stateDir,
      "-n",
      "team-a",
      "--service-account",
      "app",
      "--role-name",
      "app",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const deadline = Date.now() + 10_000;
    while (
      !s.app.cache.get({ kind: "ServiceAccount", namespace: "team-a", name: "app" }) ||
      !s.app.cache.get({ kind: "IAMRole", name: "app" })
    ) {
      assert.ok(Date.now() < deadline, "the server did not pick up the objects");
      await new Promise((res) => setTimeout(res, 25));
    }
    const { kubeiam } = await import("../helpers/cli.js");
    const tok = await kubeiam([
      "token",
      "create",
      "--config",
      s.configFile,
      "--state-dir",
      s.stateDir,
      "-n",
      "team-a",
      "--service-account",
      "app",
      "--audience",
      "sts.amazonaws.com",
    ]);
    assert.equal(tok.code, 0, tok.stderr);
    const body = new URLSearchParams({
      Action: "AssumeRoleWithWebIdentity",
      Version: "2011-06-15",
      RoleArn: roleArn("app"),
      RoleSessionName: "pod",
      WebIdentityToken: tok.stdout.trim(),
    }).toString();
    const res = await undiciFetch(`${s.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
      dispatcher: s.agent,
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.equal(xmlField(text, "Arn"), "arn:aws:sts::000000000000:assumed-role/app/pod");
  });
});

// ---- doctor irsa ---------------------------------------------------------------------------------

const SA = (
  annotations: Record<string, string> = { "eks.amazonaws.com/role-arn": roleArn("app") },
  name = "app",
): string =>
  stringify({
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name, namespace: "team-a", annotations },
  });
const PROVIDER = (clientIDList = ["sts.amazonaws.com"]): string =>
  stringify({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "OIDCProvider",
    metadata: { name: "kubeiam" },
    spec: { url: ISSUER, clientIDList },
  });
const ROLE = (sa = "app", audience = "sts.amazonaws.com"): string =>
  stringify({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "IAMRole",
    metadata: { name: "app" },
    spec: { assumeRolePolicyDocument: irsaTrustPolicy(PROVIDER_ARN, HP, "team-a", sa, audience) },
  });
const POD = (mutated: boolean, roleInEnv = roleArn("app")): string =>
  stringify({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: "team-a" },
    spec: {
      serviceAccountName: "app",
      containers: [
        mutated
          ? {
              name: "c",
              image: "app",
              env: [
                { name: "AWS_ROLE_ARN", value: roleInEnv },
                {
                  name: "AWS_WEB_IDENTITY_TOKEN_FILE",
                  value: "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
                },
              ],
              volumeMounts: [
                {
                  name: "aws-iam-token",
                  mountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
                  readOnly: true,
                },
              ],
            }
          : { name: "c", image: "app" },
      ],
      ...(mutated
        ? {
            volumes: [
              {
                name: "aws-iam-token",
                projected: {
                  sources: [
                    {
                      serviceAccountToken: {
                        audience: "sts.amazonaws.com",
                        expirationSeconds: 86400,
                        path: "token",
                      },
                    },
                  ],
                },
              },
            ],
          }
        : {}),
    },
  });

describe("doctor irsa", () => {
  const cases: {
    name: string;
    objects: Record<string, string>;
    target: string[];
    failed: string[];
    fix?: RegExp;
    result: "ok" | "fail" | "skip";
  }[] = [
    {
      name: "a working chain, by pod",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER(), "r.yaml": ROLE(), "pod.yaml": POD(true) },
      target: ["--pod", "web"],
      failed: [],
      result: "ok",
    },
    {
      name: "a working chain, by service account",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER(), "r.yaml": ROLE() },
      target: ["--service-account", "app"],
      failed: [],
      result: "ok",
    },
    {
      name: "no ServiceAccount",
      objects: { "p.yaml": PROVIDER() },
      target: ["--service-account", "app"],
      failed: ["service-account"],
      fix: /kubeiam irsa create --namespace team-a --service-account app/,
      result: "skip",
    },
    {
      name: "no role-arn annotation",
      objects: { "sa.yaml": SA({}), "p.yaml": PROVIDER(), "r.yaml": ROLE() },
      target: ["--service-account", "app"],
      failed: ["annotation"],
      fix: /kubectl annotate serviceaccount -n team-a app eks\.amazonaws\.com\/role-arn=/,
      result: "skip",
    },
    {
      name: "an annotation that is not a role ARN",
      objects: {
        "sa.yaml": SA({ "eks.amazonaws.com/role-arn": PROVIDER_ARN }),
        "p.yaml": PROVIDER(),
        "r.yaml": ROLE(),
      },
      target: ["--service-account", "app"],
      failed: ["annotation", "result"],
      fix: /not a provider, policy or other ARN/,
      result: "fail",
    },
    {
      name: "the pod was created before the annotation",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER(), "r.yaml": ROLE(), "pod.yaml": POD(false) },
      target: ["--pod", "web"],
      failed: ["pod-mutation"],
      fix: /pods are mutated only when created: delete and recreate the pod/,
      result: "ok",
    },
    {
      name: "the pod carries an older role",
      objects: {
        "sa.yaml": SA(),
        "p.yaml": PROVIDER(),
        "r.yaml": ROLE(),
        "pod.yaml": POD(true, roleArn("old")),
      },
      target: ["--pod", "web"],
      failed: ["pod-mutation"],
      fix: /recreate the pod/,
      result: "ok",
    },
    {
      name: "the issuer is not a registered provider",
      objects: { "sa.yaml": SA(), "r.yaml": ROLE() },
      target: ["--service-account", "app"],
      failed: ["provider", "result"],
      fix: /aws iam create-open-id-connect-provider --url https:\/\/127\.0\.0\.1:8443 --client-id-list sts\.amazonaws\.com/,
      result: "fail",
    },
    {
      name: "the audience is not a client ID",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER(["sts.amazon.com"]), "r.yaml": ROLE() },
      target: ["--service-account", "app"],
      failed: ["audience", "result"],
      fix: /aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn arn:aws:iam::000000000000:oidc-provider\/127\.0\.0\.1:8443 --client-id sts\.amazonaws\.com/,
      result: "fail",
    },
    {
      name: "the role does not exist",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER() },
      target: ["--service-account", "app"],
      failed: ["role", "result"],
      fix: /kubeiam irsa create --namespace team-a --service-account app --role-name app/,
      result: "fail",
    },
    {
      name: "the trust policy names another service account",
      objects: { "sa.yaml": SA(), "p.yaml": PROVIDER(), "r.yaml": ROLE("other") },
      target: ["--service-account", "app"],
      failed: ["trust-policy", "result"],
      fix: /add this statement to the trust policy .*"127\.0\.0\.1:8443:sub":"system:serviceaccount:team-a:app"/,
      result: "fail",
    },
    {
      name: "the trust policy expects another audience",
      objects: {
        "sa.yaml": SA(),
        "p.yaml": PROVIDER(["sts.amazonaws.com", "kubeiam"]),
        "r.yaml": ROLE("app", "kubeiam"),
      },
      target: ["--service-account", "app"],
      failed: ["trust-policy", "result"],
      fix: /"127\.0\.0\.1:8443:aud":"sts\.amazonaws\.com"/,
      result: "fail",
    },
  ];
  for (const c of cases) {
    test(c.name, async (t) => {
      const { flags } = await stateDir(t, c.objects);
      const r = await cli(["doctor", "irsa", ...flags, "-n", "team-a", ...c.target, "-o", "json"]);
      const d = JSON.parse(r.stdout) as IrsaDiagnosis;
      assert.equal(r.code, c.failed.length === 0 ? 0 : 1, r.stdout);
      assert.deepEqual(
        d.links.filter((l) => l.status === "fail").map((l) => l.link),
        c.failed,
      );
      assert.equal(d.links.find((l) => l.link === "result")?.status ?? "skip", c.result);
      assert.equal(d.ok, c.failed.length === 0);
      for (const l of d.links.filter((x) => x.status === "fail"))
        assert.ok(l.fix !== undefined || l.link === "result", `${l.link} has no fix`);
      if (c.fix)
        assert.ok(
          d.links.some((l) => l.fix !== undefined && c.fix!.test(l.fix)),
          JSON.stringify(d.links.map((l) => l.fix)),
        );
      const text = await cli(["doctor", "irsa", ...flags, "-n", "team-a", ...c.target]);
      assert.equal(text.code, r.code);
      for (const l of d.links)
        assert.ok(
          text.stdout.includes(`${l.status === "ok" ? "✓" : l.status === "fail" ? "✗" : "–"} ${l.link}: `),
          `${l.link} missing in text`,
        );
      assert.match(
        text.stdout,
        c.failed.length === 0
          ? /\nresult: the chain works\n$/
          : /\nresult: the chain is broken \(see ✗ above\)\n$/,
      );
    });
  }

  test("the text output of a failed trust policy shows the failing condition with expected and actual", async (t) => {
    const { flags } = await stateDir(t, { "sa.yaml": SA(), "p.yaml": PROVIDER(), "r.yaml": ROLE("other") });
    const r = await cli(["doctor", "irsa", ...flags, "-n", "team-a", "--service-account", "app"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^✗ trust-policy: the trust policy of app does not allow system:serviceaccount:team-a:app/m,
    );
    assert.match(
      r.stdout,
      /^ {4}✗ policy\.condition: StringEquals "127\.0\.0\.1:8443:sub" "system:serviceaccount:team-a:other": request value "system:serviceaccount:team-a:app" does not satisfy it$/m,
    );
    assert.match(
      r.stdout,
      /^✗ result: AssumeRoleWithWebIdentity fails: AccessDenied \(403\) Not authorized to perform sts:AssumeRoleWithWebIdentity$/m,
    );
  });

  test("bad input: both or neither of --pod and --service-account, a pod that does not exist", async (t) => {
    const { flags } = await stateDir(t, { "sa.yaml": SA() });
    for (const target of [[], ["--pod", "web", "--service-account", "app"]]) {
      const r = await cli(["doctor", "irsa", ...flags, "-n", "team-a", ...target]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /give exactly one of --pod or --service-account/);
    }
    const r = await cli(["doctor", "irsa", ...flags, "-n", "team-a", "--pod", "ghost"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pods "ghost" not found in namespace "team-a"/);
  });
});
