import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseSignedRequest, verifySignature } from "../../../src/sigv4/index.js";
import type { VerifyOptions } from "../../../src/sigv4/index.js";
import { parseAmzDate } from "../../../src/sigv4/lib/amz-date.js";
import { FIXTURES, incomingFromVector, loadVectors, vectorCredentials } from "./helpers.js";

type Mutation =
  | { op: "setHeader"; name: string; value: string }
  | { op: "deleteHeader"; name: string }
  | { op: "duplicateHeader"; name: string }
  | { op: "regexHeader"; name: string; pattern: string; replacement: string }
  | { op: "setBody"; value: string }
  | { op: "setMethod"; value: string }
  | { op: "setPath"; value: string }
  | { op: "setQueryParam"; name: string; value: string }
  | { op: "deleteQueryParam"; name: string }
  | { op: "regexQueryParam"; name: string; pattern: string; replacement: string }
  | { op: "upperQueryParam"; name: string }
  | { op: "appendQuery"; raw: string };

interface Case {
  name: string;
  base: string;
  mutate?: Mutation[];
  nowOffsetSeconds?: number;
  options?: VerifyOptions;
  secret?: string;
  expect:
    | { ok: true }
    | {
        stage: "parse" | "verify";
        code: string;
        status?: number;
        check?: string;
        message?: string;
        messageStartsWith?: string;
      };
}

const { cases } = JSON.parse(readFileSync(FIXTURES + "bad-requests.json", "utf8")) as { cases: Case[] };
const vectors = loadVectors();

function editQuery(
  raw: string,
  name: string,
  edit: (value: string | undefined) => string | undefined,
): string {
  const parts = raw === "" ? [] : raw.split("&");
  const i = parts.findIndex((p) => decodeURIComponent(p.split("=")[0]!) === name);
  const current = i < 0 ? undefined : decodeURIComponent(parts[i]!.slice(parts[i]!.indexOf("=") + 1));
  const next = edit(current);
  const encoded = next === undefined ? undefined : `${encodeURIComponent(name)}=${encodeURIComponent(next)}`;
  if (i < 0) return encoded === undefined ? raw : [...parts, encoded].join("&");
  if (encoded === undefined) parts.splice(i, 1);
  else parts[i] = encoded;
  return parts.join("&");
}

describe("SigV4 bad input table", () => {
  for (const c of cases) {
    test(c.name, () => {
      const v = vectors.vectors.find((x) => x.name === c.base);
      assert.ok(v, `unknown base vector ${c.base}`);
      const creds = vectorCredentials(vectors, v);
      const req = incomingFromVector(v);
      let { method, path, rawQuery, body } = req;
      const headers = req.headers;
      for (const m of c.mutate ?? []) {
        switch (m.op) {
          case "setHeader":
            headers[m.name] = m.value;
            break;
          case "deleteHeader":
            assert.ok(m.name in headers, `mutation removes absent header ${m.name}`);
            Reflect.deleteProperty(headers, m.name);
            break;
          case "duplicateHeader":
            headers[m.name] = [headers[m.name] as string, headers[m.name] as string];
            break;
          case "regexHeader": {
            const before = headers[m.name] as string;
            headers[m.name] = before.replace(new RegExp(m.pattern), m.replacement);
            assert.notEqual(headers[m.name], before, "mutation must change the header");
            break;
          }
          case "setBody":
            body = m.value;
            break;
          case "setMethod":
            method = m.value;
            break;
          case "setPath":
            path = m.value;
            break;
          case "setQueryParam":
            rawQuery = editQuery(rawQuery, m.name, () => m.value);
            break;
          case "deleteQueryParam":
            rawQuery = editQuery(rawQuery, m.name, () => undefined);
            break;
          case "regexQueryParam":
            rawQuery = editQuery(rawQuery, m.name, (x) => x!.replace(new RegExp(m.pattern), m.replacement));
            break;
          case "upperQueryParam":
            rawQuery = editQuery(rawQuery, m.name, (x) => x!.toUpperCase());
            break;
          case "appendQuery":
            rawQuery = rawQuery === "" ? m.raw : `${rawQuery}&${m.raw}`;
            break;
        }
      }
      const incoming = { method, path, rawQuery, headers, body };
      const now = parseAmzDate(v.amzDate)! + (c.nowOffsetSeconds ?? 0) * 1000;

      const parsed = parseSignedRequest(incoming);
      const e = c.expect;
      if ("stage" in e && e.stage === "parse") {
        assert.equal(parsed.ok, false, "parse should fail");
        if (parsed.ok) return;
        assertError(parsed.error, e);
        return;
      }
      assert.ok(parsed.ok, parsed.ok ? "" : `parse failed: ${parsed.error.message}`);
      const verified = verifySignature(
        parsed.auth,
        c.secret ?? creds.secretAccessKey,
        incoming,
        now,
        c.options ?? {},
      );
      if ("ok" in e) {
        assert.ok(verified.ok, verified.ok ? "" : `${verified.error.check}: ${verified.error.detail}`);
        return;
      }
      assert.equal(verified.ok, false, "verify should fail");
      if (verified.ok) return;
      assertError(verified.error, e);
    });
  }
});

function assertError(
  err: { code: string; status: number; message: string; check: string; detail: string },
  e: { code: string; status?: number; check?: string; message?: string; messageStartsWith?: string },
): void {
  assert.equal(err.code, e.code, `code (${err.message})`);
  if (e.status !== undefined) assert.equal(err.status, e.status);
  if (e.check !== undefined) assert.equal(err.check, e.check, `check (${err.detail})`);
  if (e.message !== undefined) assert.equal(err.message, e.message);
  if (e.messageStartsWith !== undefined) assert.ok(err.message.startsWith(e.messageStartsWith), err.message);
  assert.ok(err.detail.length > 0);
  assert.ok(!err.message.includes("kGe1zZ8nqR5gL0mV2dA7yT3xW9cB4pH6sJ0fK1u"), "no secret in the message");
  assert.ok(!err.detail.includes("IQoJb3JpZ2luX2Vj"), "no session token in the detail");
}
