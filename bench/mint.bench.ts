/**
 * Token minting throughput vs the raw signing rate `openssl speed` measures on this machine, in the
 * same run, same algorithm, one core each (openssl without -multi; minting on the main thread).
 * Both are per CPU second: openssl speed divides by CPU user time, and so does this benchmark.
 * Target: minting ≥ 70% of openssl's signs/s (RS256 ↔ rsa2048, ES256 ↔ ecdsap256).
 * Run: node --import tsx bench/mint.bench.ts
 */
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { generateSigningKey, loadKey } from "../src/keys/keyring.js";
import { mintServiceAccountToken } from "../src/issuer/mint-token.js";
import type { KubeObject } from "../src/store/types.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

function opensslSignsPerSecond(alg: "rsa2048" | "ecdsap256"): number {
  const out = execFileSync("openssl", ["speed", "-seconds", String(SECONDS), alg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  // rsa: "rsa 2048 bits 0.000700s 0.000020s   1428.6  50000.0" (sign/s, verify/s)
  // ecdsa: " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0"
  const line = out.split("\n").find((l) => (alg === "rsa2048" ? /^rsa\s+2048 bits/.test(l) : /256 bits ecdsa \(nistp256\)/.test(l)));
  if (!line) throw new Error(`cannot parse openssl speed output for ${alg}`);
  const nums = line.trim().split(/\s+/).map(Number).filter((n) => !Number.isNaN(n));
  return nums[nums.length - 2]!;
}

function mintRate(alg: "RS256" | "ES256"): number {
  const key = loadKey(generateSigningKey(alg, Date.now()));
  const sa: KubeObject = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "demo", namespace: "default", uid: "0b9f6a57-0000-4000-8000-000000000001" } };
  const pod: KubeObject = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-7d4b9c-x2x9z", namespace: "default", uid: "0b9f6a57-0000-4000-8000-000000000002" }, spec: { serviceAccountName: "demo" } };
  let n = 0;
  const end = performance.now() + SECONDS * 1000;
  // openssl speed divides by CPU user time (unless -elapsed); do the same so a busy machine
  // affects both sides alike.
  const cpu0 = process.cpuUsage();
  while (performance.now() < end) {
    for (let i = 0; i < 20; i++) {
      mintServiceAccountToken({ issuer: "https://127.0.0.1:8443", key, now: Date.now(), serviceAccount: sa, pod, audiences: ["sts.amazonaws.com"], expirationSeconds: 86400, maxExpirationSeconds: 172800 });
    }
    n += 20;
  }
  const cpu = process.cpuUsage(cpu0);
  return n / ((cpu.user + cpu.system) / 1e6);
}

export function run(): { alg: string; mintPerSec: number; opensslPerSec: number; ratio: number }[] {
  const rows = [];
  for (const [alg, ossl] of [["RS256", "rsa2048"], ["ES256", "ecdsap256"]] as const) {
    const opensslPerSec = opensslSignsPerSecond(ossl);
    const mintPerSec = mintRate(alg);
    rows.push({ alg, mintPerSec: Math.round(mintPerSec), opensslPerSec: Math.round(opensslPerSec), ratio: Number((mintPerSec / opensslPerSec).toFixed(3)) });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stderr.write(`mint.bench: ${cpus()[0]?.model ?? "cpu"}, ${SECONDS}s per measurement, 1 core each\n`);
  for (const r of run()) {
    process.stdout.write(`${r.alg}: minting ${r.mintPerSec} tokens/s, openssl ${r.opensslPerSec} signs/s, ratio ${(r.ratio * 100).toFixed(1)}% (target ≥ 70%) ${r.ratio >= 0.7 ? "PASS" : "MISS"}\n`);
  }
}
