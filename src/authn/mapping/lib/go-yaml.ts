/**
 * What aws-iam-authenticator's Go stack makes of the YAML strings in aws-auth:
 *  - mapRoles/mapUsers: apimachinery's yaml.ToJSON (go-yaml v2 resolution of plain scalars, YAML
 *    1.1 style: yes/no/on/off are booleans, 0123 is octal, 012345678901 is a float), then JSON;
 *  - mapAccounts: go-yaml v2 Unmarshal into []string (scalars keep their literal text).
 * The `yaml` package parses with the failsafe schema (every scalar a string, style kept) and the
 * resolution is redone here the go-yaml v2 way.
 */
import {
  Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Node,
  type Scalar,
} from "yaml";

/** A decoded value with the 1-based line it started on. */
export type GoNode =
  | { t: "null"; line: number }
  | { t: "bool"; v: boolean; line: number; raw: string }
  | { t: "number"; v: number; line: number; raw: string }
  | { t: "string"; v: string; line: number }
  | { t: "seq"; items: GoNode[]; line: number }
  | { t: "object"; entries: Map<string, GoNode>; line: number };

export class GoYamlError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

const MAX_NODES = 100_000;

type Resolved =
  | { t: "null" }
  | { t: "bool"; v: boolean }
  | { t: "number"; v: number; special?: "inf" | "nan" }
  | { t: "string" };

const RESOLVE_MAP: Readonly<Record<string, Resolved>> = (() => {
  const m: Record<string, Resolved> = {};
  for (const s of ["y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"])
    m[s] = { t: "bool", v: true };
  for (const s of ["n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"])
    m[s] = { t: "bool", v: false };
  for (const s of ["", "~", "null", "Null", "NULL"]) m[s] = { t: "null" };
  for (const s of [".nan", ".NaN", ".NAN"]) m[s] = { t: "number", v: NaN, special: "nan" };
  for (const s of [".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"])
    m[s] = { t: "number", v: Infinity, special: "inf" };
  for (const s of ["-.inf", "-.Inf", "-.INF"]) m[s] = { t: "number", v: -Infinity, special: "inf" };
  return m;
})();

const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;

/** strconv.ParseInt(s, 0, 64) / ParseUint(s, 0, 64) on an underscore-free string. */
function goParseInt(s: string, unsigned: boolean): bigint | undefined {
  let body = s;
  let neg = false;
  if (!unsigned && (body.startsWith("+") || body.startsWith("-"))) {
    neg = body[0] === "-";
    body = body.slice(1);
  }
  let digits: string;
  let radix: number;
  if (/^0[xX]/.test(body)) [digits, radix] = [body.slice(2), 16];
  else if (/^0[oO]/.test(body)) [digits, radix] = [body.slice(2), 8];
  else if (/^0[bB]/.test(body)) [digits, radix] = [body.slice(2), 2];
  else if (body.startsWith("0") && body.length > 1) [digits, radix] = [body.slice(1), 8];
  else [digits, radix] = [body, 10];
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[
    radix as 2 | 8 | 10 | 16
  ];
  if (!valid.test(digits)) return undefined;
  const prefix = radix === 16 ? "0x" : radix === 8 ? "0o" : radix === 2 ? "0b" : "";
  const v = BigInt(prefix + digits) * (neg ? -1n : 1n);
  if (unsigned ? v > UINT64_MAX : v > INT64_MAX || v < -INT64_MAX - 1n) return undefined;
  return v;
}

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** go-yaml v2 resolve() for an untagged plain scalar. */
export function resolvePlain(value: string): Resolved {
  const first = value[0];
  const hint =
    first === undefined
      ? "N"
      : /[+-]/.test(first)
        ? "S"
        : /[0-9]/.test(first)
          ? "D"
          : /[yYnNtTfFoO~]/.test(first)
            ? "M"
            : first === "."
              ? "."
              : "";
  if (hint === "") return { t: "string" };
  const known = RESOLVE_MAP[value];
  if (known) return known;
  if (hint === ".") {
    const f = Number(value);
    if (/^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(value) && Number.isFinite(f)) return { t: "number", v: f };
    return { t: "string" };
  }
  if (hint === "D" || hint === "S") {
    const plain = value.replace(/_/g, "");
    const i = goParseInt(plain, false) ?? goParseInt(plain, true);
    if (i !== undefined) return { t: "number", v: Number(i) };
    if (YAML_STYLE_FLOAT.test(plain)) {
      const f = Number(plain);
      if (Number.isFinite(f)) return { t: "number", v: f };
    }
    if (plain.startsWith("0b") || plain.startsWith("-0b")) {
      const neg = plain.startsWith("-");
      const bits = plain.slice(neg ? 3 : 2);
      if (/^[01]+$/.test(bits)) return { t: "number", v: Number(BigInt("0b" + bits)) * (neg ? -1 : 1) };
    }
  }
  return { t: "string" };
}

const STR_TAG = "tag:yaml.org,2002:str";
const NULL_TAG = "tag:yaml.org,2002:null";
const CORE_TAGS = new Set([
  "tag:yaml.org,2002:bool",
  "tag:yaml.org,2002:int",
  "tag:yaml.org,2002:float",
  "tag:yaml.org,2002:merge",
]);

/** How go-yaml v2 resolves a scalar node: quoted and block scalars are strings, plain ones resolve. */
function resolveScalar(node: Scalar): Resolved {
  const value = String(node.value);
  if (node.tag === STR_TAG) return { t: "string" };
  if (node.tag === NULL_TAG) return { t: "null" };
  if (node.tag !== undefined && !CORE_TAGS.has(node.tag)) return { t: "string" };
  if (node.tag === undefined && node.type !== "PLAIN") return { t: "string" };
  return resolvePlain(value);
}

interface Ctx {
  doc: Document;
  lc: LineCounter;
  nodes: number;
  active: Set<Node>;
}

const lineOf = (ctx: Ctx, node: Node | null | undefined): number =>
  node?.range ? ctx.lc.linePos(node.range[0]).line : 0;

function followAlias(ctx: Ctx, node: unknown): unknown {
  if (isAlias(node)) {
    const target = node.resolve(ctx.doc);
    if (!target) throw new GoYamlError(`unknown anchor '${node.source}' referenced`, lineOf(ctx, node));
    return target;
  }
  return node;
}

function step(ctx: Ctx, node: Node | null | undefined): void {
  ctx.nodes++;
  if (ctx.nodes > MAX_NODES) throw new GoYamlError("document contains excessive aliasing", lineOf(ctx, node));
}

/** Decodes a node into the interface{} value yaml.ToJSON would produce. */
function toGo(ctx: Ctx, input: unknown): GoNode {
  const node = followAlias(ctx, input) as Node | null;
  step(ctx, node);
  const line = lineOf(ctx, node);
  if (node === null || node === undefined) return { t: "null", line };
  if (ctx.active.has(node)) throw new GoYamlError("anchor value contains itself", line);
  if (isScalar(node)) {
    const r = resolveScalar(node);
    const raw = String(node.value);
    switch (r.t) {
      case "null":
        return { t: "null", line };
      case "bool":
        return { t: "bool", v: r.v, line, raw };
      case "number":
        if (r.special)
          throw new GoYamlError(
            `json: unsupported value: ${r.special === "nan" ? "NaN" : r.v > 0 ? "+Inf" : "-Inf"}`,
            line,
          );
        return { t: "number", v: r.v, line, raw };
      default:
        return { t: "string", v: raw, line };
    }
  }
  ctx.active.add(node);
  try {
    if (isSeq(node)) return { t: "seq", items: node.items.map((i) => toGo(ctx, i)), line };
    if (isMap(node)) {
      const entries = new Map<string, GoNode>();
      for (const pair of node.items) {
        const key = followAlias(ctx, pair.key) as Node | null;
        // go-yaml v2's isMerge: the scalar "<<", plain and untagged or tagged !!merge.
        if (
          isScalar(key) &&
          key.value === "<<" &&
          ((key.tag === undefined && key.type === "PLAIN") || key.tag === "tag:yaml.org,2002:merge")
        ) {
          merge(ctx, pair.value, entries, line);
          continue;
        }
        entries.set(keyString(ctx, key), toGo(ctx, pair.value));
      }
      return { t: "object", entries, line };
    }
  } finally {
    ctx.active.delete(node);
  }
  throw new GoYamlError("unsupported YAML node", line);
}

function merge(ctx: Ctx, value: unknown, into: Map<string, GoNode>, line: number): void {
  const target = followAlias(ctx, value);
  const fail = (): never => {
    throw new GoYamlError("map merge requires map or sequence of maps as the value", line);
  };
  const mergeOne = (m: unknown): void => {
    const v = toGo(ctx, m);
    if (v.t !== "object") fail();
    else for (const [k, val] of v.entries) into.set(k, val);
  };
  if (isMap(target)) mergeOne(target);
  else if (isSeq(target)) {
    for (let i = target.items.length - 1; i >= 0; i--) {
      const item = followAlias(ctx, target.items[i]);
      if (!isMap(item)) fail();
      mergeOne(item);
    }
  } else fail();
}

/** sigs.k8s.io/yaml turns int, float and bool keys into strings and rejects the rest. */
function keyString(ctx: Ctx, key: Node | null): string {
  if (isScalar(key)) {
    const r = resolveScalar(key);
    const raw = String(key.value);
    if (r.t === "string") return raw;
    if (r.t === "bool") return r.v ? "true" : "false";
    if (r.t === "number" && !r.special) return String(r.v);
  }
  throw new GoYamlError(
    "unsupported map key (only strings, numbers and booleans can be keys)",
    lineOf(ctx, key),
  );
}

function parseFirstDocument(src: string): { ctx: Ctx; contents: unknown } {
  const lc = new LineCounter();
  const docs = parseAllDocuments(src, {
    schema: "failsafe",
    uniqueKeys: false,
    version: "1.1",
    lineCounter: lc,
  });
  const doc = docs[0];
  if (!doc) return { ctx: { doc: new Document(), lc, nodes: 0, active: new Set() }, contents: null };
  const err = doc.errors[0];
  if (err)
    throw new GoYamlError(
      `yaml: ${err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "")}`,
      err.linePos?.[0].line,
    );
  return { ctx: { doc, lc, nodes: 0, active: new Set() }, contents: doc.contents };
}

/** apimachinery yaml.ToJSON: JSON-looking input (first non-space byte "{") is taken as JSON as is. */
export function yamlToGoValue(src: string): GoNode {
  if (/^\s*\{/.test(src)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(src);
    } catch (e) {
      throw new GoYamlError(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`, 1);
    }
    return fromJson(parsed, 1);
  }
  const { ctx, contents } = parseFirstDocument(src);
  return toGo(ctx, contents);
}

function fromJson(v: unknown, line: number): GoNode {
  if (v === null) return { t: "null", line };
  if (typeof v === "boolean") return { t: "bool", v, line, raw: String(v) };
  if (typeof v === "number") return { t: "number", v, line, raw: String(v) };
  if (typeof v === "string") return { t: "string", v, line };
  if (Array.isArray(v)) return { t: "seq", items: v.map((x) => fromJson(x, line)), line };
  return {
    t: "object",
    entries: new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, fromJson(x, line)])),
    line,
  };
}

/** go-yaml v2 Unmarshal into []string, as used for mapAccounts: values, per-element errors, or a fatal error. */
export function yamlToStringList(src: string): {
  values: { value: string; line: number; index: number }[];
  /** `index` is absent when the whole document is not a list. */
  errors: { message: string; line: number; index?: number }[];
} {
  const { ctx, contents } = parseFirstDocument(src);
  const top = followAlias(ctx, contents) as Node | null;
  const values: { value: string; line: number; index: number }[] = [];
  const errors: { message: string; line: number; index?: number }[] = [];
  if (top === null || top === undefined) return { values, errors };
  const kind = (n: unknown): string => (isMap(n) ? "!!map" : isSeq(n) ? "!!seq" : "!!str");
  if (isScalar(top)) {
    const r = resolveScalar(top);
    if (r.t === "null") return { values, errors };
    const tag =
      r.t === "bool" ? "!!bool" : r.t === "number" ? (Number.isInteger(r.v) ? "!!int" : "!!float") : "!!str";
    errors.push({
      message: `cannot unmarshal ${tag} \`${String(top.value)}\` into []string`,
      line: lineOf(ctx, top),
    });
    return { values, errors };
  }
  if (!isSeq(top)) {
    errors.push({ message: `cannot unmarshal ${kind(top)} into []string`, line: lineOf(ctx, top) });
    return { values, errors };
  }
  top.items.forEach((item, index) => {
    const n = followAlias(ctx, item) as Node | null;
    step(ctx, n);
    const line = lineOf(ctx, n ?? top);
    if (n === null || n === undefined) values.push({ value: "", line, index });
    else if (isScalar(n))
      values.push({ value: resolveScalar(n).t === "null" ? "" : String(n.value), line, index });
    else errors.push({ message: `cannot unmarshal ${kind(n)} into string`, line, index });
  });
  return { values, errors };
}
