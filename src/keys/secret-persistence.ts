/**
 * Cluster mode: the signing and sealing keys in one Secret (default kubeiam-system/kubeiam-keys,
 * fields signing.json and sealing.json) and the access-key secrets in another
 * (kubeiam-access-keys, field access-keys.json), so every replica serves the same JWKS, verifies
 * the same session tokens and accepts the same access keys. A rotation written by one replica is
 * seen by the others through the Secret's watch; writes are optimistic (STORE_CONFLICT when the
 * field changed since this process read it).
 */
import { KubeiamError } from "../lib/errors.js";
import type { AccessKeyPersistence } from "../iam/access-keys.js";
import type { KubeApi } from "../store/kube/client.js";
import { SecretFiles, type SecretFilesOptions } from "../store/kube/secret-files.js";
import { KeyManager, type KeyManagerOptions, type KeyPersistence } from "./manager.js";

export const KEYS_SECRET = "kubeiam-keys";
export const ACCESS_KEYS_SECRET = "kubeiam-access-keys";
const ACCESS_KEYS_FIELD = "access-keys.json";

export class SecretKeyPersistence implements KeyPersistence {
  constructor(readonly files: SecretFiles) {}

  static inCluster(
    api: KubeApi,
    namespace: string,
    opts: SecretFilesOptions & { name?: string } = {},
  ): SecretKeyPersistence {
    return new SecretKeyPersistence(
      new SecretFiles(api, { namespace, name: opts.name ?? KEYS_SECRET }, opts),
    );
  }

  read(name: "signing" | "sealing"): Promise<string | undefined> {
    return this.files.read(`${name}.json`);
  }

  write(name: "signing" | "sealing", text: string): Promise<void> {
    return this.files.write(`${name}.json`, text);
  }

  watch(onChange: () => void): () => void {
    return this.files.watch(onChange);
  }

  describe(name: "signing" | "sealing"): string {
    return this.files.describe(`${name}.json`);
  }
}

export class SecretAccessKeyPersistence implements AccessKeyPersistence {
  constructor(readonly files: SecretFiles) {}

  static inCluster(
    api: KubeApi,
    namespace: string,
    opts: SecretFilesOptions & { name?: string } = {},
  ): SecretAccessKeyPersistence {
    return new SecretAccessKeyPersistence(
      new SecretFiles(api, { namespace, name: opts.name ?? ACCESS_KEYS_SECRET }, opts),
    );
  }

  read(): Promise<string | undefined> {
    return this.files.read(ACCESS_KEYS_FIELD);
  }

  write(text: string): Promise<void> {
    return this.files.write(ACCESS_KEYS_FIELD, text);
  }

  watch(onChange: () => void): () => void {
    return this.files.watch(onChange);
  }

  describe(): string {
    return this.files.describe(ACCESS_KEYS_FIELD);
  }
}

/**
 * Runs `op`, retrying (after a short, growing pause) while it fails with STORE_CONFLICT: two
 * replicas starting at once both find no key and both write one; the one that loses reads the
 * winner's on its next try.
 */
export async function retryOnConflict<T>(op: () => Promise<T>, attempts = 5, pauseMs = 100): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (e) {
      if (!(e instanceof KubeiamError && e.code === "STORE_CONFLICT") || i >= attempts) throw e;
      await new Promise((r) => setTimeout(r, pauseMs * i));
    }
  }
}

/** KeyManager.open over shared persistence, tolerating a concurrent first start. */
export function openSharedKeyManager(
  persistence: KeyPersistence,
  opts: KeyManagerOptions,
): Promise<KeyManager> {
  return retryOnConflict(() => KeyManager.open(persistence, opts));
}
