/**
 * createIrsa: what `eksctl create iamserviceaccount` does, against kubeiam's objects. Registers the
 * issuer as an OIDC provider (or adds the audience to its client IDs), creates the role with the
 * exact IRSA trust policy, attaches managed policies, and annotates (or creates) the
 * ServiceAccount. Idempotent: a second run changes nothing. Everything is checked before anything
 * is written, so a conflict leaves the objects as they were.
 */
import { KubeiamError } from "../lib/errors.js";
import type { ObjectCache } from "../store/cache.js";
import type { KubeObject, ObjectStore } from "../store/types.js";
import { findProvider, findRole, managedPolicyText } from "../iam/api.js";
import { stableUniqueId } from "../iam/ids.js";
import {
  hostPathOf,
  isProviderUrl,
  oidcProviderObject,
  oidcProviderObjectName,
  roleObject,
  type RoleView,
} from "../iam/objects.js";
import { newUidSeed } from "../iam/seed.js";
import type { PolicyPort } from "../sts/policy-port.js";
import { isoSeconds } from "../sts/xml.js";
import {
  AUDIENCE_ANNOTATION,
  DEFAULT_AUDIENCE,
  irsaTrustPolicy,
  irsaTrustStatement,
  ROLE_ARN_ANNOTATION,
  serviceAccountSubject,
} from "./trust-policy.js";

export interface CreateIrsaDeps {
  store: Pick<ObjectStore, "put">;
  cache: Pick<ObjectCache, "get" | "list">;
  account: string;
  partition: string;
  /** kubeiam's issuer URL (the `iss` of its tokens). */
  issuer: string;
  policy: PolicyPort;
  /** Milliseconds since the epoch. */
  now: number;
}

export interface CreateIrsaRequest {
  namespace: string;
  serviceAccount: string;
  roleName: string;
  attachPolicyArns?: readonly string[];
  audience?: string;
  /** Create the role (and provider) but leave the ServiceAccount alone. */
  roleOnly?: boolean;
  /** Replace a role-arn annotation that names another role. */
  overrideExistingServiceAccount?: boolean;
  maxSessionDuration?: number;
  description?: string;
}

export interface IrsaChange {
  kind: "OIDCProvider" | "IAMRole" | "AttachedPolicy" | "ServiceAccount";
  name: string;
  action: "created" | "updated" | "unchanged" | "skipped";
  message: string;
}

export interface CreateIrsaResult {
  providerArn: string;
  roleArn: string;
  serviceAccount: string;
  changes: IrsaChange[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_ARN = /^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/./;

function usage(message: string): KubeiamError {
  return new KubeiamError("USAGE", message);
}

function validate(r: CreateIrsaRequest): void {
  if (!DNS_LABEL.test(r.namespace) || r.namespace.length > 63)
    throw usage(`--namespace "${r.namespace}" is not a valid namespace name (a DNS label)`);
  if (!DNS_SUBDOMAIN.test(r.serviceAccount) || r.serviceAccount.length > 253)
    throw usage(
      `--service-account "${r.serviceAccount}" is not a valid ServiceAccount name (a DNS subdomain)`,
    );
  if (!ROLE_NAME.test(r.roleName))
    throw usage(
      `--role-name "${r.roleName}" is not a valid IAM role name (1-64 characters of letters, digits and +=,.@_-)`,
    );
  const aud = r.audience ?? DEFAULT_AUDIENCE;
  if (aud === "" || aud.length > 255) throw usage("--audience must be 1-255 characters");
  for (const arn of r.attachPolicyArns ?? [])
    if (!POLICY_ARN.test(arn))
      throw usage(
        `--attach-policy-arn "${arn}" is not a policy ARN (arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)`,
      );
  if (
    r.maxSessionDuration !== undefined &&
    (!Number.isInteger(r.maxSessionDuration) || r.maxSessionDuration < 3600 || r.maxSessionDuration > 43_200)
  )
    throw usage("--max-session-duration must be whole seconds from 3600 to 43200");
}

function annotationsOf(o: KubeObject | undefined): Record<string, string> {
  return { ...(o?.metadata.annotations ?? {}) };
}

export async function createIrsa(deps: CreateIrsaDeps, req: CreateIrsaRequest): Promise<CreateIrsaResult> {
  validate(req);
  const audience = req.audience ?? DEFAULT_AUDIENCE;
  if (!isProviderUrl(deps.issuer))
    throw usage(
      `the issuer URL ${deps.issuer} cannot be an IAM OIDC provider URL (https://host[:port][/path])`,
    );
  const hostPath = hostPathOf(deps.issuer);
  const providerArn = `arn:${deps.partition}:iam::${deps.account}:oidc-provider/${hostPath}`;
  const sub = serviceAccountSubject(req.namespace, req.serviceAccount);
  const saRef = `${req.namespace}/${req.serviceAccount}`;
  const changes: IrsaChange[] = [];

  // ---- check everything first -------------------------------------------------------------------
  const provider = findProvider(deps, hostPath);
  const existing: RoleView | undefined = findRole(deps, req.roleName);
  const roleArn = existing?.arn ?? `arn:${deps.partition}:iam::${deps.account}:role/${req.roleName}`;
  if (existing) {
    const trust = deps.policy.evaluate(existing.trustPolicy, "trust", {
      principal: { type: "Federated", ids: [providerArn] },
      action: "sts:AssumeRoleWithWebIdentity",
      resource: existing.arn,
      context: {
        [`${hostPath}:aud`]: audience,
        [`${hostPath}:sub`]: sub,
        "aws:FederatedProvider": providerArn,
      },
    });
    if (trust.decision !== "Allow") {
      throw new KubeiamError(
        "IAM_CONFLICT",
        `role ${req.roleName} already exists and its trust policy does not let ${sub} (audience ${audience}) assume it; choose another --role-name, or add this statement to its trust policy (aws iam update-assume-role-policy): ${JSON.stringify(irsaTrustStatement(providerArn, hostPath, req.namespace, req.serviceAccount, audience))}`,
        { role: req.roleName },
      );
    }
  }
  for (const arn of req.attachPolicyArns ?? []) {
    if (managedPolicyText(deps, arn) === undefined)
      throw new KubeiamError(
        "IAM_NOT_FOUND",
        `policy ${arn} does not exist: create it first (aws iam create-policy, or an IAMPolicy object) or use an AWS managed policy kubeiam knows`,
        { arn },
      );
  }
  const sa = deps.cache.get({ kind: "ServiceAccount", namespace: req.namespace, name: req.serviceAccount });
  const annotations = annotationsOf(sa);
  const current = annotations[ROLE_ARN_ANNOTATION];
  if (
    !req.roleOnly &&
    current !== undefined &&
    current !== "" &&
    current !== roleArn &&
    !req.overrideExistingServiceAccount
  ) {
    throw new KubeiamError(
      "IAM_CONFLICT",
      `ServiceAccount ${saRef} is already annotated ${ROLE_ARN_ANNOTATION}=${current}; pass --override-existing-serviceaccounts to point it at ${roleArn}`,
      { serviceAccount: saRef },
    );
  }

  // ---- then write ------------------------------------------------------------------------------------
  if (!provider) {
    await deps.store.put(
      oidcProviderObject({
        objectName: oidcProviderObjectName(hostPath),
        url: deps.issuer,
        clientIds: [audience],
        thumbprints: [],
        createDate: isoSeconds(deps.now),
      }),
    );
    changes.push({
      kind: "OIDCProvider",
      name: providerArn,
      action: "created",
      message: `OIDC provider ${providerArn} created for issuer ${deps.issuer} (client ID ${audience})`,
    });
  } else if (!provider.clientIds.includes(audience)) {
    const base = deps.cache.get({ kind: "OIDCProvider", name: provider.objectName });
    await deps.store.put(
      oidcProviderObject(
        {
          objectName: provider.objectName,
          url: provider.url,
          clientIds: [...provider.clientIds, audience],
          thumbprints: provider.thumbprints,
          createDate: provider.createDate,
        },
        base,
      ),
    );
    changes.push({
      kind: "OIDCProvider",
      name: providerArn,
      action: "updated",
      message: `client ID ${audience} added to OIDC provider ${providerArn}`,
    });
  } else {
    changes.push({
      kind: "OIDCProvider",
      name: providerArn,
      action: "unchanged",
      message: `OIDC provider ${providerArn} exists with client ID ${audience}`,
    });
  }

  let role: Omit<RoleView, "arn">;
  let roleBase: KubeObject | undefined;
  if (existing) {
    role = existing;
    roleBase = deps.cache.get({ kind: "IAMRole", name: existing.name });
    changes.push({
      kind: "IAMRole",
      name: roleArn,
      action: "unchanged",
      message: `role ${roleArn} exists and trusts ${sub}`,
    });
  } else {
    role = {
      name: req.roleName,
      path: "/",
      roleId: stableUniqueId("AROA", `role:${newUidSeed()}`),
      trustPolicy: irsaTrustPolicy(providerArn, hostPath, req.namespace, req.serviceAccount, audience),
      maxSessionDuration: req.maxSessionDuration ?? 3600,
      description: req.description,
      createDate: isoSeconds(deps.now),
      inlinePolicies: {},
      attachedPolicyArns: [],
    };
    changes.push({
      kind: "IAMRole",
      name: roleArn,
      action: "created",
      message: `role ${roleArn} created, trusting ${sub} (audience ${audience})`,
    });
  }
  const toAttach = (req.attachPolicyArns ?? []).filter((a, i, all) => all.indexOf(a) === i);
  const attached = [...role.attachedPolicyArns];
  for (const arn of toAttach) {
    if (attached.includes(arn))
      changes.push({
        kind: "AttachedPolicy",
        name: arn,
        action: "unchanged",
        message: `policy ${arn} already attached`,
      });
    else {
      attached.push(arn);
      changes.push({
        kind: "AttachedPolicy",
        name: arn,
        action: "created",
        message: `policy ${arn} attached`,
      });
    }
  }
  if (attached.length > 10)
    throw new KubeiamError(
      "IAM_CONFLICT",
      `role ${req.roleName} would have ${attached.length} attached policies; IAM allows 10`,
    );
  if (!existing || attached.length !== role.attachedPolicyArns.length)
    await deps.store.put(roleObject({ ...role, attachedPolicyArns: attached }, roleBase));

  if (req.roleOnly) {
    changes.push({
      kind: "ServiceAccount",
      name: saRef,
      action: "skipped",
      message: `ServiceAccount ${saRef} left alone (--role-only); annotate it ${ROLE_ARN_ANNOTATION}=${roleArn}`,
    });
  } else {
    const same =
      sa !== undefined &&
      annotations[ROLE_ARN_ANNOTATION] === roleArn &&
      (annotations[AUDIENCE_ANNOTATION] ?? DEFAULT_AUDIENCE) === audience;
    if (same) {
      changes.push({
        kind: "ServiceAccount",
        name: saRef,
        action: "unchanged",
        message: `ServiceAccount ${saRef} is annotated ${ROLE_ARN_ANNOTATION}=${roleArn}`,
      });
    } else {
      const next: Record<string, string> = Object.fromEntries(
        Object.entries(annotations).filter(([k]) => k !== AUDIENCE_ANNOTATION),
      );
      next[ROLE_ARN_ANNOTATION] = roleArn;
      if (audience !== DEFAULT_AUDIENCE) next[AUDIENCE_ANNOTATION] = audience;
      const obj: KubeObject = sa
        ? { ...sa, metadata: { ...sa.metadata, annotations: next } }
        : {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: req.serviceAccount, namespace: req.namespace, annotations: next },
          };
      await deps.store.put(obj);
      changes.push({
        kind: "ServiceAccount",
        name: saRef,
        action: sa ? "updated" : "created",
        message: `ServiceAccount ${saRef} ${sa ? "annotated" : "created with"} ${ROLE_ARN_ANNOTATION}=${roleArn}${audience !== DEFAULT_AUDIENCE ? ` and ${AUDIENCE_ANNOTATION}=${audience}` : ""}`,
      });
    }
  }
  return { providerArn, roleArn, serviceAccount: saRef, changes };
}
