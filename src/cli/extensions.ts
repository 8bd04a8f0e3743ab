/**
 * Command groups of the capabilities (policy, rbac, iam, sts, authn, admission, tenant, ...), in the
 * order `kubeiam --help` lists them. Each entry names the top-level commands its register function
 * adds and imports its module only when one of them runs (or for the full help): see
 * docs/adr/0006-lazy-cli-command-groups.md. A new capability adds an entry here.
 */
import type { Command } from "commander";
import type { CliIO } from "./io.js";

export type Register = (program: Command, io: CliIO) => void;

export interface CommandGroup {
  /** The top-level commands the group's register function adds (a test checks this). */
  names: readonly string[];
  load: () => Promise<Register>;
}

export const EXTENSION_GROUPS: readonly CommandGroup[] = [
  { names: ["policy"], load: async () => (await import("./policy.js")).registerPolicyCommands },
  { names: ["iam"], load: async () => (await import("./iam.js")).registerIamCommands },
  {
    names: ["webhook"],
    load: async () => {
      const [webhook, tenant] = await Promise.all([import("./webhook.js"), import("./tenant.js")]);
      return (program, io) => {
        webhook.registerWebhookCommands(program, io);
        tenant.addWebhookManifestsCommand(webhook.webhookGroup(program), io);
      };
    },
  },
  { names: ["get-token"], load: async () => (await import("./get-token.js")).registerGetTokenCommands },
  { names: ["login"], load: async () => (await import("./login.js")).registerLoginCommands },
  { names: ["tenant"], load: async () => (await import("./tenant.js")).registerTenantCommands },
  { names: ["audit"], load: async () => (await import("./audit.js")).registerAuditCommands },
  { names: ["authn"], load: async () => (await import("./authn.js")).registerAuthnCommands },
  { names: ["admission"], load: async () => (await import("./admission.js")).registerAdmissionCommands },
  { names: ["sts"], load: async () => (await import("./sts.js")).registerStsCommands },
  { names: ["irsa", "doctor"], load: async () => (await import("./irsa.js")).registerIrsaCommands },
  { names: ["rbac"], load: async () => (await import("./rbac.js")).registerRbacCommands },
  { names: ["install"], load: async () => (await import("./install.js")).registerInstallCommands },
];
