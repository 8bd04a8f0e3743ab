import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../src/config/resolve.js";
import { systemClock } from "../src/lib/clock.js";
import { createLogger } from "../src/lib/logger.js";
import { signJws } from "../src/issuer/mint-token.js";
import { buildApp } from "../src/server/app.js";
import { signRequest } from "../src/sigv4/sign-request.js";
const stateDir = await mkdtemp(join(tmpdir(), "kubeiam-prof-"));
const config = resolveConfig({ listen: `127.0.0.1:18443` }, undefined, { stateDir });
const hp = config.issuer.url.replace("https://", "");
await mkdir(join(stateDir, "objects"), { recursive: true });
const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::000000000000:oidc-provider/${hp}` }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { [`${hp}:aud`]: "sts.amazonaws.com" }, StringLike: { [`${hp}:sub`]: "system:serviceaccount:bench:*" } } }] };
await writeFile(join(stateDir, "objects", "irsa.yaml"), `apiVersion: kubeiam.io/v1alpha1\nkind: OIDCProvider\nmetadata: {name: kubeiam}\nspec: {url: "${config.issuer.url}", clientIDList: [sts.amazonaws.com]}\n---\napiVersion: kubeiam.io/v1alpha1\nkind: IAMRole\nmetadata: {name: bench-reader}\nspec:\n  assumeRolePolicyDocument: '${JSON.stringify(trust)}'\n`);
const app = await buildApp(config, { clock: systemClock, logger: createLogger("warn") });
const key = app.keys.active();
const iat = Math.floor(Date.now() / 1000);
const bodies = Array.from({ length: 50 }, (_, i) => Buffer.from(new URLSearchParams({ Action: "AssumeRoleWithWebIdentity", Version: "2011-06-15", RoleArn: "arn:aws:iam::000000000000:role/bench-reader", RoleSessionName: `b-${i}`, WebIdentityToken: signJws({ alg: key.alg, kid: key.kid }, { aud: ["sts.amazonaws.com"], exp: iat + 86400, iat, iss: config.issuer.url, nbf: iat, sub: `system:serviceaccount:bench:sa-${i}` }, key) }).toString()));
const req = (body: Buffer) => ({ method: "POST", path: "/", rawQuery: "", headers: { host: "127.0.0.1:18443" }, body, contentType: "application/x-www-form-urlencoded", accept: undefined });
const r0 = await app.aws.handle(req(bodies[0]!));
const f = (n: string) => new RegExp(`<${n}>([^<]+)</${n}>`).exec(r0.body)![1]!;
const creds = { accessKeyId: f("AccessKeyId"), secretAccessKey: f("SecretAccessKey"), sessionToken: f("SessionToken") };
const gbody = "Action=GetCallerIdentity&Version=2011-06-15";
const signed = signRequest({ method: "POST", url: "https://127.0.0.1:18443/", headers: { "content-type": "application/x-www-form-urlencoded" }, body: gbody, credentials: creds, region: "us-east-1", service: "sts", now: Date.now() });
const greq = { method: "POST", path: "/", rawQuery: "", headers: { host: ["127.0.0.1:18443"], ...Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k, [v]])) }, body: Buffer.from(gbody), contentType: "application/x-www-form-urlencoded", accept: undefined };
const N = Number(process.env.N ?? 5000);
const best: Record<string, number> = {};
for (let round = 0; round < 6; round++)
for (const [name, fn] of [["ARWWI handle", (i: number) => app.aws.handle(req(bodies[i % 50]!))], ["GCI handle", () => app.aws.handle(greq)]] as const) {
  for (let i = 0; i < 200; i++) await fn(i);
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) { const r = await fn(i); if (r.status !== 200) throw new Error(r.body); }
  const c = process.cpuUsage(c0);
  best[name] = Math.min(best[name] ?? Infinity, (c.user + c.system) / N);
}
for (const [k, v] of Object.entries(best)) console.log(k.padEnd(14), v.toFixed(1), "µs CPU/req (best of 6)");
await app.close();
