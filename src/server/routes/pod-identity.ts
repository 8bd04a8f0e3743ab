/**
 * POST /admission/pod-identity: the pod identity (IRSA) mutating webhook, compatible with
 * aws/amazon-eks-pod-identity-webhook's /mutate. The pod's ServiceAccount is read from the cache; one
 * the cache has not seen yet is waited for briefly (a pod created right after its ServiceAccount),
 * then the pod is admitted unchanged, never refused. Every answer is recorded in the decision log.
 */
import type { Reason } from "../../lib/decision.js";
import { podIdentityConfig, type PodIdentityConfig } from "../../admission/pod-identity/config.js";
import { reviewPodIdentity } from "../../admission/pod-identity/review-pod.js";
import {
  ADMISSION_REVIEW_BODY_LIMIT,
  parseAdmissionReview,
  serializeAdmissionReview,
} from "../../admission/review.js";
import type { KubeObject, ObjectKey } from "../../store/types.js";
import type { App } from "../app.js";
import { sendJson, sendText } from "../http.js";

export const POD_IDENTITY_PATH = "/admission/pod-identity";

/** How long a request waits for a ServiceAccount the cache does not have yet (upstream's grace period). */
export const SERVICE_ACCOUNT_WAIT_MS = 1500;

/** Upstream's answer to a request whose Content-Type is not exactly application/json. */
const BAD_CONTENT_TYPE = "Invalid Content-Type, expected `application/json`\n";

export interface PodIdentityRouteOptions {
  /** Overrides of the webhook settings; the region defaults to the config's `region`. */
  readonly config?: Partial<PodIdentityConfig>;
  /** Wait for an unknown ServiceAccount, ms (0: do not wait). */
  readonly serviceAccountWaitMs?: number;
}

export function registerPodIdentityRoutes(app: App, opts: PodIdentityRouteOptions = {}): void {
  const config = podIdentityConfig({ region: app.config.region, ...opts.config });
  const waitMs = opts.serviceAccountWaitMs ?? SERVICE_ACCOUNT_WAIT_MS;
  app.router.add(
    "POST",
    POD_IDENTITY_PATH,
    async (req, res) => {
      if (req.headers["content-type"] !== "application/json") {
        sendText(res, 415, BAD_CONTENT_TYPE, "text/plain; charset=utf-8", {
          "x-content-type-options": "nosniff",
        });
        return;
      }
      // A malformed body throws REQUEST_INVALID / REQUEST_TOO_LARGE: HTTP 400 / 413 with the reason.
      const review = parseAdmissionReview(req.body);
      let waited: Reason | undefined;
      const waitFor = async (key: ObjectKey): Promise<KubeObject | undefined> => {
        const start = app.clock.now();
        const found = await app.cache.waitFor(key, waitMs);
        const ref = `${key.namespace ?? ""}/${key.name}`;
        waited = {
          check: "pod-identity.service-account-wait",
          ok: found !== undefined,
          message: found
            ? `service account ${ref} appeared after ${app.clock.now() - start} ms`
            : `service account ${ref} did not appear within ${waitMs} ms`,
          expected: `within ${waitMs} ms`,
        };
        return found;
      };
      // Synchronous when cached (the common case); waits only for a ServiceAccount not seen yet.
      const lookupServiceAccount = (
        key: ObjectKey,
      ): KubeObject | undefined | Promise<KubeObject | undefined> =>
        app.cache.get(key) ?? (waitMs > 0 ? waitFor(key) : undefined);
      const outcome = await reviewPodIdentity(review, { config, lookupServiceAccount });
      app.decisions.record({
        kind: "admission",
        action: "PodIdentity",
        subject: outcome.subject,
        allowed: outcome.allowed,
        summary: outcome.summary,
        reasons: waited ? [waited, ...outcome.reasons] : outcome.reasons,
      });
      sendJson(res, 200, serializeAdmissionReview(outcome.response));
    },
    { name: "admission-pod-identity", bodyLimit: ADMISSION_REVIEW_BODY_LIMIT },
  );
}
