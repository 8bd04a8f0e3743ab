/**
 * The seed's IRSA flow against a real kube-apiserver wired to kubeiam, with the real kubectl and aws
 * CLI: the OIDC provider and role created through kubeiam's IAM, a ServiceAccount annotated with
 * the role, `kubectl run` → the pod kube-apiserver stores carries kubeiam's mutation (env and the
 * projected `aws-iam-token` volume) → the token the kubelet would request for that volume, from
 * kube-apiserver's TokenRequest with audience sts.amazonaws.com → `aws sts
 * assume-role-with-web-identity` at kubeiam → `aws sts get-caller-identity` with the returned
 * credentials shows the assumed-role ARN. A pod of another service account is not mutated and its
 * token is refused, with the reason in the x-kubeiam-explain header and the decision log.
 *
 * ServiceAccounts are created with kubectl and mirrored into kubeiam's object dir, where the
 * mutating webhook looks them up (kubeiam runs with its embedded store here; see docs/e2e.md).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { decodeJwt } from "jose";
import { curl, e2ePrerequisites, run, startWiredCluster, type WiredCluster } from "./lib/kubeiam.js";

const pre = await e2ePrerequisites(["kubectl", "aws", "curl"]);

const ACCOUNT = "000000000000";
const ROLE = "irsa-demo";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
const AUDIENCE = "sts.amazonaws.com";
const MOUNT = "/var/run/secrets/eks.amazonaws.com/serviceaccount";

interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodJson {
  metadata: { name: string; uid: string };
  spec: {
    serviceAccountName: string;
    containers: Container[];
    volumes?: {
      name: string;
      projected?: { sources: { serviceAccountToken?: Record<string, unknown> }[] };
    }[];
  };
}

function envOf(c: Container): Record<string, string> {
  return Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? ""]));
}

void describe(
  "IRSA flow: annotated ServiceAccount → mutated pod → TokenRequest → STS at kubeiam",
  { skip: pre.skip },
  () => {
    let w: WiredCluster;
    let hostPath: string;

    before(
      async () => {
        assert.ok(pre.skip === false);
        w = await startWiredCluster({ binaries: pre.binaries });
        hostPath = w.kubeiam.url.replace(/^https:\/\//, "");
        // IAM, as an operator would set it up with the aws CLI against kubeiam
        const provider = await w.aws([
          "iam",
          "create-open-id-connect-provider",
          "--url",
          w.kubeiam.url,
          "--client-id-list",
          AUDIENCE,
        ]);
        assert.equal(
          provider.json.OpenIDConnectProviderArn,
          `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}`,
        );
        const trust = join(w.kubeiam.stateDir, "irsa-trust.json");
        await writeFile(
          trust,
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                  StringEquals: {
                    [`${hostPath}:sub`]: `system:serviceaccount:default:${ROLE}`,
                    [`${hostPath}:aud`]: AUDIENCE,
                  },
                },
              },
            ],
          }),
        );
        await w.aws([
          "iam",
          "create-role",
          "--role-name",
          ROLE,
          "--assume-role-policy-document",
          `file://${trust}`,
        ]);
      },
      { timeout: 240_000 },
    );

    after(async () => {
      await w?.stop();
    });

    const runPod = async (name: string, serviceAccount: string): Promise<PodJson> => {
      await w.cluster.kubectl([
        "run",
        name,
        "--image=public.ecr.aws/aws-cli/aws-cli:latest",
        "--restart=Never",
        "--namespace",
        "default",
        "--overrides",
        JSON.stringify({ apiVersion: "v1", spec: { serviceAccountName: serviceAccount } }),
        "--command",
        "--",
        "aws",
        "sts",
        "get-caller-identity",
      ]);
      return JSON.parse(
        (await w.cluster.kubectl(["get", "pod", name, "--namespace", "default", "-o", "json"])).stdout,
      ) as PodJson;
    };

    const projectedToken = async (serviceAccount: string, pod: PodJson): Promise<string> => {
      // what the kubelet asks for the aws-iam-token volume: audience sts.amazonaws.com, bound to the pod
      const token = (
        await w.cluster.kubectl([
          "create",
          "token",
          serviceAccount,
          "--namespace",
          "default",
          "--audience",
          AUDIENCE,
          "--bound-object-kind",
          "Pod",
          "--bound-object-name",
          pod.metadata.name,
          "--bound-object-uid",
          pod.metadata.uid,
          "--duration",
          "1h",
        ])
      ).stdout;
      const claims = decodeJwt(token.trim());
      assert.equal(claims.iss, w.kubeiam.url);
      assert.deepEqual(claims.aud, [AUDIENCE]);
      assert.equal((claims["kubernetes.io"] as { pod?: { name: string } }).pod?.name, pod.metadata.name);
      return token;
    };

    void test(
      "seed: kubectl run → mutated pod → assume-role-with-web-identity → get-caller-identity shows the assumed role",
      { timeout: 240_000 },
      async () => {
        const c = w.cluster;
        await c.kubectl(["create", "serviceaccount", ROLE, "--namespace", "default"]);
        await c.kubectl([
          "annotate",
          "serviceaccount",
          ROLE,
          "--namespace",
          "default",
          `eks.amazonaws.com/role-arn=${ROLE_ARN}`,
        ]);
        await w.mirror("ServiceAccount", ROLE, "default");

        const pod = await runPod("irsa-pod", ROLE);
        const container = pod.spec.containers[0];
        assert.ok(container);
        const env = envOf(container);
        assert.equal(env.AWS_ROLE_ARN, ROLE_ARN);
        assert.equal(env.AWS_WEB_IDENTITY_TOKEN_FILE, `${MOUNT}/token`);
        assert.equal(env.AWS_REGION, "us-east-1");
        assert.deepEqual(
          container.volumeMounts?.find((m) => m.name === "aws-iam-token"),
          { name: "aws-iam-token", mountPath: MOUNT, readOnly: true },
        );
        const volume = pod.spec.volumes?.find((v) => v.name === "aws-iam-token");
        assert.deepEqual(volume?.projected?.sources, [
          { serviceAccountToken: { audience: AUDIENCE, expirationSeconds: 86400, path: "token" } },
        ]);

        const tokenFile = join(w.kubeiam.stateDir, "irsa-pod.token");
        await writeFile(tokenFile, await projectedToken(ROLE, pod), { mode: 0o600 });
        const assumed = await w.aws([
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          ROLE_ARN,
          "--role-session-name",
          "irsa-e2e",
          "--web-identity-token",
          `file://${tokenFile}`,
        ]);
        const assumedArn = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/irsa-e2e`;
        assert.equal((assumed.json.AssumedRoleUser as { Arn: string }).Arn, assumedArn);
        assert.equal(assumed.json.SubjectFromWebIdentityToken, `system:serviceaccount:default:${ROLE}`);
        assert.equal(assumed.json.Audience, AUDIENCE);
        const creds = assumed.json.Credentials as {
          AccessKeyId: string;
          SecretAccessKey: string;
          SessionToken: string;
        };
        assert.match(creds.AccessKeyId, /^ASIA/);

        const who = await w.aws(["sts", "get-caller-identity"], {
          creds: {
            accessKeyId: creds.AccessKeyId,
            secretAccessKey: creds.SecretAccessKey,
            sessionToken: creds.SessionToken,
          },
        });
        assert.equal(who.json.Arn, assumedArn);
        assert.equal(who.json.Account, ACCOUNT);

        // and as the pod's SDK does it: only the injected environment, the token file at its path
        const podEnv = w.awsEnv();
        delete podEnv.AWS_ACCESS_KEY_ID;
        delete podEnv.AWS_SECRET_ACCESS_KEY;
        Object.assign(podEnv, env, { AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile });
        const sdk = await run("aws", ["sts", "get-caller-identity", "--output", "json"], {
          env: podEnv,
          timeoutMs: 90_000,
        });
        assert.match(
          (JSON.parse(sdk.stdout) as { Arn: string }).Arn,
          new RegExp(`^arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/botocore-session-\\d+$`),
        );
      },
    );

    void test(
      "a pod of another service account: not mutated, and its token is refused with the reason explained",
      { timeout: 240_000 },
      async () => {
        const c = w.cluster;
        await c.kubectl(["create", "serviceaccount", "other", "--namespace", "default"]);
        await w.mirror("ServiceAccount", "other", "default");
        const pod = await runPod("other-pod", "other");
        const container = pod.spec.containers[0];
        assert.ok(container);
        assert.equal(envOf(container).AWS_ROLE_ARN, undefined, "no role annotation, no injection");
        assert.equal(
          pod.spec.volumes?.find((v) => v.name === "aws-iam-token"),
          undefined,
        );

        const token = await projectedToken("other", pod);
        const tokenFile = join(w.kubeiam.stateDir, "other-pod.token");
        await writeFile(tokenFile, token, { mode: 0o600 });
        const refused = await w.aws(
          [
            "sts",
            "assume-role-with-web-identity",
            "--role-arn",
            ROLE_ARN,
            "--role-session-name",
            "intruder",
            "--web-identity-token",
            `file://${tokenFile}`,
          ],
          { allowFailure: true },
        );
        assert.notEqual(refused.code, 0);
        assert.match(
          refused.stderr,
          /An error occurred \(AccessDenied\) when calling the AssumeRoleWithWebIdentity operation: Not authorized to perform sts:AssumeRoleWithWebIdentity/,
        );

        // the same call over plain HTTP: AWS's body, kubeiam's reasons in a header
        const raw = await curl(w.kubeiam.url, {
          caFile: w.kubeiam.caFile,
          data: new URLSearchParams({
            Action: "AssumeRoleWithWebIdentity",
            Version: "2011-06-15",
            RoleArn: ROLE_ARN,
            RoleSessionName: "intruder",
            WebIdentityToken: token.trim(),
          }).toString(),
          headers: { "content-type": "application/x-www-form-urlencoded" },
        });
        assert.equal(raw.status, 403);
        assert.match(raw.body, /<Code>AccessDenied<\/Code>/);
        const explain = raw.headers["x-kubeiam-explain"] ?? "";
        assert.match(explain, /system:serviceaccount:default:other/, explain);
        assert.ok(
          explain.includes(`${hostPath}:sub`),
          `the header names the failed condition key: ${explain}`,
        );

        const denial = w.kubeiam.decisions({ kind: "sts", allowed: false }).at(-1);
        assert.ok(denial);
        assert.equal(denial.action, "AssumeRoleWithWebIdentity");
        const failed = denial.reasons.filter((r) => !r.ok);
        assert.ok(failed.length > 0);
        assert.ok(
          failed.some(
            (r) =>
              JSON.stringify(r).includes(`system:serviceaccount:default:${ROLE}`) &&
              JSON.stringify(r).includes("system:serviceaccount:default:other"),
          ),
          `a failed check shows expected and actual subjects: ${JSON.stringify(failed)}`,
        );
      },
    );
  },
);
