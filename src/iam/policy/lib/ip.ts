/**
 * IPv4 / IPv6 addresses and CIDR blocks for IpAddress / NotIpAddress. A policy value without a
 * prefix length is a single address (/32 or /128). IPv4 and IPv6 never match each other, except
 * that an IPv4-mapped IPv6 request address (::ffff:a.b.c.d) is compared as IPv4.
 */
import { isIPv4, isIPv6 } from "node:net";

function v4Bytes(s: string): number[] {
  return s.split(".").map(Number);
}

function v6Bytes(s: string): number[] | undefined {
  let text = s;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    const v4 = text.slice(lastColon + 1);
    if (!isIPv4(v4)) return undefined;
    tail = v4Bytes(v4);
    text = text.slice(0, lastColon + 1) + "0:0";
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const rest = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":")) : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (fill < 0) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const g of groups) {
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

export interface IpBlock {
  readonly bytes: readonly number[];
  readonly prefix: number;
}

/** Parses "a.b.c.d", "a.b.c.d/n", an IPv6 address or "v6/n"; undefined when invalid. */
export function parseCidr(text: string): IpBlock | undefined {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bits = slash < 0 ? undefined : text.slice(slash + 1);
  let bytes: number[] | undefined;
  if (isIPv4(addr)) bytes = v4Bytes(addr);
  else if (isIPv6(addr)) bytes = v6Bytes(addr);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return undefined;
  const prefix = bits === undefined ? max : Number(bits);
  if (prefix > max) return undefined;
  return { bytes, prefix };
}

/** Parses a request address; IPv4-mapped IPv6 becomes IPv4. */
export function parseAddress(text: string): readonly number[] | undefined {
  if (isIPv4(text)) return v4Bytes(text);
  if (!isIPv6(text)) return undefined;
  const b = v6Bytes(text);
  if (b && b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12);
  return b;
}

export function cidrContains(block: IpBlock, address: readonly number[]): boolean {
  if (block.bytes.length !== address.length) return false;
  let bits = block.prefix;
  for (let k = 0; k < address.length && bits > 0; k++) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((block.bytes[k]! & mask) !== (address[k]! & mask)) return false;
    bits -= 8;
  }
  return true;
}
