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
import {
  assumeRoleWithWebIdentity,
  decideAssumeRoleWithWebIdentity,
  type WebIdentityDecision,
} from "./assume-role-with-web-identity.js";
import { assumeRole } from "./assume-role.js";
import { getCallerIdentity } from "./get-caller-identity.js";
import type { StsDeps } from "./deps.js";
import { authenticateCaller, type Caller, type CallerDeps, type CallerResult } from "./caller.js";
import { createSessionOpener } from "./session-credentials.js";
import type { PolicyPort } from "./policy-port.js";
import { parseQueryParams, type QueryParams } from "./query.js";
import type { KeyResolver } from "./web-identity.js";
import { IAM_NS, STS_NS, errorXml, successXml, type XmlValue } from "./xml.js";

export const STS_ACTIONS: ReadonlySet<string> = new Set([
  "AssumeRoleWithWebIdentity",
  "AssumeRole",
  "GetCallerIdentity",
]);

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
  /** Clock skew allowed for web-identity token times, seconds (default 60). */
  webIdentitySkewSeconds?: number | undefined;
}

export interface AwsRequest extends IncomingSignedRequest {
  contentType: string | undefined;
  accept: string | undefined;
}

export interface AwsResponse {
  status: number;
  contentType: string;
  body: string;
  /** Also in the body's RequestId and the x-amzn-RequestId header. */
  requestId: string;
  /** What was decided and why, for the decision log and the explain header. */
  action: string;
  service: "sts" | "iam";
  allowed: boolean;
  subject: string | undefined;
  reasons: Reason[];
}

function render(
  json: boolean,
  ns: string,
  action: string,
  result: { [name: string]: XmlValue } | undefined,
  requestId: string,
): { contentType: string; body: string } {
  if (json) {
    return {
      contentType: "application/json",
      body: JSON.stringify({
        [`${action}Response`]: {
          [`${action}Result`]: result ?? {},
          ResponseMetadata: { RequestId: requestId },
        },
      }),
    };
  }
  return { contentType: "text/xml", body: successXml(ns, action, result, requestId) };
}

function renderError(
  json: boolean,
  ns: string,
  e: AwsError,
  requestId: string,
): { contentType: string; body: string } {
  if (json)
    return {
      contentType: "application/json",
      body: JSON.stringify({
        Error: { Code: e.code, Message: e.message, Type: e.type },
        RequestId: requestId,
      }),
    };
  return { contentType: "text/xml", body: errorXml(ns, e, requestId) };
}

/** What a reply needs to know about its request. */
interface Reply {
  json: boolean;
  requestId: string;
  ns: string;
  action: string;
  service: "sts" | "iam";
}

function ok(
  c: Reply,
  result: { [name: string]: XmlValue } | undefined,
  subject: string | undefined,
  reasons: Reason[],
): AwsResponse {
  return {
    status: 200,
    ...render(c.json, c.ns, c.action, result, c.requestId),
    requestId: c.requestId,
    action: c.action,
    service: c.service,
    allowed: true,
    subject,
    reasons,
  };
}

function fail(c: Reply, e: AwsError, subject: string | undefined, reasons: Reason[]): AwsResponse {
  return {
    status: e.status,
    ...renderError(c.json, c.ns, e, c.requestId),
    requestId: c.requestId,
    action: c.action || "(none)",
    service: c.service,
    allowed: false,
    subject,
    reasons,
  };
}

export class AwsService {
  private readonly openSession = createSessionOpener();
  /** Per-request dependencies minus the time, built once (no closures per request). */
  private readonly sts: Omit<StsDeps, "now">;
  private readonly callers: Omit<CallerDeps, "now">;

  constructor(private readonly d: AwsServiceDeps) {
    const l = this.lookups();
    this.sts = {
      account: d.account,
      partition: d.partition,
      role: (name) => findRole(l, name),
      providers: () => listProviders(l),
      resolveKey: d.resolveKey,
      sealingKey: () => d.sealing().active,
      policy: d.policy,
      callerPolicies: (c) => callerPolicies(l, c),
      webIdentitySkewSeconds: d.webIdentitySkewSeconds,
    };
    this.callers = {
      account: d.account,
      accessKey: (id) => d.accessKeys.get(id),
      user: (name) => findUser(l, name),
      sealingKeys: () => d.sealing().all,
      openSession: this.openSession,
    };
  }

  private lookups(): { cache: ObjectCache; account: string; partition: string } {
    return { cache: this.d.cache, account: this.d.account, partition: this.d.partition };
  }

  stsDeps(now: number): StsDeps {
    return { ...this.sts, now };
  }

  authenticate(req: IncomingSignedRequest, now: number, opts: VerifyOptions): CallerResult {
    return authenticateCaller(req, { ...this.callers, now }, opts);
  }

  /** The AssumeRoleWithWebIdentity decision for these parameters, without issuing credentials. */
  explainWebIdentity(params: QueryParams): Promise<WebIdentityDecision> {
    return decideAssumeRoleWithWebIdentity(params, this.stsDeps(this.d.now()));
  }

  /** Handles one query-protocol request (POST form body or GET query string). */
  async handle(req: AwsRequest): Promise<AwsResponse> {
    const now = this.d.now();
    const c: Reply = {
      json: (req.accept ?? "").toLowerCase().includes("application/json"),
      requestId: randomUUID(),
      ns: STS_NS,
      action: "",
      service: "sts",
    };
    try {
      const params = parseQueryParams(
        req.rawQuery,
        typeof req.body === "string" ? Buffer.from(req.body) : req.body,
        req.contentType,
      );
      c.action = params.get("Action") ?? "";
      if (c.action === "") throw awsErrors.missingAction();
      if (IAM_ACTIONS.has(c.action)) {
        c.ns = IAM_NS;
        c.service = "iam";
      } else if (!STS_ACTIONS.has(c.action)) {
        const version = params.get("Version");
        throw awsErrors.invalidAction(c.action, version === "2010-05-08" ? version : "2011-06-15");
      }
      if (c.action === "AssumeRoleWithWebIdentity") {
        // Unsigned: any Authorization or X-Amz-Security-Token header is ignored.
        const r = await assumeRoleWithWebIdentity(params, this.stsDeps(now));
        return r.ok ? ok(c, r.result, r.subject, r.reasons) : fail(c, r.error, r.subject, r.reasons);
      }
      const auth = this.authenticate(req, now, {
        service: c.service,
        regions: c.service === "iam" ? ["us-east-1", this.d.region] : undefined,
      });
      if (!auth.ok) return fail(c, auth.error, undefined, auth.reasons);
      const caller: Caller = auth.caller;
      if (c.service === "iam") {
        const r = await runIamAction(c.action, params, caller, {
          ...this.lookups(),
          store: this.d.store,
          accessKeys: this.d.accessKeys,
          policy: this.d.policy,
          now,
        });
        return r.ok
          ? ok(c, r.result, caller.arn, [...auth.reasons, ...r.reasons])
          : fail(c, r.error, caller.arn, [...auth.reasons, ...r.reasons]);
      }
      const r =
        c.action === "AssumeRole" ? assumeRole(params, caller, this.stsDeps(now)) : getCallerIdentity(caller);
      return r.ok
        ? ok(c, r.result, r.subject, [...auth.reasons, ...r.reasons])
        : fail(c, r.error, r.subject, [...auth.reasons, ...r.reasons]);
    } catch (e) {
      const err = e instanceof AwsError ? e : awsErrors.internal();
      return fail(c, err, undefined, [
        { check: "aws.request", ok: false, message: e instanceof Error ? e.message : String(e) },
      ]);
    }
  }
}
