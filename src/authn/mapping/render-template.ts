/**
 * Renders the username and group templates of a mapping as aws-iam-authenticator does: plain,
 * sequential string replacement in a fixed order ({{EC2PrivateDNSName}}, {{AccountID}},
 * {{SessionName}} with "@" → "-", {{SessionNameRaw}}, {{AccessKeyID}}). Unknown placeholders stay
 * literal. Sequential replacement means a session name containing "{{AccessKeyID}}" is itself
 * expanded; that is upstream behaviour and kept. The EC2 lookup is a synchronous parameter (the
 * edge resolves or caches DescribeInstances), so this stays pure.
 */

export const TEMPLATE_VARIABLES = [
  "{{EC2PrivateDNSName}}",
  "{{AccountID}}",
  "{{SessionName}}",
  "{{SessionNameRaw}}",
  "{{AccessKeyID}}",
] as const;

/** An EC2 instance ID as upstream recognises it in a session name. */
const INSTANCE_ID = /^i-([0-9A-Za-z_]{8}|[0-9A-Za-z_]{17})$/;

export interface TemplateIdentity {
  accountId: string;
  sessionName: string;
  accessKeyId: string;
}

/** Returns the private DNS name of an instance, or undefined when it is unknown. */
export type Ec2PrivateDnsLookup = (instanceId: string) => string | undefined;

export type RenderResult = { ok: true; value: string } | { ok: false; error: string };

export function renderTemplate(
  template: string,
  identity: TemplateIdentity,
  ec2PrivateDnsName: Ec2PrivateDnsLookup,
): RenderResult {
  let t = template;
  if (t.includes("{{EC2PrivateDNSName}}")) {
    if (!INSTANCE_ID.test(identity.sessionName))
      return { ok: false, error: "SessionName did not contain an instance id" };
    const dns = ec2PrivateDnsName(identity.sessionName);
    if (dns === undefined)
      return {
        ok: false,
        error: `failed querying private DNS from EC2 API for node ${identity.sessionName}`,
      };
    t = t.replaceAll("{{EC2PrivateDNSName}}", dns);
  }
  t = t.replaceAll("{{AccountID}}", identity.accountId);
  t = t.replaceAll("{{SessionName}}", identity.sessionName.replaceAll("@", "-"));
  t = t.replaceAll("{{SessionNameRaw}}", identity.sessionName);
  t = t.replaceAll("{{AccessKeyID}}", identity.accessKeyId);
  return { ok: true, value: t };
}

export type RenderMappingResult =
  { ok: true; username: string; groups: string[] } | { ok: false; error: string; template: string };

/** renderTemplates: the username, then each group; the first failure names its template. */
export function renderMapping(
  username: string,
  groups: readonly string[],
  identity: TemplateIdentity,
  ec2PrivateDnsName: Ec2PrivateDnsLookup,
): RenderMappingResult {
  const u = renderTemplate(username, identity, ec2PrivateDnsName);
  if (!u.ok)
    return {
      ok: false,
      error: `error rendering username template "${username}": ${u.error}`,
      template: username,
    };
  const out: string[] = [];
  for (const g of groups) {
    const r = renderTemplate(g, identity, ec2PrivateDnsName);
    if (!r.ok) return { ok: false, error: `error rendering group template "${g}": ${r.error}`, template: g };
    out.push(r.value);
  }
  return { ok: true, username: u.value, groups: out };
}

/** Placeholders in a template that are not template variables (they stay literal). */
export function unknownPlaceholders(template: string): string[] {
  return (template.match(/\{\{[^{}]*\}\}/g) ?? []).filter(
    (p) => !(TEMPLATE_VARIABLES as readonly string[]).includes(p),
  );
}
