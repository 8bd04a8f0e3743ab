/**
 * IP addresses and CIDR blocks (IPv4 and IPv6) for external-IP allow-lists and NetworkPolicy
 * ipBlocks: strict parsing and containment, no DNS, no zone ids.
 */
import { isIPv4, isIPv6 } from "node:net";

export interface Cidr {
  /** The text as written, normalised to `address/prefix` (a bare address gets /32 or /128). */
  readonly text: string;
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function v4Bytes(s: string): Uint8Array {
  return Uint8Array.from(s.split(".").map(Number));
}

function v6Bytes(s: string): Uint8Array {
  let text = s;
  // an embedded IPv4 tail (::ffff:1.2.3.4)
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  let tailGroups: number[] = [];
  if (tail) {
    const b = v4Bytes(tail[1]!);
    tailGroups = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = text.slice(0, -tail[1]!.length) + "0:0";
  }
  const [head, rest] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const h = head === "" ? [] : head.split(":");
  const r = rest === undefined || rest === "" ? [] : rest.split(":");
  const groups =
    rest === undefined ? h : [...h, ...new Array<string>(8 - h.length - r.length).fill("0"), ...r];
  const nums = groups.map((g) => parseInt(g, 16));
  if (tail) nums.splice(6, 2, ...tailGroups);
  const out = new Uint8Array(16);
  nums.forEach((n, i) => {
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/** Parses an IP address; undefined when it is not one. */
export function parseIp(s: string): { family: 4 | 6; bytes: Uint8Array } | undefined {
  if (isIPv4(s)) return { family: 4, bytes: v4Bytes(s) };
  if (isIPv6(s) && !s.includes("%")) return { family: 6, bytes: v6Bytes(s) };
  return undefined;
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a single-address block). Returns a problem text on failure. */
export function parseCidr(s: string): Cidr | string {
  const slash = s.indexOf("/");
  const addr = slash < 0 ? s : s.slice(0, slash);
  const ip = parseIp(addr);
  if (!ip) return `"${s}" is not an IP address or CIDR block`;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max)
      return `"${s}": prefix length must be 0 to ${max}`;
    prefix = Number(p);
  }
  return { text: `${addr}/${prefix}`, family: ip.family, bytes: ip.bytes, prefix };
}

/** True when `ip` lies inside `cidr` (same family only). */
export function cidrContains(cidr: Cidr, ip: { family: 4 | 6; bytes: Uint8Array }): boolean {
  if (cidr.family !== ip.family) return false;
  let bits = cidr.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((cidr.bytes[i]! & mask) !== (ip.bytes[i]! & mask)) return false;
  }
  return true;
}
