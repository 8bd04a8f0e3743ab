/**
 * The seed's OIDC flow against a real kube-apiserver wired to kubeiam: oidc-provider as the IdP
 * over HTTPS on loopback, set up like the seed's Keycloak realm (client `kubernetes`, user
 * `testuser` in group `testgroup`, groups in the `group` claim as `/testgroup`); kubeiam trusts it
 * with groups prefix `gid:`; kubectl gets its token from `kubeiam login` as its exec credential
 * plugin (password grant, for automation). 403 until the `read-deployments` ClusterRole and a
 * ClusterRoleBinding to group `gid:/testgroup` exist, then allowed.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { ensureTls } from "../../src/keys/tls.js";
import {
  e2ePrerequisites,
  eventually,
  startWiredCluster,
  writeKubeiamCommand,
  type WiredCluster,
} from "./lib/kubeiam.js";
import { freePort } from "./lib/net.js";

const pre = await e2ePrerequisites(["kubectl"]);

const PASSWORD = "testpass";
const CLIENT_SECRET = "kubernetes-secret";

// --- the IdP: oidc-provider with a password grant (Keycloak's direct access grants) ---------------

interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  registerGrantType(name: string, handler: (ctx: OidcCtx) => Promise<void>, params: string[]): void;
  Grant: new (o: { accountId: string; clientId: string }) => {
    addOIDCScope(s: string): void;
    addOIDCClaims(c: string[]): void;
    save(): Promise<string>;
  };
  AccessToken: new (o: Record<string, unknown>) => { save(): Promise<string>; expiration: number };
  IdToken: new (
    claims: Record<string, unknown>,
    o: { ctx: OidcCtx },
  ) => {
    scope: string;
    issue(o: { use: string }): Promise<string>;
  };
}
interface OidcCtx {
  body: unknown;
  oidc: {
    params: Record<string, string | undefined>;
    client: { clientId: string };
    entity(name: string, v: unknown): void;
  };
}
interface OidcModule {
  default: new (issuer: string, config: Record<string, unknown>) => ProviderLike;
  errors: { InvalidGrant: new (desc: string) => Error };
}

interface Idp {
  issuer: string;
  caFile: string;
  hits: Map<string, number>;
  close(): Promise<void>;
}

async function startIdp(dir: string): Promise<Idp> {
  const name = "oidc-provider";
  const { default: Provider, errors } = (await import(name)) as OidcModule;
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const caFile = join(dir, "idp-ca.pem");
  await writeFile(caFile, tls.ca ?? "");
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const account = (id: string): { accountId: string; claims(): Record<string, unknown> } | undefined =>
    id === "testuser"
      ? { accountId: id, claims: () => ({ sub: id, preferred_username: id, group: ["/testgroup"] }) }
      : undefined;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "kubernetes",
        client_secret: CLIENT_SECRET,
        redirect_uris: ["http://127.0.0.1/callback"],
        grant_types: ["authorization_code", "password"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "idp-1", alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: { openid: ["sub"], profile: ["preferred_username"], groups: ["group"] },
    scopes: ["openid", "profile", "groups"],
    conformIdTokenClaims: false,
    ttl: {
      AccessToken: 600,
      IdToken: 3600,
      Grant: 3600,
      Session: 3600,
      Interaction: 600,
      AuthorizationCode: 60,
    },
    features: { devInteractions: { enabled: false } },
    findAccount: (_ctx: unknown, id: string) => account(id),
  });
  // oidc-provider ships no resource-owner password grant; the realm under test (Keycloak) has one
  provider.registerGrantType(
    "password",
    async (ctx) => {
      const { username, password, scope } = ctx.oidc.params;
      const acct = username !== undefined ? account(username) : undefined;
      if (!acct || password !== PASSWORD) throw new errors.InvalidGrant("invalid user credentials");
      const scopes = (scope ?? "openid").split(" ").join(" ");
      const grant = new provider.Grant({ accountId: acct.accountId, clientId: ctx.oidc.client.clientId });
      grant.addOIDCScope(scopes);
      grant.addOIDCClaims(["sub", "preferred_username", "group"]);
      const grantId = await grant.save();
      ctx.oidc.entity("Account", acct);
      ctx.oidc.entity("Grant", grant);
      const at = new provider.AccessToken({
        accountId: acct.accountId,
        client: ctx.oidc.client,
        grantId,
        gty: "password",
        scope: scopes,
      });
      const accessToken = await at.save();
      const idt = new provider.IdToken(
        { ...acct.claims(), auth_time: Math.floor(Date.now() / 1000) },
        { ctx },
      );
      idt.scope = scopes;
      ctx.body = {
        access_token: accessToken,
        id_token: await idt.issue({ use: "idtoken" }),
        token_type: "Bearer",
        expires_in: at.expiration,
        scope: scopes,
      };
    },
    ["username", "password", "scope"],
  );
  const hits = new Map<string, number>();
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    provider.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    issuer,
    caFile,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

// --- the flow -----------------------------------------------------------------------------------

const READ_DEPLOYMENTS = stringify({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRole",
  metadata: { name: "read-deployments" },
  rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] }],
});
const READ_DEPLOYMENTS_BINDING = stringify({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "ClusterRoleBinding",
  metadata: { name: "read-deployments" },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "read-deployments" },
  subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "gid:/testgroup" }],
});

void describe(
  "OIDC flow: oidc-provider, kubeiam login as kubectl's exec plugin, groups prefix gid:",
  { skip: pre.skip },
  () => {
    let idp: Idp | undefined;
    let idpDir: string | undefined;
    let w: WiredCluster;
    let kubeconfig: string;

    before(
      async () => {
        assert.ok(pre.skip === false);
        idpDir = await mkdtemp(join(tmpdir(), "kubeiam-e2e-idp-"));
        idp = await startIdp(idpDir);
        w = await startWiredCluster({
          binaries: pre.binaries,
          admission: false,
          kubeiam: {
            config: {
              authentication: {
                oidc: [
                  {
                    issuer: { url: idp.issuer, audiences: ["kubernetes"], caFile: idp.caFile },
                    claimMappings: {
                      username: { claim: "preferred_username", prefix: "" },
                      groups: { claim: "group", prefix: "gid:" },
                    },
                  },
                ],
              },
            },
          },
        });
        const dir = w.kubeiam.stateDir;
        const passwordFile = join(dir, "password");
        const secretFile = join(dir, "client-secret");
        await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
        await writeFile(secretFile, `${CLIENT_SECRET}\n`, { mode: 0o600 });
        // the kubeconfig user entry kubeiam prints for itself, run through this checkout's CLI
        const printed = await w.kubeiam.cli(
          [
            "login",
            "--issuer",
            idp.issuer,
            "--client-id",
            "kubernetes",
            "--client-secret-file",
            secretFile,
            "--scope",
            "profile",
            "--scope",
            "groups",
            "--username",
            "testuser",
            "--password-file",
            passwordFile,
            "--ca-file",
            idp.caFile,
            "--cache-dir",
            join(dir, "login-cache"),
            "--print-kubeconfig",
            "--name",
            "testuser",
            "-o",
            "json",
          ],
          false,
        );
        assert.equal(printed.code, 0, printed.stderr);
        const entry = (
          JSON.parse(printed.stdout) as { users: { name: string; user: { exec: { command: string } } }[] }
        ).users[0];
        assert.ok(entry);
        assert.equal(entry.user.exec.command, "kubeiam");
        entry.user.exec.command = await writeKubeiamCommand(dir);
        kubeconfig = join(dir, "oidc.kubeconfig");
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
            users: [entry],
            contexts: [{ name: "e2e", context: { cluster: "e2e", user: "testuser" } }],
            "current-context": "e2e",
          }),
          { mode: 0o600 },
        );
      },
      { timeout: 240_000 },
    );

    after(async () => {
      await w?.stop();
      await idp?.close();
      if (idpDir !== undefined) await rm(idpDir, { recursive: true, force: true });
    });

    const kubectl = (args: string[]): ReturnType<WiredCluster["cluster"]["kubectl"]> =>
      w.cluster.kubectl(args, { kubeconfig, allowFailure: true, timeoutMs: 120_000 });

    void test(
      "seed: 403 until read-deployments is bound to gid:/testgroup, then allowed",
      { timeout: 240_000 },
      async () => {
        const who = await kubectl(["auth", "whoami", "-o", "json"]);
        assert.equal(who.code, 0, who.stderr);
        const user = (
          JSON.parse(who.stdout) as { status: { userInfo: { username: string; groups: string[] } } }
        ).status.userInfo;
        assert.equal(user.username, "testuser");
        assert.deepEqual(user.groups, ["gid:/testgroup", "system:authenticated"]);
        assert.ok(
          w.kubeiam.decisions({ kind: "authn", allowed: true }).some((d) => d.subject === "testuser"),
          "authenticated by kubeiam's TokenReview webhook",
        );

        const denied = await kubectl(["get", "deployments", "--all-namespaces"]);
        assert.equal(denied.code, 1);
        assert.match(
          denied.stderr,
          /Error from server \(Forbidden\): deployments\.apps is forbidden: User "testuser" cannot list resource "deployments" in API group "apps" at the cluster scope/,
        );

        await w.cluster.kubectl(["apply", "-f", "-"], { input: READ_DEPLOYMENTS });
        const stillDenied = await kubectl(["get", "deployments", "--all-namespaces"]);
        assert.equal(stillDenied.code, 1, "a ClusterRole alone grants nothing");

        await w.cluster.kubectl(["apply", "-f", "-"], { input: READ_DEPLOYMENTS_BINDING });
        const allowed = await eventually("the binding to take effect", async () => {
          const r = await kubectl(["get", "deployments", "--all-namespaces"]);
          if (r.code !== 0) throw new Error(r.stderr);
          return r;
        });
        assert.match(allowed.stderr, /No resources found/);
        const write = await kubectl([
          "create",
          "deployment",
          "web",
          "--image=nginx",
          "--namespace",
          "default",
        ]);
        assert.equal(write.code, 1, "the role reads only");
        assert.match(
          write.stderr,
          /deployments\.apps is forbidden: User "testuser" cannot create resource "deployments"/,
        );
      },
    );

    void test(
      "the exec plugin's ID token is cached: more kubectl calls do not go back to the IdP",
      { timeout: 120_000 },
      async () => {
        assert.ok(idp);
        const tokens = idp.hits.get("/token") ?? 0;
        assert.ok(tokens >= 1, "the first kubectl call logged in with the password grant");
        const r = await kubectl(["get", "deployments", "--namespace", "default"]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(idp.hits.get("/token") ?? 0, tokens);
      },
    );
  },
);
