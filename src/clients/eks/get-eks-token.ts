/**
 * getEksToken: region → STS endpoint → credentials (chain, then AssumeRole with a role ARN) →
 * presigned token. The edge behind `kubeiam get-token`; the clock and environment are parameters.
 */
import type { Clock } from "../../lib/clock.js";
import { createEksToken, type EksToken } from "./create-eks-token.js";
import { resolveCredentials, resolveRegion, validateRoleOptions } from "./aws-credentials.js";
import { stsEndpoint, type StsEndpoint } from "./sts-endpoint.js";

export interface GetEksTokenOptions {
  clusterId: string;
  region?: string | undefined;
  profile?: string | undefined;
  roleArn?: string | undefined;
  sessionName?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  clock: Clock;
}

export interface GetEksTokenResult extends EksToken {
  region: string;
  regionFrom: string;
  endpoint: StsEndpoint;
}

export async function getEksToken(o: GetEksTokenOptions): Promise<GetEksTokenResult> {
  validateRoleOptions(o.roleArn, o.sessionName);
  const profile = o.profile ?? (o.env.AWS_PROFILE === "" ? undefined : o.env.AWS_PROFILE);
  const { region, from } = await resolveRegion(o.region, o.env, profile);
  const endpoint = stsEndpoint(region, o.env);
  const credentials = await resolveCredentials({
    region,
    profile,
    roleArn: o.roleArn,
    sessionName: o.sessionName,
    stsEndpoint: endpoint.url,
    env: o.env,
  });
  const token = createEksToken({
    clusterId: o.clusterId,
    credentials,
    region,
    endpoint: endpoint.url,
    now: o.clock.now(),
  });
  return { ...token, region, regionFrom: from, endpoint };
}
