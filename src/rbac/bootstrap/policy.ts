/**
 * Kubernetes' default RBAC policy (bootstrappolicy, ~1.34): the ClusterRoles and
 * ClusterRoleBindings kube-apiserver creates at start-up, as plain objects for the embedded mode.
 * Where the data comes from and what is left out: docs/rbac-bootstrap.md.
 */
import type { KubeObject } from "../../store/types.js";
import { RBAC_API_VERSION, RBAC_GROUP } from "../types.js";

interface Rule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const READ = ["get", "list", "watch"];
const WRITE = ["create", "update", "patch", "delete", "deletecollection"];
const READ_WRITE = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ_UPDATE = ["get", "list", "watch", "update", "patch"];

const LEGACY = "";
const APPS = "apps";
const AUTHENTICATION = "authentication.k8s.io";
const AUTHORIZATION = "authorization.k8s.io";
const AUTOSCALING = "autoscaling";
const BATCH = "batch";
const CERTIFICATES = "certificates.k8s.io";
const COORDINATION = "coordination.k8s.io";
const DISCOVERY = "discovery.k8s.io";
const EVENTS = "events.k8s.io";
const EXTENSIONS = "extensions";
const NETWORKING = "networking.k8s.io";
const NODE = "node.k8s.io";
const POLICY = "policy";
const RESOURCE = "resource.k8s.io";
const STORAGE = "storage.k8s.io";

const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/**
 * Rule builder in the style of upstream's rbacv1helpers.NewRule(...).Groups(...).Resources(...).RuleOrDie(),
 * which sorts every list (so the data matches the golden files, and aggregation's de-duplication).
 */
function rule(verbs: string[], groups: string[], resources: string[], names?: string[]): Rule {
  const r: Rule = { verbs: sorted(verbs), apiGroups: sorted(groups), resources: sorted(resources) };
  if (names) r.resourceNames = sorted(names);
  return r;
}
const urls = (verbs: string[], ...nonResourceURLs: string[]): Rule => ({
  verbs: sorted(verbs),
  nonResourceURLs: sorted(nonResourceURLs),
});
const eventsRule = (): Rule => rule(["create", "update", "patch"], [LEGACY, EVENTS], ["events"]);

export const BOOTSTRAP_LABELS: Readonly<Record<string, string>> = {
  "kubernetes.io/bootstrapping": "rbac-defaults",
};
export const BOOTSTRAP_ANNOTATIONS: Readonly<Record<string, string>> = {
  "rbac.authorization.kubernetes.io/autoupdate": "true",
};

function clusterRole(
  name: string,
  rules: Rule[] | undefined,
  opts: { labels?: Record<string, string>; aggregateFrom?: string } = {},
): KubeObject {
  const obj: KubeObject = {
    apiVersion: RBAC_API_VERSION,
    kind: "ClusterRole",
    metadata: {
      name,
      labels: { ...BOOTSTRAP_LABELS, ...opts.labels },
      annotations: { ...BOOTSTRAP_ANNOTATIONS },
    },
  };
  if (opts.aggregateFrom)
    obj.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [opts.aggregateFrom]: "true" } }] };
  obj.rules = rules ?? [];
  return obj;
}

const aggregateTo = (role: "admin" | "edit" | "view"): string =>
  `rbac.authorization.k8s.io/aggregate-to-${role}`;

function nodeRules(): Rule[] {
  return [
    rule(["create"], [AUTHENTICATION], ["tokenreviews"]),
    rule(["create"], [AUTHORIZATION], ["subjectaccessreviews", "localsubjectaccessreviews"]),
    rule(READ, [LEGACY], ["services"]),
    rule(["create", "get", "list", "watch"], [LEGACY], ["nodes"]),
    rule(["update", "patch"], [LEGACY], ["nodes/status"]),
    rule(["update", "patch"], [LEGACY], ["nodes"]),
    rule(["create", "update", "patch"], [LEGACY], ["events"]),
    rule(READ, [LEGACY], ["pods"]),
    rule(["create", "delete"], [LEGACY], ["pods"]),
    rule(["update", "patch"], [LEGACY], ["pods/status"]),
    rule(["create"], [LEGACY], ["pods/eviction"]),
    rule(["get", "list", "watch"], [LEGACY], ["secrets", "configmaps"]),
    rule(["get"], [LEGACY], ["persistentvolumeclaims", "persistentvolumes"]),
    rule(["get"], [LEGACY], ["endpoints"]),
    rule(["create", "get", "list", "watch"], [CERTIFICATES], ["certificatesigningrequests"]),
    rule(["get", "create", "update", "patch", "delete"], [COORDINATION], ["leases"]),
    rule(["get"], [STORAGE], ["volumeattachments"]),
    rule(["create"], [LEGACY], ["serviceaccounts/token"]),
    rule(["get", "update", "patch"], [LEGACY], ["persistentvolumeclaims/status"]),
    rule(["get", "watch", "list"], [STORAGE], ["csidrivers"]),
    rule(["get", "create", "update", "patch", "delete"], [STORAGE], ["csinodes"]),
    rule(["get", "list", "watch"], [NODE], ["runtimeclasses"]),
    rule(["get"], [RESOURCE], ["resourceclaims"]),
    rule(READ_WRITE, [RESOURCE], ["resourceslices"]),
  ];
}

/** The default ClusterRoles. */
export function bootstrapClusterRoles(): KubeObject[] {
  return [
    clusterRole("cluster-admin", [rule(["*"], ["*"], ["*"]), urls(["*"], "*")]),
    clusterRole("system:discovery", [
      urls(
        ["get"],
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
        "/healthz",
        "/livez",
        "/openapi",
        "/openapi/*",
        "/readyz",
        "/version",
        "/version/",
      ),
    ]),
    clusterRole("system:monitoring", [
      urls(
        ["get"],
        "/healthz",
        "/healthz/*",
        "/livez",
        "/livez/*",
        "/metrics",
        "/metrics/slis",
        "/readyz",
        "/readyz/*",
      ),
    ]),
    clusterRole("system:basic-user", [
      rule(["create"], [AUTHORIZATION], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
      rule(["create"], [AUTHENTICATION], ["selfsubjectreviews"]),
    ]),
    clusterRole("system:public-info-viewer", [
      urls(["get"], "/healthz", "/livez", "/readyz", "/version", "/version/"),
    ]),
    clusterRole("admin", undefined, { aggregateFrom: aggregateTo("admin") }),
    clusterRole("edit", undefined, {
      aggregateFrom: aggregateTo("edit"),
      labels: { [aggregateTo("admin")]: "true" },
    }),
    clusterRole("view", undefined, {
      aggregateFrom: aggregateTo("view"),
      labels: { [aggregateTo("edit")]: "true" },
    }),
    clusterRole(
      "system:aggregate-to-admin",
      [
        rule(["create"], [AUTHORIZATION], ["localsubjectaccessreviews"]),
        rule(READ_WRITE, [RBAC_GROUP], ["roles", "rolebindings"]),
      ],
      { labels: { [aggregateTo("admin")]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-edit",
      [
        rule(
          READ,
          [LEGACY],
          ["pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"],
        ),
        rule(["impersonate"], [LEGACY], ["serviceaccounts"]),
        rule(WRITE, [LEGACY], ["pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"]),
        rule(["create"], [LEGACY], ["pods/eviction"]),
        rule(
          WRITE,
          [LEGACY],
          [
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/proxy",
            "persistentvolumeclaims",
            "configmaps",
            "secrets",
            "events",
          ],
        ),
        rule(["create"], [LEGACY], ["serviceaccounts/token"]),
        rule(
          WRITE,
          [APPS],
          [
            "statefulsets",
            "statefulsets/scale",
            "daemonsets",
            "deployments",
            "deployments/scale",
            "deployments/rollback",
            "replicasets",
            "replicasets/scale",
          ],
        ),
        rule(WRITE, [AUTOSCALING], ["horizontalpodautoscalers"]),
        rule(WRITE, [BATCH], ["jobs", "cronjobs"]),
        rule(
          WRITE,
          [EXTENSIONS],
          [
            "daemonsets",
            "deployments",
            "deployments/scale",
            "deployments/rollback",
            "ingresses",
            "replicasets",
            "replicasets/scale",
            "replicationcontrollers/scale",
            "networkpolicies",
          ],
        ),
        rule(WRITE, [POLICY], ["poddisruptionbudgets"]),
        rule(WRITE, [NETWORKING], ["networkpolicies", "ingresses"]),
        rule(READ_WRITE, [COORDINATION], ["leases"]),
        rule(WRITE, [RESOURCE], ["resourceclaims", "resourceclaimtemplates"]),
      ],
      { labels: { [aggregateTo("edit")]: "true" } },
    ),
    clusterRole(
      "system:aggregate-to-view",
      [
        rule(
          READ,
          [LEGACY],
          [
            "pods",
            "replicationcontrollers",
            "replicationcontrollers/scale",
            "serviceaccounts",
            "services",
            "services/status",
            "endpoints",
            "persistentvolumeclaims",
            "persistentvolumeclaims/status",
            "configmaps",
          ],
        ),
        rule(
          READ,
          [LEGACY],
          [
            "limitranges",
            "resourcequotas",
            "bindings",
            "events",
            "pods/status",
            "resourcequotas/status",
            "namespaces/status",
            "replicationcontrollers/status",
            "pods/log",
          ],
        ),
        rule(READ, [LEGACY], ["namespaces"]),
        rule(READ, [DISCOVERY], ["endpointslices"]),
        rule(
          READ,
          [APPS],
          [
            "controllerrevisions",
            "statefulsets",
            "statefulsets/status",
            "statefulsets/scale",
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/status",
            "deployments/scale",
            "replicasets",
            "replicasets/status",
            "replicasets/scale",
          ],
        ),
        rule(READ, [AUTOSCALING], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        rule(READ, [BATCH], ["jobs", "cronjobs", "cronjobs/status", "jobs/status"]),
        rule(
          READ,
          [EXTENSIONS],
          [
            "daemonsets",
            "daemonsets/status",
            "deployments",
            "deployments/scale",
            "deployments/status",
            "ingresses",
            "ingresses/status",
            "replicasets",
            "replicasets/scale",
            "replicasets/status",
            "replicationcontrollers/scale",
            "networkpolicies",
          ],
        ),
        rule(READ, [POLICY], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        rule(READ, [NETWORKING], ["networkpolicies", "ingresses", "ingresses/status"]),
        rule(READ, [RESOURCE], ["resourceclaims", "resourceclaims/status", "resourceclaimtemplates"]),
      ],
      { labels: { [aggregateTo("view")]: "true" } },
    ),
    clusterRole("system:heapster", [
      rule(READ, [LEGACY], ["events", "pods", "nodes", "namespaces"]),
      rule(READ, [EXTENSIONS], ["deployments"]),
    ]),
    clusterRole("system:node", nodeRules()),
    clusterRole("system:node-problem-detector", [
      rule(["get"], [LEGACY], ["nodes"]),
      rule(["patch"], [LEGACY], ["nodes/status"]),
      eventsRule(),
    ]),
    clusterRole("system:kubelet-api-admin", [
      rule(["get", "list", "watch"], [LEGACY], ["nodes"]),
      rule(["proxy"], [LEGACY], ["nodes"]),
      rule(
        ["*"],
        [LEGACY],
        [
          "nodes/proxy",
          "nodes/metrics",
          "nodes/stats",
          "nodes/log",
          "nodes/healthz",
          "nodes/pods",
          "nodes/configz",
        ],
      ),
    ]),
    clusterRole("system:node-bootstrapper", [
      rule(["create", "get", "list", "watch"], [CERTIFICATES], ["certificatesigningrequests"]),
    ]),
    clusterRole("system:auth-delegator", [
      rule(["create"], [AUTHENTICATION], ["tokenreviews"]),
      rule(["create"], [AUTHORIZATION], ["subjectaccessreviews"]),
    ]),
    clusterRole("system:kube-aggregator", [rule(READ, [LEGACY], ["services", "endpoints"])]),
    clusterRole("system:kube-controller-manager", [
      eventsRule(),
      rule(["create"], [COORDINATION], ["leases"]),
      rule(["get", "update"], [COORDINATION], ["leases"], ["kube-controller-manager"]),
      rule(["create"], [LEGACY], ["secrets", "serviceaccounts"]),
      rule(["delete"], [LEGACY], ["secrets"]),
      rule(["get"], [LEGACY], ["configmaps", "namespaces", "secrets", "serviceaccounts"]),
      rule(["update"], [LEGACY], ["secrets", "serviceaccounts"]),
      rule(["create"], [AUTHENTICATION], ["tokenreviews"]),
      rule(["create"], [AUTHORIZATION], ["subjectaccessreviews"]),
      rule(["list", "watch"], ["*"], ["*"]),
      rule(["create"], [LEGACY], ["serviceaccounts/token"]),
    ]),
    clusterRole("system:kube-dns", [rule(["list", "watch"], [LEGACY], ["endpoints", "services"])]),
    clusterRole("system:persistent-volume-provisioner", [
      rule(["get", "list", "watch", "create", "delete"], [LEGACY], ["persistentvolumes"]),
      rule(["get", "list", "watch", "update"], [LEGACY], ["persistentvolumeclaims"]),
      rule(READ, [STORAGE], ["storageclasses"]),
      rule(["watch"], [LEGACY], ["events"]),
      eventsRule(),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [
      rule(["create"], [CERTIFICATES], ["certificatesigningrequests/nodeclient"]),
    ]),
    clusterRole("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [
      rule(["create"], [CERTIFICATES], ["certificatesigningrequests/selfnodeclient"]),
    ]),
    clusterRole("system:volume-scheduler", [
      rule(READ_UPDATE, [LEGACY], ["persistentvolumes"]),
      rule(READ, [STORAGE], ["storageclasses"]),
      rule(READ_UPDATE, [LEGACY], ["persistentvolumeclaims"]),
    ]),
    clusterRole("system:certificates.k8s.io:legacy-unknown-approver", [
      rule(["approve"], [CERTIFICATES], ["signers"], ["kubernetes.io/legacy-unknown"]),
    ]),
    clusterRole("system:certificates.k8s.io:kubelet-serving-approver", [
      rule(["approve"], [CERTIFICATES], ["signers"], ["kubernetes.io/kubelet-serving"]),
    ]),
    clusterRole("system:certificates.k8s.io:kube-apiserver-client-approver", [
      rule(["approve"], [CERTIFICATES], ["signers"], ["kubernetes.io/kube-apiserver-client"]),
    ]),
    clusterRole("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [
      rule(["approve"], [CERTIFICATES], ["signers"], ["kubernetes.io/kube-apiserver-client-kubelet"]),
    ]),
    clusterRole("system:service-account-issuer-discovery", [
      urls(
        ["get"],
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/",
        "/openid/v1/jwks",
        "/openid/v1/jwks/",
      ),
    ]),
    clusterRole("system:kube-scheduler", [
      eventsRule(),
      rule(["create"], [COORDINATION], ["leases"]),
      rule(["get", "update"], [COORDINATION], ["leases"], ["kube-scheduler"]),
      rule(READ, [LEGACY], ["nodes"]),
      rule(["get", "list", "watch", "delete"], [LEGACY], ["pods"]),
      rule(["create"], [LEGACY], ["pods/binding", "bindings"]),
      rule(["patch", "update"], [LEGACY], ["pods/status"]),
      rule(READ, [LEGACY], ["services", "replicationcontrollers"]),
      rule(READ, [APPS, EXTENSIONS], ["replicasets"]),
      rule(READ, [APPS], ["statefulsets"]),
      rule(READ, [POLICY], ["poddisruptionbudgets"]),
      rule(READ, [LEGACY], ["persistentvolumeclaims", "persistentvolumes"]),
      rule(["create"], [AUTHENTICATION], ["tokenreviews"]),
      rule(["create"], [AUTHORIZATION], ["subjectaccessreviews"]),
      rule(READ, [STORAGE], ["csinodes"]),
      rule(READ, [LEGACY], ["namespaces"]),
      rule(READ, [STORAGE], ["csidrivers"]),
      rule(READ, [STORAGE], ["csistoragecapacities"]),
      rule(READ, [RESOURCE], ["resourceclaims", "deviceclasses", "resourceslices"]),
      rule(["get", "list", "watch", "update", "patch"], [RESOURCE], ["resourceclaims/status"]),
    ]),
    clusterRole("system:node-proxier", [
      rule(["list", "watch"], [LEGACY], ["services", "endpoints"]),
      rule(["get", "list", "watch"], [LEGACY], ["nodes"]),
      eventsRule(),
      rule(["list", "watch"], [DISCOVERY], ["endpointslices"]),
    ]),
  ];
}

type SubjectSpec =
  { kind: "User" | "Group"; name: string } | { kind: "ServiceAccount"; name: string; namespace: string };

function clusterBinding(role: string, subjects: SubjectSpec[]): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind: "ClusterRoleBinding",
    metadata: { name: role, labels: { ...BOOTSTRAP_LABELS }, annotations: { ...BOOTSTRAP_ANNOTATIONS } },
    roleRef: { apiGroup: RBAC_GROUP, kind: "ClusterRole", name: role },
    subjects: subjects.map((s) =>
      s.kind === "ServiceAccount"
        ? { kind: s.kind, name: s.name, namespace: s.namespace }
        : { apiGroup: RBAC_GROUP, kind: s.kind, name: s.name },
    ),
  };
}

const group = (name: string): SubjectSpec => ({ kind: "Group", name });
const user = (name: string): SubjectSpec => ({ kind: "User", name });

/** The default ClusterRoleBindings (system:node keeps an empty subject list, as upstream). */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  return [
    clusterBinding("cluster-admin", [group("system:masters")]),
    clusterBinding("system:monitoring", [group("system:monitoring")]),
    clusterBinding("system:discovery", [group("system:authenticated")]),
    clusterBinding("system:basic-user", [group("system:authenticated")]),
    clusterBinding("system:public-info-viewer", [
      group("system:authenticated"),
      group("system:unauthenticated"),
    ]),
    clusterBinding("system:node-proxier", [user("system:kube-proxy")]),
    clusterBinding("system:kube-controller-manager", [user("system:kube-controller-manager")]),
    clusterBinding("system:kube-dns", [
      { kind: "ServiceAccount", name: "kube-dns", namespace: "kube-system" },
    ]),
    clusterBinding("system:kube-scheduler", [user("system:kube-scheduler")]),
    clusterBinding("system:volume-scheduler", [user("system:kube-scheduler")]),
    clusterBinding("system:node", []),
    clusterBinding("system:service-account-issuer-discovery", [group("system:serviceaccounts")]),
  ];
}

/** ClusterRoles then ClusterRoleBindings: what kube-apiserver reconciles at start-up. */
export function bootstrapPolicy(): KubeObject[] {
  return [...bootstrapClusterRoles(), ...bootstrapClusterRoleBindings()];
}
