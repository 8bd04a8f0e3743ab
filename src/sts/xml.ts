/** Minimal XML rendering for the AWS query protocol (element order as AWS emits it). */
import { randomUUID } from "node:crypto";
import type { AwsError } from "./aws-error.js";

export const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
export const IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/";

const SPECIAL = /[&<>"']/;

export function esc(s: string): string {
  if (!SPECIAL.test(s)) return s;
  return s.replace(/[&<>"']/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&apos;",
  );
}

/** An element tree: strings are text, arrays are repeated <member> lists, objects are nested elements. */
export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

export function el(name: string, v: XmlValue): string {
  if (v === undefined) return "";
  if (Array.isArray(v)) return `<${name}>${v.map((m) => el("member", m)).join("")}</${name}>`;
  if (typeof v === "object")
    return `<${name}>${Object.entries(v)
      .map(([k, x]) => el(k, x))
      .join("")}</${name}>`;
  return `<${name}>${esc(String(v))}</${name}>`;
}

export function successXml(
  ns: string,
  action: string,
  result: { [name: string]: XmlValue } | undefined,
  requestId: string = randomUUID(),
): string {
  const body = result === undefined ? "" : el(`${action}Result`, result);
  return `<${action}Response xmlns="${ns}">\n  ${body}\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`;
}

export function errorXml(ns: string, e: AwsError, requestId: string = randomUUID()): string {
  return `<ErrorResponse xmlns="${ns}">\n  <Error>\n    <Type>${e.type}</Type>\n    <Code>${esc(e.code)}</Code>\n    <Message>${esc(e.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`;
}

/** AWS timestamps: ISO-8601 UTC without milliseconds. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}
