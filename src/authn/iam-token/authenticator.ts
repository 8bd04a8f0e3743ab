/**
 * The IAM token authenticator (`k8s-aws-v1.…`), as aws-iam-authenticator verifies: pre-STS format
 * checks, replay of the presigned GetCallerIdentity (to AWS, or answered in-process by kubeiam's
 * own STS with `sts: self`), identity parsing, then mapping through access entries and aws-auth.
 */
import type { Reason } from "../../lib/decision.js";
import type { Authenticator, AuthnContext, AuthnResult } from "../types.js";
import { authnError, notMine } from "../types.js";
import { verifyIamTokenFormat } from "./verify-token.js";
import type { Partition } from "./sts-hosts.js";
import { interpretStsReply, type StsReply } from "./sts-response.js";
import { buildTokenReviewUser } from "./user.js";
import { mapIdentity, type MappingSources } from "../mapping/map-identity.js";

export const IAM_TOKEN_PREFIX = "k8s-aws-v1.";

/** Sends the presigned GetCallerIdentity (network or in-process) and returns STS's reply. */
export type StsReplayer = (url: URL, headers: { "x-k8s-aws-id": string; accept: "application/json" }) => Promise<StsReply>;

export interface IamAuthenticatorOptions {
  clusterID: string;
  partition?: Partition | undefined;
  /** Extra host[:port] accepted as STS (kubeiam's own listener with `sts: self`). */
  extraHosts?: readonly string[];
  replay: StsReplayer;
  /** Current mapping sources (access entries and the parsed aws-auth ConfigMap). */
  mappings: () => MappingSources;
  ec2PrivateDnsName?: (instanceId: string) => string | undefined;
}

export function iamTokenAuthenticator(o: IamAuthenticatorOptions): Authenticator {
  return {
    name: "iam",
    async authenticate(token: string, ctx: AuthnContext): Promise<AuthnResult> {
      if (!token.startsWith(IAM_TOKEN_PREFIX)) return notMine();
      const fmt = verifyIamTokenFormat(token, { clusterID: o.clusterID, partition: o.partition, extraHosts: o.extraHosts, now: ctx.now });
      if (!fmt.ok) return authnError(fmt.error, [fmt.reason], 403);
      const reasons: Reason[] = [...fmt.reasons];
      let reply: StsReply;
      try {
        reply = await o.replay(fmt.stsUrl, fmt.headers);
      } catch (e) {
        reply = { kind: "transport-error", message: e instanceof Error ? e.message.replace(/https?:\/\/\S+/g, "<sts>") : "failed" };
      }
      const sts = interpretStsReply(reply, fmt);
      if (!sts.ok) return authnError(sts.error, [...reasons, sts.reason], sts.httpStatus);
      reasons.push(...sts.reasons);
      const id = sts.identity;
      const mapped = mapIdentity(id, o.mappings(), { ec2PrivateDnsName: o.ec2PrivateDnsName ?? (() => undefined) });
      if (!mapped.mapped) return authnError(mapped.error, [...reasons, ...mapped.reasons], 403);
      const user = buildTokenReviewUser(id, { username: mapped.username, groups: mapped.groups });
      const out: AuthnResult = { kind: "ok", user: { username: user.username, uid: user.uid, groups: user.groups ?? [], ...(user.extra ? { extra: user.extra } : {}) }, reasons: [...reasons, ...mapped.reasons], expiresAt: fmt.expiresAt };
      return out;
    },
  };
}
