/** AdmissionReview parsing (fixtures reviews.yaml / bad-reviews.yaml) and response building. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ADMISSION_REVIEW_BODY_LIMIT,
  admissionResponse,
  allowResponse,
  decodePatch,
  denyResponse,
  encodePatch,
  escapeJsonPointer,
  parseAdmissionReview,
  parseAdmissionReviewValue,
  serializeAdmissionReview,
  type JsonPatchOp,
} from "../../../../src/admission/review.js";
import { isKubeiamError } from "../../../../src/lib/errors.js";
import { readFixture } from "./helpers.js";

interface Good {
  name: string;
  body: string;
  expect: Record<string, unknown>;
}

describe("parseAdmissionReview accepts", () => {
  for (const c of (readFixture("reviews.yaml") as { cases: Good[] }).cases) {
    test(c.name, () => {
      const r = parseAdmissionReview(Buffer.from(c.body));
      const e = c.expect;
      assert.equal(r.apiVersion, e.apiVersion);
      assert.equal(r.kind, "AdmissionReview");
      assert.equal(r.request.uid, e.uid);
      assert.equal(r.request.namespace, e.namespace);
      assert.equal(r.request.name, e.name);
      assert.equal(r.request.dryRun, e.dryRun);
      assert.equal(r.request.object !== undefined, e.hasObject);
      assert.equal(r.request.oldObject !== undefined, e.hasOldObject);
      if (e.operation !== undefined) assert.equal(r.request.operation, e.operation);
      if (e.kind !== undefined) assert.deepEqual(r.request.kind, e.kind);
      if (e.username !== undefined) assert.equal(r.request.userInfo?.username, e.username);
      // the string form and the Buffer form agree
      assert.deepEqual(parseAdmissionReview(c.body), r);
    });
  }
});

interface Bad {
  name: string;
  body: string;
  code: string;
  message: string;
}

describe("parseAdmissionReview refuses", () => {
  for (const c of (readFixture("bad-reviews.yaml") as { cases: Bad[] }).cases) {
    test(c.name, () => {
      assert.throws(
        () => parseAdmissionReview(Buffer.from(c.body)),
        (e: unknown) => {
          assert.ok(isKubeiamError(e), "a KubeiamError");
          assert.equal(e.code, c.code);
          assert.ok(e.message.startsWith("AdmissionReview: "), e.message);
          assert.ok(e.message.includes(c.message), `"${e.message}" should contain "${c.message}"`);
          return true;
        },
      );
    });
  }

  test("a body over the limit, before parsing it", () => {
    const body = Buffer.alloc(101, 0x20);
    assert.throws(
      () => parseAdmissionReview(body, 100),
      (e: unknown) => isKubeiamError(e) && e.code === "REQUEST_TOO_LARGE" && e.httpStatus === 413,
    );
    assert.ok(
      ADMISSION_REVIEW_BODY_LIMIT >= 3 * 1024 * 1024,
      "room for the largest object kube-apiserver accepts",
    );
  });

  test("invalid UTF-8", () => {
    const body = Buffer.concat([
      Buffer.from('{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    assert.throws(() => parseAdmissionReview(body), /not valid UTF-8/);
  });

  test("deeply nested JSON is an input error, not a crash", () => {
    const body = "[".repeat(200_000) + "]".repeat(200_000);
    assert.throws(
      () => parseAdmissionReview(body),
      (e: unknown) => isKubeiamError(e) && e.code === "REQUEST_INVALID",
    );
  });

  test("a decoded value (e.g. from YAML) goes through the same checks", () => {
    assert.throws(
      () =>
        parseAdmissionReviewValue({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: { uid: 1 },
        }),
      /request\.uid: expected a string/,
    );
  });
});

describe("responses", () => {
  const review = parseAdmissionReview(
    '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u-1"}}',
  );
  const beta = parseAdmissionReview(
    '{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u-2"}}',
  );
  const ops: JsonPatchOp[] = [{ op: "add", path: "/metadata/labels/a~1b", value: "x" }];

  test("allowed without a patch: only uid and allowed, apiVersion and kind echoed, Go key order", () => {
    assert.equal(
      JSON.stringify(allowResponse(review)),
      '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","response":{"uid":"u-1","allowed":true}}',
    );
    assert.equal(
      JSON.stringify(allowResponse(beta, { patch: [] })),
      '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1beta1","response":{"uid":"u-2","allowed":true}}',
    );
  });

  test("allowed with a patch: base64 JSON Patch and patchType JSONPatch, then warnings", () => {
    const r = allowResponse(review, { patch: ops, warnings: ["w1"], auditAnnotations: { k: "v" } });
    assert.deepEqual(Object.keys(r.response), [
      "uid",
      "allowed",
      "patch",
      "patchType",
      "auditAnnotations",
      "warnings",
    ]);
    assert.equal(r.response.patchType, "JSONPatch");
    assert.equal(
      Buffer.from(r.response.patch!, "base64").toString(),
      '[{"op":"add","path":"/metadata/labels/a~1b","value":"x"}]',
    );
    assert.deepEqual(decodePatch(r.response.patch!), ops);
    assert.deepEqual(r.response.warnings, ["w1"]);
    assert.equal(encodePatch(ops), r.response.patch);
  });

  test("denied: Failure status with code 403 by default, message and reason", () => {
    const r = denyResponse(review, { message: "pods must not run privileged" });
    assert.equal(
      JSON.stringify(r.response),
      '{"uid":"u-1","allowed":false,"status":{"metadata":{},"status":"Failure","message":"pods must not run privileged","code":403}}',
    );
    const r2 = denyResponse(
      review,
      { message: "m", reason: "Invalid", code: 422 },
      { warnings: ["careful"] },
    );
    assert.deepEqual(r2.response.status, {
      metadata: {},
      status: "Failure",
      message: "m",
      reason: "Invalid",
      code: 422,
    });
    assert.deepEqual(r2.response.warnings, ["careful"]);
  });

  test("a status with only a message (upstream's decode failure shape)", () => {
    const r = admissionResponse(review, false, { status: { message: "bad content" } });
    assert.equal(
      JSON.stringify(r.response),
      '{"uid":"u-1","allowed":false,"status":{"metadata":{},"message":"bad content"}}',
    );
  });

  test("serializeAdmissionReview writes exactly what JSON.stringify writes", () => {
    const cases = [
      allowResponse(review),
      allowResponse(beta, { patch: ops, warnings: ['say "hi"'], auditAnnotations: { "a/b": "c\n" } }),
      denyResponse(review, { message: 'no "quotes" \\ here', reason: "Forbidden" }),
      admissionResponse(review, false, { status: { message: "bad content" } }),
      allowResponse(
        parseAdmissionReviewValue({
          apiVersion: "admission.k8s.io/v1",
          kind: "AdmissionReview",
          request: { uid: 'u"\u2028' },
        }),
        { patch: ops },
      ),
    ];
    for (const r of cases) assert.equal(serializeAdmissionReview(r), JSON.stringify(r));
    const forged = {
      ...allowResponse(review),
      response: { uid: "u", allowed: true, patch: 'x","allowed":false' },
    };
    assert.throws(() => serializeAdmissionReview(forged), /not base64/);
  });

  test("decodePatch refuses what is not a JSON Patch", () => {
    assert.throws(() => decodePatch(Buffer.from("{}").toString("base64")), /expected a JSON Patch/);
    assert.throws(() => decodePatch(Buffer.from("nope").toString("base64")), /not base64 of a JSON document/);
    assert.throws(
      () => decodePatch(Buffer.from('[{"op":"add"}]').toString("base64")),
      /expected a JSON Patch/,
    );
  });

  test("escapeJsonPointer", () => {
    for (const [raw, want] of [
      ["eks.amazonaws.com/pod-identity", "eks.amazonaws.com~1pod-identity"],
      ["a~b/c", "a~0b~1c"],
      ["plain", "plain"],
      ["~1", "~01"],
    ]) {
      assert.equal(escapeJsonPointer(raw!), want);
    }
  });
});
