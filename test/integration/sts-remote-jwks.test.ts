/**
 * Web identities from another issuer: kubeiam fetches the issuer's discovery document and JWKS over
 * HTTPS (a configured CA), refetches on an unknown kid (once per cooldown), answers
 * IDPCommunicationError when the issuer cannot be reached, and refuses a jwks_uri on another host.
 * The other issuer is a second kubeiam on loopback.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fixedClock } from "../../src/lib/clock.js";
import { signJws } from "../../src/issuer/mint-token.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { tempDir } from "../helpers/tmp.js";
import { startIrsaServer, SUB, trustPolicy } from "./sts-support.js";

const ROLE_ARN = "arn:aws:iam::000000000000:role/external";

function tokenFrom(idp: TestServer, iss = idp.app.config.issuer.url, kid?: string): string {
  const key = idp.app.keys.active();
  const iat = Math.floor(Date.now() / 1000);
  return signJws(
    { alg: key.alg, kid: kid ?? key.kid },
    { aud: ["sts.amazonaws.com"], exp: iat + 3600, iat, iss, nbf: iat, sub: SUB },
    key,
  );
}

test("tokens of another issuer: discovery and JWKS over HTTPS, key rotation, unknown kid, unreachable issuer, jwks_uri on another host", async (t) => {
  const idp = await startTestServer(t);
  const dir = await tempDir(t);
  const caFile = join(dir, "idp-ca.crt");
  await writeFile(caFile, idp.ca);
  const clock = fixedClock(Date.now());
  const s = await startIrsaServer(t, {
    clock,
    config: { sts: { webIdentityCaFile: caFile, jwksTimeoutMs: 2000 } },
  });
  const issuer = idp.app.config.issuer.url;
  const hp = issuer.replace("https://", "");
  await s.app.store.put({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "OIDCProvider",
    metadata: { name: "external" },
    spec: { url: issuer, clientIDList: ["sts.amazonaws.com"] },
  });
  await s.app.store.put({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "IAMRole",
    metadata: { name: "external" },
    spec: { assumeRolePolicyDocument: trustPolicy(hp) },
  });
  const assume = (token: string) =>
    s.query({
      Action: "AssumeRoleWithWebIdentity",
      RoleArn: ROLE_ARN,
      RoleSessionName: "ext",
      WebIdentityToken: token,
    });

  const ok = await assume(tokenFrom(idp));
  assert.equal(ok.status, 200, ok.text);
  assert.equal(ok.field("Provider"), `arn:aws:iam::000000000000:oidc-provider/${hp}`);
  assert.equal(ok.field("SubjectFromWebIdentityToken"), SUB);

  // The issuer rotates its key: the new kid is unknown until the JWKS is fetched again.
  await idp.app.keys.rotate();
  clock.advance(11_000);
  const rotated = await assume(tokenFrom(idp));
  assert.equal(rotated.status, 200, rotated.text);
  // A kid the issuer never published: one refetch, then no key.
  clock.advance(11_000);
  const unknown = await assume(tokenFrom(idp, issuer, "never-published"));
  assert.equal(unknown.status, 400);
  assert.equal(unknown.field("Code"), "InvalidIdentityToken");
  assert.equal(
    unknown.field("Message"),
    "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
  );
  assert.match(
    unknown.headers.get("x-kubeiam-explain") ?? "",
    /web-identity\.kid: no key with kid "never-published"/,
  );

  // An issuer nobody answers for.
  const dead = "https://127.0.0.1:1";
  await s.app.store.put({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "OIDCProvider",
    metadata: { name: "dead" },
    spec: { url: dead, clientIDList: ["sts.amazonaws.com"] },
  });
  const down = await assume(tokenFrom(idp, dead));
  assert.equal(down.status, 400);
  assert.equal(down.field("Code"), "IDPCommunicationError");
  assert.match(
    down.headers.get("x-kubeiam-explain") ?? "",
    /web-identity\.jwks: the JWKS of https:\/\/127\.0\.0\.1:1 could not be fetched/,
  );

  // An issuer whose discovery document sends key fetches to another host.
  const rogue = createServer({ cert: idp.app.tls.cert, key: idp.app.tls.key }, (req, res) => {
    const port = (rogue.address() as AddressInfo).port;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify(
        req.url === "/.well-known/openid-configuration"
          ? { issuer: `https://127.0.0.1:${port}`, jwks_uri: `https://localhost:${port}/keys` }
          : { keys: [] },
      ),
    );
  });
  await new Promise<void>((r) => rogue.listen(0, "127.0.0.1", r));
  t.after(() => new Promise<void>((r) => rogue.close(() => r())));
  const rogueUrl = `https://127.0.0.1:${(rogue.address() as AddressInfo).port}`;
  await s.app.store.put({
    apiVersion: "kubeiam.io/v1alpha1",
    kind: "OIDCProvider",
    metadata: { name: "rogue" },
    spec: { url: rogueUrl, clientIDList: ["sts.amazonaws.com"] },
  });
  const elsewhere = await assume(tokenFrom(idp, rogueUrl));
  assert.equal(elsewhere.field("Code"), "IDPCommunicationError");
  assert.match(
    elsewhere.headers.get("x-kubeiam-explain") ?? "",
    /jwks_uri https:\/\/localhost:\d+\/keys is on host localhost:\d+, not the issuer's host 127\.0\.0\.1:\d+/,
  );
});
