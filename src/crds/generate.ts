/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1) for kubeiam's kinds, generated from
 * definitions.ts and the kind table: group kubeiam.io, version v1alpha1, cluster-scoped,
 * category `kubeiam` (`kubectl get kubeiam` lists them all). Pure.
 */
import { stringify } from "yaml";
import { KINDS } from "../store/kinds.js";
import type { KubeObject } from "../store/types.js";
import { KUBEIAM_API_VERSION, KUBEIAM_GROUP } from "../store/types.js";
import { CRD_DEFINITIONS, type CrdDefinition, type JsonSchema } from "./definitions.js";

export const CRD_API_VERSION = "apiextensions.k8s.io/v1";
export const KUBEIAM_VERSION = KUBEIAM_API_VERSION.slice(KUBEIAM_GROUP.length + 1);

/** The kubeiam kinds (those of group kubeiam.io in the kind table). */
export function kubeiamKinds(): string[] {
  return Object.entries(KINDS)
    .filter(([, info]) => info.apiVersions[0] === KUBEIAM_API_VERSION)
    .map(([kind]) => kind);
}

export function crdName(def: Pick<CrdDefinition, "plural">): string {
  return `${def.plural}.${KUBEIAM_GROUP}`;
}

/** One CustomResourceDefinition. */
export function crdFor(def: CrdDefinition): KubeObject {
  const info = KINDS[def.kind];
  if (!info) throw new Error(`crdFor: ${def.kind} is not in the kind table`);
  const spec: JsonSchema = {
    type: "object",
    description: `Desired state of the ${def.kind}. Fields not listed here are kept as written and checked by kubeiam.`,
    "x-kubernetes-preserve-unknown-fields": true,
  };
  if (Object.keys(def.spec).length > 0) spec.properties = def.spec;
  const names: Record<string, unknown> = {
    kind: def.kind,
    listKind: `${def.kind}List`,
    plural: def.plural,
    singular: def.singular,
    categories: ["kubeiam"],
  };
  if (def.shortNames) names.shortNames = def.shortNames;
  return {
    apiVersion: CRD_API_VERSION,
    kind: "CustomResourceDefinition",
    metadata: {
      name: crdName(def),
      labels: { "app.kubernetes.io/name": "kubeiam", "app.kubernetes.io/part-of": "kubeiam" },
    },
    spec: {
      group: KUBEIAM_GROUP,
      scope: info.namespaced ? "Namespaced" : "Cluster",
      names,
      versions: [
        {
          name: KUBEIAM_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              description: def.description,
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec,
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
          additionalPrinterColumns: def.columns,
        },
      ],
    },
  };
}

/** Every kubeiam CRD, in the kind table's order. */
export function kubeiamCrds(): KubeObject[] {
  const byKind = new Map(CRD_DEFINITIONS.map((d) => [d.kind, d]));
  return kubeiamKinds().map((kind) => {
    const def = byKind.get(kind);
    if (!def) throw new Error(`no CRD definition for kubeiam kind ${kind} (src/crds/definitions.ts)`);
    return crdFor(def);
  });
}

/** Multi-document YAML, as `kubectl apply -f -` takes it. */
export function crdsYaml(crds: readonly KubeObject[] = kubeiamCrds()): string {
  return crds.map((c) => stringify(c, { lineWidth: 0 })).join("---\n");
}
