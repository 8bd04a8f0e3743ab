/** `POST /authenticate`: the TokenReview webhook (kube-apiserver --authentication-token-webhook-config-file). */
import type { App } from "../app.js";
import type { Authenticator } from "../../authn/types.js";
import { parseTokenReview, renderTokenReview } from "../../authn/token-review.js";
import { explainHeader } from "./aws.js";

const JSON_UTF8 = "application/json; charset=UTF-8";

export function registerAuthnRoutes(app: App, chain: Authenticator): void {
  app.router.add(
    "POST",
    "/authenticate",
    async (req, res) => {
      const parsed = parseTokenReview(req.body);
      if (!parsed.ok) {
        res.writeHead(parsed.status, { "content-type": "text/plain; charset=utf-8" });
        res.end(parsed.message);
        return;
      }
      const result = await chain.authenticate(parsed.token, parsed.audiences ? { now: app.clock.now(), audiences: parsed.audiences } : { now: app.clock.now() });
      const out = renderTokenReview(parsed.apiVersion, result);
      const reasons = result.kind === "not-mine" ? [{ check: "authn.chain", ok: false, message: "no authenticator recognised the token (not a service-account, OIDC or IAM token kubeiam accepts)" }, ...(result.reasons ?? [])] : result.reasons;
      app.decisions.record({
        kind: "authn",
        action: "TokenReview",
        ...(result.kind === "ok" ? { subject: result.user.username } : {}),
        allowed: result.kind === "ok",
        summary: result.kind === "ok" ? `authenticated ${result.user.username}${result.authenticator ? ` (${result.authenticator})` : ""}` : result.kind === "error" ? result.message : "not authenticated",
        reasons,
      });
      const body = JSON.stringify(out.body);
      const headers: Record<string, string> = { "content-type": JSON_UTF8, "content-length": String(Buffer.byteLength(body)) };
      if (out.status !== 200 && app.config.explainDenials) headers["x-kubeiam-explain"] = explainHeader(reasons);
      res.writeHead(out.status, headers);
      res.end(body);
    },
    { name: "authenticate", bodyLimit: 256 * 1024 },
  );
}
