/**
 * Shared by the cluster-mode e2e tests (store conformance, two replicas): the skip rule, a Kubernetes
 * API client for the harness's admin kubeconfig, CRD installation, and polling.
 */
import { KubeClient } from "../../src/store/kube/client.js";
import { applyCrds } from "../../src/crds/apply.js";
import { kubeiamCrds } from "../../src/crds/generate.js";
import { ensureE2eBinaries, E2eBinariesUnavailable, type E2eBinaries } from "./harness.js";

/** The binaries, or why the tests are skipped (no Go toolchain or module proxy, outside CI). */
export async function binariesOrSkip(): Promise<{ binaries: E2eBinaries; skip: false } | { skip: string }> {
  try {
    return { binaries: await ensureE2eBinaries(), skip: false };
  } catch (err) {
    if (
      err instanceof E2eBinariesUnavailable &&
      err.reason === "prerequisite-missing" &&
      process.env["CI"] !== "true"
    ) {
      const skip = `kube-apiserver/etcd cannot be built here (${err.message}); see docs/e2e.md`;
      process.stderr.write(`[e2e] SKIPPING: ${skip}\n`);
      return { skip };
    }
    throw err;
  }
}

export function adminClient(kubeconfig: string): KubeClient {
  return KubeClient.fromKubeconfig({ kubeconfig });
}

/** Installs kubeiam's CRDs and waits until they are served. */
export async function installCrds(kubeconfig: string): Promise<void> {
  const api = adminClient(kubeconfig);
  try {
    await applyCrds(api, kubeiamCrds(), { timeoutMs: 60_000 });
  } finally {
    api.close();
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ""}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
