/**
 * The fast object-file parser (a strict YAML subset) against `yaml`, the reference: on
 * every text the fast path accepts, both must give the same documents; on every text `yaml`
 * rejects, the fast path must decline (so the problem is reported by `yaml`, with its position).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseAllDocuments, stringify, type ToStringOptions } from "yaml";
import { fastLoadAll } from "../../../src/store/fast-yaml.js";
import { parseObjectFile } from "../../../src/store/directory-store.js";

/** What parseObjectFile's `yaml` path makes of `text`: the non-empty documents, or "error". */
function reference(text: string): unknown[] | "error" {
  const parsed = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  if (docs.some((d) => d.errors.length > 0)) return "error";
  try {
    return docs
      .map((d) => {
        const v: unknown = d.toJS({ maxAliasCount: 100 });
        return v;
      })
      .filter((v) => v !== null && v !== undefined);
  } catch {
    return "error";
  }
}

/** The property: the fast path declines, or agrees with `yaml` exactly. Returns whether it answered. */
function agrees(text: string): boolean {
  const fast = fastLoadAll(text);
  if (fast === undefined) return false;
  const ref = reference(text);
  assert.notEqual(ref, "error", `the fast path accepted text yaml rejects: ${JSON.stringify(text)}`);
  assert.deepStrictEqual(fast, ref, `different documents for ${JSON.stringify(text)}`);
  return true;
}

test("plain scalars resolve as in yaml's core schema: null, bool, int (decimal, 0o, 0x), float; everything else is a string", () => {
  const scalars = ["1", "-1", "+1", "0", "-0", "007", "0o17", "0o8", "0x1F", "0X1F", "-0x1", "0b101", "1_000", "1e3", "1E-3", "+.5e2", ".5", "1.", "-1.50", "1.2.3", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "nan", "inf", "true", "True", "TRUE", "tRUE", "false", "yes", "no", "on", "off", "y", "~", "null", "Null", "NULL", "nULL", "2001-12-14", "2001-12-14T21:59:43.10-05:00", "12:30:00", "1:20", "=", "0.1.2", "12345678901234567890", "x y", "a-b", "é", "1 # comment"];
  let answered = 0;
  for (const s of scalars) {
    for (const text of [`v: ${s}\n`, `v:\n- ${s}\n`, `v: [${s}]\n`, `${s}: v\n`, `v: {${s}: v}\n`, `v: '${s}'\nw: "${s}"\n`]) if (agrees(text)) answered++;
  }
  assert.ok(answered >= scalars.length * 3, `the fast path answered only ${answered} cases`);
  assert.deepStrictEqual(fastLoadAll("a: 0o17\nb: 0x1F\nc: 1e3\nd: .inf\ne: ~\nf: 2001-12-14\ng: yes\nh: 007\n"), [{ a: 15, b: 31, c: 1000, d: Number.POSITIVE_INFINITY, e: null, f: "2001-12-14", g: "yes", h: 7 }]);
});

test("strings: quoting, escapes, block scalars and folding agree with yaml", () => {
  const texts = [
    'a: "x\\ty\\u00e9\\x41\\U0001F600\\n\\\\\\"\\0\\a\\b\\e\\f\\r\\v\\/\\ \\N\\_\\L\\P"\n',
    "a: 'it''s'\n",
    'a: "line one\n  line two\n\n  para"\n',
    "a: 'line one\n  line two\n\n  para'\n",
    "a: plain one\n  plain two\n\n  plain three\n",
    "a: |\n  keep\n   indented\n\n  tail\n",
    "a: |-\n  strip\n\n",
    "a: |+\n  keep\n\n\nb: 1\n",
    "a: >\n  folded\n  text\n\n  new\n   more\n  back\n",
    "a: >-\n  x\n",
    "a: |2\n   two extra\n",
    "a: >1\n  x\n",
    "- |\n x\n- >\n y\n",
    "a: b#c\nd: e #f\n",
    "a: 'x: y'\nb: \"[z]\"\nc: x:y\n",
    "a: {b: [1, 2, {c: d}], e: f}\n",
    "a: [\n  1,\n  2,\n]\n",
    "{ \"json\": [1, 2.5, true, null, \"s\"], \"n\": {} }\n",
    "a:\n- 1\n- - 2\n  - 3\n-\n",
    "a:\n  - b: 1\n    c: 2\n  - d\n",
    "a: \n",
    "? \nb: 1\n",
    "a: -\n",
    "a: - b\n",
    "- - - x\n",
    "a:\n  b:\n    c:\n      d: e\n",
    "x: 1\r\ny: 2\r\n",
    "# only a comment\n",
    "---\n---\na: 1\n...\n---\nb: 2\n",
    "--- a\n--- b\n",
    "a: 1\n  b: 2\n",
    "a: b: c\n",
    "a:\n - 1\n  - 2\n",
    "[a, b\n",
    "a: 'x\n",
    "a: 1\na: 2\n",
    "a: 1\n'a': 2\n",
    "1: a\n'1': b\n",
    "1: a\n1.0: b\n",
    "true: a\nTrue: b\n",
    "0x10: a\n16: b\n",
    ".nan: a\n.NaN: b\n",
    "- a\nb: c\n",
    "a:\n\t- 1\n",
    "\uFEFFa: 1\n",
    "a: \"\u0007\"\n",
    "a: x\u0085y\n",
    "%YAML 1.1\n---\na: yes\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "<<: {a: 1}\n",
    "__proto__: {a: 1}\n",
    "? [a]\n: b\n",
    "[a]: b\n",
    "{a: 1}: b\n",
    "~: a\n",
    "null: a\n",
    ": a\n",
    "a: [b, ~: c]\n",
    // Unicode spaces are content to YAML, not white space (String#trim would drop them)
    "a: \u2000\n",
    "a: x\u3000\n",
    "a: [\u2002, b\u2009]\n",
    "a:\n  - - \u2003\n",
  ];
  for (const text of texts) agrees(text);
  assert.equal(fastLoadAll("a: 1\na: 2\n"), undefined, "duplicate keys go to yaml, which reports them");
  assert.equal(fastLoadAll("a: &x 1\nb: *x\n"), undefined, "aliases go to yaml");
  assert.equal(fastLoadAll("~: a\n"), undefined, "null keys go to yaml");
  assert.equal(fastLoadAll("x: 1\r\ny: 2\r\n"), undefined, "CRLF files go to yaml (the two differ on CRLF in block scalars)");
});

const TRICKY = ["1", "-1", "+1", "0o17", "0x1F", "0b1", "1e3", ".5", "1.", ".inf", "-.Inf", ".nan", "true", "True", "yes", "no", "~", "null", "Null", "", " ", "2001-12-14", "12:30", "a: b", "- a", "#c", "a #c", "'q'", '"d"', "multi\nline", "trailing\n", "  lead", "trail  ", "*", "&a", "!t", "%x", "@x", "`x", "{a}", "[a]", "<<", "=", "?", "? x", "-", "---", "...", "é", "日本", "a\tb", "1_000", "0777", "-0", "1:20", "\\", "\u2028", "x\ry"];

const scalarArb = fc.oneof(
  { arbitrary: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9 .:/_-]{0,20}$/), weight: 6 },
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);
const keyArb = fc.oneof({ arbitrary: fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9./-]{0,12}$/), weight: 4 }, fc.constantFrom(...TRICKY.filter((k) => k !== "")), fc.string({ minLength: 1, maxLength: 8 }));
const { value: valueArb } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalarArb, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(keyArb, tie("value"), { maxKeys: 4 })),
}));

const YAML_STYLES: ToStringOptions[] = [{}, { defaultStringType: "QUOTE_DOUBLE" }, { defaultStringType: "QUOTE_SINGLE", defaultKeyType: "PLAIN" }, { defaultStringType: "BLOCK_LITERAL" }, { defaultStringType: "BLOCK_FOLDED", lineWidth: 20, minContentWidth: 0 }, { collectionStyle: "flow" }, { indentSeq: false, indent: 4 }];

test("any mapping written by yaml, in any style, reads the same through both parsers", () => {
  let answered = 0;
  let total = 0;
  fc.assert(
    fc.property(fc.array(fc.dictionary(keyArb, valueArb, { minKeys: 1, maxKeys: 5 }), { minLength: 1, maxLength: 3 }), fc.nat(YAML_STYLES.length - 1), (docs, style) => {
      const text = docs.map((d) => stringify(d, YAML_STYLES[style])).join("---\n");
      total++;
      if (agrees(text)) answered++;
    }),
    { numRuns: 1500 },
  );
  assert.ok(answered > total / 4, `the fast path answered ${answered} of ${total} generated files`);
});

const FRAGMENTS = ["a", "b", "1", "0x1", ".inf", "~", "null", "true", "x y", "é", " ", "  ", "    ", ":", ": ", "- ", "-", "\n", "\n  ", "\n    ", "\r\n", "[", "]", "{", "}", ", ", ",", '"', "'", "#", " #", "|", ">", "|-", ">+", "---", "---\n", "...", "\\", "\\n", "?", "? ", "&a ", "*a", "!t ", "%", "<<", "\t", "\u0085", "@"];

test("random fragment soup: whatever the fast path accepts, yaml accepts with the same documents", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }), (parts) => {
      agrees(parts.join(""));
    }),
    { numRuns: 20000 },
  );
});

test("parseObjectFile: the fast path gives the objects yaml gives, and falls back for problems with their positions", () => {
  const text = [
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa\n  namespace: team\n  annotations:\n    eks.amazonaws.com/role-arn: arn:aws:iam::000000000000:role/r\n",
    'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: team}\nrules:\n- apiGroups: [""]\n  resources: ["*"]\n  verbs: [get, list]\n',
    "",
  ].join("---\n");
  assert.notEqual(fastLoadAll(text), undefined);
  const r = parseObjectFile(text, "f.yaml");
  assert.deepEqual(r.problems, []);
  assert.deepStrictEqual(r.objects, [
    { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "sa", namespace: "team", annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::000000000000:role/r" } } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r", namespace: "team" }, rules: [{ apiGroups: [""], resources: ["*"], verbs: ["get", "list"] }] },
  ]);
  // one schema-invalid document: the whole file goes through yaml, which reports it with its position
  const bad = parseObjectFile(text + "---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: 42}\n", "f.yaml");
  assert.equal(bad.objects.length, 2);
  assert.deepEqual(bad.problems, [{ source: "f.yaml", line: 18, col: 1, document: 3, message: "metadata.name: expected a non-empty string" }]);
  const broken = parseObjectFile("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, name: b}\n", "f.yaml");
  assert.deepEqual(broken.problems, [{ source: "f.yaml", line: 3, col: 21, document: 0, message: "not valid YAML: Map keys must be unique" }]);
  assert.equal(broken.fatal, true);
});
