/** The trust policy IRSA needs (as eksctl writes it): the issuer's OIDC provider, StringEquals on `<issuer>:aud` and `<issuer>:sub`. */

export const DEFAULT_AUDIENCE = "sts.amazonaws.com";
export const ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn";
export const AUDIENCE_ANNOTATION = "eks.amazonaws.com/audience";

export function serviceAccountSubject(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

export interface IrsaTrustStatement {
  Effect: "Allow";
  Principal: { Federated: string };
  Action: "sts:AssumeRoleWithWebIdentity";
  Condition: { StringEquals: Record<string, string> };
}

export function irsaTrustStatement(
  providerArn: string,
  hostPath: string,
  namespace: string,
  serviceAccount: string,
  audience = DEFAULT_AUDIENCE,
): IrsaTrustStatement {
  return {
    Effect: "Allow",
    Principal: { Federated: providerArn },
    Action: "sts:AssumeRoleWithWebIdentity",
    Condition: {
      StringEquals: {
        [`${hostPath}:aud`]: audience,
        [`${hostPath}:sub`]: serviceAccountSubject(namespace, serviceAccount),
      },
    },
  };
}

/** The whole document, as JSON text (what IAM stores). */
export function irsaTrustPolicy(
  providerArn: string,
  hostPath: string,
  namespace: string,
  serviceAccount: string,
  audience = DEFAULT_AUDIENCE,
): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [irsaTrustStatement(providerArn, hostPath, namespace, serviceAccount, audience)],
  });
}
