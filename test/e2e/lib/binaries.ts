/**
 * Locates the kube-apiserver and etcd binaries of the e2e tests, building them first with
 * scripts/e2e-build.sh when the version-keyed cache (outside the repo) lacks them. The build
 * prints its progress to this process's stderr.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export interface E2eBinaries {
  kubeApiServer: string;
  etcd: string;
  k8sVersion: string;
  etcdVersion: string;
}

/** Why binaries are unavailable: a missing prerequisite (no Go, no module proxy) or a failed build. */
export class E2eBinariesUnavailable extends Error {
  constructor(
    message: string,
    readonly reason: "prerequisite-missing" | "build-failed",
  ) {
    super(message);
    this.name = "E2eBinariesUnavailable";
  }
}

export const BUILD_SCRIPT = fileURLToPath(new URL("../../../scripts/e2e-build.sh", import.meta.url));

/** Exit code of scripts/e2e-build.sh when Go or the module proxy is missing. */
const EXIT_PREREQUISITE = 2;

function parsePaths(stdout: string): E2eBinaries | undefined {
  const kv = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const kubeApiServer = kv.get("KUBE_APISERVER");
  const etcd = kv.get("ETCD");
  const k8sVersion = kv.get("K8S_VERSION");
  const etcdVersion = kv.get("ETCD_VERSION");
  if (!kubeApiServer || !etcd || !k8sVersion || !etcdVersion) return undefined;
  return { kubeApiServer, etcd, k8sVersion, etcdVersion };
}

let pending: Promise<E2eBinaries> | undefined;

/**
 * Returns the binaries, building what is missing (minutes on a cold cache). Concurrent callers in
 * one process share one build; across processes the script serialises builds with a lock file.
 * KUBEIAM_E2E_KUBE_APISERVER and KUBEIAM_E2E_ETCD, when both set, name prebuilt binaries instead.
 */
export function ensureE2eBinaries(): Promise<E2eBinaries> {
  const kubeApiServer = process.env["KUBEIAM_E2E_KUBE_APISERVER"];
  const etcd = process.env["KUBEIAM_E2E_ETCD"];
  if (kubeApiServer && etcd) {
    return Promise.resolve({ kubeApiServer, etcd, k8sVersion: "external", etcdVersion: "external" });
  }
  pending ??= runBuild().finally(() => {
    pending = undefined;
  });
  return pending;
}

function runBuild(): Promise<E2eBinaries> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [BUILD_SCRIPT, "build"], { stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    child.on("error", (err) => {
      reject(
        new E2eBinariesUnavailable(`cannot run ${BUILD_SCRIPT}: ${err.message}`, "prerequisite-missing"),
      );
    });
    child.on("close", (code) => {
      const paths = parsePaths(stdout);
      if (code === 0 && paths) {
        resolve(paths);
        return;
      }
      if (code === EXIT_PREREQUISITE) {
        reject(
          new E2eBinariesUnavailable(
            "the Go toolchain or the Go module proxy is missing (scripts/e2e-build.sh exit 2; details on stderr above)",
            "prerequisite-missing",
          ),
        );
      } else {
        reject(
          new E2eBinariesUnavailable(
            `building kube-apiserver/etcd with scripts/e2e-build.sh failed (exit ${code ?? "by signal"}); see its messages on stderr above`,
            "build-failed",
          ),
        );
      }
    });
  });
}
