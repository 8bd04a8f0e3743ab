/** `POST /authorize`: the SubjectAccessReview webhook (kube-apiserver --authorization-webhook-config-file). */
import type { App } from "../app.js";
import type { RbacIndex } from "../../rbac/rbac-index.js";
import { authorize, briefReasons } from "../../rbac/authorize.js";
import {
  parseSubjectAccessReview,
  renderSubjectAccessReviewResponse,
  subjectAccessReviewStatus,
} from "../../rbac/subject-access-review.js";
import { KubeiamError } from "../../lib/errors.js";
import { sendJson } from "../http.js";

/** The request in the decision summary, e.g. `list deployments.apps (cluster scope)`, `get pods/log/web-0 in prod`. */
export function describeRequest(a: ReturnType<typeof parseSubjectAccessReview>["attributes"]): string {
  if (!a.resourceRequest) return `${a.verb} ${a.path}`;
  const res = `${a.resource}${a.subresource ? "/" + a.subresource : ""}${a.apiGroup ? "." + a.apiGroup : ""}`;
  return `${a.verb} ${res}${a.name ? "/" + a.name : ""}${a.namespace ? ` in ${a.namespace}` : " (cluster scope)"}`;
}

export function registerAuthzRoutes(app: App, index: RbacIndex): void {
  app.router.add(
    "POST",
    "/authorize",
    (req, res) => {
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString("utf8"));
      } catch {
        throw new KubeiamError("REQUEST_INVALID", "invalid SubjectAccessReview: the body is not valid JSON");
      }
      const sar = parseSubjectAccessReview(body, { allowUnknownFields: true });
      const result = authorize(index, sar.attributes);
      const response = renderSubjectAccessReviewResponse(sar.apiVersion, subjectAccessReviewStatus(result));
      const allowed = result.decision === "allow";
      app.decisions.record({
        kind: "authz",
        action: "SubjectAccessReview",
        subject: sar.attributes.user.name,
        allowed,
        summary: `${describeRequest(sar.attributes)}: ${allowed ? result.reason : `no RBAC rule allows it${result.reason ? ` (${result.reason})` : ""}`}`,
        // The sentences (which name the binding, role, rule and request) without the structured rule and
        // request: building and redacting those on every review cost more than deciding it
        // (bench/sar.bench.ts); `kubeiam rbac can-i --explain -o json` gives them for any request.
        reasons: () => briefReasons(result),
      });
      sendJson(res, 200, response);
    },
    { name: "authorize", bodyLimit: 256 * 1024 },
  );
}
