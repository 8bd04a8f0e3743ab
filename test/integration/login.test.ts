/**
 * `kubeiam login` against a real IdP: oidc-provider on 127.0.0.1 over HTTPS (a CA made for the
 * test), set up like the seed's Keycloak realm — client `kubernetes`, user `testuser` in group
 * `testgroup`, groups in the `group` claim as `/testgroup`. The device flow is completed by driving
 * the IdP's own user-code and interaction pages over HTTP; the password grant is a custom grant
 * type registered on the test IdP (oidc-provider ships no ROPC). The ID tokens obtained are then
 * authenticated by kubeiam's TokenReview webhook with groups prefix `gid:`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { readdir, stat, writeFile, chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import { Agent, fetch as undiciFetch } from "undici";
import { registerLoginCommands } from "../../src/cli/login.js";
import { systemClock } from "../../src/lib/clock.js";
import { ensureTls, type TlsMaterial } from "../../src/keys/tls.js";
import { tempDir } from "../helpers/tmp.js";
import { freePort, startTestServer } from "../helpers/server.js";
import { runCommand, type Run } from "../unit/clients/lib/run-cli.js";

const PASSWORD = "testpass";

interface ProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  use(mw: (ctx: KoaCtx, next: () => Promise<void>) => Promise<void>): void;
  registerGrantType(name: string, handler: (ctx: OidcCtx) => Promise<void>, params: string[]): void;
  Grant: new (o: { accountId: string; clientId: string }) => {
    addOIDCScope(s: string): void;
    addOIDCClaims(c: string[]): void;
    save(): Promise<string>;
  };
  AccessToken: new (o: Record<string, unknown>) => { save(): Promise<string>; expiration: number };
  RefreshToken: new (o: Record<string, unknown>) => { save(): Promise<string> };
  IdToken: new (
    claims: Record<string, unknown>,
    o: { ctx: OidcCtx },
  ) => { scope: string; issue(o: { use: string }): Promise<string> };
}
interface KoaCtx {
  path: string;
  method: string;
  status: number;
  body: unknown;
}
interface OidcCtx extends KoaCtx {
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

async function loadOidcProvider(): Promise<OidcModule> {
  const name = "oidc-provider";
  return (await import(name)) as OidcModule;
}

interface Idp {
  issuer: string;
  tls: TlsMaterial;
  caFile: string;
  agent: Agent;
  /** Token lifetimes (seconds), read on every issue. */
  ttl: { IdToken: number; RefreshToken: number };
  hits: Map<string, number>;
  /** Completes the device flow for a user code as testuser would in a browser. */
  approveDevice(verificationUriComplete: string): Promise<void>;
  /** Follows an authorization URL as testuser until the redirect to `redirectPrefix`; returns that URL. */
  authorize(url: string, redirectPrefix: string): Promise<string>;
  close(): Promise<void>;
}

async function startIdp(t: { after(fn: () => Promise<void> | void): void }): Promise<Idp> {
  const { default: Provider, errors } = await loadOidcProvider();
  const dir = await tempDir(t);
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const caFile = join(dir, "idp-ca.pem");
  await writeFile(caFile, tls.ca ?? "");
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const ttl = { IdToken: 3600, RefreshToken: 86400 };
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const findAccount = (
    _ctx: unknown,
    id: string,
  ): { accountId: string; claims(): Record<string, unknown> } | undefined =>
    id === "testuser"
      ? { accountId: id, claims: () => ({ sub: id, preferred_username: id, group: ["/testgroup"] }) }
      : undefined;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: "kubernetes",
        client_secret: "kubernetes-secret",
        application_type: "native",
        redirect_uris: ["http://127.0.0.1/callback"],
        grant_types: [
          "authorization_code",
          "refresh_token",
          "urn:ietf:params:oauth:grant-type:device_code",
          "password",
        ],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "idp-1", alg: "RS256", use: "sig" }] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    claims: { openid: ["sub"], profile: ["preferred_username"], groups: ["group"] },
    scopes: ["openid", "profile", "groups", "offline_access"],
    conformIdTokenClaims: false,
    issueRefreshToken: () => true,
    ttl: {
      Interaction: 600,
      Session: 3600,
      Grant: 86400,
      AccessToken: 600,
      AuthorizationCode: 60,
      DeviceCode: 600,
      IdToken: () => ttl.IdToken,
      RefreshToken: () => ttl.RefreshToken,
    },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    findAccount,
  });
  // RFC 8628 lets the server name the polling interval; 1 s keeps the test fast
  provider.use(async (ctx, next) => {
    await next();
    if (
      ctx.path === "/device/auth" &&
      ctx.status === 200 &&
      ctx.body !== null &&
      typeof ctx.body === "object"
    ) {
      (ctx.body as Record<string, unknown>).interval = 1;
    }
  });
  // Resource-owner password grant for the test realm (Keycloak has it; oidc-provider does not).
  provider.registerGrantType(
    "password",
    async (ctx) => {
      const { username, password, scope } = ctx.oidc.params;
      if (username !== "testuser" || password !== PASSWORD)
        throw new errors.InvalidGrant("invalid user credentials");
      const scopes = (scope ?? "openid").split(" ");
      const account = findAccount(ctx, username);
      if (!account) throw new errors.InvalidGrant("invalid user credentials");
      const clientId = ctx.oidc.client.clientId;
      const grant = new provider.Grant({ accountId: username, clientId });
      grant.addOIDCScope(scopes.join(" "));
      grant.addOIDCClaims(["sub", "preferred_username", "group"]);
      const grantId = await grant.save();
      ctx.oidc.entity("Account", account);
      ctx.oidc.entity("Grant", grant);
      const at = new provider.AccessToken({
        accountId: username,
        client: ctx.oidc.client,
        grantId,
        gty: "password",
        scope: scopes.join(" "),
      });
      const accessToken = await at.save();
      const rt = new provider.RefreshToken({
        accountId: username,
        client: ctx.oidc.client,
        grantId,
        gty: "password",
        scope: scopes.join(" "),
        rotations: 0,
        authTime: Math.floor(Date.now() / 1000),
      });
      const refreshToken = await rt.save();
      const claims = account.claims();
      const idt = new provider.IdToken({ ...claims, auth_time: Math.floor(Date.now() / 1000) }, { ctx });
      idt.scope = scopes.join(" ");
      const idToken = await idt.issue({ use: "idtoken" });
      ctx.body = {
        access_token: accessToken,
        id_token: idToken,
        refresh_token: refreshToken,
        token_type: "Bearer",
        expires_in: at.expiration,
        scope: scopes.join(" "),
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
  const agent = new Agent({ connect: { ca: tls.ca ?? "" } });
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await agent.close();
  };
  t.after(close);

  /** A tiny browser: cookies, redirects, and forms filled as testuser. */
  const browse = async (start: string, stopAt?: string): Promise<{ url: string; text: string }> => {
    const jar = new Map<string, string>();
    let url = start;
    let init: { method: string; body?: string } = { method: "GET" };
    for (let i = 0; i < 20; i++) {
      if (stopAt !== undefined && url.startsWith(stopAt)) return { url, text: "" };
      const headers: Record<string, string> = { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") };
      if (init.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const r = await undiciFetch(url, {
        method: init.method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        redirect: "manual",
        dispatcher: agent,
      });
      for (const c of r.headers.getSetCookie()) {
        const pair = c.split(";")[0] ?? "";
        const eq = pair.indexOf("=");
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      const text = await r.text();
      const location = r.headers.get("location");
      if (r.status >= 300 && r.status < 400 && location) {
        url = new URL(location, url).href;
        init = { method: "GET" };
        continue;
      }
      assert.equal(r.status, 200, `${url}: ${text.slice(0, 300)}`);
      const form =
        /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(text) ??
        /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(text);
      if (!form) return { url, text };
      const fields = new URLSearchParams();
      for (const m of form[2]!.matchAll(/<input([^>]*)>/gi)) {
        const name = /name="([^"]*)"/.exec(m[1]!)?.[1];
        if (name === undefined) continue;
        const value =
          /value="([^"]*)"/.exec(m[1]!)?.[1] ??
          (name === "login" ? "testuser" : name === "password" ? "anything" : "");
        fields.set(name, value.replace(/&#x2F;/g, "/").replace(/&amp;/g, "&"));
      }
      url = new URL(form[1]!.replace(/&amp;/g, "&"), url).href;
      init = { method: "POST", body: fields.toString() };
    }
    throw new Error(`no end of the browser flow after 20 steps (at ${url})`);
  };
  const approveDevice = async (complete: string): Promise<void> => {
    const end = await browse(complete);
    assert.match(end.text, /Sign-in Success|success/i, end.text.slice(0, 500));
  };
  const authorize = async (url: string, prefix: string): Promise<string> => (await browse(url, prefix)).url;
  return { issuer, tls, caFile, agent, ttl, hits, approveDevice, authorize, close };
}

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
    string,
    unknown
  >;
}

interface Cred {
  kind: string;
  apiVersion: string;
  spec: Record<string, unknown>;
  status: { expirationTimestamp: string; token: string };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("kubeiam login against oidc-provider (a Keycloak-like realm)", async (t) => {
  const idp = await startIdp(t);
  const work = await tempDir(t);
  const passwordFile = join(work, "password");
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  const secretFile = join(work, "client-secret");
  await writeFile(secretFile, "kubernetes-secret\n", { mode: 0o600 });
  // kubeiam's TokenReview webhook trusting this IdP: username from preferred_username, groups prefixed gid:
  const s = await startTestServer(t, {
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
  });
  const review = async (
    token: string,
  ): Promise<{
    status: number;
    body: { status: { authenticated?: boolean; user?: { username?: string; groups?: string[] } } };
  }> => {
    const r = await s.fetch("/authenticate", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } }),
    });
    return { status: r.status, body: r.json() as never };
  };
  // the real ~/.kube is never used: without --cache-dir the cache would land here
  const guard = { KUBECACHEDIR: join(work, "kubecache-guard") };
  t.after(async () =>
    assert.equal(
      await stat(guard.KUBECACHEDIR).then(
        () => true,
        () => false,
      ),
      false,
      "every test names its cache dir",
    ),
  );
  const common = [
    "--issuer",
    idp.issuer,
    "--client-id",
    "kubernetes",
    "--scope",
    "profile",
    "--scope",
    "groups",
    "--ca-file",
    idp.caFile,
  ];
  const opened: string[] = [];
  const login = (
    args: string[],
    o: { env?: Record<string, string>; onErr?: (text: string) => void } = {},
  ): Promise<Run> =>
    runCommand(
      (p, io) =>
        registerLoginCommands(p, io, {
          clock: systemClock,
          env: { ...guard, ...o.env },
          openBrowser: (u) => opened.push(u),
        }),
      ["login", ...common, ...args],
      o.onErr,
    );
  const tokenHits = (): number => idp.hits.get("/token") ?? 0;
  const discoveryHits = (): number => idp.hits.get("/.well-known/openid-configuration") ?? 0;

  await t.test(
    "password grant: an ID token kube-apiserver accepts, cached 0600 and reused without the IdP",
    async () => {
      const cache = join(work, "password-cache");
      const first = await login([
        "--client-secret-file",
        secretFile,
        "--username",
        "testuser",
        "--password-file",
        passwordFile,
        "--cache-dir",
        cache,
      ]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, "");
      const cred = JSON.parse(first.stdout) as Cred;
      assert.equal(first.stdout, JSON.stringify(cred) + "\n", "one line of compact JSON");
      assert.deepEqual(Object.keys(cred), ["kind", "apiVersion", "spec", "status"]);
      assert.equal(cred.apiVersion, "client.authentication.k8s.io/v1beta1");
      const claims = claimsOf(cred.status.token);
      assert.equal(claims.iss, idp.issuer);
      assert.equal(claims.aud, "kubernetes");
      assert.equal(claims.preferred_username, "testuser");
      assert.deepEqual(claims.group, ["/testgroup"]);
      assert.equal(Date.parse(cred.status.expirationTimestamp), (claims.exp as number) * 1000);

      const r = await review(cred.status.token);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.status.user?.username, "testuser");
      assert.deepEqual(r.body.status.user?.groups, ["gid:/testgroup"]);

      const files = await readdir(cache);
      assert.equal(files.length, 1);
      assert.equal((await stat(join(cache, files[0]!))).mode & 0o777, 0o600);
      assert.equal((await stat(cache)).mode & 0o777, 0o700);
      assert.ok(
        !(await readFile(join(cache, files[0]!), "utf8")).includes(PASSWORD),
        "the password is never cached",
      );

      const [tokens, discoveries] = [tokenHits(), discoveryHits()];
      const again = await login(
        [
          "--client-secret",
          "kubernetes-secret",
          "--username",
          "testuser",
          "--password-file",
          passwordFile,
          "--cache-dir",
          cache,
        ],
        {
          env: {
            KUBERNETES_EXEC_INFO:
              '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}',
          },
        },
      );
      assert.equal(again.code, 0, again.stderr);
      const cred2 = JSON.parse(again.stdout) as Cred;
      assert.equal(cred2.status.token, cred.status.token, "served from the cache");
      assert.equal(cred2.apiVersion, "client.authentication.k8s.io/v1");
      assert.deepEqual([tokenHits(), discoveryHits()], [tokens, discoveries], "no request to the IdP");

      // the printed kubeconfig entry runs the same login
      const kc = await login([
        "--client-secret-file",
        secretFile,
        "--username",
        "testuser",
        "--password-file",
        passwordFile,
        "--cache-dir",
        cache,
        "--print-kubeconfig",
        "-o",
        "json",
      ]);
      const exec = (
        JSON.parse(kc.stdout) as { users: { user: { exec: { args: string[]; interactiveMode: string } } }[] }
      ).users[0]!.user.exec;
      assert.equal(exec.interactiveMode, "Never");
      const viaEntry = await runCommand(
        (p, io) =>
          registerLoginCommands(p, io, { clock: systemClock, env: guard, openBrowser: () => undefined }),
        exec.args,
      );
      assert.equal(viaEntry.code, 0, viaEntry.stderr);
      assert.equal((JSON.parse(viaEntry.stdout) as Cred).status.token, cred.status.token);
    },
  );

  await t.test(
    "device flow: the user code completed at the IdP; near expiry the refresh token is used",
    async () => {
      const cache = join(work, "device-cache");
      idp.ttl.IdToken = 30; // under a minute left: the next run refreshes
      t.after(() => (idp.ttl.IdToken = 3600));
      let approving: Promise<void> | undefined;
      const first = await login(
        [
          "--client-secret",
          "kubernetes-secret",
          "--grant",
          "device",
          "--cache-dir",
          cache,
          "--timeout",
          "30s",
        ],
        {
          onErr: (text) => {
            const m = /\(or open (\S+)\)/.exec(text);
            if (m) approving = idp.approveDevice(m[1]!);
          },
        },
      );
      await approving;
      assert.equal(first.code, 0, first.stderr);
      assert.match(
        first.stderr,
        /^To log in, open https:\/\/127\.0\.0\.1:\d+\/device and enter the code [A-Z]{4}-[A-Z]{4}\n/,
      );
      assert.deepEqual(
        opened.splice(0),
        [/\(or open (\S+)\)/.exec(first.stderr)?.[1]],
        "the browser opener gets the complete verification URI",
      );
      const cred = JSON.parse(first.stdout) as Cred;
      assert.equal(claimsOf(cred.status.token).preferred_username, "testuser");
      assert.equal((await review(cred.status.token)).body.status.user?.username, "testuser");

      const before = tokenHits();
      const deviceStarts = idp.hits.get("/device/auth");
      const second = await login([
        "--client-secret",
        "kubernetes-secret",
        "--grant",
        "device",
        "--cache-dir",
        cache,
      ]);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stderr, "", "no new device login");
      const cred2 = JSON.parse(second.stdout) as Cred;
      assert.equal(tokenHits(), before + 1, "one refresh_token request");
      assert.equal(idp.hits.get("/device/auth"), deviceStarts);
      assert.deepEqual(claimsOf(cred2.status.token).group, ["/testgroup"]);
      assert.equal((await review(cred2.status.token)).status, 200);
      const entry = JSON.parse(await readFile(join(cache, (await readdir(cache))[0]!), "utf8")) as {
        idToken: string;
        refreshToken?: string;
      };
      assert.equal(entry.idToken, cred2.status.token);
      assert.ok(entry.refreshToken);
    },
  );

  await t.test(
    "authorization code + PKCE: the URL on stderr, the loopback redirect, the code exchange",
    async () => {
      const cache = join(work, "auth-code-cache");
      let browsing: Promise<void> | undefined;
      const r = await login(
        [
          "--client-secret",
          "kubernetes-secret",
          "--cache-dir",
          cache,
          "--listen-port",
          "0",
          "--timeout",
          "30s",
        ],
        {
          onErr: (text) => {
            const m = /^\s+(https:\/\/\S+\/auth\?\S+)$/m.exec(text);
            if (!m) return;
            // the test is the browser: log in at the IdP, then follow the redirect to the loopback listener
            browsing = idp.authorize(m[1]!, "http://127.0.0.1:").then(async (callback) => {
              const res = await fetch(callback);
              assert.equal(res.status, 200);
              assert.match(await res.text(), /You are logged in/);
            });
          },
        },
      );
      await browsing;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(opened.length, 1, "the browser opener was offered the URL");
      const url = new URL(opened.splice(0)[0]!);
      assert.equal(url.searchParams.get("code_challenge_method"), "S256");
      assert.match(url.searchParams.get("redirect_uri") ?? "", /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
      const cred = JSON.parse(r.stdout) as Cred;
      assert.equal((await review(cred.status.token)).body.status.user?.username, "testuser");
    },
  );

  await t.test(
    "an expired refresh token: the password grant logs in again; the device flow times out clearly",
    async () => {
      idp.ttl.IdToken = 30;
      idp.ttl.RefreshToken = 1;
      t.after(() => Object.assign(idp.ttl, { IdToken: 3600, RefreshToken: 86400 }));
      const cache = join(work, "expired-cache");
      const pw = [
        "--client-secret",
        "kubernetes-secret",
        "--username",
        "testuser",
        "--password-file",
        passwordFile,
        "--cache-dir",
        cache,
      ];
      assert.equal((await login(pw)).code, 0);
      let approving: Promise<void> | undefined;
      const onErr = (text: string): void => {
        const m = /\(or open (\S+)\)/.exec(text);
        if (m) approving = idp.approveDevice(m[1]!);
      };
      const dev = await login(
        ["--client-secret", "kubernetes-secret", "--grant", "device", "--cache-dir", cache],
        { onErr },
      );
      await approving;
      assert.equal(dev.code, 0, dev.stderr);
      await sleep(1100);

      const again = await login(pw);
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        again.stderr,
        /^kubeiam login: the cached refresh token could not be used \(token refresh: the identity provider answered invalid_grant: grant request is invalid\); logging in again\n$/,
      );
      assert.equal(claimsOf((JSON.parse(again.stdout) as Cred).status.token).preferred_username, "testuser");

      const timedOut = await login([
        "--client-secret",
        "kubernetes-secret",
        "--grant",
        "device",
        "--cache-dir",
        cache,
        "--timeout",
        "2s",
      ]);
      assert.equal(timedOut.code, 1);
      assert.equal(timedOut.error, "LOGIN_TIMEOUT");
      assert.equal(timedOut.stdout, "");
      assert.match(
        timedOut.stderr,
        /error: the device login was not completed within 2s; run the command again \(or raise --timeout\) \(before that, the cached refresh token could not be used: token refresh: the identity provider answered invalid_grant/,
      );
    },
  );

  await t.test("bad input: clear errors, exit 2 (cannot reach, not OIDC) or 1 (refused)", async () => {
    const cache = join(work, "bad-cache");
    const pw = ["--username", "testuser", "--password-file", passwordFile, "--cache-dir", cache];
    const closedPort = await freePort();
    const cases: [string, string[], number, string, RegExp][] = [
      [
        "unreachable issuer",
        ["--issuer", `https://127.0.0.1:${closedPort}`, "--client-secret", "kubernetes-secret", ...pw],
        2,
        "UPSTREAM_UNREACHABLE",
        new RegExp(`discovery of https://127\\.0\\.0\\.1:${closedPort}: cannot reach .*ECONNREFUSED`),
      ],
      [
        "not an OIDC issuer",
        ["--issuer", `${idp.issuer}/nothing-here`, "--client-secret", "kubernetes-secret", ...pw],
        2,
        "UPSTREAM_UNREACHABLE",
        /discovery of .*\/nothing-here: .*HTTP 404/,
      ],
      [
        "wrong client secret",
        ["--client-secret", "wrong", ...pw],
        1,
        "LOGIN_FAILED",
        /password grant: the identity provider answered invalid_client: client authentication failed \(check --client-id and --client-secret\)/,
      ],
      [
        "unknown client",
        ["--client-id", "nobody", "--client-secret", "x", ...pw],
        1,
        "LOGIN_FAILED",
        /invalid_client/,
      ],
      [
        "wrong password",
        [
          "--client-secret",
          "kubernetes-secret",
          "--username",
          "testuser",
          "--password-file",
          secretFile,
          "--cache-dir",
          cache,
        ],
        1,
        "LOGIN_FAILED",
        /password grant: the identity provider answered invalid_grant: grant request is invalid/,
      ],
    ];
    for (const [name, args, code, error, msg] of cases) {
      const r = await login(args);
      assert.equal(r.code, code, `${name}: ${r.stderr}`);
      assert.equal(r.error, error, name);
      assert.match(r.stderr, msg, name);
      assert.equal(r.stdout, "", name);
      assert.ok(
        !r.stderr.includes(PASSWORD) && !r.stderr.includes("kubernetes-secret"),
        `${name}: no secret echoed`,
      );
    }
    // the IdP's certificate is not trusted without --ca-file
    const untrusted = await runCommand(
      (p, io) =>
        registerLoginCommands(p, io, { clock: systemClock, env: guard, openBrowser: () => undefined }),
      [
        "login",
        "--issuer",
        idp.issuer,
        "--client-id",
        "kubernetes",
        "--client-secret",
        "kubernetes-secret",
        ...pw,
      ],
    );
    assert.equal(untrusted.code, 2);
    assert.match(untrusted.stderr, /cannot reach .*(CERT|SELF_SIGNED|UNABLE_TO)/);
    // a world-readable cache file is not trusted: a fresh login replaces it with a 0600 one
    const good = await login(["--client-secret", "kubernetes-secret", ...pw]);
    assert.equal(good.code, 0, good.stderr);
    const file = join(cache, (await readdir(cache))[0]!);
    await chmod(file, 0o644);
    const hits = tokenHits();
    const again = await login(["--client-secret", "kubernetes-secret", ...pw]);
    assert.equal(again.code, 0);
    assert.match(
      again.stderr,
      /ignoring the cached tokens: .* has mode 0644; tokens are trusted only from a 0600 file/,
    );
    assert.equal(tokenHits(), hits + 1);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });
});
