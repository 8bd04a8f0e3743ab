/**
 * webhookManifests: the MutatingWebhookConfiguration and ValidatingWebhookConfiguration that send
 * kube-apiserver's admission requests to kubeiam's tenancy webhooks. Modelled on Pod Security
 * Admission's own webhook manifests: an enforcing webhook (failurePolicy Fail) for pods, services,
 * namespaces, role bindings, status writes and kubeiam-managed objects, and an advisory one for
 * workload templates (warnings only, so failurePolicy Ignore); kube-system and kubeiam's own
 * namespace are exempt. Pure.
 */
import { KubeiamError } from "../lib/errors.js";
import type { KubeObject } from "../store/types.js";
import { isDnsLabel } from "./lib/values.js";

export const MUTATE_WEBHOOK_NAME = "mutate.tenancy.kubeiam.io";
export const VALIDATE_WEBHOOK_NAME = "validate.tenancy.kubeiam.io";
export const ADVISORY_WEBHOOK_NAME = "advisory.tenancy.kubeiam.io";
export const WEBHOOK_CONFIGURATION_NAME = "kubeiam-tenancy";

export type WebhookTarget =
  | { readonly url: string }
  | { readonly service: { readonly namespace: string; readonly name: string; readonly port: number } };

export interface WebhookManifestOptions {
  /** Where kube-apiserver reaches kubeiam: a base URL (https://host:port) or a Service. */
  readonly target: WebhookTarget;
  /** PEM of the CA that signed kubeiam's serving certificate. */
  readonly caPem: string;
  /** kubeiam's own namespace, exempt from the webhooks (default "kubeiam"). */
  readonly namespace?: string;
  /** More namespaces to exempt (kube-system and kubeiam's own always are). */
  readonly exemptNamespaces?: readonly string[];
  /** Seconds, 1–30 (default 5, like Pod Security Admission). */
  readonly timeoutSeconds?: number;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function clientConfig(target: WebhookTarget, path: string, caBundle: string): Record<string, unknown> {
  if ("url" in target) return { url: `${target.url.replace(/\/+$/, "")}${path}`, caBundle };
  return {
    service: {
      namespace: target.service.namespace,
      name: target.service.name,
      path,
      port: target.service.port,
    },
    caBundle,
  };
}

const STATUS_GROUPS = ["", "apps", "batch", "networking.k8s.io", "policy", "autoscaling"];

/** Skip calls for node agents and kube-system controllers writing status (they are not tenants). */
const STATUS_MATCH_CONDITIONS = [
  { name: "not-a-node", expression: "!request.userInfo.username.startsWith('system:node:')" },
  {
    name: "not-kube-system",
    expression: "!request.userInfo.username.startsWith('system:serviceaccount:kube-system:')",
  },
];

export function webhookManifests(opts: WebhookManifestOptions): KubeObject[] {
  const timeoutSeconds = opts.timeoutSeconds ?? 5;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new KubeiamError(
      "USAGE",
      `--timeout: expected whole seconds from 1 to 30, found ${timeoutSeconds}`,
    );
  }
  const pem = PEM.exec(opts.caPem)?.[0];
  if (!pem) throw new KubeiamError("KEY_INVALID", "the CA bundle is not a PEM certificate");
  if ("url" in opts.target) {
    let u: URL;
    try {
      u = new URL(opts.target.url);
    } catch {
      throw new KubeiamError("USAGE", `--url: not a URL: "${opts.target.url}"`);
    }
    if (u.protocol !== "https:" || u.search !== "" || u.hash !== "" || u.username !== "")
      throw new KubeiamError(
        "USAGE",
        `--url: expected https://host[:port][/path] without query, fragment or credentials, found "${opts.target.url}"`,
      );
  } else {
    const s = opts.target.service;
    if (
      !isDnsLabel(s.namespace) ||
      !isDnsLabel(s.name) ||
      !Number.isInteger(s.port) ||
      s.port < 1 ||
      s.port > 65535
    ) {
      throw new KubeiamError(
        "USAGE",
        `--service: expected NAMESPACE/NAME[:PORT] with DNS-label names and a port 1–65535`,
      );
    }
  }
  const own = opts.namespace ?? "kubeiam";
  if (!isDnsLabel(own)) throw new KubeiamError("USAGE", `--namespace: "${own}" is not a namespace name`);
  for (const n of opts.exemptNamespaces ?? [])
    if (!isDnsLabel(n)) throw new KubeiamError("USAGE", `--exempt-namespace: "${n}" is not a namespace name`);
  const caBundle = Buffer.from(pem + "\n").toString("base64");
  const exempt = [...new Set(["kube-system", own, ...(opts.exemptNamespaces ?? [])])].sort();
  const namespaceSelector = {
    matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: exempt }],
  };
  const labels = { "app.kubernetes.io/managed-by": "kubeiam" };
  const common = {
    sideEffects: "None",
    admissionReviewVersions: ["v1"],
    matchPolicy: "Equivalent",
    timeoutSeconds,
    namespaceSelector,
  };

  const mutating: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels },
    webhooks: [
      {
        name: MUTATE_WEBHOOK_NAME,
        clientConfig: clientConfig(opts.target, "/admission/mutate", caBundle),
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["CREATE"],
            resources: ["pods", "namespaces"],
            scope: "*",
          },
        ],
        failurePolicy: "Fail",
        reinvocationPolicy: "IfNeeded",
        ...common,
        // the SELinux level reservation is skipped on dry runs
        sideEffects: "NoneOnDryRun",
      },
    ],
  };

  const validating: KubeObject = {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIGURATION_NAME, labels },
    webhooks: [
      {
        name: VALIDATE_WEBHOOK_NAME,
        clientConfig: clientConfig(opts.target, "/admission/validate", caBundle),
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["pods", "pods/ephemeralcontainers", "services", "namespaces"],
            scope: "*",
          },
          {
            apiGroups: ["rbac.authorization.k8s.io"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE", "DELETE"],
            resources: ["rolebindings"],
            scope: "Namespaced",
          },
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["UPDATE", "DELETE"],
            resources: ["resourcequotas", "limitranges"],
            scope: "Namespaced",
          },
          {
            apiGroups: ["networking.k8s.io"],
            apiVersions: ["v1"],
            operations: ["UPDATE", "DELETE"],
            resources: ["networkpolicies"],
            scope: "Namespaced",
          },
        ],
        failurePolicy: "Fail",
        ...common,
      },
      {
        name: `status.${VALIDATE_WEBHOOK_NAME}`,
        clientConfig: clientConfig(opts.target, "/admission/validate", caBundle),
        rules: [
          {
            apiGroups: STATUS_GROUPS,
            apiVersions: ["*"],
            operations: ["UPDATE"],
            resources: ["*/status"],
            scope: "*",
          },
        ],
        matchConditions: STATUS_MATCH_CONDITIONS,
        failurePolicy: "Fail",
        ...common,
      },
      {
        name: ADVISORY_WEBHOOK_NAME,
        clientConfig: clientConfig(opts.target, "/admission/validate", caBundle),
        rules: [
          {
            apiGroups: [""],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["podtemplates", "replicationcontrollers"],
            scope: "Namespaced",
          },
          {
            apiGroups: ["apps"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["daemonsets", "deployments", "replicasets", "statefulsets"],
            scope: "Namespaced",
          },
          {
            apiGroups: ["batch"],
            apiVersions: ["v1"],
            operations: ["CREATE", "UPDATE"],
            resources: ["cronjobs", "jobs"],
            scope: "Namespaced",
          },
        ],
        // only warnings come from here: a failed call must not block workloads (as PSA's advisory webhook)
        failurePolicy: "Ignore",
        ...common,
      },
    ],
  };
  return [mutating, validating];
}
