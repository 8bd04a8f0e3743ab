import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fixedClock } from "../../../src/lib/clock.js";
import { McsAllocator, MCS_PAIRS, mcsLevelAt, normaliseMcsLevel } from "../../../src/tenancy/mcs.js";

describe("MCS level enumeration", () => {
  test("indexes map to ordered category pairs, covering every pair once", () => {
    assert.equal(MCS_PAIRS, 523_776);
    assert.equal(mcsLevelAt(0), "s0:c0,c1");
    assert.equal(mcsLevelAt(1022), "s0:c0,c1023");
    assert.equal(mcsLevelAt(1023), "s0:c1,c2");
    assert.equal(mcsLevelAt(MCS_PAIRS - 1), "s0:c1022,c1023");
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(mcsLevelAt(i));
    assert.equal(seen.size, 5000);
  });
  test("normalisation", () => {
    assert.equal(normaliseMcsLevel("s0:c7,c3"), "s0:c3,c7");
    assert.equal(normaliseMcsLevel("s0:c3,c7"), "s0:c3,c7");
    for (const bad of ["s0:c3,c3", "s0:c1024,c1", "s0:c01,c2", "s1:c1,c2", "s0:c1", "s0", "", "s0:c1,c2,c3"])
      assert.equal(normaliseMcsLevel(bad), undefined, bad);
  });
});

describe("McsAllocator", () => {
  test("the same key gets the same level (a retry); distinct keys get distinct levels", () => {
    const a = new McsAllocator({ clock: fixedClock(0) });
    const l1 = a.allocate("ns/p1");
    assert.equal(a.allocate("ns/p1"), l1);
    assert.notEqual(a.allocate("ns/p2"), l1);
  });

  test("a fresh allocator starts from the same deterministic candidate", () => {
    assert.equal(
      new McsAllocator({ clock: fixedClock(0) }).allocate("ns/p1"),
      new McsAllocator({ clock: fixedClock(5) }).allocate("ns/p1"),
    );
  });

  test("levels of live pods are never handed out; a deleted pod's level is free again", () => {
    const probe = new McsAllocator({ clock: fixedClock(0) });
    const wanted = probe.allocate("ns/new", { reserve: false });
    const a = new McsAllocator({ clock: fixedClock(0) });
    a.observe("ns/old", wanted.replace(/^s0:c(\d+),c(\d+)$/, "s0:c$2,c$1")); // written in the other order
    const got = a.allocate("ns/new", { reserve: false });
    assert.notEqual(got, wanted);
    a.forget("ns/old");
    assert.equal(a.allocate("ns/new", { reserve: false }), wanted);
  });

  test("a live pod keeps its own level", () => {
    const a = new McsAllocator({ clock: fixedClock(0) });
    a.observe("ns/p", "s0:c5,c9");
    assert.equal(a.allocate("ns/p"), "s0:c5,c9");
  });

  test("dry runs reserve nothing; reservations expire", () => {
    const clock = fixedClock(0);
    const a = new McsAllocator({ clock, reservationMs: 1000 });
    a.allocate("ns/dry", { reserve: false });
    assert.deepEqual(a.stats(), { live: 0, reserved: 0 });
    const l = a.allocate("ns/p");
    assert.ok(a.inUse(l));
    clock.advance(999);
    assert.deepEqual(a.stats(), { live: 0, reserved: 1 });
    clock.advance(1);
    assert.deepEqual(a.stats(), { live: 0, reserved: 0 });
    assert.equal(a.inUse(l), false);
  });

  test("10,000 allocations are unique", () => {
    const a = new McsAllocator({ clock: fixedClock(0) });
    const levels = new Set<string>();
    for (let i = 0; i < 10_000; i++) levels.add(a.allocate(`ns/p${i}`));
    assert.equal(levels.size, 10_000);
  });
});
