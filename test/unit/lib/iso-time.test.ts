import { test } from "node:test";
import assert from "node:assert/strict";
import { isoTime } from "../../../src/lib/iso-time.js";

const expected = (ms: number): string => new Date(ms).toISOString();

test("isoTime writes what toISOString writes, for every millisecond of a second and across second, day and year boundaries", () => {
  const starts = [0, 999, Date.UTC(2026, 10, 23, 19, 59, 59, 990), Date.UTC(1999, 11, 31, 23, 59, 59, 995), Date.UTC(2024, 1, 29, 12), 253402300799000];
  for (const start of starts)
    for (let ms = start; ms < start + 1010 && ms < 253402300800000; ms++) assert.equal(isoTime(ms), expected(ms), `at ${ms}`);
});

test("isoTime follows the clock backwards and through random times, re-reading the second each time it changes", () => {
  let seed = 42;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const now = Date.UTC(2026, 10, 23);
  for (let i = 0; i < 20_000; i++) {
    const ms = i % 2 === 0 ? Math.floor(rand() * 253402300800000) : now - Math.floor(rand() * 5000);
    assert.equal(isoTime(ms), expected(ms), `at ${ms}`);
  }
  // Same second, then the previous one, then the same again: the cached prefix never leaks.
  assert.equal(isoTime(now + 500), "2026-11-23T00:00:00.500Z");
  assert.equal(isoTime(now - 1), "2026-11-22T23:59:59.999Z");
  assert.equal(isoTime(now + 7), "2026-11-23T00:00:00.007Z");
});

test("isoTime answers as toISOString does outside whole milliseconds of years 1970-9999, including its error", () => {
  for (const ms of [-1, -86_400_000, 1.5, 1700000000000.25, 253402300800000, 8.64e15, -8.64e15])
    assert.equal(isoTime(ms), expected(ms), `at ${ms}`);
  for (const ms of [Number.NaN, Number.POSITIVE_INFINITY, 8.64e15 + 1])
    assert.throws(() => isoTime(ms), (e: unknown) => e instanceof RangeError && e.message === "Invalid time value");
});
