/**
 * The bound-token validator (kubernetes pkg/serviceaccount/claims.go `validator.Validate`), pure:
 * time checks with 60 s leeway (nbf, exp, iat, in that order), then the service account (exists,
 * uid matches, not deleted before now−60 s), then the bound secret, pod or node (exists, uid
 * matches, not deleted before now−60 s). Messages are kube's.
 */
import type { Reason } from "../../lib/decision.js";
import type { KubeObject, ObjectKey } from "../../store/types.js";
import type { BoundPrivateClaims, PublicClaims } from "./lib/decode-claims.js";
import type { ServiceAccountInfo } from "./user-info.js";
import { isoTime } from "../../lib/iso-time.js";

/** Synchronous object lookup (the store cache). */
export interface ObjectLookup {
  get(key: ObjectKey): KubeObject | undefined;
}

export const LEEWAY_MS = 60_000;

export type ValidateResult = { ok: true; info: ServiceAccountInfo; reasons: Reason[]; annotations: Record<string, string> } | { ok: false; check: string; message: string };

/** metadata.deletionTimestamp in ms, or undefined. */
export function deletedAt(obj: KubeObject): number | undefined {
  const ts = obj.metadata.deletionTimestamp;
  if (typeof ts !== "string") return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

export function validateBoundClaims(pub: PublicClaims, priv: BoundPrivateClaims, lookup: ObjectLookup, nowMs: number): ValidateResult {
  const fail = (check: string, message: string): ValidateResult => ({ ok: false, check, message });
  if (pub.nbf !== undefined && nowMs + LEEWAY_MS < pub.nbf * 1000) return fail("sa.not-before", "service account token is not valid yet");
  if (pub.exp !== undefined && nowMs - LEEWAY_MS > pub.exp * 1000) return fail("sa.expiry", "service account token has expired");
  if (pub.iat !== undefined && nowMs + LEEWAY_MS < pub.iat * 1000) return fail("sa.issued-at", "service account token is issued in the future");
  const reasons: Reason[] = [{ check: "sa.time", ok: true, message: pub.exp === undefined ? "token has no expiry" : `token valid until ${isoTime(pub.exp * 1000)} (60 s leeway)` }];

  const invalidIfDeletedBefore = nowMs - LEEWAY_MS;
  const gone = (o: KubeObject): boolean => {
    const d = deletedAt(o);
    return d !== undefined && d < invalidIfDeletedBefore;
  };
  const ns = priv.namespace;
  const saRef = priv.serviceaccount;
  const sa = lookup.get({ kind: "ServiceAccount", namespace: ns, name: saRef.name });
  if (!sa) return fail("sa.service-account", `serviceaccounts "${saRef.name}" not found`);
  const saUid = sa.metadata.uid ?? "";
  if (saUid !== saRef.uid) return fail("sa.service-account", `service account UID (${saUid}) does not match claim (${saRef.uid})`);
  if (gone(sa)) return fail("sa.service-account", `service account ${ns}/${saRef.name} has been deleted`);
  reasons.push({ check: "sa.service-account", ok: true, message: `service account ${ns}/${saRef.name} exists with uid ${saUid}`, expected: saRef.uid, actual: saUid });

  if (priv.secret) {
    const r = priv.secret;
    const secret = lookup.get({ kind: "Secret", namespace: ns, name: r.name });
    if (!secret) return fail("sa.bound-secret", "service account token has been invalidated");
    const uid = secret.metadata.uid ?? "";
    if (r.uid !== uid) return fail("sa.bound-secret", `secret UID (${uid}) does not match service account secret ref claim (${r.uid})`);
    if (gone(secret)) return fail("sa.bound-secret", "service account token has been invalidated");
    reasons.push({ check: "sa.bound-secret", ok: true, message: `bound secret ${ns}/${r.name} exists with uid ${uid}` });
  }

  const info: ServiceAccountInfo = { namespace: ns, name: saRef.name, uid: saRef.uid };
  if (priv.pod) {
    const r = priv.pod;
    const pod = lookup.get({ kind: "Pod", namespace: ns, name: r.name });
    if (!pod) return fail("sa.bound-pod", "service account token has been invalidated");
    const uid = pod.metadata.uid ?? "";
    if (r.uid !== uid) return fail("sa.bound-pod", `pod UID (${uid}) does not match service account pod ref claim (${r.uid})`);
    if (gone(pod)) return fail("sa.bound-pod", "service account token has been invalidated");
    info.podName = r.name;
    info.podUID = r.uid;
    reasons.push({ check: "sa.bound-pod", ok: true, message: `bound pod ${ns}/${r.name} exists with uid ${uid}` });
  }

  if (priv.node) {
    const r = priv.node;
    if (priv.pod) {
      info.nodeName = r.name;
      info.nodeUID = r.uid;
    } else {
      const node = lookup.get({ kind: "Node", name: r.name });
      if (!node) return fail("sa.bound-node", "service account token has been invalidated");
      const uid = node.metadata.uid ?? "";
      if (r.uid !== uid) return fail("sa.bound-node", `node UID (${uid}) does not match service account node ref claim (${r.uid})`);
      if (gone(node)) return fail("sa.bound-node", "service account token has been invalidated");
      info.nodeName = r.name;
      info.nodeUID = r.uid;
      reasons.push({ check: "sa.bound-node", ok: true, message: `bound node ${r.name} exists with uid ${uid}` });
    }
  }

  const annotations: Record<string, string> = {};
  if (priv.warnafter !== undefined && priv.warnafter !== 0 && nowMs > priv.warnafter * 1000) {
    const seconds = Math.floor(nowMs / 1000) - priv.warnafter;
    annotations["authentication.k8s.io/stale-token"] = `subject: ${pub.sub}, seconds after warning threshold: ${seconds}`;
  }
  if (pub.jti) info.credentialID = `JTI=${pub.jti}`;
  return { ok: true, info, reasons, annotations };
}
