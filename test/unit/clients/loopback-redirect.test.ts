/**
 * The authorization-code side of `kubeiam login` without a browser: the PKCE request (S256
 * challenge of a fresh verifier, state, nonce) and the loopback redirect listener (state mismatch,
 * error parameter, missing code, timeout, busy ports, one answer only).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:net";
import * as oidc from "openid-client";
import { authorizationRequest } from "../../../src/clients/oidc/authorization-request.js";
import { startLoopbackRedirect, CALLBACK_PATH } from "../../../src/clients/oidc/loopback-redirect.js";
import { isKubeiamError } from "../../../src/lib/errors.js";

const config = new oidc.Configuration(
  {
    issuer: "https://idp.example",
    authorization_endpoint: "https://idp.example/auth",
    token_endpoint: "https://idp.example/token",
  },
  "kubernetes",
);

describe("authorization request with PKCE", () => {
  test("S256 challenge of the verifier, state, nonce, scopes and the loopback redirect", async () => {
    const r = await authorizationRequest(
      config,
      "http://127.0.0.1:8000/callback",
      ["openid", "groups"],
      "the-state",
    );
    const q = r.url.searchParams;
    assert.equal(r.url.origin + r.url.pathname, "https://idp.example/auth");
    assert.equal(q.get("client_id"), "kubernetes");
    assert.equal(q.get("response_type"), "code");
    assert.equal(q.get("redirect_uri"), "http://127.0.0.1:8000/callback");
    assert.equal(q.get("scope"), "openid groups");
    assert.equal(q.get("code_challenge_method"), "S256");
    assert.equal(q.get("code_challenge"), createHash("sha256").update(r.codeVerifier).digest("base64url"));
    assert.match(r.codeVerifier, /^[A-Za-z0-9_-]{43,128}$/, "RFC 7636 §4.1 verifier");
    assert.equal(q.get("state"), "the-state");
    assert.equal(q.get("nonce"), r.nonce);
    assert.ok(!r.url.href.includes(r.codeVerifier), "the verifier never leaves the client");
  });
  test("every login has a new verifier, state and nonce", async () => {
    const a = await authorizationRequest(config, "http://127.0.0.1:1/callback", ["openid"]);
    const b = await authorizationRequest(config, "http://127.0.0.1:1/callback", ["openid"]);
    assert.notEqual(a.codeVerifier, b.codeVerifier);
    assert.notEqual(a.state, b.state);
    assert.notEqual(a.nonce, b.nonce);
    assert.ok(a.state.length >= 32);
  });
});

async function get(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text(), headers: r.headers };
}

async function rejection(p: Promise<URL>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    assert.ok(isKubeiamError(e), String(e));
    return { code: e.code, message: e.message };
  }
  throw new Error("expected a rejection");
}

describe("loopback redirect listener", () => {
  test("a matching state and a code: 200 page, the URL resolves, later requests get 410", async (t) => {
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [0] });
    t.after(() => l.close());
    assert.match(l.redirectUri, /^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    const r = await get(`${l.redirectUri}?code=abc&state=s1`);
    assert.equal(r.status, 200);
    assert.match(r.text, /You are logged in/);
    assert.equal(r.headers.get("cache-control"), "no-store");
    assert.equal(r.headers.get("referrer-policy"), "no-referrer");
    const u = await l.result;
    assert.equal(u.searchParams.get("code"), "abc");
    assert.equal(u.pathname, CALLBACK_PATH);
    assert.equal((await get(`${l.redirectUri}?code=again&state=s1`)).status, 410);
  });

  const failures: [string, string, string, RegExp][] = [
    ["state mismatch", "?code=abc&state=other", "LOGIN_FAILED", /state that does not match this login/],
    ["no state", "?code=abc", "LOGIN_FAILED", /state that does not match/],
    ["two states", "?code=abc&state=s1&state=s1", "LOGIN_FAILED", /state that does not match/],
    [
      "error parameter",
      "?error=access_denied&error_description=User%20cancelled&state=s1",
      "LOGIN_FAILED",
      /^the identity provider answered access_denied: User cancelled$/,
    ],
    [
      "error without description",
      "?error=server_error&state=s1",
      "LOGIN_FAILED",
      /^the identity provider answered server_error$/,
    ],
    [
      "error with a wrong state is a state failure",
      "?error=access_denied&state=x",
      "LOGIN_FAILED",
      /state that does not match/,
    ],
    ["no code", "?state=s1", "LOGIN_FAILED", /without an authorization code/],
    ["two codes", "?code=a&code=b&state=s1", "LOGIN_FAILED", /without an authorization code/],
  ];
  for (const [name, query, code, msg] of failures) {
    test(name, async (t) => {
      const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [0] });
      t.after(() => l.close());
      const r = await get(`${l.redirectUri}${query}`);
      assert.equal(r.status, 400);
      assert.match(r.text, /Login failed/);
      const e = await rejection(l.result);
      assert.equal(e.code, code);
      assert.match(e.message, msg);
    });
  }

  test("the error page escapes what the provider sent", async (t) => {
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [0] });
    t.after(() => l.close());
    const r = await get(
      `${l.redirectUri}?error=x&error_description=${encodeURIComponent("<script>alert(1)</script>")}&state=s1`,
    );
    assert.ok(!r.text.includes("<script>"));
    assert.match(r.text, /&#60;script&#62;/);
    await rejection(l.result);
  });

  test("other paths and methods are 404 and do not end the wait", async (t) => {
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [0] });
    t.after(() => l.close());
    const base = l.redirectUri.replace(CALLBACK_PATH, "");
    assert.equal((await get(`${base}/favicon.ico`)).status, 404);
    assert.equal((await fetch(`${l.redirectUri}?code=a&state=s1`, { method: "POST" })).status, 404);
    assert.equal((await get(`${l.redirectUri}?code=a&state=s1`)).status, 200);
    assert.equal((await l.result).searchParams.get("code"), "a");
  });

  test("no browser within the timeout: LOGIN_TIMEOUT naming the wait", async (t) => {
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 150, ports: [0] });
    t.after(() => l.close());
    const e = await rejection(l.result);
    assert.equal(e.code, "LOGIN_TIMEOUT");
    assert.match(e.message, /no browser came back to the login redirect within 150ms/);
  });

  test("closing before an answer rejects with a cancellation", async () => {
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [0] });
    await l.close();
    assert.equal((await rejection(l.result)).code, "LOGIN_FAILED");
  });

  test("a busy port is skipped; all busy → LISTEN_FAILED", async (t) => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    t.after(() => new Promise<void>((r) => busy.close(() => r())));
    const port = (busy.address() as { port: number }).port;
    const l = await startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [port, 0] });
    t.after(() => l.close());
    assert.ok(!l.redirectUri.includes(`:${port}/`));
    await assert.rejects(
      startLoopbackRedirect({ state: "s1", timeoutMs: 5000, ports: [port] }),
      (e: unknown) =>
        isKubeiamError(e) &&
        e.code === "LISTEN_FAILED" &&
        e.message.includes(`port ${port}`) &&
        /EADDRINUSE/.test(e.message),
    );
  });
});
