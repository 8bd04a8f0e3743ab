/**
 * reviewPodIdentity: answers an AdmissionReview for the pod identity webhook, the same way for the
 * HTTPS route and `kubeiam admission review`. The ServiceAccount comes from a lookup the edge supplies
 * (the server's cache, possibly waiting briefly; the offline store in the CLI).
 *
 * Upstream contract (spec irsa-sts §1.5): a pod is never refused for a missing or unannotated
 * ServiceAccount (allowed, no patch); an object that does not decode as a Pod is refused with Go's
 * decode error as the status message.
 */
import type { Reason } from "../../lib/decision.js";
import { isKubeiamError } from "../../lib/errors.js";
import type { KubeObject, ObjectKey } from "../../store/types.js";
import {
  admissionResponse,
  allowResponse,
  type AdmissionReview,
  type AdmissionReviewResponse,
  type JsonPatchOp,
} from "../review.js";
import type { PodIdentityConfig } from "./config.js";
import { decodePod, type DecodedPod } from "./lib/decode-pod.js";
import { mutateDecodedPod, serviceAccountNameOf } from "./mutate-pod.js";

export interface PodIdentityReviewOptions {
  readonly config: PodIdentityConfig;
  /** Finds the pod's ServiceAccount; may wait for it. */
  readonly lookupServiceAccount: (key: ObjectKey) => KubeObject | undefined | Promise<KubeObject | undefined>;
}

export interface PodIdentityReviewOutcome {
  readonly response: AdmissionReviewResponse;
  readonly allowed: boolean;
  readonly patch: readonly JsonPatchOp[];
  /** `system:serviceaccount:<ns>:<name>` when the object is a pod, else the request's resource. */
  readonly subject: string;
  readonly summary: string;
  readonly reasons: readonly Reason[];
}

function isCorePod(review: AdmissionReview): boolean {
  const k = review.request.kind;
  return k === undefined || (k.group === "" && k.kind === "Pod");
}

export async function reviewPodIdentity(
  review: AdmissionReview,
  opts: PodIdentityReviewOptions,
): Promise<PodIdentityReviewOutcome> {
  const req = review.request;
  const what = `${req.namespace}/${req.name}`;
  const unchanged = (summary: string, reason: Reason): PodIdentityReviewOutcome => ({
    response: allowResponse(review),
    allowed: true,
    patch: [],
    subject: what,
    summary,
    reasons: [reason],
  });
  if (!isCorePod(review)) {
    const k = req.kind!;
    return unchanged(`not a Pod (${k.group === "" ? "" : k.group + "/"}${k.kind}); admitted unchanged`, {
      check: "pod-identity.kind",
      ok: true,
      message: `the webhook mutates Pods only; ${k.kind} admitted unchanged`,
      expected: "Pod",
      actual: k.kind,
    });
  }
  if (req.subResource !== "") {
    return unchanged(`a request for the pods/${req.subResource} subresource; admitted unchanged`, {
      check: "pod-identity.kind",
      ok: true,
      message: `the webhook mutates Pods on creation; a pods/${req.subResource} request is admitted unchanged`,
      expected: "pods",
      actual: `pods/${req.subResource}`,
    });
  }
  if (req.object === undefined) {
    return unchanged("the request carries no object; admitted unchanged", {
      check: "pod-identity.object",
      ok: true,
      message: "the request carries no object (e.g. a DELETE); nothing to mutate",
    });
  }

  let pod: DecodedPod;
  try {
    pod = decodePod(req.object);
  } catch (e) {
    if (!isKubeiamError(e) || e.code !== "ADMISSION_OBJECT_INVALID") throw e;
    // Upstream answers a decode failure with allowed=false and the decoder's text, no code.
    return {
      response: admissionResponse(review, false, { status: { message: e.message } }),
      allowed: false,
      patch: [],
      subject: what,
      summary: `the object does not decode as a Pod: ${e.message}`,
      reasons: [
        {
          check: "pod-identity.decode",
          ok: false,
          message: e.message,
          source: "request.object",
          ...(e.context.field === undefined ? {} : { actual: e.context.field }),
        },
      ],
    };
  }
  const serviceAccountName = serviceAccountNameOf(pod);
  const subject = `system:serviceaccount:${req.namespace}:${serviceAccountName}`;
  const serviceAccount =
    req.namespace === ""
      ? undefined
      : await opts.lookupServiceAccount({
          kind: "ServiceAccount",
          namespace: req.namespace,
          name: serviceAccountName,
        });
  const result = mutateDecodedPod(pod, { namespace: req.namespace, serviceAccount, config: opts.config });
  return {
    response: allowResponse(review, { patch: result.patch }),
    allowed: true,
    patch: result.patch,
    subject,
    summary: result.summary,
    reasons: result.reasons,
  };
}
