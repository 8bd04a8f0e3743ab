/**
 * Resilience seen from a real kube-apiserver wired to kubeiam:
 * - kubeiam stopped while kube-apiserver runs: every webhook call fails closed (admission with
 *   failurePolicy Fail refuses pods, tokens only kubeiam can verify are Unauthorized once
 *   kube-apiserver's 10 s success cache expires, what only kubeiam's RBAC allows is refused) while what kube-apiserver decides alone keeps working
 *   (service-account tokens signed with kubeiam's exported key, exempt namespaces); kubeiam started
 *   again on the same address: everything recovers without touching kube-apiserver.
 * - an OIDC issuer that never answers: the TokenReview for its token ends Unauthorized after
 *   kubeiam's JWKS timeout, and other requests are served meanwhile; STS web identity against a
 *   provider whose JWKS never answers fails with IDPCommunicationError after `sts.jwksTimeoutMs`.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { stringify } from "yaml";
import {
  e2ePrerequisites,
  eventually,
  run,
  startWiredCluster,
  type RunResult,
  type WiredCluster,
} from "./lib/kubeiam.js";
import { freePort } from "./lib/net.js";

const pre = await e2ePrerequisites(["kubectl", "aws"]);

const ACCOUNT = "000000000000";
const ADMIN_ARN = `arn:aws:iam::${ACCOUNT}:user/admin`;
const UNAUTHORIZED =
  /error: You must be logged in to the server \((Unauthorized|the server has asked for the client to provide credentials)\)/;
/** kubeiam's RemoteJwks timeout for OIDC discovery and JWKS (not configurable; src/authn/jwks-cache.ts). */
const OIDC_FETCH_TIMEOUT_MS = 10_000;
/** kubeiam retries a failed OIDC discovery at most this often (src/authn/oidc/authenticate-oidc.ts). */
const OIDC_RETRY_INTERVAL_MS = 10_000;
const STS_JWKS_TIMEOUT_MS = 2_000;
/** kube-apiserver's cache of successful token authentications, in front of every token authenticator. */
const KUBE_TOKEN_SUCCESS_CACHE_MS = 10_000;

/**
 * An HTTPS "issuer" on loopback that never answers: in `reset` mode it closes every connection at
 * once (absent), in `hang` mode it accepts and never sends a byte (slow beyond any timeout).
 */
interface BlackHole {
  url: string;
  mode: "reset" | "hang";
  connections: number;
  close(): Promise<void>;
}

async function startBlackHole(): Promise<BlackHole> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  const hole: BlackHole = {
    url: `https://127.0.0.1:${port}`,
    mode: "reset",
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  const server: Server = createServer((socket) => {
    hole.connections++;
    if (hole.mode === "reset") {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return hole;
}

async function jwtFrom(issuer: string, audience: string): Promise<string> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return new SignJWT({ sub: "someone", preferred_username: "someone" })
    .setProtectedHeader({ alg: "RS256", kid: "unknown-key" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(privateKey);
}

void describe("resilience seen from kube-apiserver", { skip: pre.skip }, () => {
  let w: WiredCluster;
  let hole: BlackHole;
  let kubeiamStartedAt = 0;
  let iamToken: string;
  let saToken: string;
  let kubeiamOnlyToken: string;

  before(
    async () => {
      assert.ok(pre.skip === false);
      hole = await startBlackHole();
      w = await startWiredCluster({
        binaries: pre.binaries,
        kubeiam: {
          config: {
            authentication: {
              oidc: [
                {
                  issuer: { url: hole.url, audiences: ["kubernetes"] },
                  claimMappings: { username: { claim: "preferred_username", prefix: "oidc:" } },
                },
              ],
            },
            sts: { jwksTimeoutMs: STS_JWKS_TIMEOUT_MS },
          },
        },
      });
      kubeiamStartedAt = Date.now();
      const c = w.cluster;
      // the admin IAM user, mapped through aws-auth and bound to cluster-admin by kube-apiserver's RBAC
      await c.kubectl(["apply", "-f", "-"], {
        input: stringify({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "aws-auth", namespace: "kube-system" },
          data: {
            mapUsers: stringify([{ userarn: ADMIN_ARN, username: "iam-admin", groups: ["e2e:admins"] }]),
          },
        }),
      });
      await w.mirror("ConfigMap", "aws-auth", "kube-system");
      await c.kubectl([
        "create",
        "clusterrolebinding",
        "e2e-admins",
        "--clusterrole=cluster-admin",
        "--group=e2e:admins",
      ]);
      const got = await run("aws", ["eks", "get-token", "--cluster-name", "kubeiam"], { env: w.awsEnv() });
      iamToken = (JSON.parse(got.stdout) as { status: { token: string } }).status.token;
      // service accounts: `default` for pods (no kube-controller-manager here), `kubeiam-only`
      // allowed to list secrets by an RBAC binding that exists in kubeiam's store only
      for (const [ns, name] of [
        ["default", "default"],
        ["kube-system", "default"],
        ["default", "kubeiam-only"],
      ] as const) {
        await c.kubectl(["create", "serviceaccount", name, "--namespace", ns]);
      }
      await w.mirror("ServiceAccount", "default", "default");
      saToken = (await c.kubectl(["create", "token", "default", "--namespace", "default"])).stdout.trim();
      kubeiamOnlyToken = (
        await c.kubectl(["create", "token", "kubeiam-only", "--namespace", "default"])
      ).stdout.trim();
      await w.kubeiam.put(
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "Role",
          metadata: { name: "secret-lister", namespace: "default" },
          rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["list"] }],
        },
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "RoleBinding",
          metadata: { name: "kubeiam-only", namespace: "default" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "secret-lister" },
          subjects: [{ kind: "ServiceAccount", name: "kubeiam-only", namespace: "default" }],
        },
      );
    },
    { timeout: 240_000 },
  );

  after(async () => {
    await w?.stop();
    await hole?.close();
  });

  const pod = (name: string, namespace = "default"): string =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace },
      spec: { containers: [{ name: "c", image: "nginx" }] },
    });

  /** The three webhook-backed requests: admission, token authentication, authorization. */
  const probes = {
    createPod: (name: string) =>
      w.cluster.kubectl(["create", "-f", "-"], { input: pod(name), allowFailure: true }),
    iamWhoami: () =>
      w.kubectlWithToken(iamToken, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], {
        allowFailure: true,
      }),
    kubeiamRbac: () =>
      w.kubectlWithToken(kubeiamOnlyToken, ["get", "secrets", "--namespace", "default"], {
        allowFailure: true,
      }),
  };

  void test(
    "kubeiam restarted while kube-apiserver runs: webhook calls fail closed, then recover",
    { timeout: 240_000 },
    async (t) => {
      const c = w.cluster;
      // healthy
      assert.equal((await probes.createPod("before")).code, 0);
      assert.equal((await probes.iamWhoami()).stdout, "iam-admin");
      assert.equal((await probes.kubeiamRbac()).code, 0);

      await w.kubeiam.stop();
      t.after(() => w.kubeiam.start());

      const refused = await probes.createPod("while-down");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /failed calling webhook "mutate\.tenancy\.kubeiam\.io"/);
      assert.match(refused.stderr, /connection refused/);
      assert.match(
        (await c.kubectl(["get", "pod", "while-down"], { allowFailure: true })).stderr,
        /NotFound/,
        "fail closed: nothing stored",
      );

      // kube-apiserver caches a successful token authentication for 10 s whatever the webhook's own
      // cache TTL (TokenSuccessCacheTTL over all token authenticators): Unauthorized once that expires
      const downAt = Date.now();
      const unauthenticated = await eventually(
        "the IAM token to be refused",
        async () => {
          const r = await probes.iamWhoami();
          if (r.code === 0) throw new Error(`still authenticated as ${r.stdout}`);
          return r;
        },
        KUBE_TOKEN_SUCCESS_CACHE_MS + 20_000,
        1_000,
      );
      assert.match(unauthenticated.stderr, UNAUTHORIZED);
      t.diagnostic(`IAM token refused ${Date.now() - downAt} ms after kubeiam stopped`);

      // the SubjectAccessReview webhook is last in Node,RBAC,Webhook: its failure refuses the request
      const refusedAuthz = await probes.kubeiamRbac();
      assert.equal(refusedAuthz.code, 1);
      assert.match(refusedAuthz.stderr, /Error from server \(InternalError\)/);
      assert.ok(
        refusedAuthz.stderr.includes(
          `Post \\"${w.kubeiam.url}/authorize?timeout=30s\\": dial tcp 127.0.0.1:${w.kubeiam.port}: connect: connection refused`,
        ),
        refusedAuthz.stderr,
      );

      // what kube-apiserver decides on its own keeps working: tokens signed with kubeiam's exported
      // key, RBAC it holds, namespaces the webhooks exempt
      const who = await w.kubectlWithToken(saToken, [
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username}",
      ]);
      assert.equal(who.stdout, "system:serviceaccount:default:default");
      assert.equal((await c.kubectl(["create", "-f", "-"], { input: pod("exempt", "kube-system") })).code, 0);

      const restartedAt = Date.now();
      await w.kubeiam.start();
      kubeiamStartedAt = Date.now();
      await eventually(
        "pods to be admitted again",
        async () => {
          const r = await probes.createPod("after");
          if (r.code !== 0) throw new Error(r.stderr);
          return r;
        },
        60_000,
      );
      t.diagnostic(`admission recovered ${Date.now() - restartedAt} ms after kubeiam was started again`);
      const stored = await c.kubectl(["get", "pod", "after", "-o", "jsonpath={.metadata.name}"]);
      assert.equal(stored.stdout, "after");
      const admitted = w.kubeiam
        .decisions({ kind: "admission", allowed: true })
        .filter((d) => d.summary.includes('"after"') || d.summary.includes("/after"));
      assert.deepEqual(
        [...new Set(admitted.map((d) => d.action))].sort(),
        ["TenancyMutate", "TenancyValidate"],
        "both of kubeiam's admission webhooks were called again",
      );
      assert.equal((await probes.iamWhoami()).stdout, "iam-admin");
      assert.equal((await probes.kubeiamRbac()).code, 0);
    },
  );

  void test(
    "an OIDC issuer that never answers: its token is Unauthorized after kubeiam's timeout, other requests are served meanwhile",
    { timeout: 180_000 },
    async (t) => {
      hole.mode = "hang";
      const token = await jwtFrom(hole.url, "kubernetes");
      // kubeiam tried (and failed) the issuer's discovery when it started; it tries again on a token
      // for that issuer once the retry interval has passed
      const wait = kubeiamStartedAt + OIDC_RETRY_INTERVAL_MS + 500 - Date.now();
      if (wait > 0) await sleep(wait);
      const connectionsBefore = hole.connections;

      const slowStart = Date.now();
      const slow = w
        .kubectlWithToken(token, ["auth", "whoami"], { allowFailure: true, timeoutMs: 120_000 })
        .then((r) => ({ ...r, ms: Date.now() - slowStart }));
      await sleep(1_000);
      const others: RunResult[] = [];
      for (let i = 0; i < 3; i++) {
        const t0 = Date.now();
        const r = await probes.iamWhoami();
        others.push({ ...r, ms: Date.now() - t0 });
      }
      const oidc = await slow;
      t.diagnostic(
        `OIDC token answered after ${oidc.ms} ms; IAM requests meanwhile ${others.map((o) => o.ms).join(", ")} ms`,
      );

      assert.ok(hole.connections > connectionsBefore, "kubeiam went to the issuer");
      assert.equal(oidc.code, 1);
      assert.match(oidc.stderr, UNAUTHORIZED);
      assert.ok(oidc.ms >= OIDC_FETCH_TIMEOUT_MS - 2_000, `waited for the fetch timeout (${oidc.ms} ms)`);
      assert.ok(oidc.ms < OIDC_FETCH_TIMEOUT_MS + 30_000, `no hanging request (${oidc.ms} ms)`);
      for (const o of others) {
        assert.equal(o.stdout, "iam-admin");
        assert.ok(o.ms < OIDC_FETCH_TIMEOUT_MS, `an IAM token was served while the issuer hung (${o.ms} ms)`);
      }
      const error = w.kubeiam
        .decisions({ kind: "authn", allowed: false })
        .filter((d) => JSON.stringify(d.reasons).includes(hole.url))
        .at(-1);
      assert.ok(error, "the decision log has the failed TokenReview");
      assert.match(JSON.stringify(error.reasons), /timed out after 10000 ms/);
    },
  );

  void test(
    "STS web identity against a provider whose JWKS never answers: IDPCommunicationError after sts.jwksTimeoutMs",
    { timeout: 120_000 },
    async (t) => {
      hole.mode = "hang";
      const hostPath = hole.url.replace(/^https:\/\//, "");
      await w.aws([
        "iam",
        "create-open-id-connect-provider",
        "--url",
        hole.url,
        "--client-id-list",
        "sts.amazonaws.com",
      ]);
      const trust = join(w.kubeiam.stateDir, "hole-trust.json");
      await writeFile(
        trust,
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/${hostPath}` },
              Action: "sts:AssumeRoleWithWebIdentity",
            },
          ],
        }),
      );
      await w.aws([
        "iam",
        "create-role",
        "--role-name",
        "hole",
        "--assume-role-policy-document",
        `file://${trust}`,
      ]);
      const tokenFile = join(w.kubeiam.stateDir, "hole.token");
      await writeFile(tokenFile, await jwtFrom(hole.url, "sts.amazonaws.com"), { mode: 0o600 });
      const env = { ...w.awsEnv(), AWS_MAX_ATTEMPTS: "1", AWS_RETRY_MODE: "standard" };
      const r = await run(
        "aws",
        [
          "sts",
          "assume-role-with-web-identity",
          "--role-arn",
          `arn:aws:iam::${ACCOUNT}:role/hole`,
          "--role-session-name",
          "jwks-timeout",
          "--web-identity-token",
          `file://${tokenFile}`,
        ],
        { env, allowFailure: true, timeoutMs: 90_000 },
      );
      t.diagnostic(`aws sts assume-role-with-web-identity failed after ${r.ms} ms`);
      assert.notEqual(r.code, 0);
      assert.ok(
        r.ms >= STS_JWKS_TIMEOUT_MS && r.ms < STS_JWKS_TIMEOUT_MS + 30_000,
        `bounded by the JWKS timeout (${r.ms} ms)`,
      );
      assert.match(
        r.stderr,
        /An error occurred \(IDPCommunicationError\) when calling the AssumeRoleWithWebIdentity operation/,
      );
      const denial = w.kubeiam.decisions({ kind: "sts", allowed: false }).at(-1);
      assert.ok(denial);
      assert.match(JSON.stringify(denial.reasons), new RegExp(`timed out after ${STS_JWKS_TIMEOUT_MS} ms`));
    },
  );
});
