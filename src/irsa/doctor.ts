/**
 * diagnoseIrsa: walks the IRSA chain for a pod or a service account, link by link, as STS would
 * see it: the ServiceAccount and its role-arn annotation, the pod's mutation (env and projected
 * token volume), a token minted as the projected volume would get it, the OIDC provider for the
 * token's issuer, the audience among its client IDs, the role, its trust-policy statements, and the
 * final AssumeRoleWithWebIdentity decision. Each link says what it found and, when it fails, the
 * fix. Pure given its dependencies (store view, signing key, clock value, key resolver).
 */
import type { Reason } from "../lib/decision.js";
import type { ObjectCache } from "../store/cache.js";
import type { KubeObject } from "../store/types.js";
import { createServiceAccountToken } from "../issuer/create-token.js";
import type { SigningKey } from "../issuer/mint-token.js";
import { findProvider, findRole, listProviders } from "../iam/api.js";
import { hostPathOf } from "../iam/objects.js";
import { decideAssumeRoleWithWebIdentity, webIdentityContext } from "../sts/assume-role-with-web-identity.js";
import { parseRoleArn } from "../sts/params.js";
import type { PolicyPort } from "../sts/policy-port.js";
import type { KeyResolver, WebIdentityClaims } from "../sts/web-identity.js";
import {
  AUDIENCE_ANNOTATION,
  DEFAULT_AUDIENCE,
  irsaTrustStatement,
  ROLE_ARN_ANNOTATION,
  serviceAccountSubject,
} from "./trust-policy.js";

export const TOKEN_VOLUME = "aws-iam-token";
const SKIP_CONTAINERS = "eks.amazonaws.com/skip-containers";
/** The webhook's default projected-token lifetime. */
const DEFAULT_TOKEN_SECONDS = 86_400;

export interface DoctorIrsaDeps {
  cache: Pick<ObjectCache, "get" | "list">;
  account: string;
  partition: string;
  issuer: string;
  signingKey: SigningKey;
  apiAudiences: readonly string[];
  maxTokenSeconds: number;
  policy: PolicyPort;
  resolveKey: KeyResolver;
  now: number;
}

export interface DoctorIrsaRequest {
  namespace: string;
  pod?: string | undefined;
  serviceAccount?: string | undefined;
}

export type LinkName =
  | "service-account"
  | "annotation"
  | "pod-mutation"
  | "token"
  | "provider"
  | "audience"
  | "role"
  | "trust-policy"
  | "result";

export interface IrsaLink {
  link: LinkName;
  status: "ok" | "fail" | "skip";
  message: string;
  /** What to do about a failure. */
  fix?: string;
  /** The reasons behind this link (trust-policy statements, the STS decision). */
  details?: Reason[];
}

export interface IrsaDiagnosis {
  ok: boolean;
  namespace: string;
  serviceAccount: string;
  pod?: string;
  roleArn?: string;
  links: IrsaLink[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const list = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObj) : []);

interface PodToken {
  audience: string | undefined;
  expirationSeconds: number | undefined;
}

/** The pod's projected web-identity token volume, if it has one. */
function tokenVolume(pod: KubeObject): PodToken | undefined {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const vol = list(spec.volumes).find((v) => v.name === TOKEN_VOLUME);
  if (!vol) return undefined;
  const projected = isObj(vol.projected) ? vol.projected : {};
  const src = list(projected.sources)
    .map((s) => s.serviceAccountToken)
    .find(isObj);
  return {
    audience: typeof src?.audience === "string" ? src.audience : undefined,
    expirationSeconds: typeof src?.expirationSeconds === "number" ? src.expirationSeconds : undefined,
  };
}

/** Env and mounts of each container the webhook would have mutated. */
function checkPodMutation(pod: KubeObject, roleArn: string | undefined): { ok: boolean; problems: string[] } {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const skipRaw = pod.metadata.annotations?.[SKIP_CONTAINERS];
  const skip = new Set(skipRaw === undefined ? [] : skipRaw.split(","));
  const problems: string[] = [];
  if (!tokenVolume(pod)) problems.push(`no projected volume ${TOKEN_VOLUME}`);
  for (const c of [...list(spec.initContainers), ...list(spec.containers)]) {
    const name = typeof c.name === "string" ? c.name : "?";
    if (skip.has(name)) continue;
    const env = new Map(list(c.env).map((e) => [e.name, e.value]));
    const arn = env.get("AWS_ROLE_ARN");
    if (arn === undefined) problems.push(`container ${name} has no AWS_ROLE_ARN`);
    else if (roleArn !== undefined && arn !== roleArn)
      problems.push(
        `container ${name} has AWS_ROLE_ARN=${typeof arn === "string" ? arn : JSON.stringify(arn)}, the ServiceAccount says ${roleArn}`,
      );
    if (!env.has("AWS_WEB_IDENTITY_TOKEN_FILE"))
      problems.push(`container ${name} has no AWS_WEB_IDENTITY_TOKEN_FILE`);
    if (!list(c.volumeMounts).some((m) => m.name === TOKEN_VOLUME))
      problems.push(`container ${name} does not mount ${TOKEN_VOLUME}`);
  }
  return { ok: problems.length === 0, problems };
}

export async function diagnoseIrsa(deps: DoctorIrsaDeps, req: DoctorIrsaRequest): Promise<IrsaDiagnosis> {
  const links: IrsaLink[] = [];
  const add = (l: IrsaLink): IrsaLink => (links.push(l), l);
  const ns = req.namespace;
  let pod: KubeObject | undefined;
  let saName = req.serviceAccount ?? "default";
  if (req.pod !== undefined) {
    pod = deps.cache.get({ kind: "Pod", namespace: ns, name: req.pod });
    const spec = pod && isObj(pod.spec) ? pod.spec : {};
    saName =
      typeof spec.serviceAccountName === "string" && spec.serviceAccountName !== ""
        ? spec.serviceAccountName
        : "default";
  }
  const saRef = `${ns}/${saName}`;
  const sub = serviceAccountSubject(ns, saName);
  const out = (roleArn?: string): IrsaDiagnosis => {
    const ok =
      links.every((l) => l.status !== "fail") && links.some((l) => l.link === "result" && l.status === "ok");
    const d: IrsaDiagnosis = { ok, namespace: ns, serviceAccount: saName, links };
    if (req.pod !== undefined) d.pod = req.pod;
    if (roleArn !== undefined) d.roleArn = roleArn;
    return d;
  };
  const createHint = (role = "ROLE"): string =>
    `kubeiam irsa create --namespace ${ns} --service-account ${saName} --role-name ${role}`;

  // 1. the ServiceAccount
  const sa = deps.cache.get({ kind: "ServiceAccount", namespace: ns, name: saName });
  if (!sa) {
    add({
      link: "service-account",
      status: "fail",
      message: `ServiceAccount ${saRef} does not exist`,
      fix: `create it with its role: ${createHint()}`,
    });
    return out();
  }
  add({
    link: "service-account",
    status: "ok",
    message: `ServiceAccount ${saRef}${pod ? ` (used by pod ${ns}/${req.pod ?? ""})` : ""}`,
  });

  // 2. its role-arn annotation
  const annotations = sa.metadata.annotations ?? {};
  const roleArn = annotations[ROLE_ARN_ANNOTATION];
  const saAudience = annotations[AUDIENCE_ANNOTATION];
  const parsed = roleArn ? parseRoleArn(roleArn) : undefined;
  if (!roleArn) {
    add({
      link: "annotation",
      status: "fail",
      message: `ServiceAccount ${saRef} has no ${ROLE_ARN_ANNOTATION} annotation, so the webhook leaves its pods alone`,
      fix: `${createHint()}   (or: kubectl annotate serviceaccount -n ${ns} ${saName} ${ROLE_ARN_ANNOTATION}=arn:${deps.partition}:iam::${deps.account}:role/ROLE)`,
    });
  } else if (!parsed) {
    add({
      link: "annotation",
      status: "fail",
      message: `${ROLE_ARN_ANNOTATION}=${roleArn} is not a role ARN; STS would answer ValidationError "Request ARN is invalid"`,
      fix: `set it to arn:${deps.partition}:iam::${deps.account}:role/ROLE (not a provider, policy or other ARN)`,
    });
  } else {
    add({
      link: "annotation",
      status: "ok",
      message: `${ROLE_ARN_ANNOTATION}=${roleArn}${saAudience !== undefined ? `, ${AUDIENCE_ANNOTATION}=${saAudience}` : ""}`,
    });
  }

  // 3. the pod's mutation
  const volume = pod ? tokenVolume(pod) : undefined;
  if (req.pod === undefined) {
    add({ link: "pod-mutation", status: "skip", message: "no --pod given" });
  } else if (!pod) {
    add({
      link: "pod-mutation",
      status: "fail",
      message: `pod ${ns}/${req.pod} does not exist`,
      fix: "check the pod name and namespace",
    });
  } else {
    const m = checkPodMutation(pod, roleArn || undefined);
    if (m.ok)
      add({
        link: "pod-mutation",
        status: "ok",
        message: `pod ${ns}/${req.pod} has AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE and the ${TOKEN_VOLUME} volume mounted in every container`,
      });
    else
      add({
        link: "pod-mutation",
        status: "fail",
        message: `pod ${ns}/${req.pod} was not mutated as expected: ${m.problems.join("; ")}`,
        fix: roleArn
          ? "pods are mutated only when created: delete and recreate the pod (e.g. kubectl rollout restart) now that the ServiceAccount is annotated, and check that the pod identity webhook (POST /admission/pod-identity) is registered for pod CREATE"
          : `annotate the ServiceAccount first (${createHint()}), then recreate the pod`,
      });
  }

  // 4. a token as the projected volume would get it
  const audience = volume?.audience ?? saAudience ?? DEFAULT_AUDIENCE;
  let token: string;
  let claims: WebIdentityClaims;
  try {
    const minted = createServiceAccountToken(
      {
        cache: deps.cache,
        key: deps.signingKey,
        issuer: deps.issuer,
        apiAudiences: deps.apiAudiences,
        maxExpirationSeconds: deps.maxTokenSeconds,
        now: deps.now,
      },
      {
        namespace: ns,
        serviceAccount: saName,
        audiences: [audience],
        expirationSeconds: volume?.expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
        boundPod: pod ? { name: pod.metadata.name } : undefined,
      },
    );
    token = minted.token;
    const c = minted.claims;
    claims = {
      iss: c.iss,
      sub: c.sub,
      aud: c.aud,
      matchedAud: audience,
      exp: c.exp,
      iat: c.iat,
      nbf: c.nbf,
      raw: c as unknown as Record<string, unknown>,
    };
    add({
      link: "token",
      status: "ok",
      message: `token as the projected volume gets it: iss ${c.iss}, sub ${c.sub}, aud ${JSON.stringify(c.aud)}, valid ${c.exp - c.iat} s`,
    });
  } catch (e) {
    add({
      link: "token",
      status: "fail",
      message: `cannot mint a token for ${saRef}: ${e instanceof Error ? e.message : String(e)}`,
    });
    return out(roleArn);
  }

  // 5. the provider for the issuer, 6. the audience among its client IDs
  const hostPath = hostPathOf(deps.issuer);
  const provider = findProvider(deps, hostPath);
  const providerArn = provider?.arn ?? `arn:${deps.partition}:iam::${deps.account}:oidc-provider/${hostPath}`;
  if (!provider) {
    add({
      link: "provider",
      status: "fail",
      message: `no OIDC provider for issuer ${deps.issuer}; STS would answer InvalidIdentityToken "No OpenIDConnect provider found in your account for ${deps.issuer}"`,
      fix: `${createHint(parsed?.name)}   (or: aws iam create-open-id-connect-provider --url ${deps.issuer} --client-id-list ${audience})`,
    });
    add({ link: "audience", status: "skip", message: "no provider" });
  } else {
    add({ link: "provider", status: "ok", message: `issuer ${deps.issuer} → OIDC provider ${provider.arn}` });
    if (provider.clientIds.includes(audience))
      add({ link: "audience", status: "ok", message: `audience ${audience} is a client ID of the provider` });
    else
      add({
        link: "audience",
        status: "fail",
        message: `audience ${audience} is not among the provider's client IDs ${JSON.stringify(provider.clientIds)}; STS would answer InvalidIdentityToken "Incorrect token audience"`,
        fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${provider.arn} --client-id ${audience}${saAudience !== undefined ? `   (or fix the ${AUDIENCE_ANNOTATION} annotation: ${saAudience})` : ""}`,
      });
  }

  // 7. the role, 8. its trust policy
  const role =
    parsed && parsed.account === deps.account && parsed.partition === deps.partition
      ? findRole(deps, parsed.name)
      : undefined;
  const wanted = irsaTrustStatement(providerArn, hostPath, ns, saName, audience);
  if (!parsed) {
    add({ link: "role", status: "skip", message: "no role ARN" });
    add({ link: "trust-policy", status: "skip", message: "no role ARN" });
  } else if (!role || role.path !== parsed.path) {
    const why =
      parsed.account !== deps.account
        ? `the ARN names account ${parsed.account}; kubeiam is account ${deps.account}`
        : !role
          ? `role ${parsed.name} does not exist`
          : `role ${parsed.name} has path ${role.path}, the ARN says ${parsed.path}`;
    add({
      link: "role",
      status: "fail",
      message: `${why}; STS would answer AccessDenied`,
      fix: role ? `set the annotation to ${role.arn}` : createHint(parsed.name),
    });
    add({ link: "trust-policy", status: "skip", message: "no role" });
  } else {
    add({
      link: "role",
      status: "ok",
      message: `role ${role.arn} exists (MaxSessionDuration ${role.maxSessionDuration} s)`,
    });
    const context = webIdentityContext(
      claims,
      {
        objectName: "",
        url: deps.issuer,
        hostPath,
        arn: providerArn,
        clientIds: [],
        thumbprints: [],
        createDate: "",
      },
      "kubeiam-doctor",
      deps.now,
    );
    const trust = deps.policy.evaluate(role.trustPolicy, "trust", {
      principal: { type: "Federated", ids: [providerArn] },
      action: "sts:AssumeRoleWithWebIdentity",
      resource: role.arn,
      context,
    });
    if (trust.decision === "Allow")
      add({
        link: "trust-policy",
        status: "ok",
        message: `the trust policy of ${role.name} allows ${sub} from ${providerArn}`,
        details: trust.reasons,
      });
    else {
      add({
        link: "trust-policy",
        status: "fail",
        message: `the trust policy of ${role.name} ${trust.decision === "ExplicitDeny" ? "explicitly denies" : "does not allow"} ${sub} (aud ${audience}) from ${providerArn}; STS would answer AccessDenied "Not authorized to perform sts:AssumeRoleWithWebIdentity"`,
        fix: `add this statement to the trust policy (aws iam update-assume-role-policy --role-name ${role.name} --policy-document file://trust.json): ${JSON.stringify(wanted)}`,
        details: trust.reasons,
      });
    }
  }

  // 9. the decision STS makes
  if (!roleArn) {
    add({ link: "result", status: "skip", message: "no role to assume" });
    return out();
  }
  const d = await decideAssumeRoleWithWebIdentity(
    new Map([
      ["RoleArn", roleArn],
      ["RoleSessionName", "kubeiam-doctor"],
      ["WebIdentityToken", token],
    ]),
    {
      account: deps.account,
      partition: deps.partition,
      role: (n) => findRole(deps, n),
      providers: () => listProviders(deps),
      resolveKey: deps.resolveKey,
      policy: deps.policy,
      callerPolicies: () => [],
      now: deps.now,
    },
  );
  if (d.ok)
    add({
      link: "result",
      status: "ok",
      message: `AssumeRoleWithWebIdentity succeeds: the pod gets ${d.session.arn.replace(/kubeiam-doctor$/, "<session>")}`,
      details: d.reasons,
    });
  else
    add({
      link: "result",
      status: "fail",
      message: `AssumeRoleWithWebIdentity fails: ${d.error.code} (${d.error.status}) ${d.error.message}`,
      details: d.reasons,
    });
  return out(roleArn);
}
