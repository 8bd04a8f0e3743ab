/**
 * POST /admission/validate and POST /admission/mutate: the tenancy webhooks (AdmissionReview v1).
 * Validate: Pod Security per tenant and per namespace labels, and the tenant rules (denials name the
 * rule, field and tenant; warn-mode rules and workload templates answer with warnings). Mutate: one
 * JSON Patch composing pod identity, tenant node isolation, the seccomp default, a unique SELinux MCS
 * level and the tenant label. dryRun requests reserve nothing. Every answer goes to the decision log.
 */
import type { Reason } from "../../lib/decision.js";
import { isKubeiamError, KubeiamError } from "../../lib/errors.js";
import { mutatePodForIdentity } from "../../admission/pod-identity/mutate-pod.js";
import { podIdentityConfig, type PodIdentityConfig } from "../../admission/pod-identity/config.js";
import {
  ADMISSION_REVIEW_BODY_LIMIT,
  admissionResponse,
  allowResponse,
  parseAdmissionReview,
  type AdmissionReview,
} from "../../admission/review.js";
import { CacheTenancyView } from "../../admission/tenancy/cache-view.js";
import { tenancyRequest, type TenancyRequest } from "../../admission/tenancy/lib/request.js";
import { mutateTenancyRequest, type PodIdentityStep } from "../../admission/tenancy/mutate-request.js";
import { BAD_OBJECT_CODES, validateTenancyRequest } from "../../admission/tenancy/validate-request.js";
import { isRecord } from "../../tenancy/lib/values.js";
import type { KubeObject } from "../../store/types.js";
import type { App } from "../app.js";
import { sendJson, type HttpRequest, type HttpResponse } from "../http.js";

export const VALIDATE_PATH = "/admission/validate";
export const MUTATE_PATH = "/admission/mutate";

export interface TenancyRouteOptions {
  /** Pod identity settings for the mutate route (region defaults to the config's); false leaves pod identity out. */
  readonly podIdentity?: Partial<PodIdentityConfig> | false;
  /** How long the mutate route waits for a pod's ServiceAccount the cache has not seen (default 1500 ms, as the pod identity webhook). */
  readonly serviceAccountWaitMs?: number;
  /** How long an MCS level allocated to a pod not yet seen live is held (default 10 minutes). */
  readonly mcsReservationMs?: number;
}

function checkContentType(req: HttpRequest): void {
  const ct = req.headers["content-type"] ?? "";
  if (!/^application\/json\s*(;|$)/i.test(ct)) {
    throw new KubeiamError(
      "REQUEST_INVALID",
      `AdmissionReview: Content-Type must be application/json, found ${ct === "" ? "none" : JSON.stringify(ct)}`,
    );
  }
}

function badRequest(review: AdmissionReview, e: KubeiamError): ReturnType<typeof admissionResponse> {
  return admissionResponse(review, false, {
    status: { status: "Failure", message: e.message, reason: "BadRequest", code: 400 },
  });
}

function serviceAccountNameOf(pod: Record<string, unknown>): string {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  return typeof spec.serviceAccountName === "string" && spec.serviceAccountName !== ""
    ? spec.serviceAccountName
    : "default";
}

export function registerTenancyRoutes(app: App, opts: TenancyRouteOptions = {}): void {
  const view = new CacheTenancyView(app.cache, {
    clock: app.clock,
    ...(opts.mcsReservationMs !== undefined ? { mcsReservationMs: opts.mcsReservationMs } : {}),
    onInvalidTenant: (t) =>
      app.logger.warn("tenant ignored: invalid", { tenant: t.name, problems: t.problems }),
  });
  const identityConfig =
    opts.podIdentity === false
      ? undefined
      : podIdentityConfig({ region: app.config.region, ...opts.podIdentity });
  const waitMs = opts.serviceAccountWaitMs ?? 1500;

  const record = (
    action: string,
    req: TenancyRequest | undefined,
    allowed: boolean,
    summary: string,
    reasons: readonly Reason[],
  ): void => {
    app.decisions.record({
      kind: "admission",
      action,
      ...(req && req.userInfo.username !== "" ? { subject: req.userInfo.username } : {}),
      allowed,
      summary: req?.dryRun ? `${summary} (dry run)` : summary,
      reasons,
    });
  };

  /** Parses, adapts, and turns object errors into a 400 answer; returns undefined when answered. */
  const prepare = (
    action: string,
    httpReq: HttpRequest,
    res: HttpResponse,
  ): { review: AdmissionReview; req: TenancyRequest } | undefined => {
    checkContentType(httpReq);
    // envelope errors (no uid to answer) throw REQUEST_INVALID / REQUEST_TOO_LARGE: HTTP 400 / 413
    const review = parseAdmissionReview(httpReq.body);
    try {
      return { review, req: tenancyRequest(review.request) };
    } catch (e) {
      if (!isKubeiamError(e) || !BAD_OBJECT_CODES.has(e.code)) throw e;
      record(action, undefined, false, e.message, [
        { check: "admission.request", ok: false, message: e.message },
      ]);
      sendJson(res, 200, JSON.stringify(badRequest(review, e)));
      return undefined;
    }
  };

  app.router.add(
    "POST",
    VALIDATE_PATH,
    (httpReq, res) => {
      const p = prepare("TenancyValidate", httpReq, res);
      if (!p) return;
      const { review, req } = p;
      const r = validateTenancyRequest(req, view);
      const v = r.verdict;
      const answer = v.allowed
        ? allowResponse(review, { warnings: v.warnings, auditAnnotations: v.auditAnnotations })
        : admissionResponse(review, false, {
            status: { status: "Failure", ...v.status },
            auditAnnotations: v.auditAnnotations,
          });
      record("TenancyValidate", req, v.allowed, r.summary, r.reasons);
      sendJson(res, 200, JSON.stringify(answer));
    },
    { name: "admission-validate", bodyLimit: ADMISSION_REVIEW_BODY_LIMIT },
  );

  app.router.add(
    "POST",
    MUTATE_PATH,
    async (httpReq, res) => {
      const p = prepare("TenancyMutate", httpReq, res);
      if (!p) return;
      const { review, req } = p;
      let podIdentity: PodIdentityStep | undefined;
      const extra: Reason[] = [];
      if (
        identityConfig &&
        req.operation === "CREATE" &&
        req.subResource === "" &&
        req.resource.group === "" &&
        req.resource.resource === "pods" &&
        req.object &&
        req.namespace !== ""
      ) {
        const key = {
          kind: "ServiceAccount",
          namespace: req.namespace,
          name: serviceAccountNameOf(req.object),
        };
        let sa: KubeObject | undefined = app.cache.get(key);
        if (!sa && waitMs > 0) {
          sa = await app.cache.waitFor(key, waitMs);
          extra.push({
            check: "pod-identity.service-account-wait",
            ok: sa !== undefined,
            message: `service account ${key.namespace}/${key.name} ${sa ? "appeared" : `did not appear within ${waitMs} ms`}`,
          });
        }
        podIdentity = (pod) =>
          mutatePodForIdentity({ pod, namespace: req.namespace, serviceAccount: sa, config: identityConfig })
            .patch;
      }
      let answer;
      try {
        const r = mutateTenancyRequest(req, { view, mcs: view.mcs, podIdentity });
        answer = allowResponse(review, { patch: r.patch });
        record("TenancyMutate", req, true, r.summary, [...extra, ...r.reasons]);
      } catch (e) {
        if (!isKubeiamError(e) || !BAD_OBJECT_CODES.has(e.code)) throw e;
        record("TenancyMutate", req, false, e.message, [
          { check: "admission.object", ok: false, message: e.message },
        ]);
        answer = badRequest(review, e);
      }
      sendJson(res, 200, JSON.stringify(answer));
    },
    { name: "admission-mutate", bodyLimit: ADMISSION_REVIEW_BODY_LIMIT },
  );
}
