/** Seeded random requests for cross-checking our SigV4 against the AWS SDK and botocore. */
import { uriEncode } from "../../../src/sigv4/lib/canonical.js";
import type { AwsCredentials } from "../../../src/sigv4/index.js";

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RandomRequest {
  method: string;
  host: string;
  /** Wire path (percent-encoded where needed). */
  path: string;
  /** Decoded query parameters, wire order; keys may repeat. */
  query: [string, string][];
  /** Header names in mixed case, values with odd whitespace. */
  headers: [string, string][];
  body: string;
  credentials: AwsCredentials;
  region: string;
  service: string;
  /** Milliseconds since the epoch, whole seconds. */
  now: number;
}

const CHARS = [
  ...Array.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~"),
  ...Array.from(" !$&'()*+,;=:@/?#%[]{}\"<>^`|\\"),
  "é",
  "ß",
  "ሴ",
  "😀",
];
const PATH_RAW_OK = new Set(
  Array.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!$&'()*+,;=:@"),
);

export function randomRequests(seed: number, count: number): RandomRequest[] {
  const r = prng(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const text = (max: number, min = 0): string => {
    let s = "";
    const n = min + int(max - min + 1);
    for (let i = 0; i < n; i++) s += pick(CHARS);
    return s;
  };
  const out: RandomRequest[] = [];
  for (let i = 0; i < count; i++) {
    const method = pick(["GET", "POST", "PUT", "DELETE", "GET"]);
    const segments: string[] = [];
    const nseg = int(4);
    for (let s = 0; s < nseg; s++) {
      const seg = text(8, 1).replace(/\//g, "_");
      // keep RFC 3986 sub-delims raw sometimes: servers see them as sent
      segments.push(
        Array.from(seg)
          .map((ch) => (PATH_RAW_OK.has(ch) && r() < 0.5 ? ch : uriEncode(ch)))
          .join(""),
      );
    }
    let path = "/" + segments.join("/");
    if (segments.length > 0 && r() < 0.3) path += "/";
    const query: [string, string][] = [];
    const nq = int(5);
    for (let q = 0; q < nq; q++) {
      const key = r() < 0.2 && query.length > 0 ? query[0]![0] : text(6, 1);
      query.push([key, text(10)]);
    }
    const headers: [string, string][] = [];
    const nh = int(4);
    for (let h = 0; h < nh; h++) {
      const name = `X-Test-${pick(["a", "B", "cc", "Dd"])}${h}`;
      const value =
        pick(["value", " spaced   out ", "tab\there", "MiXeD", "a,b", "x  y  z"]) + String(int(100));
      headers.push([name, value]);
    }
    if (method !== "GET" && r() < 0.5)
      headers.push(["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"]);
    const body = method === "GET" || method === "DELETE" ? "" : text(40);
    const session = r() < 0.5;
    const credentials: AwsCredentials = {
      accessKeyId: (session ? "ASIA" : "AKIA") + "TEST" + String(1000 + int(9000)),
      secretAccessKey: text(40, 40).replace(/[^A-Za-z0-9+/]/g, "x"),
      ...(session ? { sessionToken: "FwoGZXIvYXdzE" + String(int(1e9)) + "/+=" } : {}),
    };
    out.push({
      method,
      host: pick([
        "sts.amazonaws.com",
        "sts.us-west-2.amazonaws.com",
        "127.0.0.1:8443",
        "iam.amazonaws.com",
        "[::1]:9443",
      ]),
      path,
      query,
      headers,
      body,
      credentials,
      region: pick(["us-east-1", "eu-west-3", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]),
      service: pick(["sts", "iam", "execute-api"]),
      now: Date.UTC(2010, 0, 1) + int(25 * 365 * 86400) * 1000,
    });
  }
  return out;
}

export function rawQueryOf(q: readonly [string, string][]): string {
  return q.map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`).join("&");
}

export function urlOf(req: RandomRequest): string {
  const raw = rawQueryOf(req.query);
  return `https://${req.host}${req.path}${raw === "" ? "" : "?" + raw}`;
}
