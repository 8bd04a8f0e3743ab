import { test } from "node:test";
import assert from "node:assert/strict";
import { formatPerfDiff, parsePerfReport } from "../../../bench/lib/perf-profile.js";

// The head of a real `perf report --no-children --sort dso,sym -g none --stdio` (cpu-clock, 4 kHz).
const report = (eventNs: number, lines: readonly string[]): string =>
  [
    "# To display the perf.data header info, please use --header/--header-only options.",
    "#",
    "# Samples: 3K of event 'cpu-clock'",
    `# Event count (approx.): ${eventNs}`,
    "#",
    "# Overhead  Shared Object        Symbol",
    "# ........  ...................  ......",
    "#",
    ...lines,
    "",
  ].join("\n");

test("parsePerfReport turns shares into µs per request from the event count, and groups JIT frames by function and file", () => {
  const side = parsePerfReport(
    report(1_000_000_000, [
      "    10.00%  [kernel.kallsyms]    [k] _raw_spin_unlock_irqrestore",
      "     5.00%  node                 [.] Builtins_LoadIC_Megamorphic",
      "     2.00%  [JIT] tid 11139      [.] JS:*scanResource file:///work/main/src/rbac/authorize.ts:1:3634",
      "     1.00%  [JIT] tid 11139      [.] JS:^scanResource file:///work/main/src/rbac/authorize.ts:1:3634",
      "     0.50%  [JIT] tid 11139      [.] JS:*scanResource file:///work/main/src/rbac/authorize.ts:1:3700",
      "     0.25%  libc.so.6            [.] malloc",
      "not a row",
    ]),
    1000,
  );
  assert.equal(side.cpuNs, 1_000_000_000);
  assert.equal(side.requests, 1000);
  // 1 s of CPU over 1,000 requests is 1,000 µs per request: 10% of it is 100 µs.
  assert.equal(side.bySymbol.get("[kernel.kallsyms] _raw_spin_unlock_irqrestore"), 100);
  assert.equal(side.bySymbol.get("node Builtins_LoadIC_Megamorphic"), 50);
  assert.equal(side.bySymbol.get("[JIT] JS:*scanResource src/rbac/authorize.ts"), 25);
  assert.equal(side.bySymbol.get("[JIT] JS:^scanResource src/rbac/authorize.ts"), 10);
  assert.equal(side.bySymbol.get("libc.so.6 malloc"), 2.5);
  assert.equal(side.bySymbol.size, 5);
});

test("parsePerfReport refuses a report without an event count, and a side without requests costs nothing", () => {
  assert.throws(() => parsePerfReport("# Samples: 0\n", 10), /no event count/);
  const empty = parsePerfReport(report(5_000_000, ["    100.00%  node  [.] main"]), 0);
  assert.equal(empty.bySymbol.get("node main"), 0);
});

test("formatPerfDiff lists the symbols the endpoint spends the most more on than the baseline, largest first", () => {
  const endpoint = parsePerfReport(
    report(300_000_000, ["    50.00%  node  [.] a", "    30.00%  node  [.] b", "    20.00%  node  [.] c"]),
    1000,
  );
  const baseline = parsePerfReport(report(100_000_000, ["    60.00%  node  [.] a", "    40.00%  node  [.] d"]), 1000);
  const text = formatPerfDiff(endpoint, baseline, 3);
  assert.match(text, /endpoint 300 µs CPU\/request \(1000 requests\), baseline 100 µs \(1000\)/);
  const rows = text.split("\n").slice(2).map((l) => l.trim().split(/\s+/));
  // a: 150 vs 60 (+90); b: 90 vs 0 (+90); c: 60 vs 0 (+60); d: 0 vs 40 (-40) is not among the top 3.
  assert.deepEqual(
    rows.map((r) => [r[0], r[3] === "node" ? r[4] : r[3]]),
    [
      ["90.00", "a"],
      ["90.00", "b"],
      ["60.00", "c"],
    ],
  );
});
