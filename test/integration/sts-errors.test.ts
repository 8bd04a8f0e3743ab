/**
 * STS failures over HTTPS, from the tables in test/fixtures/sts/: bad web-identity tokens and bad
 * requests, each with the AWS error code, HTTP status and message on the wire, the failed check in
 * the decision log, and in the x-kubeiam-explain header when explainDenials is on (and not when it
 * is off).
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { fixedClock } from "../../src/lib/clock.js";
import { formatAmzDate } from "../../src/sigv4/lib/amz-date.js";
import { signRequest } from "../../src/sigv4/sign-request.js";
import type { AwsCredentials } from "../../src/sigv4/types.js";
import { fetch as undiciFetch } from "undici";
import {
  credentialsOf,
  overlay,
  ROLE_ARN,
  SUB,
  startIrsaServer,
  xmlField,
  type IrsaServer,
} from "./sts-support.js";

interface Expect {
  code: string;
  status: number;
  message: string;
  check: string;
  source: "aws" | "model" | "ours";
}
interface TokenCase {
  name: string;
  header?: Record<string, unknown>;
  claims?: Record<string, unknown>;
  payloadRaw?: string;
  signature?: "key" | "empty" | "hs256-public-key" | "other-key";
  raw?: string;
  append?: string;
  padClaim?: number;
  expect: Expect;
}
interface RequestCase {
  name: string;
  params?: Record<string, string>;
  rawBody?: string;
  contentType?: string;
  auth?:
    | "none"
    | "admin"
    | "session"
    | "wrong-secret"
    | "unknown-key"
    | "expired-session"
    | "tampered-session"
    | "other-session-token"
    | "no-session-token"
    | "stale-signature";
  expect: Expect;
}

const load = <T>(name: string): T[] =>
  parse(readFileSync(new URL(`../fixtures/sts/${name}`, import.meta.url), "utf8")) as T[];
const TOKENS = load<TokenCase>("bad-tokens.yaml");
const REQUESTS = load<RequestCase>("bad-requests.yaml");
const T0 = Math.floor(Date.now() / 1000) * 1000;

function b64(v: string): string {
  return Buffer.from(v).toString("base64url");
}

/** Substitutes {issuer}, {roleArn}, {repeat:C:N} and "now±N" values. */
function fill(v: unknown, vars: Record<string, string>, nowS: number): unknown {
  if (typeof v === "string") {
    const rel = /^now([+-]\d+)$/.exec(v);
    if (rel) return nowS + Number(rel[1]);
    return v
      .replace(/\{repeat:(.):(\d+)\}/g, (_m, c: string, n: string) => c.repeat(Number(n)))
      .replace(/\{(\w[\w-]*)\}/g, (m, k: string) => vars[k] ?? m);
  }
  if (Array.isArray(v)) return v.map((x) => fill(x, vars, nowS));
  if (v !== null && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x, vars, nowS)]));
  return v;
}

describe("STS error tables (fixed clock)", () => {
  const clock = fixedClock(T0);
  let s: IrsaServer;
  let otherKey: ReturnType<typeof generateKeyPairSync>["privateKey"];
  const nowS = T0 / 1000;

  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    s = await startIrsaServer({ after: (f) => cleanups.push(f) }, { clock });
    otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  });
  after(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  function buildToken(c: TokenCase): { token: string; exp: number | undefined } {
    const vars = { issuer: s.issuer };
    if (c.raw !== undefined) return { token: c.raw, exp: undefined };
    const key = s.app.keys.active();
    const claims = overlay(
      { aud: ["sts.amazonaws.com"], exp: nowS + 3600, iat: nowS, iss: s.issuer, nbf: nowS, sub: SUB },
      fill(c.claims ?? {}, vars, nowS) as Record<string, unknown>,
      null,
    );
    if (c.padClaim !== undefined) claims.pad = "p".repeat(c.padClaim);
    const header = overlay({ alg: key.alg, kid: key.kid }, c.header, null);
    const payload =
      c.payloadRaw !== undefined ? (fill(c.payloadRaw, vars, nowS) as string) : JSON.stringify(claims);
    const input = `${b64(JSON.stringify(header))}.${b64(payload)}`;
    const mode = c.signature ?? "key";
    const sig =
      mode === "empty"
        ? ""
        : mode === "hs256-public-key"
          ? createHmac("sha256", key.publicKey.export({ type: "spki", format: "pem" }))
              .update(input)
              .digest("base64url")
          : sign("sha256", Buffer.from(input), mode === "other-key" ? otherKey : key.privateKey).toString(
              "base64url",
            );
    return {
      token: `${input}.${sig}${c.append ?? ""}`,
      exp: typeof claims.exp === "number" ? claims.exp : undefined,
    };
  }

  function assertAnswer(
    r: { status: number; text: string; headers: { get(name: string): string | null } },
    e: Expect,
    vars: Record<string, string>,
  ): void {
    const message = fill(e.message, vars, nowS) as string;
    assert.equal(r.status, e.status, r.text);
    assert.equal(xmlField(r.text, "Code"), e.code, r.text);
    assert.equal(xmlField(r.text, "Message"), message);
    assert.equal(xmlField(r.text, "Type"), "Sender");
    assert.match(xmlField(r.text, "RequestId") ?? "", /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get("x-amzn-requestid"), xmlField(r.text, "RequestId"));
    const explain = r.headers.get("x-kubeiam-explain") ?? "";
    assert.ok(explain.includes(`${e.check}: `), `x-kubeiam-explain lacks ${e.check}: ${explain}`);
    const last = s.app.decisions.recent(1)[0]!;
    assert.equal(last.allowed, false);
    assert.ok(
      last.reasons.some((x) => x.check === e.check && !x.ok),
      `decision log lacks failed ${e.check}: ${JSON.stringify(last.reasons)}`,
    );
  }

  test("control: the unmodified token is accepted", async () => {
    const r = await s.query({
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: ROLE_ARN,
      RoleSessionName: "s1",
      WebIdentityToken: buildToken({ name: "ok", expect: {} as Expect }).token,
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.field("Arn"), "arn:aws:sts::000000000000:assumed-role/irsa-demo/s1");
    assert.equal(r.headers.get("x-kubeiam-explain"), null);
  });

  for (const c of TOKENS) {
    test(`bad token: ${c.name}`, async () => {
      const { token, exp } = buildToken(c);
      const r = await s.query({
        Action: "AssumeRoleWithWebIdentity",
        RoleArn: ROLE_ARN,
        RoleSessionName: "s1",
        WebIdentityToken: token,
      });
      assertAnswer(r, c.expect, { issuer: s.issuer, now: String(nowS), exp: String(exp ?? "") });
    });
  }

  async function session(seconds = 900): Promise<AwsCredentials> {
    const r = await s.query({
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: ROLE_ARN,
      RoleSessionName: "s1",
      WebIdentityToken: buildToken({ name: "ok", expect: {} as Expect }).token,
      DurationSeconds: String(seconds),
    });
    assert.equal(r.status, 200, r.text);
    return credentialsOf(r);
  }

  for (const c of REQUESTS) {
    test(`bad request: ${c.name}`, async () => {
      const vars: Record<string, string> = {
        roleArn: ROLE_ARN,
        nowAmz: formatAmzDate(T0),
        "now-15m": formatAmzDate(T0 - 900_000),
        signedAt: formatAmzDate(T0 - 1_200_000),
      };
      const params = c.params
        ? (fill(
            { Version: "2011-06-15", ...c.params },
            { ...vars, token: buildToken({ name: "ok", expect: {} as Expect }).token },
            nowS,
          ) as Record<string, string>)
        : {};
      const body = c.rawBody ?? new URLSearchParams(params).toString();
      let headers: Record<string, string> = {
        "content-type": c.contentType ?? "application/x-www-form-urlencoded; charset=utf-8",
      };
      let signAt = T0;
      let creds: AwsCredentials | undefined;
      switch (c.auth ?? "none") {
        case "none":
          break;
        case "admin":
          creds = s.adminCreds;
          break;
        case "session":
          creds = await session();
          break;
        case "wrong-secret":
          creds = { accessKeyId: s.adminCreds.accessKeyId, secretAccessKey: "W".repeat(40) };
          break;
        case "unknown-key":
          creds = { accessKeyId: "AKIAQQQQQQQQQQQQQQQQ", secretAccessKey: "W".repeat(40) };
          break;
        case "stale-signature":
          creds = s.adminCreds;
          signAt = T0 - 1_200_000;
          break;
        case "expired-session":
          creds = await session(900);
          clock.set(T0 + 901_000);
          signAt = T0 + 901_000;
          break;
        case "tampered-session": {
          const sc = await session();
          const tok = sc.sessionToken!;
          const i = Math.floor(tok.length / 2);
          creds = { ...sc, sessionToken: tok.slice(0, i) + (tok[i] === "A" ? "B" : "A") + tok.slice(i + 1) };
          break;
        }
        case "other-session-token": {
          const [a, b] = [await session(), await session()];
          creds = { ...a, sessionToken: b.sessionToken };
          break;
        }
        case "no-session-token": {
          const sc = await session();
          creds = { accessKeyId: sc.accessKeyId, secretAccessKey: sc.secretAccessKey };
          break;
        }
      }
      try {
        if (creds)
          headers = signRequest({
            method: "POST",
            url: s.url + "/",
            headers,
            body,
            credentials: creds,
            region: "us-east-1",
            service: "sts",
            now: signAt,
          }).headers;
        const res = await undiciFetch(s.url + "/", { method: "POST", headers, body, dispatcher: s.agent });
        const text = await res.text();
        assertAnswer({ status: res.status, text, headers: res.headers }, c.expect, vars);
      } finally {
        clock.set(T0);
      }
    });
  }
});

test("with explainDenials off, denials carry no x-kubeiam-explain header; the decision log still has the reasons", async (t) => {
  const s = await startIrsaServer(t, { config: { explainDenials: false } });
  const r = await s.query({
    Action: "AssumeRoleWithWebIdentity",
    RoleArn: ROLE_ARN,
    RoleSessionName: "s1",
    WebIdentityToken: s.token({ claims: { sub: "system:serviceaccount:default:intruder" } }),
  });
  assert.equal(r.status, 403);
  assert.equal(r.field("Code"), "AccessDenied");
  assert.equal(r.headers.get("x-kubeiam-explain"), null);
  const d = s.app.decisions.recent(1)[0]!;
  assert.deepEqual(
    [d.kind, d.action, d.allowed, d.subject],
    ["sts", "AssumeRoleWithWebIdentity", false, "system:serviceaccount:default:intruder"],
  );
  const trust = d.reasons.find((x) => x.check === "sts.trust-policy");
  assert.ok(
    trust && !trust.ok && trust.message.includes("system:serviceaccount:default:intruder"),
    JSON.stringify(d.reasons),
  );
  // the policy engine's reason names the condition that failed, with expected and actual values
  const cond = d.reasons.find((x) => !x.ok && JSON.stringify(x).includes(":sub"));
  assert.ok(cond, JSON.stringify(d.reasons));
  assert.ok(
    JSON.stringify(cond).includes("system:serviceaccount:default:demo") &&
      JSON.stringify(cond).includes("intruder"),
    JSON.stringify(cond),
  );
  // nothing secret is logged: no token in any reason
  assert.ok(!JSON.stringify(s.app.decisions.recent()).includes("eyJ"));
});
