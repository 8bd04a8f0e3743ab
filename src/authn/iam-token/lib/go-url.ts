/**
 * Go's net/url Parse and ParseQuery, as aws-iam-authenticator applies them to the decoded token.
 * The WHATWG URL parser in Node normalises (lower-cases hosts, strips tabs, decodes and re-encodes)
 * where Go rejects or keeps bytes, so the allow-list must run on what Go would see. All strings are
 * binary strings (one char per byte).
 */
import { goQuote } from "./go-strings.js";

type Mode = "host" | "zone" | "userPassword" | "path" | "fragment" | "queryComponent";

export interface GoUrl {
  /** Lower-cased, as Go stores it. */
  scheme: string;
  opaque: string;
  /** host[:port] after userinfo, unescaped. */
  host: string;
  /** Unescaped path. */
  path: string;
  rawQuery: string;
  hasUserinfo: boolean;
}

const isHex = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
const unhex = (c: number): number => (c <= 0x39 ? c - 0x30 : c <= 0x46 ? c - 0x41 + 10 : c - 0x61 + 10);
const isAlnum = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39);

function shouldEscape(c: number, mode: Mode): boolean {
  if (isAlnum(c)) return false;
  const ch = String.fromCharCode(c);
  if ((mode === "host" || mode === "zone") && "!$&'()*+,;=:[]<>\"".includes(ch)) return false;
  if ("-_.~".includes(ch)) return false;
  if ("$&+,/:;=?@".includes(ch)) {
    switch (mode) {
      case "path":
        return c === 0x3f;
      case "userPassword":
        return ch === "@" || ch === "/" || ch === "?" || ch === ":";
      case "queryComponent":
        return true;
      case "fragment":
        return false;
      default:
        break;
    }
  }
  if (mode === "fragment" && "!()*".includes(ch)) return false;
  return true;
}

class UrlFault extends Error {}

const escapeError = (s: string): UrlFault => new UrlFault(`invalid URL escape ${goQuote(s)}`);

/** Go's url.unescape: validates % escapes (and host characters) and decodes. */
export function goUnescape(s: string, mode: Mode): string {
  if (mode !== "host" && mode !== "zone" && !s.includes("%"))
    return mode === "queryComponent" ? s.replaceAll("+", " ") : s;
  let n = 0;
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      n++;
      if (i + 2 >= s.length || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) {
        throw escapeError(s.slice(i, i + 3));
      }
      if (mode === "host" && unhex(s.charCodeAt(i + 1)) < 8 && s.slice(i, i + 3) !== "%25") {
        throw escapeError(s.slice(i, i + 3));
      }
      if (mode === "zone") {
        const v = (unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2));
        if (s.slice(i, i + 3) !== "%25" && v !== 0x20 && shouldEscape(v, "host"))
          throw escapeError(s.slice(i, i + 3));
      }
      i += 3;
    } else {
      if ((mode === "host" || mode === "zone") && c < 0x80 && shouldEscape(c, mode)) {
        throw new UrlFault(`invalid character ${goQuote(s[i]!)} in host name`);
      }
      i++;
    }
  }
  if (n === 0 && !(mode === "queryComponent" && s.includes("+"))) return s;
  // Copy the runs between escapes as slices (not one character at a time).
  let out = "";
  let start = 0;
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      out += s.slice(start, i) + String.fromCharCode((unhex(s.charCodeAt(i + 1)) << 4) | unhex(s.charCodeAt(i + 2)));
      i += 3;
      start = i;
    } else if (c === 0x2b && mode === "queryComponent") {
      out += s.slice(start, i) + " ";
      i++;
      start = i;
    } else {
      i++;
    }
  }
  return out + s.slice(start);
}

function validOptionalPort(port: string): boolean {
  if (port === "") return true;
  if (port[0] !== ":") return false;
  return /^[0-9]*$/.test(port.slice(1));
}

function parseHost(host: string): string {
  if (host.startsWith("[")) {
    const i = host.lastIndexOf("]");
    if (i < 0) throw new UrlFault("missing ']' in host");
    const colonPort = host.slice(i + 1);
    if (!validOptionalPort(colonPort)) throw new UrlFault(`invalid port ${goQuote(colonPort)} after host`);
    const zone = host.slice(0, i).indexOf("%25");
    if (zone >= 0) {
      return (
        goUnescape(host.slice(0, zone), "host") +
        goUnescape(host.slice(zone, i), "zone") +
        goUnescape(host.slice(i), "host")
      );
    }
  } else {
    const i = host.lastIndexOf(":");
    if (i !== -1) {
      const colonPort = host.slice(i);
      if (!validOptionalPort(colonPort)) throw new UrlFault(`invalid port ${goQuote(colonPort)} after host`);
    }
  }
  return goUnescape(host, "host");
}

const USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function parseAuthority(authority: string): { host: string; hasUserinfo: boolean } {
  const i = authority.lastIndexOf("@");
  const host = parseHost(i < 0 ? authority : authority.slice(i + 1));
  if (i < 0) return { host, hasUserinfo: false };
  const userinfo = authority.slice(0, i);
  if (!USERINFO_OK.test(userinfo)) throw new UrlFault("net/url: invalid userinfo");
  const colon = userinfo.indexOf(":");
  if (colon < 0) goUnescape(userinfo, "userPassword");
  else {
    goUnescape(userinfo.slice(0, colon), "userPassword");
    goUnescape(userinfo.slice(colon + 1), "userPassword");
  }
  return { host, hasUserinfo: true };
}

function getScheme(raw: string): { scheme: string; rest: string } {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) continue;
    if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === 0x3a) {
      if (i === 0) throw new UrlFault("missing protocol scheme");
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

function parse(raw: string): GoUrl {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) throw new UrlFault("net/url: invalid control character in URL");
  const url: GoUrl = { scheme: "", opaque: "", host: "", path: "", rawQuery: "", hasUserinfo: false };
  if (raw === "*") {
    url.path = "*";
    return url;
  }
  const { scheme, rest: afterScheme } = getScheme(raw);
  url.scheme = scheme.toLowerCase();
  let rest = afterScheme;
  if (rest.endsWith("?") && rest.split("?").length - 1 === 1) {
    rest = rest.slice(0, -1);
  } else {
    const q = rest.indexOf("?");
    if (q >= 0) {
      url.rawQuery = rest.slice(q + 1);
      rest = rest.slice(0, q);
    }
  }
  if (!rest.startsWith("/")) {
    if (url.scheme !== "") {
      url.opaque = rest;
      return url;
    }
    const slash = rest.indexOf("/");
    const segment = slash < 0 ? rest : rest.slice(0, slash);
    if (segment.includes(":")) throw new UrlFault("first path segment in URL cannot contain colon");
  }
  if ((url.scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const i = authority.indexOf("/");
    if (i >= 0) {
      rest = authority.slice(i);
      authority = authority.slice(0, i);
    }
    const a = parseAuthority(authority);
    url.host = a.host;
    url.hasUserinfo = a.hasUserinfo;
  }
  url.path = goUnescape(rest, "path");
  return url;
}

/** Replaces everything from the first "?" with a marker: the query of a presigned URL is a credential. */
export function redactQuery(raw: string): string {
  const q = raw.indexOf("?");
  return q < 0 ? raw : raw.slice(0, q) + "?[REDACTED]";
}

/**
 * url.Parse. On failure returns Go's *url.Error text, `parse "<url>": <reason>`, except that the
 * query part of the quoted URL is redacted (kubeiam never echoes a presigned query).
 */
export function goParseUrl(
  raw: string,
): { ok: true; url: GoUrl } | { ok: false; error: string; cause: string } {
  const hash = raw.indexOf("#");
  const u = hash < 0 ? raw : raw.slice(0, hash);
  const frag = hash < 0 ? "" : raw.slice(hash + 1);
  let url: GoUrl;
  try {
    url = parse(u);
  } catch (e) {
    if (!(e instanceof UrlFault)) throw e;
    return { ok: false, error: `parse ${goQuote(redactQuery(u))}: ${e.message}`, cause: e.message };
  }
  if (frag !== "") {
    try {
      goUnescape(frag, "fragment");
    } catch (e) {
      if (!(e instanceof UrlFault)) throw e;
      return { ok: false, error: `parse ${goQuote(redactQuery(raw))}: ${e.message}`, cause: e.message };
    }
  }
  return { ok: true, url };
}

/**
 * url.ParseQuery: keys in first-seen order (Go's map order is random; first-seen is one of the
 * orders Go may produce), each with its values. `error` is set when Go would return an error.
 */
export function goParseQuery(query: string): { values: Map<string, string[]>; error?: string } {
  const values = new Map<string, string[]>();
  let error: string | undefined;
  let rest = query;
  while (rest !== "") {
    const amp = rest.indexOf("&");
    let key = amp < 0 ? rest : rest.slice(0, amp);
    rest = amp < 0 ? "" : rest.slice(amp + 1);
    if (key.includes(";")) {
      error ??= "invalid semicolon separator in query";
      continue;
    }
    if (key === "") continue;
    const eq = key.indexOf("=");
    let value = eq < 0 ? "" : key.slice(eq + 1);
    key = eq < 0 ? key : key.slice(0, eq);
    try {
      key = goUnescape(key, "queryComponent");
      value = goUnescape(value, "queryComponent");
    } catch (e) {
      if (!(e instanceof UrlFault)) throw e;
      error ??= e.message;
      continue;
    }
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  return error === undefined ? { values } : { values, error };
}
