/**
 * `kubeiam tenant render TENANT`, `kubeiam tenant list`, `kubeiam tenant validate [-f FILE…]`, and
 * `kubeiam webhook manifests` (added to the `webhook` group by addWebhookManifestsCommand).
 * Offline: they read the object directory (or the given files). Exit 0 ok, 1 a negative answer
 * (unknown tenant, invalid tenant), 2 bad usage or input.
 */
import type { Command } from "commander";
import { readFile, stat } from "node:fs/promises";
import { stringify } from "yaml";
import { KubeiamError } from "../lib/errors.js";
import { ensureTls } from "../keys/tls.js";
import { parseObjectFile } from "../store/directory-store.js";
import type { KubeObject } from "../store/types.js";
import { renderTenant } from "../tenancy/render-tenant.js";
import { TenantIndex } from "../tenancy/tenant-index.js";
import { parseTenant, tenantFromObject } from "../tenancy/tenant.js";
import { webhookManifests, type WebhookTarget } from "../tenancy/webhook-manifests.js";
import { collect, configFrom, openObjects, withStateOptions, type StateFlags } from "./common.js";
import { CliExit, type CliIO } from "./io.js";

export type ManifestFormat = "yaml" | "json";

function manifestFormat(v: string | undefined): ManifestFormat {
  const f = v ?? "yaml";
  if (f !== "yaml" && f !== "json")
    throw new KubeiamError("USAGE", `unknown output format "${f}"; use one of: yaml, json`);
  return f;
}

/** Objects as a YAML stream (`---` separated) or a JSON `List`. */
export function printObjects(io: CliIO, format: ManifestFormat, objects: readonly KubeObject[]): void {
  if (format === "json") io.out(JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }, null, 2));
  else io.out(objects.map((o) => stringify(o, { lineWidth: 0 }).trimEnd()).join("\n---\n"));
}

function tenantSummary(t: ReturnType<typeof tenantFromObject>): string {
  const ns = [
    ...t.namespaces.names,
    ...(t.namespaces.prefix !== undefined ? [`${t.namespaces.prefix}*`] : []),
    ...(t.namespaces.selector ? ["(selector)"] : []),
  ].join(", ");
  const owners = [
    ...t.owners.users.map((u) => `user:${u}`),
    ...t.owners.groups.map((g) => `group:${g}`),
    ...t.owners.iamArns,
  ].join(", ");
  return `${t.name}\tnamespaces: ${ns}\towners: ${owners}\tpod security: ${t.podSecurity.level}:${t.podSecurity.version}${t.nodeIsolation ? `\tnodes: ${t.nodeIsolation.key}=${t.nodeIsolation.value}` : ""}`;
}

async function readObjectFiles(
  files: readonly string[],
): Promise<{ objects: KubeObject[]; problems: string[] }> {
  const objects: KubeObject[] = [];
  const problems: string[] = [];
  for (const f of files) {
    let text: string;
    try {
      const s = await stat(f);
      if (!s.isFile()) throw new KubeiamError("INPUT_INVALID", `${f}: not a regular file`);
      if (s.size > 8 * 1024 * 1024)
        throw new KubeiamError("INPUT_INVALID", `${f}: ${s.size} bytes is larger than the 8 MiB limit`);
      text = await readFile(f, "utf8");
    } catch (e) {
      if (e instanceof KubeiamError) throw e;
      throw new KubeiamError(
        "INPUT_INVALID",
        `${f}: cannot read: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
        { file: f },
      );
    }
    const r = parseObjectFile(text, f);
    objects.push(...r.objects);
    for (const p of r.problems)
      problems.push(`${p.source}${p.line !== undefined ? `:${p.line}:${p.col ?? 0}` : ""}: ${p.message}`);
  }
  return { objects, problems };
}

export function registerTenantCommands(program: Command, io: CliIO): void {
  const tenant = program
    .command("tenant")
    .description("tenants: list, validate, and render the objects a tenant needs");

  withStateOptions(
    tenant
      .command("render")
      .argument("<tenant>", "name of the Tenant")
      .description(
        "print the Namespaces, NetworkPolicies, ResourceQuota, LimitRange and RBAC a tenant needs (kubectl apply -f -)",
      ),
  )
    .option("-o, --output <format>", "output format: yaml|json", "yaml")
    .option("--owner-role <name>", "ClusterRole bound to the owners in each namespace", "admin")
    .action(async (name: string, flags: StateFlags & { output: string; ownerRole: string }) => {
      const format = manifestFormat(flags.output);
      const state = await openObjects(configFrom(flags));
      try {
        const obj = state.cache.get({ kind: "Tenant", name });
        if (!obj) {
          const known = state.cache
            .list("Tenant")
            .map((t) => t.metadata.name)
            .sort();
          io.err(
            `error: no Tenant "${name}" in ${state.config.objectsDir}${known.length > 0 ? ` (known: ${known.join(", ")})` : ""}`,
          );
          throw new CliExit(1);
        }
        const t = tenantFromObject(obj);
        const index = new TenantIndex([t]);
        const existing = state.cache
          .list("Namespace")
          .filter((n) => index.ownerOf(n.metadata.name, n.metadata.labels ?? {})?.tenant === t)
          .map((n) => ({ name: n.metadata.name, labels: n.metadata.labels }));
        const r = renderTenant(t, { existingNamespaces: existing, ownerClusterRole: flags.ownerRole });
        for (const n of r.notes) io.err(`note: ${n}`);
        printObjects(io, format, r.objects);
      } finally {
        await state.close();
      }
    });

  withStateOptions(
    tenant.command("list").description("list tenants with their namespaces, owners and policies"),
  )
    .option("-o, --output <format>", "output format: text|json", "text")
    .action(async (flags: StateFlags & { output: string }) => {
      if (flags.output !== "text" && flags.output !== "json")
        throw new KubeiamError("USAGE", `unknown output format "${flags.output}"; use one of: text, json`);
      const state = await openObjects(configFrom(flags));
      try {
        const rows = state.cache
          .list("Tenant")
          .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
          .map((o) => ({ name: o.metadata.name, ...parseTenant(o) }));
        if (flags.output === "json")
          io.out(
            JSON.stringify(
              {
                tenants: rows.map((r) => ({
                  name: r.name,
                  valid: r.tenant !== undefined,
                  problems: r.problems,
                  tenant: r.tenant,
                })),
              },
              null,
              2,
            ),
          );
        else
          io.out(
            rows.length === 0
              ? "no tenants"
              : rows
                  .map((r) =>
                    r.tenant ? tenantSummary(r.tenant) : `${r.name}\tINVALID: ${r.problems.join("; ")}`,
                  )
                  .join("\n"),
          );
      } finally {
        await state.close();
      }
    });

  withStateOptions(
    tenant
      .command("validate")
      .description(
        "check Tenant objects (from files, or the object directory) and report every problem with its field",
      ),
  )
    .option("-f, --filename <file>", "file with Tenant objects (repeatable)", collect, [])
    .option("-o, --output <format>", "output format: text|json", "text")
    .action(async (flags: StateFlags & { filename: string[]; output: string }) => {
      if (flags.output !== "text" && flags.output !== "json")
        throw new KubeiamError("USAGE", `unknown output format "${flags.output}"; use one of: text, json`);
      let objects: KubeObject[];
      const loadProblems: string[] = [];
      if (flags.filename.length > 0) {
        const r = await readObjectFiles(flags.filename);
        objects = r.objects.filter((o) => o.kind === "Tenant");
        loadProblems.push(...r.problems);
      } else {
        const state = await openObjects(configFrom(flags));
        objects = state.cache.list("Tenant");
        await state.close();
      }
      const results = objects.map((o) => ({ name: o.metadata.name, problems: [...parseTenant(o).problems] }));
      const conflicts = new TenantIndex(objects.flatMap((o) => parseTenant(o).tenant ?? []))
        .conflicts()
        .map((c) => c.message);
      const ok =
        loadProblems.length === 0 && conflicts.length === 0 && results.every((r) => r.problems.length === 0);
      if (flags.output === "json")
        io.out(JSON.stringify({ valid: ok, tenants: results, conflicts, loadProblems }, null, 2));
      else {
        const lines: string[] = [];
        for (const p of loadProblems) lines.push(`✗ ${p}`);
        for (const r of results)
          lines.push(
            r.problems.length === 0
              ? `✓ Tenant ${r.name}`
              : `✗ Tenant ${r.name}\n${r.problems.map((p) => `    ${p}`).join("\n")}`,
          );
        for (const c of conflicts) lines.push(`✗ conflict: ${c}`);
        if (results.length === 0 && loadProblems.length === 0) lines.push("no Tenant objects found");
        io.out(lines.join("\n"));
      }
      if (!ok) throw new CliExit(1);
    });
}

function parseService(v: string): WebhookTarget {
  const m = /^([^/]+)\/([^:]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) throw new KubeiamError("USAGE", `--service: expected NAMESPACE/NAME[:PORT], found "${v}"`);
  return { service: { namespace: m[1]!, name: m[2]!, port: m[3] === undefined ? 443 : Number(m[3]) } };
}

/** Adds `manifests` to the `webhook` command group. */
export function addWebhookManifestsCommand(webhookGroup: Command, io: CliIO): void {
  withStateOptions(
    webhookGroup
      .command("manifests")
      .description(
        "print the Mutating/ValidatingWebhookConfigurations that send admission requests to kubeiam's tenancy webhooks",
      ),
  )
    .option("--url <url>", "base URL kube-apiserver reaches kubeiam at (default: the issuer URL's origin)")
    .option(
      "--service <ns/name[:port]>",
      "reach kubeiam through this Service instead of a URL (port default 443)",
    )
    .option("--ca-file <file>", "PEM CA bundle for clientConfig.caBundle (default: kubeiam's generated CA)")
    .option("--namespace <ns>", "kubeiam's own namespace, exempt from the webhooks", "kubeiam")
    .option("--exempt-namespace <ns>", "another namespace to exempt (repeatable)", collect, [])
    .option("--timeout <seconds>", "webhook timeoutSeconds (1-30)", "5")
    .option("-o, --output <format>", "output format: yaml|json", "yaml")
    .action(
      async (
        flags: StateFlags & {
          url?: string;
          service?: string;
          caFile?: string;
          namespace: string;
          exemptNamespace: string[];
          timeout: string;
          output: string;
        },
      ) => {
        const format = manifestFormat(flags.output);
        if (flags.url !== undefined && flags.service !== undefined)
          throw new KubeiamError("USAGE", "give either --url or --service, not both");
        if (!/^\d+$/.test(flags.timeout))
          throw new KubeiamError(
            "USAGE",
            `--timeout: expected whole seconds from 1 to 30, found "${flags.timeout}"`,
          );
        const config = configFrom(flags);
        let caPem: string;
        if (flags.caFile !== undefined) {
          try {
            caPem = await readFile(flags.caFile, "utf8");
          } catch (e) {
            throw new KubeiamError(
              "INPUT_INVALID",
              `--ca-file ${flags.caFile}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
            );
          }
        } else {
          if (config.tls.certFile)
            throw new KubeiamError(
              "USAGE",
              "the serving certificate comes from tls.certFile, so kubeiam has no CA of its own; pass the CA that signed it with --ca-file",
            );
          const names = [
            ...config.tls.names,
            config.listen.host,
            new URL(config.issuer.url).hostname.replace(/^\[|\]$/g, ""),
          ];
          const tls = await ensureTls(config.stateDir, { names, now: Date.now() });
          if (tls.ca === undefined)
            throw new KubeiamError("USAGE", "kubeiam has no CA of its own; pass one with --ca-file");
          caPem = tls.ca;
        }
        const target: WebhookTarget =
          flags.service !== undefined
            ? parseService(flags.service)
            : { url: flags.url ?? new URL(config.issuer.url).origin };
        const objects = webhookManifests({
          target,
          caPem,
          namespace: flags.namespace,
          exemptNamespaces: flags.exemptNamespace,
          timeoutSeconds: Number(flags.timeout),
        });
        printObjects(io, format, objects);
      },
    );
}
