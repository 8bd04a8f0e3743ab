/**
 * Named text files kept in one Secret (`data.<field>`, base64), for what kubeiam keeps out of the
 * object store in cluster mode: signing and sealing keys, access-key secrets.
 *
 * Writes are optimistic per field: a write is based on the value this process last read or wrote
 * for that field; when another process changed that field since, the write fails with
 * STORE_CONFLICT (read again and retry). Changes to other fields of the same Secret are merged
 * (the PUT carries the Secret's resourceVersion and is retried when another writer gets in
 * between). The Secret (and its namespace, when allowed) is created on the first write.
 */
import { KubeiamError } from "../../lib/errors.js";
import type { KubeApi } from "./client.js";
import { KubeApiError, toStoreError } from "./errors.js";
import { Reflector, resourceVersionOf, type RawObject } from "./reflector.js";

export interface SecretRef {
  namespace: string;
  name: string;
}

export interface SecretFilesOptions {
  /** Labels put on the Secret when kubeiam creates it. */
  labels?: Record<string, string>;
  /** Create the namespace when it does not exist (default true). */
  createNamespace?: boolean;
  /** Problems of the watch (it retries by itself). */
  onProblem?: (message: string) => void;
  /** Attempts when other writers keep changing the Secret; default 5. */
  maxAttempts?: number;
}

const isRecord = (v: unknown): v is RawObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** The decoded text of `data[field]`, or undefined. */
export function secretField(secret: RawObject, field: string): string | undefined {
  const data = secret.data;
  if (!isRecord(data)) return undefined;
  const v = data[field];
  return typeof v === "string" ? Buffer.from(v, "base64").toString("utf8") : undefined;
}

export class SecretFiles {
  /** field → value this process last read or wrote (null: read as absent). */
  private readonly seen = new Map<string, string | null>();

  constructor(
    private readonly api: KubeApi,
    readonly ref: SecretRef,
    private readonly opts: SecretFilesOptions = {},
  ) {}

  private get path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/secrets/${encodeURIComponent(this.ref.name)}`;
  }

  describe(field: string): string {
    return `Secret ${this.ref.namespace}/${this.ref.name} (${field})`;
  }

  private async fetch(): Promise<RawObject | undefined> {
    try {
      const body = await this.api.request("GET", this.path);
      return isRecord(body) ? body : undefined;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw this.mapped(e, "get");
    }
  }

  private mapped(e: unknown, op: "get" | "create" | "replace"): unknown {
    return e instanceof KubeApiError
      ? toStoreError(e, {
          op,
          kind: "Secret",
          plural: "secrets",
          name: this.ref.name,
          namespace: this.ref.namespace,
        })
      : e;
  }

  async read(field: string): Promise<string | undefined> {
    const secret = await this.fetch();
    const v = secret ? secretField(secret, field) : undefined;
    this.seen.set(field, v ?? null);
    return v;
  }

  async write(field: string, text: string): Promise<void> {
    const attempts = this.opts.maxAttempts ?? 5;
    let namespaceCreated = false;
    for (let i = 1; ; i++) {
      const secret = await this.fetch();
      const current = secret ? (secretField(secret, field) ?? null) : null;
      const basis = this.seen.get(field);
      if (basis !== undefined && basis !== current) {
        this.seen.delete(field);
        throw new KubeiamError(
          "STORE_CONFLICT",
          `${this.describe(field)} was changed by another process since it was read; read it again and retry`,
          { secret: `${this.ref.namespace}/${this.ref.name}`, field },
        );
      }
      const encoded = Buffer.from(text, "utf8").toString("base64");
      try {
        if (!secret) {
          const labels = this.opts.labels ?? { "app.kubernetes.io/managed-by": "kubeiam" };
          await this.api.request(
            "POST",
            `/api/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/secrets`,
            {
              body: {
                apiVersion: "v1",
                kind: "Secret",
                metadata: { name: this.ref.name, namespace: this.ref.namespace, labels },
                type: "Opaque",
                data: { [field]: encoded },
              },
            },
          );
        } else {
          const data = isRecord(secret.data) ? { ...secret.data } : {};
          data[field] = encoded;
          await this.api.request("PUT", this.path, { body: { ...secret, data } });
        }
        this.seen.set(field, text);
        return;
      } catch (e) {
        if (
          e instanceof KubeApiError &&
          e.status === 404 &&
          e.details.kind === "namespaces" &&
          !namespaceCreated &&
          this.opts.createNamespace !== false
        ) {
          namespaceCreated = true;
          await this.createNamespace();
          continue;
        }
        if (
          e instanceof KubeApiError &&
          (e.status === 409 || (e.status === 404 && secret !== undefined)) &&
          i < attempts
        )
          continue;
        throw this.mapped(e, secret ? "replace" : "create");
      }
    }
  }

  private async createNamespace(): Promise<void> {
    try {
      await this.api.request("POST", "/api/v1/namespaces", {
        body: { apiVersion: "v1", kind: "Namespace", metadata: { name: this.ref.namespace } },
      });
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) return;
      throw e instanceof KubeApiError
        ? toStoreError(e, { op: "create", kind: "Namespace", plural: "namespaces", name: this.ref.namespace })
        : e;
    }
  }

  /**
   * Calls `onChange` (debounced) whenever the Secret changes after the watch started: a rotation
   * or a new access key written by another replica or by the CLI.
   */
  watch(onChange: () => void): () => void {
    let lastRv: string | null | undefined = null; // null: not listed yet
    let timer: NodeJS.Timeout | undefined;
    const changed = (rv: string | undefined): void => {
      if (lastRv === null) {
        lastRv = rv;
        return;
      }
      if (rv === lastRv) return;
      lastRv = rv;
      if (timer) clearTimeout(timer);
      timer = setTimeout(onChange, 30);
      timer.unref();
    };
    const reflector = new Reflector(
      this.api,
      {
        path: `/api/v1/namespaces/${encodeURIComponent(this.ref.namespace)}/secrets`,
        fieldSelector: `metadata.name=${this.ref.name}`,
      },
      {
        replace: (items) => changed(items[0] ? resourceVersionOf(items[0]) : undefined),
        event: (type, obj) => changed(type === "DELETED" ? undefined : resourceVersionOf(obj)),
        problem: (message) => this.opts.onProblem?.(`watching ${this.describe("*")}: ${message}`),
      },
    );
    reflector.run();
    return () => {
      if (timer) clearTimeout(timer);
      void reflector.stop();
    };
  }
}
