/**
 * The seed's IAM flow against a real kube-apiserver wired to kubeiam: the admin user's
 * `aws eks get-token --cluster-name kubeiam` (the real aws CLI, STS target = kubeiam) used with
 * `kubectl --token` is Unauthorized until the aws-auth ConfigMap maps the identity, then
 * authorized by RBAC for the mapped groups. Also: an assumed role mapped through mapRoles with the
 * session name in the user name, tokens for another cluster id refused, and `kubeiam get-token` as
 * kubectl's exec credential plugin.
 *
 * The aws-auth ConfigMap is applied to kube-apiserver with kubectl and mirrored into kubeiam's
 * object dir (kubeiam runs with its embedded store here; see docs/e2e.md).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import {
  curl,
  e2ePrerequisites,
  eventually,
  run,
  startWiredCluster,
  writeKubeiamCommand,
  type AwsCredentialsEnv,
  type WiredCluster,
} from "./lib/kubeiam.js";

const pre = await e2ePrerequisites(["kubectl", "aws", "curl"]);

const ACCOUNT = "000000000000";
const ADMIN_ARN = `arn:aws:iam::${ACCOUNT}:user/admin`;
const ROLE = "e2e-deployer";
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/${ROLE}`;
/** kubectl's words for a 401 (older clients print the Status message, newer ones a fixed text). */
const UNAUTHORIZED =
  /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/;

interface WhoAmI {
  status: {
    userInfo: { username: string; uid?: string; groups: string[]; extra?: Record<string, string[]> };
  };
}

function awsAuth(mapUsers: object[], mapRoles: object[] = []): string {
  return stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system" },
    data: { mapUsers: stringify(mapUsers), mapRoles: stringify(mapRoles) },
  });
}

void describe(
  "IAM flow: aws eks get-token → kubectl --token, mapped by aws-auth, authorized by RBAC",
  { skip: pre.skip },
  () => {
    let w: WiredCluster;

    before(
      async () => {
        assert.ok(pre.skip === false);
        w = await startWiredCluster({ binaries: pre.binaries, admission: false });
      },
      { timeout: 240_000 },
    );

    after(async () => {
      await w?.stop();
    });

    const getToken = async (clusterName: string, creds?: AwsCredentialsEnv): Promise<string> => {
      const r = await run("aws", ["eks", "get-token", "--cluster-name", clusterName], {
        env: w.awsEnv(creds),
      });
      const cred = JSON.parse(r.stdout) as { kind: string; status: { token: string } };
      assert.equal(cred.kind, "ExecCredential");
      assert.match(cred.status.token, /^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
      return cred.status.token;
    };

    const applyAwsAuth = async (text: string): Promise<void> => {
      await w.cluster.kubectl(["apply", "-f", "-"], { input: text });
      await w.mirror("ConfigMap", "aws-auth", "kube-system");
    };

    const whoami = async (token: string): Promise<WhoAmI["status"]["userInfo"]> =>
      (JSON.parse((await w.kubectlWithToken(token, ["auth", "whoami", "-o", "json"])).stdout) as WhoAmI)
        .status.userInfo;

    void test(
      "seed: Unauthorized until aws-auth maps the admin user, then RBAC decides for the mapped groups",
      { timeout: 180_000 },
      async () => {
        const token = await getToken("kubeiam");

        const unmapped = await w.kubectlWithToken(token, ["get", "pods", "--namespace", "default"], {
          allowFailure: true,
        });
        assert.equal(unmapped.code, 1);
        assert.match(unmapped.stderr, UNAUTHORIZED);
        const raw = await curl(`${w.cluster.serverUrl}/api/v1/namespaces/default/pods`, {
          caFile: w.cluster.caPath,
          token,
        });
        assert.equal(raw.status, 401);
        assert.deepEqual(
          (({ reason, message, code }) => ({ reason, message, code }))(
            JSON.parse(raw.body) as { reason: string; message: string; code: number },
          ),
          { reason: "Unauthorized", message: "Unauthorized", code: 401 },
        );
        // kubeiam's TokenReview verified the token with its STS and found no mapping: the log says so
        const denial = w.kubeiam.decisions({ kind: "authn", allowed: false }).at(-1);
        assert.ok(denial, "kube-apiserver asked kubeiam's TokenReview webhook");
        assert.ok(JSON.stringify(denial.reasons).includes(ADMIN_ARN), JSON.stringify(denial));

        await applyAwsAuth(
          awsAuth([{ userarn: ADMIN_ARN, username: "admin-{{AccountID}}", groups: ["e2e:viewers"] }]),
        );
        const user = await whoami(token);
        assert.equal(user.username, `admin-${ACCOUNT}`);
        assert.deepEqual(user.groups, ["e2e:viewers", "system:authenticated"]);
        assert.deepEqual(user.extra?.["arn"], [ADMIN_ARN]);
        assert.match(user.uid ?? "", new RegExp(`^aws-iam-authenticator:${ACCOUNT}:AIDA`));

        const forbidden = await w.kubectlWithToken(token, ["get", "pods", "--namespace", "default"], {
          allowFailure: true,
        });
        assert.equal(forbidden.code, 1);
        assert.match(
          forbidden.stderr,
          new RegExp(
            `pods is forbidden: User "admin-${ACCOUNT}" cannot list resource "pods" in API group "" in the namespace "default"`,
          ),
        );

        // view, edit and admin are aggregated by kube-controller-manager, which does not run here: own roles
        await w.cluster.kubectl([
          "create",
          "clusterrole",
          "e2e-reader",
          "--verb=get,list,watch",
          "--resource=pods,configmaps",
        ]);
        await w.cluster.kubectl([
          "create",
          "clusterrolebinding",
          "e2e-viewers",
          "--clusterrole=e2e-reader",
          "--group=e2e:viewers",
        ]);
        await eventually("the reader binding to take effect", async () => {
          const r = await w.kubectlWithToken(token, ["get", "pods", "--namespace", "default"], {
            allowFailure: true,
          });
          if (r.code !== 0) throw new Error(r.stderr);
          return r;
        });
        const write = await w.kubectlWithToken(
          token,
          ["create", "configmap", "x", "--namespace", "default"],
          { allowFailure: true },
        );
        assert.equal(write.code, 1);
        assert.match(
          write.stderr,
          new RegExp(
            `configmaps is forbidden: User "admin-${ACCOUNT}" cannot create resource "configmaps" in API group "" in the namespace "default"`,
          ),
          "the role is read-only",
        );
      },
    );

    void test(
      "an assumed role mapped by mapRoles: the session name in the user name, the role's groups",
      { timeout: 180_000 },
      async () => {
        const trust = join(w.kubeiam.stateDir, "deployer-trust.json");
        await writeFile(
          trust,
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: ADMIN_ARN }, Action: "sts:AssumeRole" }],
          }),
        );
        const created = await w.aws([
          "iam",
          "create-role",
          "--role-name",
          ROLE,
          "--assume-role-policy-document",
          `file://${trust}`,
        ]);
        assert.equal((created.json.Role as { Arn: string }).Arn, ROLE_ARN);
        const assumed = await w.aws([
          "sts",
          "assume-role",
          "--role-arn",
          ROLE_ARN,
          "--role-session-name",
          "alice",
        ]);
        const c = assumed.json.Credentials as {
          AccessKeyId: string;
          SecretAccessKey: string;
          SessionToken: string;
        };
        const token = await getToken("kubeiam", {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
        });

        await applyAwsAuth(
          awsAuth(
            [{ userarn: ADMIN_ARN, username: "admin-{{AccountID}}", groups: ["e2e:viewers"] }],
            [{ rolearn: ROLE_ARN, username: "deployer:{{SessionName}}", groups: ["e2e:deployers"] }],
          ),
        );
        const user = await whoami(token);
        assert.equal(user.username, "deployer:alice");
        assert.deepEqual(user.groups, ["e2e:deployers", "system:authenticated"]);
        assert.deepEqual(user.extra?.["arn"], [`arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE}/alice`]);
        assert.deepEqual(user.extra?.["canonicalArn"], [ROLE_ARN]);

        const denied = await w.kubectlWithToken(
          token,
          ["create", "configmap", "deploy-cfg", "--namespace", "default"],
          { allowFailure: true },
        );
        assert.match(
          denied.stderr,
          /configmaps is forbidden: User "deployer:alice" cannot create resource "configmaps"/,
        );
        await w.cluster.kubectl([
          "create",
          "clusterrole",
          "e2e-configmap-writer",
          "--verb=create,get,list",
          "--resource=configmaps",
        ]);
        await w.cluster.kubectl([
          "create",
          "rolebinding",
          "e2e-deployers",
          "--clusterrole=e2e-configmap-writer",
          "--group=e2e:deployers",
          "--namespace",
          "default",
        ]);
        await eventually("the writer binding to take effect", async () => {
          const r = await w.kubectlWithToken(
            token,
            ["create", "configmap", "deploy-cfg", "--namespace", "default"],
            { allowFailure: true },
          );
          if (r.code !== 0) throw new Error(r.stderr);
          return r;
        });
      },
    );

    void test(
      "a token signed for another cluster id is Unauthorized, mapping or not",
      { timeout: 60_000 },
      async () => {
        const token = await getToken("another-cluster");
        const r = await w.kubectlWithToken(token, ["get", "pods", "--namespace", "default"], {
          allowFailure: true,
        });
        assert.equal(r.code, 1);
        assert.match(r.stderr, UNAUTHORIZED);
      },
    );

    void test("`kubeiam get-token` as kubectl's exec credential plugin", { timeout: 120_000 }, async () => {
      const command = await writeKubeiamCommand(w.kubeiam.stateDir);
      const env = w.awsEnv();
      const kubeconfig = join(w.kubeiam.stateDir, "get-token.kubeconfig");
      await writeFile(
        kubeconfig,
        stringify({
          apiVersion: "v1",
          kind: "Config",
          clusters: [
            {
              name: "e2e",
              cluster: { server: w.cluster.serverUrl, "certificate-authority": w.cluster.caPath },
            },
          ],
          users: [
            {
              name: "iam",
              user: {
                exec: {
                  apiVersion: "client.authentication.k8s.io/v1beta1",
                  command,
                  args: ["get-token", "--cluster-name", "kubeiam"],
                  env: Object.entries(env)
                    .filter(([k]) => k.startsWith("AWS_"))
                    .map(([name, value]) => ({ name, value: String(value) })),
                  interactiveMode: "Never",
                },
              },
            },
          ],
          contexts: [{ name: "e2e", context: { cluster: "e2e", user: "iam" } }],
          "current-context": "e2e",
        }),
        { mode: 0o600 },
      );
      const r = await w.cluster.kubectl(["auth", "whoami", "-o", "json"], { kubeconfig, timeoutMs: 120_000 });
      assert.equal((JSON.parse(r.stdout) as WhoAmI).status.userInfo.username, `admin-${ACCOUNT}`);
      const pods = await w.cluster.kubectl(["get", "pods", "--namespace", "default"], {
        kubeconfig,
        timeoutMs: 120_000,
      });
      assert.equal(pods.code, 0, "authorized by the e2e:viewers binding");
    });
  },
);
