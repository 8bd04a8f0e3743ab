/**
 * CEL for AuthenticationConfiguration expressions, on @marcbachmann/cel-js.
 * Two environments, as k8s.io/apiserver pkg/authentication/cel has them: `claims` (a map of the
 * token's claims, JSON numbers as doubles) and `user` (UserInfo: username, uid, groups, extra).
 * Optional syntax (`claims.?x.orValue(y)`) is on. Keys that are not identifiers can be reached
 * with kube's escapes (`claims.a__dot__b` for "a.b", `__dash__`, `__slash__`, `__underscores__`).
 */
import { Environment, type ASTNode } from "@marcbachmann/cel-js";

export type CelVariable = "claims" | "user";

export const MAX_EXPRESSION_LENGTH = 5000;

const LIMITS = { maxAstNodes: 2000, maxDepth: 64, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 };

function makeEnv(variable: CelVariable): Environment {
  const env = new Environment({ enableOptionalTypes: true, homogeneousAggregateLiterals: false, limits: LIMITS });
  if (variable === "claims") env.registerVariable("claims", "map");
  else env.registerVariable({ name: "user", schema: { username: "string", uid: "string", groups: "list<string>", extra: "map<string, list<string>>" } });
  return env;
}

const ENVS: Record<CelVariable, Environment> = { claims: makeEnv("claims"), user: makeEnv("user") };

export interface CompiledCel {
  readonly expression: string;
  /** Inferred output type ("bool", "string", "dyn", ...). */
  readonly outputType: string;
  /** Evaluates; throws CelEvalError with cel-go-like wording on failure. */
  evaluate(value: unknown): unknown;
  /** True when the expression selects `<variable>.<field>` (also `.?field`), as kube's hasSelectExp. */
  selects(field: string): boolean;
}

export class CelEvalError extends Error {
  override readonly name = "CelEvalError";
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split("\n")[0] ?? m;
  // cel-go words a missing map key in lower case
  return line.replace(/^No such key: /, "no such key: ");
}

function selectsIn(node: unknown, variable: string, field: string): boolean {
  if (Array.isArray(node)) return node.some((n) => selectsIn(n, variable, field));
  if (typeof node !== "object" || node === null) return false;
  const n = node as { op?: unknown; args?: unknown };
  if ((n.op === "." || n.op === ".?") && Array.isArray(n.args)) {
    const [operand, name] = n.args as [unknown, unknown];
    const o = operand as { op?: unknown; args?: unknown } | undefined;
    if (o?.op === "id" && o.args === variable && name === field) return true;
    return selectsIn(operand, variable, field);
  }
  return selectsIn(n.args, variable, field);
}

/** Compiles; `expect: "bool"` requires the checked type to be exactly bool (kube rejects dyn there). */
export function compileCel(expression: string, variable: CelVariable, expect: "bool" | "any"): { ok: true; compiled: CompiledCel } | { ok: false; message: string } {
  if (expression.length > MAX_EXPRESSION_LENGTH) return { ok: false, message: `compilation failed: expression is longer than ${MAX_EXPRESSION_LENGTH} characters` };
  const env = ENVS[variable];
  let parsed: ReturnType<Environment["parse"]>;
  try {
    parsed = env.parse(expression);
  } catch (e) {
    return { ok: false, message: `compilation failed: ${firstLine(e)}` };
  }
  const checked = parsed.check();
  if (!checked.valid) return { ok: false, message: `compilation failed: ${firstLine(checked.error)}` };
  const outputType = checked.type ?? "dyn";
  if (expect === "bool" && outputType !== "bool") return { ok: false, message: "must evaluate to bool" };
  const ast: ASTNode = parsed.ast;
  return {
    ok: true,
    compiled: {
      expression,
      outputType,
      evaluate(value: unknown): unknown {
        try {
          return parsed({ [variable]: value }) as unknown;
        } catch (e) {
          throw new CelEvalError(firstLine(e));
        }
      },
      selects: (field: string) => selectsIn(ast, variable, field),
    },
  };
}

const KEYWORDS = new Set(["true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while"]);

/** kube's CEL property-name escaping (k8s.io/apiserver pkg/cel/escaping.go); undefined when no escape is needed. */
export function escapeCelName(name: string): string | undefined {
  if (KEYWORDS.has(name)) return `__${name}__`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && !name.includes("__")) return undefined;
  if (!/^[A-Za-z0-9_./-]+$/.test(name)) return undefined; // not expressible as an identifier; index syntax still works
  const escaped = name.replace(/__/g, "__underscores__").replace(/\./g, "__dot__").replace(/-/g, "__dash__").replace(/\//g, "__slash__");
  return /^[A-Za-z_]/.test(escaped) ? escaped : undefined;
}

/** Deep copy of JSON claims with escaped aliases added for keys that are not CEL identifiers. */
export function celClaims(value: unknown, depth = 0): unknown {
  if (depth > 32) return value;
  if (Array.isArray(value)) return value.map((v) => celClaims(v, depth + 1));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) out[k] = celClaims(v, depth + 1);
  for (const [k, v] of entries) {
    const alias = escapeCelName(k);
    if (alias !== undefined && !(alias in out)) out[alias] = out[k] ?? celClaims(v, depth + 1);
  }
  return out;
}
