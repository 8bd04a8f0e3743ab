import { test } from "node:test";
import assert from "node:assert/strict";
import { Router } from "../../../src/server/router.js";

const noop = (): void => undefined;

test("exact routes win over prefixes, the longest prefix wins, other methods are 405, unknown paths 404", () => {
  const r = new Router();
  r.add("GET", "/healthz", noop, { name: "healthz" });
  r.add("POST", "/authorize", noop, { name: "authorize", bodyLimit: 10 });
  r.addPrefix("POST", "/api/", noop, { name: "api" });
  r.addPrefix("POST", "/api/v1/", noop, { name: "api-v1" });
  assert.equal((r.match("GET", "/healthz") as { name: string }).name, "healthz");
  assert.equal((r.match("POST", "/authorize") as { bodyLimit: number }).bodyLimit, 10);
  assert.equal((r.match("POST", "/api/v1/x") as { name: string }).name, "api-v1");
  assert.equal((r.match("POST", "/api/v2/x") as { name: string }).name, "api");
  assert.equal(r.match("POST", "/healthz"), "method-not-allowed");
  assert.equal(r.match("GET", "/authorize"), "method-not-allowed");
  assert.equal(r.match("GET", "/nothing"), undefined);
});

test("HEAD is served by the GET route, and is 405 where there is none", () => {
  const r = new Router();
  r.add("GET", "/healthz", noop, { name: "healthz" });
  r.addPrefix("GET", "/files/", noop, { name: "files" });
  r.add("POST", "/authorize", noop, { name: "authorize" });
  assert.equal((r.match("HEAD", "/healthz") as { name: string }).name, "healthz");
  assert.equal((r.match("HEAD", "/files/a") as { name: string }).name, "files");
  assert.equal(r.match("HEAD", "/authorize"), "method-not-allowed");
  assert.equal(r.match("HEAD", "/nothing"), undefined);
});
