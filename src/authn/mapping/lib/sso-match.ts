/**
 * aws-iam-authenticator's alpha SSO role matcher (feature gate SSORoleMatch): a role mapping with
 * `sso: {permissionSetName, accountID, partition}` matches IAM Identity Center roles
 * AWSReservedSSO_<permission set>_<random suffix> through an ArnLike pattern.
 */
import { splitN } from "../../iam-token/arn.js";
import type { SsoMatcher } from "../aws-auth.js";

const pattern = (sso: SsoMatcher, partition: string): string =>
  `arn:${partition}:iam::${sso.accountID}:role/AWSReservedSSO_${sso.permissionSetName}_*`.toLowerCase();

/**
 * The pattern upstream builds, bug included: an empty partition means "aws", and a non-empty one
 * ends up as an empty partition, so such a mapping never matches.
 */
export function ssoPattern(sso: SsoMatcher): string {
  return pattern(sso, sso.partition === "" ? "aws" : "");
}

/** The pattern the author of the mapping meant. */
export function intendedSsoPattern(sso: SsoMatcher): string {
  return pattern(sso, sso.partition === "" ? "aws" : sso.partition);
}

const quoteMeta = (s: string): string => s.replace(/[\\^$.|?*+()[\]{}]/g, "\\$&");

/** ArnLike: section by section, "*" → ".*" and "?" → ".?" (upstream's regex, not exactly one character). */
export function arnLike(arn: string, like: string): boolean {
  const a = splitN(arn, ":", 6);
  const p = splitN(like, ":", 6);
  if (a.length !== 6 || p.length !== 6 || !arn.startsWith("arn:") || !like.startsWith("arn:")) return false;
  return p.every((section, i) => {
    const re = new RegExp(
      "^" + quoteMeta(section).replaceAll("\\*", ".*").replaceAll("\\?", ".?") + "$",
      "s",
    );
    return re.test(a[i]!);
  });
}
