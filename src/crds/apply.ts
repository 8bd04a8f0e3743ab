/**
 * Installs kubeiam's CRDs into a cluster: server-side apply (field manager `kubeiam`, forced, so
 * re-running upgrades what an older kubeiam installed), then waits until each is Established
 * (its API is served) — a store started right after sees the kinds.
 */
import { KubeiamError } from "../lib/errors.js";
import type { KubeApi } from "../store/kube/client.js";
import { KubeApiError } from "../store/kube/errors.js";
import type { KubeObject } from "../store/types.js";

export type ApplyAction = "created" | "configured" | "unchanged";

export interface AppliedCrd {
  name: string;
  action: ApplyAction;
  established: boolean;
}

export interface ApplyCrdsOptions {
  /** How long to wait for Established, ms; default 60 s. */
  timeoutMs?: number;
  /** Poll interval while waiting, ms; default 200. */
  pollMs?: number;
  onProgress?: (line: string) => void;
}

const CRD_PATH = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Whether a CRD's status says Established=True (and NamesAccepted is not False). */
export function isEstablished(crd: unknown): boolean {
  if (!isRecord(crd) || !isRecord(crd.status) || !Array.isArray(crd.status.conditions)) return false;
  const conds = crd.status.conditions.filter(isRecord);
  const cond = (t: string): unknown => conds.find((c) => c.type === t)?.status;
  return cond("Established") === "True" && cond("NamesAccepted") !== "False";
}

function rvOf(o: unknown): string | undefined {
  return isRecord(o) && isRecord(o.metadata) && typeof o.metadata.resourceVersion === "string"
    ? o.metadata.resourceVersion
    : undefined;
}

function apiError(e: unknown, what: string): unknown {
  if (!(e instanceof KubeApiError)) return e;
  return new KubeiamError(
    "KUBE_API_ERROR",
    `cannot ${what}: the API server answered ${e.status}${e.reason ? ` ${e.reason}` : ""}: ${e.message}`,
    { status: e.status, reason: e.reason },
  );
}

async function getCrd(api: KubeApi, name: string): Promise<unknown> {
  try {
    return await api.request("GET", `${CRD_PATH}/${encodeURIComponent(name)}`);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw apiError(e, `read CustomResourceDefinition ${name}`);
  }
}

export async function applyCrds(
  api: KubeApi,
  crds: readonly KubeObject[],
  opts: ApplyCrdsOptions = {},
): Promise<AppliedCrd[]> {
  const results: AppliedCrd[] = [];
  for (const crd of crds) {
    const name = crd.metadata.name;
    const before = await getCrd(api, name);
    let after: unknown;
    try {
      after = await api.request("PATCH", `${CRD_PATH}/${encodeURIComponent(name)}`, {
        query: { fieldManager: "kubeiam", force: "true" },
        body: crd,
        contentType: "application/apply-patch+yaml",
      });
    } catch (e) {
      throw apiError(e, `apply CustomResourceDefinition ${name}`);
    }
    const action: ApplyAction =
      before === undefined ? "created" : rvOf(before) === rvOf(after) ? "unchanged" : "configured";
    opts.onProgress?.(`customresourcedefinition.apiextensions.k8s.io/${name} ${action}`);
    results.push({ name, action, established: isEstablished(after) });
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (const r of results) {
    while (!r.established) {
      if (Date.now() > deadline) {
        throw new KubeiamError(
          "KUBE_API_ERROR",
          `CustomResourceDefinition ${r.name} was applied but is not Established after ${opts.timeoutMs ?? 60_000} ms; see \`kubectl describe crd ${r.name}\``,
          { name: r.name },
        );
      }
      await new Promise((res) => setTimeout(res, opts.pollMs ?? 200));
      r.established = isEstablished(await getCrd(api, r.name));
    }
    opts.onProgress?.(`customresourcedefinition.apiextensions.k8s.io/${r.name} established`);
  }
  return results;
}
