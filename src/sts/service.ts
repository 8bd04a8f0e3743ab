/**
 * The AWS query endpoint (STS + IAM) as one service: parses parameters, authenticates the caller,
 * dispatches the action, and renders XML (or JSON for `Accept: application/json`, as STS does for
 * aws-iam-authenticator). Also answers a presigned GetCallerIdentity in-process (`sts: self`).
 */
import { randomUUID } from "node:crypto";
import type { Reason } from "../lib/decision.js";
import type { SealingKey } from "../keys/sealing.js";
import type { ObjectCache } from "../store/cache.js";
import type { ObjectStore } from "../store/types.js";
import type { AccessKeyStore } from "../iam/access-keys.js";
import { IAM_ACTIONS, callerPolicies, findRole, findUser, listProviders, runIamAction } from "../iam/api.js";
import type { VerifyOptions } from "../sigv4/verify-signature.js";
import type { IncomingSignedRequest } from "../sigv4/types.js";
import { AwsError, awsErrors } from "./aws-error.js";
import { assumeRole, assumeRoleWithWebIdentity, getCallerIdentity, type StsDeps } from "./actions.js";
import { authenticateCaller, type Caller } from "./caller.js";
import type { PolicyPort } from "./policy-port.js";
import { parseQueryParams } from "./query.js";
import type { KeyResolver } from "./web-identity.js";
import { IAM_NS, STS_NS, errorXml, successXml, type XmlValue } from "./xml.js";

export const STS_ACTIONS = new Set(["AssumeRoleWithWebIdentity", "AssumeRole", "GetCallerIdentity"]);

export interface AwsServiceDeps {
  account: string;
  region: string;
  partition: string;
  cache: ObjectCache;
  store: ObjectStore;
  accessKeys: AccessKeyStore;
  policy: PolicyPort;
  resolveKey: KeyResolver;
  sealing(): { active: SealingKey; all: readonly SealingKey[] };
  now(): number;
}

export interface AwsResponse {
  status: number;
  contentType: string;
  body: string;
  /** What was decided and why, for the decision log and the explain header. */
  action: string;
  service: "sts" | "iam";
  allowed: boolean;
  subject: string | undefined;
  reasons: Reason[];
}

function render(json: boolean, ns: string, action: string, result: { [name: string]: XmlValue } | undefined): { contentType: string; body: string } {
  const requestId = randomUUID();
  if (json) {
    return { contentType: "application/json", body: JSON.stringify({ [`${action}Response`]: { [`${action}Result`]: result ?? {}, ResponseMetadata: { RequestId: requestId } } }) };
  }
  return { contentType: "text/xml", body: successXml(ns, action, result, requestId) };
}

function renderError(json: boolean, ns: string, e: AwsError): { contentType: string; body: string } {
  const requestId = randomUUID();
  if (json) return { contentType: "application/json", body: JSON.stringify({ Error: { Code: e.code, Message: e.message, Type: e.type }, RequestId: requestId }) };
  return { contentType: "text/xml", body: errorXml(ns, e, requestId) };
}

export class AwsService {
  constructor(private readonly d: AwsServiceDeps) {}

  private stsDeps(now: number): StsDeps {
    const d = this.d;
    return {
      account: d.account,
      partition: d.partition,
      role: (name) => findRole({ cache: d.cache, account: d.account, partition: d.partition }, name),
      providers: () => listProviders({ cache: d.cache, account: d.account, partition: d.partition }),
      resolveKey: d.resolveKey,
      sealingKey: () => d.sealing().active,
      policy: d.policy,
      callerPolicies: (c) => callerPolicies({ cache: d.cache, account: d.account, partition: d.partition }, c),
      now,
    };
  }

  authenticate(req: IncomingSignedRequest, now: number, opts: VerifyOptions): ReturnType<typeof authenticateCaller> {
    const d = this.d;
    return authenticateCaller(
      req,
      {
        account: d.account,
        accessKey: (id) => d.accessKeys.get(id),
        user: (name) => findUser({ cache: d.cache, account: d.account, partition: d.partition }, name),
        sealingKeys: () => d.sealing().all,
        now,
      },
      opts,
    );
  }

  /** Handles one query-protocol request (POST form body or GET query string). */
  async handle(req: IncomingSignedRequest & { contentType: string | undefined; accept: string | undefined }): Promise<AwsResponse> {
    const json = (req.accept ?? "").toLowerCase().includes("application/json");
    const now = this.d.now();
    let ns = STS_NS;
    let action = "";
    let service: "sts" | "iam" = "sts";
    const out = (status: number, r: { contentType: string; body: string }, allowed: boolean, subject: string | undefined, reasons: Reason[]): AwsResponse => ({ status, ...r, action: action || "(none)", service, allowed, subject, reasons });
    try {
      const params = parseQueryParams(req.rawQuery, typeof req.body === "string" ? Buffer.from(req.body) : req.body, req.contentType);
      action = params.get("Action") ?? "";
      if (action === "") throw awsErrors.missingAction();
      if (IAM_ACTIONS.has(action)) {
        ns = IAM_NS;
        service = "iam";
      } else if (!STS_ACTIONS.has(action)) {
        throw awsErrors.invalidAction(action);
      }
      if (action === "AssumeRoleWithWebIdentity") {
        const r = await assumeRoleWithWebIdentity(params, this.stsDeps(now));
        return r.ok ? out(200, render(json, ns, action, r.result), true, r.subject, r.reasons) : out(r.error.status, renderError(json, ns, r.error), false, r.subject, r.reasons);
      }
      const auth = this.authenticate(req, now, { service, regions: service === "iam" ? ["us-east-1", this.d.region] : undefined });
      if (!auth.ok) return out(auth.error.status, renderError(json, ns, auth.error), false, undefined, auth.reasons);
      const caller: Caller = auth.caller;
      if (service === "iam") {
        const r = await runIamAction(action, params, caller, { account: this.d.account, partition: this.d.partition, cache: this.d.cache, store: this.d.store, accessKeys: this.d.accessKeys, policy: this.d.policy, now });
        return r.ok ? out(200, render(json, ns, action, r.result), true, caller.arn, [...auth.reasons, ...r.reasons]) : out(r.error.status, renderError(json, ns, r.error), false, caller.arn, [...auth.reasons, ...r.reasons]);
      }
      const r = action === "AssumeRole" ? assumeRole(params, caller, this.stsDeps(now)) : getCallerIdentity(caller);
      return r.ok ? out(200, render(json, ns, action, r.result), true, r.subject, [...auth.reasons, ...r.reasons]) : out(r.error.status, renderError(json, ns, r.error), false, r.subject, [...auth.reasons, ...r.reasons]);
    } catch (e) {
      const err = e instanceof AwsError ? e : awsErrors.internal();
      return out(err.status, renderError(json, ns, err), false, undefined, [{ check: "aws.request", ok: false, message: e instanceof Error ? e.message : String(e) }]);
    }
  }

  /**
   * Answers a presigned GetCallerIdentity URL in-process, verifying the signature against the URL's
   * own host (as if AWS STS had received it) and the signed `x-k8s-aws-id` header.
   */
  callerFromPresignedUrl(url: URL, clusterId: string): { ok: true; caller: Caller; reasons: Reason[] } | { ok: false; error: AwsError; reasons: Reason[] } {
    const req: IncomingSignedRequest = { method: "GET", path: url.pathname, rawQuery: url.search.replace(/^\?/, ""), headers: { host: url.host, "x-k8s-aws-id": clusterId }, body: "" };
    const auth = this.authenticate(req, this.d.now(), { service: "sts" });
    return auth;
  }
}
