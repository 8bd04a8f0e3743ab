/**
 * OIDC authentication against a real IdP: oidc-provider on 127.0.0.1 over HTTPS (a CA made for the
 * test), set up like a Keycloak realm — client `kubernetes`, user `testuser` in group `testgroup`,
 * groups in the `group` claim as `/testgroup`. An ID token is obtained through the authorization-
 * code flow (dev interactions, driven over HTTP) and authenticated with groups prefix `gid:`.
 * Also: discovery and JWKS are fetched once and cached; after the IdP rotates its key the unknown
 * kid triggers one refetch; RemoteJwks limits (size, redirects, http, timeout).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import { Agent, fetch as undiciFetch } from "undici";
import { createOidcAuthenticator } from "../../src/authn/oidc/authenticate-oidc.js";
import { RemoteJwks } from "../../src/authn/jwks-cache.js";
import { ensureTls, type TlsMaterial } from "../../src/keys/tls.js";
import { fixedClock } from "../../src/lib/clock.js";
import { tempDir } from "../helpers/tmp.js";
import { freePort } from "../helpers/server.js";

interface OidcProviderLike {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => OidcProviderLike;

async function loadProvider(): Promise<ProviderCtor> {
  const name = "oidc-provider";
  const mod = (await import(name)) as { default: ProviderCtor };
  return mod.default;
}

function rsaJwk(kid: string): Record<string, unknown> {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" };
}

interface Idp {
  issuer: string;
  tls: TlsMaterial;
  agent: Agent;
  hits: Map<string, number>;
  rotate(kid: string): void;
  login(): Promise<string>;
}

async function startIdp(t: { after(fn: () => Promise<void> | void): void }): Promise<Idp> {
  const Provider = await loadProvider();
  const dir = await tempDir(t);
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const redirectUri = "https://127.0.0.1/callback";
  const make = (jwk: Record<string, unknown>): OidcProviderLike =>
    new Provider(issuer, {
      clients: [{ client_id: "kubernetes", client_secret: "kubernetes-secret", redirect_uris: [redirectUri], grant_types: ["authorization_code"], response_types: ["code"] }],
      jwks: { keys: [jwk] },
      cookies: { keys: [randomBytes(16).toString("hex")] },
      claims: { openid: ["sub"], profile: ["preferred_username"], groups: ["group"] },
      scopes: ["openid", "profile", "groups"],
      conformIdTokenClaims: false,
      ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 3600, AuthorizationCode: 60 },
      features: { devInteractions: { enabled: true } },
      findAccount: (_ctx: unknown, id: string) => ({
        accountId: id,
        claims: () => ({ sub: id, preferred_username: id, group: ["/testgroup"] }),
      }),
    });
  let current = make(rsaJwk("key-1"));
  const hits = new Map<string, number>();
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    hits.set(path, (hits.get(path) ?? 0) + 1);
    current.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const agent = new Agent({ connect: { ca: tls.ca ?? "" } });
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await agent.close();
  });

  /** The authorization-code flow with dev interactions: login as testuser, consent, exchange the code. */
  const login = async (): Promise<string> => {
    const jar = new Map<string, string>();
    const cookieHeader = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const step = async (url: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; location: string | undefined; text: string }> => {
      const headers: Record<string, string> = { cookie: cookieHeader() };
      if (init.body !== undefined) headers["content-type"] = "application/x-www-form-urlencoded";
      const r = await undiciFetch(new URL(url, issuer), { method: init.method ?? "GET", headers, ...(init.body !== undefined ? { body: init.body } : {}), redirect: "manual", dispatcher: agent });
      for (const c of r.headers.getSetCookie()) {
        const [pair] = c.split(";");
        const i = pair!.indexOf("=");
        jar.set(pair!.slice(0, i), pair!.slice(i + 1));
      }
      const text = await r.text();
      return { status: r.status, location: r.headers.get("location") ?? undefined, text };
    };
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");
    const q = new URLSearchParams({ client_id: "kubernetes", response_type: "code", scope: "openid profile groups", redirect_uri: redirectUri, state: "st", nonce: "nn", code_challenge: challenge, code_challenge_method: "S256" });
    let r = await step(`/auth?${q.toString()}`);
    for (let i = 0; i < 10 && r.location && !r.location.startsWith(redirectUri); i++) {
      const loc = r.location;
      const m = /^(?:https:\/\/127\.0\.0\.1:\d+)?\/interaction\/([^/?]+)$/.exec(loc);
      if (m) {
        const page = await step(loc);
        assert.equal(page.status, 200);
        const prompt = /name="prompt" value="login"/.test(page.text) ? "login" : "consent";
        r = await step(loc, { method: "POST", body: prompt === "login" ? "prompt=login&login=testuser&password=anything" : "prompt=consent" });
      } else {
        r = await step(loc);
      }
    }
    assert.ok(r.location?.startsWith(redirectUri), `the flow ends at the redirect URI (got ${r.status} ${r.location ?? ""})`);
    const code = new URL(r.location!).searchParams.get("code");
    assert.ok(code);
    const tok = await undiciFetch(`${issuer}/token`, {
      method: "POST",
      dispatcher: agent,
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${Buffer.from("kubernetes:kubernetes-secret").toString("base64")}` },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
    });
    const body = (await tok.json()) as { id_token?: string; error?: string; error_description?: string };
    assert.ok(body.id_token, JSON.stringify(body));
    return body.id_token;
  };
  return { issuer, tls, agent, hits, rotate: (kid) => (current = make(rsaJwk(kid))), login };
}

test("oidc-provider (Keycloak-like realm): discovery, login, authenticate with groups prefix gid:, cache, key rotation", async (t) => {
  const idp = await startIdp(t);
  const clock = fixedClock(Date.now());
  const auth = createOidcAuthenticator(
    [
      {
        issuer: { url: idp.issuer, audiences: ["kubernetes"], certificateAuthority: idp.tls.ca! },
        claimMappings: { username: { claim: "preferred_username", prefix: "" }, groups: { claim: "group", prefix: "gid:" } },
        userValidationRules: [{ expression: "!user.username.startsWith('system:')", message: "username cannot use reserved system: prefix" }],
      },
    ],
    ["https://kubeiam.test"],
    { clock, timeoutMs: 5000 },
  );
  t.after(() => auth.close());
  assert.match(auth.health() ?? "", /is not initialized/);
  await auth.start();
  assert.equal(auth.health(), undefined);

  const idToken = await idp.login();
  const r = await auth.authenticate(idToken, { now: clock.now() });
  assert.equal(r.kind, "ok", JSON.stringify(r));
  assert.equal(r.kind === "ok" && r.user.username, "testuser");
  assert.deepEqual(r.kind === "ok" && r.user.groups, ["gid:/testgroup"]);
  assert.ok(r.kind === "ok" && r.reasons.some((x) => x.check === "oidc.signature" && x.message.includes("key-1")));

  // discovery once, JWKS once, for several tokens
  const again = await auth.authenticate(await idp.login(), { now: clock.now() });
  assert.equal(again.kind, "ok");
  assert.equal(idp.hits.get("/.well-known/openid-configuration"), 1);
  assert.equal(idp.hits.get("/jwks"), 1);

  // the IdP rotates its signing key: the old token's key is gone, the new kid causes one refetch
  idp.rotate("key-2");
  clock.advance(11_000);
  const rotated = await idp.login();
  const r2 = await auth.authenticate(rotated, { now: clock.now() });
  assert.equal(r2.kind, "ok", JSON.stringify(r2));
  assert.ok(r2.kind === "ok" && r2.reasons.some((x) => x.check === "oidc.signature" && x.message.includes("key-2")));
  assert.equal(idp.hits.get("/jwks"), 2);
  // a token with a kid nobody has: one refetch at most per cooldown, then the upstream message
  const forged = rotated.split(".");
  forged[0] = Buffer.from(JSON.stringify({ alg: "RS256", kid: "key-3", typ: "JWT" })).toString("base64url");
  const r3 = await auth.authenticate(forged.join("."), { now: clock.now() });
  assert.deepEqual(r3.kind === "error" && r3.message, "oidc: verify token: failed to verify signature: failed to verify id token signature");
  const r4 = await auth.authenticate(forged.join("."), { now: clock.now() });
  assert.equal(r4.kind, "error");
  assert.equal(idp.hits.get("/jwks"), 2, "no refetch within the cooldown");

  // the wrong audience and a foreign issuer
  const other = createOidcAuthenticator([{ issuer: { url: idp.issuer, audiences: ["argo"], certificateAuthority: idp.tls.ca! }, claimMappings: { username: { claim: "sub", prefix: "" } } }], [], { clock });
  t.after(() => other.close());
  const r5 = await other.authenticate(rotated, { now: clock.now() });
  assert.deepEqual(r5.kind === "error" && r5.message, 'oidc: verify token: oidc: expected audience "argo" got ["kubernetes"]');
});

test("an IdP whose certificate is not trusted never initialises", async (t) => {
  const idp = await startIdp(t);
  const clock = fixedClock(Date.now());
  const auth = createOidcAuthenticator([{ issuer: { url: idp.issuer, audiences: ["kubernetes"] }, claimMappings: { username: { claim: "sub", prefix: "" } } }], [], { clock, timeoutMs: 5000 });
  t.after(() => auth.close());
  const r = await auth.authenticate(await idp.login(), { now: clock.now() });
  assert.deepEqual(r.kind === "error" && r.message, "oidc: authenticator not initialized");
  assert.match(auth.health() ?? "", /certificate/i);
});

async function jsonServer(t: { after(fn: () => Promise<void> | void): void }, handler: (path: string, res: ServerResponse, base: string) => void): Promise<{ base: string; ca: string }> {
  const dir = await tempDir(t);
  const tls = await ensureTls(dir, { names: ["127.0.0.1"], now: Date.now() });
  const port = await freePort();
  const base = `https://127.0.0.1:${port}`;
  const server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => handler((req.url ?? "").split("?")[0] ?? "", res, base));
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { base, ca: tls.ca ?? "" };
}

test("RemoteJwks: limits on size, redirects, scheme, time and issuer", async (t) => {
  const jwk = { ...generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }), kid: "e1", use: "sig" };
  let jwksHits = 0;
  const { base, ca } = await jsonServer(t, (path, res, b) => {
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body);
    };
    if (path === "/.well-known/openid-configuration") return send(200, JSON.stringify({ issuer: b, jwks_uri: `${b}/jwks` }));
    if (path === "/wrong-issuer/.well-known/openid-configuration") return send(200, JSON.stringify({ issuer: "https://evil.test", jwks_uri: `${b}/jwks` }));
    if (path === "/jwks") return (jwksHits++, send(200, JSON.stringify({ keys: [jwk, { kty: "oct", k: "c2VjcmV0", kid: "hmac" }, { ...jwk, kid: "enc", use: "enc" }] }), { "cache-control": "public, max-age=3600" }));
    if (path === "/big") return send(200, JSON.stringify({ keys: [], pad: "x".repeat(4096) }));
    if (path === "/same-origin-redirect") return send(302, "", { location: "/jwks" });
    if (path === "/cross-origin-redirect") return send(302, "", { location: "https://localhost:1/jwks" });
    if (path === "/slow") return void setTimeout(() => send(200, "{}"), 3000);
    if (path === "/not-json") return send(200, "<html>");
    return send(404, "nope");
  });
  const clock = fixedClock(Date.now());
  const open = (o: Partial<ConstructorParameters<typeof RemoteJwks>[0]>): RemoteJwks => {
    const r = new RemoteJwks({ issuer: base, ca, clock, ...o });
    t.after(() => r.close());
    return r;
  };

  const j = open({});
  const doc = await j.discover();
  assert.equal(doc.jwks_uri, `${base}/jwks`);
  assert.deepEqual((await j.getKeys("")).map((k) => k.kid), ["e1"], "oct and enc keys are dropped");
  assert.equal((await j.getKey("e1", "ES256")).asymmetricKeyType, "ec");
  await assert.rejects(j.getKey("e1", "RS256"), { code: "JWKS_KEY_NOT_FOUND" });
  assert.equal(jwksHits, 1);
  await j.getKeys("unknown");
  assert.equal(jwksHits, 1, "an unknown kid refetches only after the cooldown");
  clock.advance(10_000);
  await j.getKeys("unknown");
  assert.equal(jwksHits, 2);
  assert.equal(j.status().keys, 1);

  await assert.rejects(open({ jwksUri: `${base}/big`, maxBytes: 1024 }).getKeys(""), /response larger than 1024 bytes/);
  assert.equal((await open({ jwksUri: `${base}/same-origin-redirect` }).getKeys("")).length, 1);
  await assert.rejects(open({ jwksUri: `${base}/cross-origin-redirect` }).getKeys(""), /redirect to https:\/\/localhost:1 refused/);
  await assert.rejects(open({ jwksUri: `${base}/slow`, timeoutMs: 300 }).getKeys(""), /timed out after 300 ms/);
  await assert.rejects(open({ jwksUri: `${base}/not-json` }).getKeys(""), /response is not JSON/);
  await assert.rejects(open({ jwksUri: `${base}/missing` }).getKeys(""), /404 nope/);
  await assert.rejects(open({ issuer: `${base}/wrong-issuer` }).discover(), /oidc: issuer did not match the issuer returned by provider, expected "https:\/\/127\.0\.0\.1:\d+\/wrong-issuer" got "https:\/\/evil\.test"/);
  assert.throws(() => open({ jwksUri: base.replace("https:", "http:") + "/jwks" }), /only https URLs are fetched/);
  await assert.rejects(open({ ca: undefined }).discover(), /certificate/i);
});
