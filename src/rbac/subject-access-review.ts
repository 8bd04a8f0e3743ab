/**
 * SubjectAccessReview in and out, as kube-apiserver's webhook authorizer sends and expects it:
 * `authorization.k8s.io/v1` (groups in `spec.groups`) and `v1beta1` (groups in `spec.group`).
 * Parsing is strict (types, known fields, size limits) and fails with REQUEST_INVALID; the response
 * echoes apiVersion and kind with `status {allowed, denied?, reason?, evaluationError?}`.
 */
import { KubeiamError } from "../lib/errors.js";
import type { AuthorizeResult } from "./authorize.js";
import type { Attributes, UserInfo } from "./types.js";

export const SAR_V1 = "authorization.k8s.io/v1";
export const SAR_V1BETA1 = "authorization.k8s.io/v1beta1";
export type SarApiVersion = typeof SAR_V1 | typeof SAR_V1BETA1;

export const SAR_LIMITS = {
  maxString: 8192,
  maxGroups: 1024,
  maxExtraKeys: 256,
  maxExtraValues: 1024,
} as const;

export interface ParsedSubjectAccessReview {
  readonly apiVersion: SarApiVersion;
  /** The user and request, ready for `authorize`. */
  readonly attributes: Attributes;
  /** Field/label selectors of list/watch/deletecollection requests, as sent (RBAC does not use them). */
  readonly selectors?: { readonly fieldSelector?: unknown; readonly labelSelector?: unknown };
}

export interface SubjectAccessReviewStatus {
  readonly allowed: boolean;
  readonly denied?: boolean;
  readonly reason?: string;
  readonly evaluationError?: string;
}

export interface SubjectAccessReviewResponse {
  readonly apiVersion: SarApiVersion;
  readonly kind: "SubjectAccessReview";
  readonly status: SubjectAccessReviewStatus;
}

export interface ParseSarOptions {
  /** Ignore fields this parser does not know instead of failing (for servers newer than kubeiam). Default false. */
  readonly allowUnknownFields?: boolean;
}

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);

class Errors {
  readonly list: string[] = [];
  add(m: string): void {
    this.list.push(m);
  }
}

function checkKeys(
  errs: Errors,
  obj: Rec,
  allowed: readonly string[],
  path: string,
  opts: ParseSarOptions,
  hint?: Record<string, string>,
): void {
  if (opts.allowUnknownFields === true) return;
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k))
      errs.add(`${path}${path ? "." : ""}${k}: unknown field${hint?.[k] ? ` (${hint[k]})` : ""}`);
  }
}

function str(errs: Errors, v: unknown, path: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    errs.add(`${path}: expected a string, found ${Array.isArray(v) ? "array" : typeof v}`);
    return "";
  }
  if (v.length > SAR_LIMITS.maxString) {
    errs.add(`${path}: longer than ${SAR_LIMITS.maxString} characters`);
    return "";
  }
  return v;
}

function strList(errs: Errors, v: unknown, path: string, max: number): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    errs.add(`${path}: expected a list of strings, found ${typeof v}`);
    return [];
  }
  if (v.length > max) {
    errs.add(`${path}: more than ${max} entries`);
    return [];
  }
  return v.map((x, i) => str(errs, x, `${path}[${i}]`));
}

function selector(errs: Errors, v: unknown, path: string): unknown {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) {
    errs.add(`${path}: expected a mapping`);
    return undefined;
  }
  return v;
}

/** Parses a SubjectAccessReview request body (already JSON-decoded). Throws KubeiamError REQUEST_INVALID. */
export function parseSubjectAccessReview(
  body: unknown,
  opts: ParseSarOptions = {},
): ParsedSubjectAccessReview {
  const fail = (messages: string[]): never => {
    throw new KubeiamError("REQUEST_INVALID", `invalid SubjectAccessReview: ${messages.join("; ")}`, {
      problems: messages,
    });
  };
  if (!isRecord(body)) return fail(["expected a JSON object"]);
  const apiVersion = body.apiVersion;
  if (apiVersion !== SAR_V1 && apiVersion !== SAR_V1BETA1) {
    return fail([
      `apiVersion: expected ${JSON.stringify(SAR_V1)} or ${JSON.stringify(SAR_V1BETA1)}, found ${JSON.stringify(apiVersion ?? null)}`,
    ]);
  }
  if (body.kind !== "SubjectAccessReview")
    return fail([`kind: expected "SubjectAccessReview", found ${JSON.stringify(body.kind ?? null)}`]);
  const errs = new Errors();
  checkKeys(errs, body, ["apiVersion", "kind", "metadata", "spec", "status"], "", opts);
  if (body.metadata !== undefined && body.metadata !== null && !isRecord(body.metadata))
    errs.add("metadata: expected a mapping");
  if (body.status !== undefined && body.status !== null && !isRecord(body.status))
    errs.add("status: expected a mapping");
  const spec = body.spec;
  if (!isRecord(spec)) return fail([...errs.list, "spec: Required value"]);

  const groupsField = apiVersion === SAR_V1 ? "groups" : "group";
  const otherField = apiVersion === SAR_V1 ? "group" : "groups";
  checkKeys(
    errs,
    spec,
    ["resourceAttributes", "nonResourceAttributes", "user", groupsField, "extra", "uid"],
    "spec",
    opts,
    {
      [otherField]: `${apiVersion} names the groups list ${JSON.stringify(groupsField)}`,
    },
  );
  const user = str(errs, spec.user, "spec.user");
  const uid = str(errs, spec.uid, "spec.uid");
  const groups = strList(errs, spec[groupsField], `spec.${groupsField}`, SAR_LIMITS.maxGroups);
  const extra: Record<string, string[]> = {};
  if (spec.extra !== undefined && spec.extra !== null) {
    if (!isRecord(spec.extra)) errs.add("spec.extra: expected a mapping of string lists");
    else {
      const keys = Object.keys(spec.extra);
      if (keys.length > SAR_LIMITS.maxExtraKeys)
        errs.add(`spec.extra: more than ${SAR_LIMITS.maxExtraKeys} keys`);
      else
        for (const k of keys)
          extra[k] = strList(
            errs,
            spec.extra[k],
            `spec.extra[${JSON.stringify(k)}]`,
            SAR_LIMITS.maxExtraValues,
          );
    }
  }

  const ra = spec.resourceAttributes;
  const na = spec.nonResourceAttributes;
  const hasRa = ra !== undefined && ra !== null;
  const hasNa = na !== undefined && na !== null;
  if (hasRa === hasNa)
    errs.add(
      "spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
    );
  if (user === "" && groups.length === 0)
    errs.add(`spec.user: Invalid value: "": at least one of user or group must be specified`);

  const userInfo: UserInfo = {
    name: user,
    groups,
    ...(uid !== "" ? { uid } : {}),
    ...(Object.keys(extra).length > 0 ? { extra } : {}),
  };

  let attributes: Attributes | undefined;
  let selectors: ParsedSubjectAccessReview["selectors"];
  if (hasRa && !hasNa) {
    if (!isRecord(ra)) errs.add("spec.resourceAttributes: expected a mapping");
    else {
      const p = "spec.resourceAttributes";
      checkKeys(
        errs,
        ra,
        [
          "namespace",
          "verb",
          "group",
          "version",
          "resource",
          "subresource",
          "name",
          "fieldSelector",
          "labelSelector",
        ],
        p,
        opts,
      );
      const fieldSelector = selector(errs, ra.fieldSelector, `${p}.fieldSelector`);
      const labelSelector = selector(errs, ra.labelSelector, `${p}.labelSelector`);
      attributes = {
        user: userInfo,
        resourceRequest: true,
        namespace: str(errs, ra.namespace, `${p}.namespace`),
        verb: str(errs, ra.verb, `${p}.verb`),
        apiGroup: str(errs, ra.group, `${p}.group`),
        apiVersion: str(errs, ra.version, `${p}.version`),
        resource: str(errs, ra.resource, `${p}.resource`),
        subresource: str(errs, ra.subresource, `${p}.subresource`),
        name: str(errs, ra.name, `${p}.name`),
      };
      if (fieldSelector !== undefined || labelSelector !== undefined) {
        selectors = {
          ...(fieldSelector !== undefined ? { fieldSelector } : {}),
          ...(labelSelector !== undefined ? { labelSelector } : {}),
        };
      }
    }
  } else if (hasNa && !hasRa) {
    if (!isRecord(na)) errs.add("spec.nonResourceAttributes: expected a mapping");
    else {
      const p = "spec.nonResourceAttributes";
      checkKeys(errs, na, ["path", "verb"], p, opts);
      attributes = {
        user: userInfo,
        resourceRequest: false,
        path: str(errs, na.path, `${p}.path`),
        verb: str(errs, na.verb, `${p}.verb`),
      };
    }
  }
  if (errs.list.length > 0 || !attributes) return fail(errs.list);
  return selectors ? { apiVersion, attributes, selectors } : { apiVersion, attributes };
}

/** Maps an RBAC decision to a SubjectAccessReview status (RBAC allows or has no opinion; it never denies). */
export function subjectAccessReviewStatus(
  result: Pick<AuthorizeResult, "decision" | "reason">,
): SubjectAccessReviewStatus {
  return result.reason !== ""
    ? { allowed: result.decision === "allow", reason: result.reason }
    : { allowed: result.decision === "allow" };
}

/** The response body: apiVersion and kind echoed, status with empty fields omitted. */
export function renderSubjectAccessReviewResponse(
  apiVersion: SarApiVersion,
  status: SubjectAccessReviewStatus,
): SubjectAccessReviewResponse {
  const s: { allowed: boolean; denied?: boolean; reason?: string; evaluationError?: string } = {
    allowed: status.allowed,
  };
  if (status.denied === true) s.denied = true;
  if (status.reason !== undefined && status.reason !== "") s.reason = status.reason;
  if (status.evaluationError !== undefined && status.evaluationError !== "")
    s.evaluationError = status.evaluationError;
  return { apiVersion, kind: "SubjectAccessReview", status: s };
}
