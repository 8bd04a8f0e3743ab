/**
 * Issuer routes: discovery and JWKS as kube-apiserver serves them, plus a TokenRequest-shaped
 * endpoint (admin only) that mints bound service-account tokens.
 */
import type { App } from "../app.js";
import { requireAdmin } from "../admin-token.js";
import { parseJsonBody, sendJson, type HttpRequest, type HttpResponse } from "../http.js";
import { DISCOVERY_PATH, JWKS_PATH, discoveryDocument } from "../../issuer/discovery.js";
import { createServiceAccountToken } from "../../issuer/create-token.js";
import { KubeiamError } from "../../lib/errors.js";

const TOKEN_PATH = /^\/api\/v1\/namespaces\/([^/]+)\/serviceaccounts\/([^/]+)\/token$/;

export function registerIssuerRoutes(app: App): void {
  let discovery: { body: string; etag: string; jwksEtag: string } | undefined;
  const discoveryBody = (): { body: string; etag: string } => {
    const jwks = app.keys.jwks();
    if (discovery?.jwksEtag !== jwks.etag) {
      const algs = app.keys.verificationKeys().map((k) => k.alg);
      const body = JSON.stringify(discoveryDocument(app.config.issuer.url, algs));
      discovery = { body, etag: `"d${jwks.etag.slice(1)}`, jwksEtag: jwks.etag };
    }
    return discovery;
  };
  const serveCached = (req: HttpRequest, res: HttpResponse, doc: { body: string; etag: string }, maxAge: number): void => {
    const headers = { "cache-control": `public, max-age=${maxAge}`, etag: doc.etag };
    if (req.headers["if-none-match"] === doc.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    sendJson(res, 200, doc.body, headers);
  };
  // kube-apiserver sends max-age=3600 on both; the JWKS gets a shorter one so a rotation is seen
  // sooner by verifiers that do not refresh on an unknown kid.
  app.router.add("GET", DISCOVERY_PATH, (req, res) => serveCached(req, res, discoveryBody(), 3600), { name: "discovery" });
  app.router.add("GET", JWKS_PATH, (req, res) => serveCached(req, res, app.keys.jwks(), 300), { name: "jwks" });

  app.router.addPrefix("POST", "/api/v1/namespaces/", (req, res) => {
    const m = TOKEN_PATH.exec(req.path);
    if (!m) throw new KubeiamError("NOT_FOUND", `no route for POST ${req.path}`);
    requireAdmin(req.headers, app.adminToken);
    const [ns, name] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const body = req.body.length === 0 ? {} : parseJsonBody(req.body, "TokenRequest");
    const tr = parseTokenRequest(body, name, ns);
    const key = app.keys.active();
    const minted = createServiceAccountToken(
      { cache: app.cache, key, issuer: app.config.issuer.url, apiAudiences: app.config.issuer.audiences, maxExpirationSeconds: app.config.issuer.maxTokenExpirationSeconds, now: app.clock.now() },
      { namespace: ns, serviceAccount: name, audiences: tr.audiences, expirationSeconds: tr.expirationSeconds, boundPod: tr.boundPod },
    );
    app.decisions.record({ kind: "token", action: "TokenRequest", subject: minted.claims.sub, allowed: true, summary: `minted token for ${minted.claims.sub} (aud ${minted.claims.aud.join(",")}, kid ${key.kid})`, reasons: minted.reasons });
    const headers: Record<string, string> = {};
    if (minted.warnings.length > 0) headers.warning = minted.warnings.map((w) => `299 - "${w}"`).join(", ");
    sendJson(
      res,
      201,
      {
        kind: "TokenRequest",
        apiVersion: "authentication.k8s.io/v1",
        metadata: { name, namespace: ns, creationTimestamp: null },
        spec: { audiences: minted.claims.aud, expirationSeconds: minted.claims.exp - minted.claims.iat, boundObjectRef: tr.boundPod ? { kind: "Pod", apiVersion: "v1", name: tr.boundPod.name, uid: minted.claims["kubernetes.io"].pod?.uid } : null },
        status: { token: minted.token, expirationTimestamp: minted.expirationTimestamp },
      },
      headers,
    );
  }, { name: "token-request", bodyLimit: 64 * 1024 });
}

export function parseTokenRequest(body: Record<string, unknown>, name: string, ns: string): { audiences: string[] | undefined; expirationSeconds: number | undefined; boundPod: { name: string; uid?: string } | undefined } {
  const meta = (body.metadata ?? {}) as Record<string, unknown>;
  if (meta.name !== undefined && meta.name !== name) throw new KubeiamError("REQUEST_INVALID", "metadata.name: Invalid value: must match the service account name if specified");
  if (meta.namespace !== undefined && meta.namespace !== ns) throw new KubeiamError("REQUEST_INVALID", "metadata.namespace: Invalid value: must match the service account namespace if specified");
  const spec = body.spec ?? {};
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) throw new KubeiamError("REQUEST_INVALID", "spec: expected an object");
  const s = spec as Record<string, unknown>;
  let audiences: string[] | undefined;
  if (s.audiences !== undefined && s.audiences !== null) {
    if (!Array.isArray(s.audiences) || s.audiences.some((a) => typeof a !== "string" || a === "")) throw new KubeiamError("TOKEN_AUDIENCE_INVALID", "spec.audiences: expected a list of non-empty strings");
    audiences = s.audiences as string[];
  }
  let expirationSeconds: number | undefined;
  if (s.expirationSeconds !== undefined && s.expirationSeconds !== null) {
    if (typeof s.expirationSeconds !== "number" || !Number.isInteger(s.expirationSeconds)) throw new KubeiamError("TOKEN_DURATION_INVALID", "spec.expirationSeconds: expected an integer number of seconds");
    expirationSeconds = s.expirationSeconds;
  }
  let boundPod: { name: string; uid?: string } | undefined;
  if (s.boundObjectRef !== undefined && s.boundObjectRef !== null) {
    const ref = s.boundObjectRef as Record<string, unknown>;
    if (ref.kind !== "Pod") throw new KubeiamError("REQUEST_INVALID", `cannot bind token to object of type ${typeof ref.apiVersion === "string" ? ref.apiVersion : "v1"}, Kind=${String(ref.kind)}; kubeiam binds to Pods`);
    if (typeof ref.name !== "string" || ref.name === "") throw new KubeiamError("REQUEST_INVALID", "spec.boundObjectRef.name: Required value");
    boundPod = typeof ref.uid === "string" ? { name: ref.name, uid: ref.uid } : { name: ref.name };
  }
  return { audiences, expirationSeconds, boundPod };
}
