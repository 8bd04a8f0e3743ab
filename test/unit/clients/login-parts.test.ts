/**
 * `kubeiam login`'s offline parts: the token cache (location, key, 0600 files, untrusted files
 * ignored), ID-token expiry, the error mapping from openid-client, the browser choice, the
 * kubeconfig user entry, and usage errors of the command (none of which touch the network).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import * as oidc from "openid-client";
import {
  cacheDirectory,
  cacheFileName,
  readCachedTokens,
  writeCachedTokens,
  type CachedTokens,
} from "../../../src/clients/oidc/token-cache.js";
import { idTokenExpiry } from "../../../src/clients/oidc/id-token-expiry.js";
import { loginError } from "../../../src/clients/oidc/login-error.js";
import { browserCommand } from "../../../src/clients/open-browser.js";
import { kubeconfigUser } from "../../../src/clients/oidc/kubeconfig-user.js";
import { formatWait } from "../../../src/clients/lib/format-wait.js";
import { registerLoginCommands, loginScopes, parsePorts } from "../../../src/cli/login.js";
import { systemClock } from "../../../src/lib/clock.js";
import { isKubeiamError, KubeiamError } from "../../../src/lib/errors.js";
import { tempDir } from "../../helpers/tmp.js";
import { runCommand } from "./lib/run-cli.js";

const jwt = (claims: Record<string, unknown>): string =>
  ["eyJhbGciOiJSUzI1NiJ9", Buffer.from(JSON.stringify(claims)).toString("base64url"), "c2ln"].join(".");

describe("token cache", () => {
  test("location: --cache-dir, else $KUBECACHEDIR/kubeiam, else ~/.kube/cache/kubeiam", () => {
    assert.equal(cacheDirectory("/x/y", { KUBECACHEDIR: "/k" }, "/home/u"), "/x/y");
    assert.equal(cacheDirectory(undefined, { KUBECACHEDIR: "/k" }, "/home/u"), "/k/kubeiam");
    assert.equal(cacheDirectory(undefined, { KUBECACHEDIR: "" }, "/home/u"), "/home/u/.kube/cache/kubeiam");
    assert.equal(cacheDirectory(undefined, {}, "/home/u"), "/home/u/.kube/cache/kubeiam");
  });

  test("key: issuer, client and the set of scopes (order and repeats do not matter), and the password user", () => {
    const k = { issuer: "https://idp", clientId: "kubernetes", scopes: ["openid", "groups"] };
    assert.equal(cacheFileName(k), cacheFileName({ ...k, scopes: ["groups", "openid", "groups"] }));
    assert.match(cacheFileName(k), /^[0-9a-f]{64}\.json$/);
    for (const other of [
      { ...k, issuer: "https://idp/" },
      { ...k, clientId: "kubectl" },
      { ...k, scopes: ["openid"] },
      { ...k, username: "testuser" },
    ]) {
      assert.notEqual(cacheFileName(other), cacheFileName(k), JSON.stringify(other));
    }
  });

  test("round trip in a 0700 directory with a 0600 file, replaced atomically", async (t) => {
    const dir = join(await tempDir(t), "nested", "cache");
    const entry: CachedTokens = {
      issuer: "https://idp",
      clientId: "kubernetes",
      scopes: ["openid", "groups"],
      idToken: jwt({ exp: 2 }),
      refreshToken: "rt",
      expiresAt: 2000,
    };
    const file = await writeCachedTokens(dir, entry);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(
      (
        await readCachedTokens(dir, {
          issuer: "https://idp",
          clientId: "kubernetes",
          scopes: ["groups", "openid"],
        })
      ).entry,
      { ...entry, scopes: ["groups", "openid"] },
    );
    await writeCachedTokens(dir, { ...entry, idToken: jwt({ exp: 3 }), expiresAt: 3000 });
    assert.deepEqual(await readdir(dir), [file.split("/").pop()], "no temporary files left");
    assert.equal((await readCachedTokens(dir, entry)).entry?.expiresAt, 3000);
    assert.deepEqual(await readCachedTokens(dir, { ...entry, clientId: "other" }), {});
  });

  test("untrusted or damaged files are ignored with a reason", async (t) => {
    const dir = await tempDir(t);
    const k = { issuer: "https://idp", clientId: "kubernetes", scopes: ["openid"] };
    const file = join(dir, cacheFileName(k));
    const good = JSON.stringify({ ...k, idToken: "x.y.z", expiresAt: 1 });
    const cases: [string, string, number, RegExp][] = [
      ["group-readable", good, 0o640, /has mode 0640; tokens are trusted only from a 0600 file/],
      ["world-readable", good, 0o644, /has mode 0644/],
      ["not JSON", "{", 0o600, /is not valid JSON/],
      ["wrong fields", JSON.stringify({ ...k, idToken: 5 }), 0o600, /does not have the expected fields/],
      [
        "another issuer's entry under this name",
        JSON.stringify({ ...k, issuer: "https://evil", idToken: "x.y.z", expiresAt: 1 }),
        0o600,
        /belongs to another issuer/,
      ],
      ["too large", " ".repeat(300 * 1024), 0o600, /larger than/],
    ];
    for (const [name, text, mode, reason] of cases) {
      await writeFile(file, text);
      await chmod(file, mode);
      const r = await readCachedTokens(dir, k);
      assert.equal(r.entry, undefined, name);
      assert.match(r.ignored ?? "", reason, name);
    }
    await chmod(file, 0o600);
    await writeFile(file, good);
    assert.equal((await readCachedTokens(dir, k)).entry?.idToken, "x.y.z");
  });

  test("an unwritable cache directory is a clear error", async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, "file"), "");
    await assert.rejects(
      writeCachedTokens(join(dir, "file", "sub"), {
        issuer: "i",
        clientId: "c",
        scopes: [],
        idToken: "t",
        expiresAt: 0,
      }),
      (e: unknown) =>
        isKubeiamError(e) &&
        e.code === "STATE_DIR_UNUSABLE" &&
        /cannot write the token cache .* pass a writable --cache-dir/.test(e.message),
    );
  });
});

describe("ID token expiry", () => {
  test("exp in ms", () => {
    assert.equal(idTokenExpiry(jwt({ exp: 1700000000 })), 1_700_000_000_000);
    assert.equal(idTokenExpiry(jwt({ exp: 1700000000.9 })), 1_700_000_000_000);
  });
  for (const [name, token] of [
    ["no exp", jwt({ sub: "x" })],
    ["string exp", jwt({ exp: "1700000000" })],
    ["negative exp", jwt({ exp: -1 })],
    ["two parts", "a.b"],
    ["payload not JSON", "a.bm90IGpzb24.c"],
    ["payload null", `a.${Buffer.from("null").toString("base64url")}.c`],
  ] as const) {
    test(`rejects ${name}`, () => {
      assert.throws(
        () => idTokenExpiry(token),
        (e: unknown) =>
          isKubeiamError(e) && e.code === "LOGIN_FAILED" && /without a numeric exp claim/.test(e.message),
      );
    });
  }
});

describe("loginError", () => {
  const issuer = "https://idp.example";
  const responseError = (error: string, error_description?: string): unknown =>
    Object.assign(new Error("server responded with an error in the response body"), {
      error,
      error_description,
      status: 400,
      code: "OAUTH_RESPONSE_BODY_ERROR",
    });
  const cases: [string, unknown, string, string, RegExp][] = [
    [
      "invalid_client",
      responseError("invalid_client", "client authentication failed"),
      "password grant",
      "LOGIN_FAILED",
      /^password grant: the identity provider answered invalid_client: client authentication failed \(check --client-id and --client-secret\)$/,
    ],
    [
      "invalid_grant",
      responseError("invalid_grant", "grant request is invalid"),
      "token refresh",
      "LOGIN_FAILED",
      /^token refresh: the identity provider answered invalid_grant: grant request is invalid$/,
    ],
    [
      "expired_token",
      responseError("expired_token"),
      "device authorization",
      "LOGIN_TIMEOUT",
      /expired_token \(the code expired/,
    ],
    [
      "access_denied",
      responseError("access_denied", "End-User aborted interaction"),
      "device authorization",
      "LOGIN_FAILED",
      /access_denied: End-User aborted interaction \(the login was refused/,
    ],
    [
      "connection refused",
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" }),
      }),
      "discovery of https://idp.example",
      "UPSTREAM_UNREACHABLE",
      /^discovery of https:\/\/idp\.example: cannot reach https:\/\/idp\.example \(ECONNREFUSED\); check --issuer/,
    ],
    [
      "untrusted certificate",
      new TypeError("fetch failed", {
        cause: Object.assign(new Error("self-signed certificate"), { code: "SELF_SIGNED_CERT_IN_CHAIN" }),
      }),
      "discovery of x",
      "UPSTREAM_UNREACHABLE",
      /\(SELF_SIGNED_CERT_IN_CHAIN\)/,
    ],
    [
      "timeout",
      Object.assign(new Error("operation timed out"), { code: "OAUTH_TIMEOUT" }),
      "token refresh",
      "UPSTREAM_UNREACHABLE",
      /did not answer in time/,
    ],
    [
      "not an OIDC issuer (discovery)",
      Object.assign(new Error("unexpected HTTP response status code"), {
        code: "OAUTH_RESPONSE_IS_NOT_CONFORM",
        cause: { status: 404 },
      }),
      "discovery of x",
      "UPSTREAM_UNREACHABLE",
      /unexpected HTTP response status code \(HTTP 404\) \(OAUTH_RESPONSE_IS_NOT_CONFORM\)/,
    ],
    [
      "protocol violation later",
      Object.assign(new Error("unexpected JWT claim value encountered"), {
        code: "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
        cause: new Error('unexpected JWT "nonce" claim value'),
      }),
      "authorization code exchange",
      "LOGIN_FAILED",
      /nonce/,
    ],
    ["anything else", new Error("boom"), "password grant", "LOGIN_FAILED", /^password grant: boom$/],
  ];
  for (const [name, e, what, code, msg] of cases) {
    test(name, () => {
      const k = loginError(e, what, issuer);
      assert.equal(k.code, code);
      assert.match(k.message, msg);
    });
  }
  test("a KubeiamError passes through; JWTs in provider text are redacted", () => {
    const k = new KubeiamError("LOGIN_TIMEOUT", "x");
    assert.equal(loginError(k, "w", issuer), k);
    const leaked = loginError(
      responseError("invalid_grant", "bad token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"),
      "token refresh",
      issuer,
    );
    assert.ok(!leaked.message.includes("eyJzdWIi"), leaked.message);
  });
  test("real openid-client errors map the same way", async () => {
    const cfg = new oidc.Configuration({ issuer, token_endpoint: "https://127.0.0.1:1/token" }, "kubernetes");
    const e = await oidc.refreshTokenGrant(cfg, "rt").then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.equal(loginError(e, "token refresh", issuer).code, "UPSTREAM_UNREACHABLE");
  });
});

describe("browser and waits", () => {
  test("xdg-open only with a display; open on macOS; nothing on Windows or headless Linux", () => {
    assert.equal(browserCommand("linux", {}), undefined);
    assert.equal(browserCommand("linux", { DISPLAY: "" }), undefined);
    assert.equal(browserCommand("linux", { DISPLAY: ":0" }), "xdg-open");
    assert.equal(browserCommand("linux", { WAYLAND_DISPLAY: "wayland-0" }), "xdg-open");
    assert.equal(browserCommand("darwin", {}), "open");
    assert.equal(browserCommand("win32", { DISPLAY: ":0" }), undefined);
  });
  test("formatWait", () => {
    assert.deepEqual([150, 999, 1000, 20_000, 60_000, 150_000, 180_000].map(formatWait), [
      "150ms",
      "999ms",
      "1s",
      "20s",
      "1m",
      "2m30s",
      "3m",
    ]);
  });
});

describe("kubeconfig user entry", () => {
  test("the login flags become exec args; files absolute; interactive mode by grant", () => {
    const e = kubeconfigUser(
      {
        name: "oidc",
        command: "kubeiam",
        issuer: "https://idp",
        clientId: "kubernetes",
        clientSecretFile: "secret.txt",
        extraScopes: ["groups"],
        grant: "password",
        username: "ci",
        passwordFile: "pw",
        caFile: "/etc/ca.pem",
        cacheDir: "cache",
      },
      "/work",
    );
    assert.deepEqual(e, {
      name: "oidc",
      user: {
        exec: {
          apiVersion: "client.authentication.k8s.io/v1",
          command: "kubeiam",
          args: [
            "login",
            "--issuer",
            "https://idp",
            "--client-id",
            "kubernetes",
            "--client-secret-file",
            "/work/secret.txt",
            "--scope",
            "groups",
            "--grant",
            "password",
            "--username",
            "ci",
            "--password-file",
            "/work/pw",
            "--ca-file",
            "/etc/ca.pem",
            "--cache-dir",
            "/work/cache",
          ],
          interactiveMode: "Never",
          provideClusterInfo: false,
        },
      },
    });
    const ac = kubeconfigUser({
      name: "me",
      command: "kubeiam",
      issuer: "https://idp",
      clientId: "k",
      clientSecret: "s",
      extraScopes: [],
      grant: "auth-code",
      listenPorts: "0",
      timeout: "5m",
    });
    assert.deepEqual(ac.user.exec.args, [
      "login",
      "--issuer",
      "https://idp",
      "--client-id",
      "k",
      "--client-secret",
      "s",
      "--listen-port",
      "0",
      "--timeout",
      "5m",
    ]);
    assert.equal(ac.user.exec.interactiveMode, "IfAvailable");
  });
});

describe("kubeiam login, offline", () => {
  // KUBECACHEDIR points nowhere useful: nothing here may reach a cache, least of all ~/.kube
  const run = (args: string[], env: Record<string, string> = { KUBECACHEDIR: "/nonexistent/kubeiam-test" }) =>
    runCommand(
      (p, io) =>
        registerLoginCommands(p, io, {
          clock: systemClock,
          env,
          openBrowser: () => assert.fail("no browser in tests"),
        }),
      ["login", ...args],
    );
  const base = ["--issuer", "https://idp.example", "--client-id", "kubernetes"];

  test("--print-kubeconfig prints the users entry (YAML or JSON) without any network", async (t) => {
    const dir = await tempDir(t);
    const y = await run([
      ...base,
      "--scope",
      "groups,offline_access",
      "--grant",
      "device",
      "--cache-dir",
      dir,
      "--print-kubeconfig",
      "--name",
      "idp",
    ]);
    assert.equal(y.code, 0, y.stderr);
    const doc = parse(y.stdout) as {
      users: { name: string; user: { exec: { args: string[]; interactiveMode: string } } }[];
    };
    assert.equal(doc.users[0]?.name, "idp");
    assert.deepEqual(doc.users[0]?.user.exec.args, [
      "login",
      "--issuer",
      "https://idp.example",
      "--client-id",
      "kubernetes",
      "--scope",
      "groups",
      "--scope",
      "offline_access",
      "--grant",
      "device",
      "--cache-dir",
      dir,
    ]);
    const j = await run([...base, "--client-secret", "s3cr3t", "--print-kubeconfig", "-o", "json"]);
    assert.equal(j.code, 0);
    assert.equal(JSON.parse(j.stdout).users[0].user.exec.apiVersion, "client.authentication.k8s.io/v1");
    assert.match(j.stderr, /holds the client secret in clear; --client-secret-file/);
  });

  test("scopes: openid first, repeats and separators folded", () => {
    assert.deepEqual(loginScopes(undefined), { all: ["openid"], extra: [] });
    assert.deepEqual(loginScopes(["groups profile", "openid,groups", "offline_access"]), {
      all: ["openid", "groups", "profile", "offline_access"],
      extra: ["groups", "profile", "offline_access"],
    });
    assert.throws(() => loginScopes(['bad"scope']), /not a valid OAuth scope token/);
    assert.deepEqual(parsePorts("8000, 18000"), [8000, 18000]);
    assert.throws(() => parsePorts("80000"), /--listen-port/);
  });

  const usage: [string, string[], string, RegExp][] = [
    [
      "http issuer",
      ["--issuer", "http://idp.example", "--client-id", "k"],
      "USAGE",
      /the issuer must be an https URL/,
    ],
    [
      "issuer with a query",
      ["--issuer", "https://idp.example/?x=1", "--client-id", "k"],
      "USAGE",
      /no query, fragment or user info/,
    ],
    ["issuer not a URL", ["--issuer", "idp", "--client-id", "k"], "USAGE", /expected an https URL/],
    [
      "empty client id",
      ["--issuer", "https://idp", "--client-id", ""],
      "USAGE",
      /--client-id: must not be empty/,
    ],
    [
      "secret twice",
      [...base, "--client-secret", "a", "--client-secret-file", "f"],
      "USAGE",
      /mutually exclusive/,
    ],
    [
      "unknown grant",
      [...base, "--grant", "implicit"],
      "USAGE",
      /--grant: expected one of auth-code, device, password/,
    ],
    [
      "password without a file",
      [...base, "--grant", "password", "--username", "u"],
      "USAGE",
      /--grant password needs --username and --password-file/,
    ],
    [
      "username with device",
      [...base, "--grant", "device", "--username", "u"],
      "USAGE",
      /belong to --grant password, not device/,
    ],
    ["bad timeout", [...base, "--timeout", "soon"], "USAGE", /--timeout: expected a duration/],
    ["timeout too long", [...base, "--timeout", "2h"], "USAGE", /between 1s and 1h/],
    ["bad port", [...base, "--listen-port", "http"], "USAGE", /--listen-port/],
    ["bad output", [...base, "-o", "yaml"], "USAGE", /unknown output format "yaml"/],
    [
      "missing password file",
      [...base, "--username", "u", "--password-file", "/nonexistent/pw"],
      "INPUT_INVALID",
      /--password-file: cannot read \/nonexistent\/pw \(ENOENT\)/,
    ],
    [
      "missing CA file",
      [...base, "--ca-file", "/nonexistent/ca.pem"],
      "INPUT_INVALID",
      /--ca-file: cannot read/,
    ],
  ];
  for (const [name, args, code, msg] of usage) {
    test(name, async () => {
      const r = await run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.error, code);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, msg);
    });
  }

  test("password and secret files: one line, not empty", async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, "d"));
    const files: [string, string, RegExp][] = [
      ["empty", "", /is empty/],
      ["newline only", "\n", /is empty/],
      ["two lines", "a\nb\n", /must hold one line/],
      ["big", "x".repeat(5000), /larger than 4096 bytes/],
    ];
    for (const [name, text, msg] of files) {
      await writeFile(join(dir, name), text);
      const r = await run([...base, "--username", "u", "--password-file", join(dir, name)]);
      assert.equal(r.error, "INPUT_INVALID", name);
      assert.match(r.stderr, msg, name);
    }
    const r = await run([...base, "--client-secret-file", join(dir, "d")]);
    assert.match(r.stderr, /--client-secret-file: .* is not a regular file/);
    assert.equal(await readFile(join(dir, "two lines"), "utf8"), "a\nb\n", "inputs are never modified");
  });
});
