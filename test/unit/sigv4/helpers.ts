/** Test helpers: load the SigV4 vectors and turn a signed URL + header list into an incoming request. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { AwsCredentials, IncomingSignedRequest } from "../../../src/sigv4/index.js";

export const FIXTURES = fileURLToPath(new URL("../../fixtures/sigv4/", import.meta.url));

export interface Vector {
  name: string;
  mode: "header" | "query";
  method: string;
  url: string;
  headers: [string, string][];
  body?: string;
  credentials: string;
  region: string;
  service: string;
  amzDate: string;
  expires?: number;
  signable?: boolean;
  expected: {
    canonicalRequest: string;
    signature: string;
    authorization?: string;
    url?: string;
    headers?: [string, string][];
  };
}

export interface VectorFile {
  credentials: Record<string, AwsCredentials>;
  vectors: Vector[];
}

export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(FIXTURES + "vectors.json", "utf8")) as VectorFile;
}

export function vectorCredentials(file: VectorFile, v: Vector): AwsCredentials {
  const c = file.credentials[v.credentials];
  if (!c) throw new Error(`unknown credentials ${v.credentials}`);
  return c;
}

/** Splits a URL without normalising it (WHATWG URL would remove dot segments). */
export function splitUrl(url: string): { host: string; path: string; rawQuery: string } {
  const m = /^[a-z]+:\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/i.exec(url);
  if (!m) throw new Error(`not a URL: ${url}`);
  return { host: m[1]!, path: m[2] === "" ? "/" : m[2]!, rawQuery: m[3] ?? "" };
}

/** Builds what a server would receive for a signed URL and the headers sent with it. */
export function incoming(
  method: string,
  url: string,
  headers: readonly (readonly [string, string])[],
  body = "",
): IncomingSignedRequest & { headers: Record<string, string | string[]> } {
  const { host, path, rawQuery } = splitUrl(url);
  const h: Record<string, string | string[]> = { host };
  for (const [k, v] of headers) {
    const name = k.toLowerCase();
    const prev = h[name];
    if (name === "host") h.host = v;
    else if (prev === undefined) h[name] = v;
    else h[name] = [...(typeof prev === "string" ? [prev] : prev), v];
  }
  return { method, path, rawQuery, headers: h, body };
}

/** The request botocore produced for a vector, as received by a server. */
export function incomingFromVector(
  v: Vector,
): IncomingSignedRequest & { headers: Record<string, string | string[]> } {
  if (v.mode === "query") return incoming(v.method, v.expected.url!, v.headers, v.body ?? "");
  const sent = v.expected.headers ?? [];
  const names = new Set(sent.map(([k]) => k.toLowerCase()));
  const original = v.headers.filter(([k]) => !names.has(k.toLowerCase()));
  return incoming(v.method, v.url, [...original, ...sent], v.body ?? "");
}
