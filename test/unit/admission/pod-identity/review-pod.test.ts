/** reviewPodIdentity: the AdmissionReview contract of the pod identity webhook (spec irsa-sts §1.5). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { podIdentityConfig } from "../../../../src/admission/pod-identity/config.js";
import { reviewPodIdentity } from "../../../../src/admission/pod-identity/review-pod.js";
import { decodePatch, parseAdmissionReviewValue } from "../../../../src/admission/review.js";
import type { KubeObject, ObjectKey } from "../../../../src/store/types.js";

const ROLE = "arn:aws:iam::111122223333:role/s3-reader";
const sa = (
  namespace: string,
  name: string,
  annotations: Record<string, string> = { "eks.amazonaws.com/role-arn": ROLE },
): KubeObject => ({
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name, namespace, annotations },
});

function review(request: Record<string, unknown>, apiVersion = "admission.k8s.io/v1") {
  return parseAdmissionReviewValue({
    apiVersion,
    kind: "AdmissionReview",
    request: { uid: "uid-1", ...request },
  });
}

function lookupIn(objects: KubeObject[]) {
  const asked: ObjectKey[] = [];
  const lookup = (k: ObjectKey) => {
    asked.push(k);
    return objects.find(
      (o) => o.kind === k.kind && o.metadata.name === k.name && o.metadata.namespace === k.namespace,
    );
  };
  return { asked, lookup };
}

const pod = (
  spec: Record<string, unknown> = { serviceAccountName: "app", containers: [{ name: "c" }] },
  metadata: Record<string, unknown> = { name: "web" },
) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata,
  spec,
});

const config = podIdentityConfig({ region: "eu-west-1" });

test("a pod whose ServiceAccount has a role: allowed with a JSONPatch, uid and version echoed", async () => {
  const { asked, lookup } = lookupIn([sa("team-a", "app")]);
  const out = await reviewPodIdentity(
    review(
      { namespace: "team-a", kind: { group: "", version: "v1", kind: "Pod" }, object: pod() },
      "admission.k8s.io/v1beta1",
    ),
    { config, lookupServiceAccount: lookup },
  );
  assert.deepEqual(asked, [{ kind: "ServiceAccount", namespace: "team-a", name: "app" }]);
  assert.equal(out.allowed, true);
  assert.equal(out.subject, "system:serviceaccount:team-a:app");
  assert.equal(out.response.apiVersion, "admission.k8s.io/v1beta1");
  assert.equal(out.response.response.uid, "uid-1");
  assert.equal(out.response.response.patchType, "JSONPatch");
  const ops = decodePatch(out.response.response.patch!);
  assert.deepEqual(ops, out.patch);
  assert.deepEqual(
    ops.map((o) => o.path),
    ["/spec/volumes", "/spec/containers"],
  );
  const env = (ops[1] as { value: { env: { name: string; value: string }[] }[] }).value[0]!.env.map(
    (e) => `${e.name}=${e.value}`,
  );
  assert.deepEqual(env, [
    "AWS_DEFAULT_REGION=eu-west-1",
    "AWS_REGION=eu-west-1",
    `AWS_ROLE_ARN=${ROLE}`,
    "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
  ]);
  assert.match(out.summary, /team-a\/web given role arn:aws:iam::111122223333:role\/s3-reader/);
});

test("the namespace comes from the request, not from the object", async () => {
  const { asked, lookup } = lookupIn([sa("team-a", "app")]);
  const out = await reviewPodIdentity(
    review({ namespace: "team-b", object: pod(undefined, { name: "web", namespace: "team-a" }) }),
    { config, lookupServiceAccount: lookup },
  );
  assert.deepEqual(asked, [{ kind: "ServiceAccount", namespace: "team-b", name: "app" }]);
  assert.deepEqual(out.patch, []);
  assert.equal(out.response.response.patch, undefined);
});

test("a pod without serviceAccountName is looked up as the namespace's default ServiceAccount", async () => {
  const { asked, lookup } = lookupIn([sa("team-a", "default")]);
  const out = await reviewPodIdentity(
    review({ namespace: "team-a", object: pod({ containers: [{ name: "c" }] }) }),
    { config, lookupServiceAccount: lookup },
  );
  assert.deepEqual(asked, [{ kind: "ServiceAccount", namespace: "team-a", name: "default" }]);
  assert.equal(out.patch.length, 2);
});

test("a missing ServiceAccount never refuses the pod: allowed, no patch, a reason says why", async () => {
  const { lookup } = lookupIn([]);
  const out = await reviewPodIdentity(review({ namespace: "team-a", object: pod() }), {
    config,
    lookupServiceAccount: lookup,
  });
  assert.deepEqual(JSON.parse(JSON.stringify(out.response)), {
    kind: "AdmissionReview",
    apiVersion: "admission.k8s.io/v1",
    response: { uid: "uid-1", allowed: true },
  });
  assert.ok(
    out.reasons.some(
      (r) =>
        r.check === "pod-identity.service-account" && !r.ok && r.message.includes("team-a/app not found"),
    ),
  );
});

test("an async lookup (the server waiting for the ServiceAccount) is awaited", async () => {
  const out = await reviewPodIdentity(review({ namespace: "ns", object: pod() }), {
    config,
    lookupServiceAccount: async (k) => {
      await new Promise((r) => setTimeout(r, 5));
      return sa(k.namespace!, k.name);
    },
  });
  assert.equal(out.patch.length, 2);
});

test("a request without a namespace looks nothing up and leaves the pod alone", async () => {
  const { asked, lookup } = lookupIn([sa("", "app")]);
  const out = await reviewPodIdentity(review({ object: pod() }), { config, lookupServiceAccount: lookup });
  assert.deepEqual(asked, []);
  assert.equal(out.allowed, true);
  assert.deepEqual(out.patch, []);
});

test("an object that does not decode as a Pod: allowed=false with Go's decode error and no code (upstream)", async () => {
  const { asked, lookup } = lookupIn([sa("ns", "app")]);
  const out = await reviewPodIdentity(
    review({ namespace: "ns", object: { spec: { containers: "nginx" } } }),
    { config, lookupServiceAccount: lookup },
  );
  assert.deepEqual(asked, [], "no lookup (and no waiting) for an undecodable pod");
  assert.equal(out.allowed, false);
  assert.deepEqual(JSON.parse(JSON.stringify(out.response.response)), {
    uid: "uid-1",
    allowed: false,
    status: {
      metadata: {},
      message:
        "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container",
    },
  });
  assert.equal(out.reasons[0]?.check, "pod-identity.decode");
});

test("not a Pod (another kind sent to the webhook), a subresource, no object (DELETE): admitted unchanged", async () => {
  const { asked, lookup } = lookupIn([sa("ns", "app")]);
  const deployment = await reviewPodIdentity(
    review({ namespace: "ns", kind: { group: "apps", version: "v1", kind: "Deployment" }, object: pod() }),
    { config, lookupServiceAccount: lookup },
  );
  assert.equal(deployment.allowed, true);
  assert.deepEqual(deployment.patch, []);
  assert.equal(deployment.reasons[0]?.check, "pod-identity.kind");
  const sub = await reviewPodIdentity(
    review({ namespace: "ns", subResource: "ephemeralcontainers", operation: "UPDATE", object: pod() }),
    {
      config,
      lookupServiceAccount: lookup,
    },
  );
  assert.deepEqual(sub.patch, []);
  assert.equal(sub.allowed, true);
  assert.match(sub.summary, /pods\/ephemeralcontainers/);
  const del = await reviewPodIdentity(review({ namespace: "ns", operation: "DELETE", oldObject: pod() }), {
    config,
    lookupServiceAccount: lookup,
  });
  assert.equal(del.allowed, true);
  assert.deepEqual(del.patch, []);
  assert.deepEqual(asked, []);
});
