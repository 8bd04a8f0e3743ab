/**
 * Command groups of the capabilities (policy, rbac, iam, sts, authn, admission, tenant, ...).
 * Each capability exports a register function; they are listed here.
 */
import type { Command } from "commander";
import type { CliIO } from "./io.js";
import { registerPolicyCommands } from "./policy.js";
import { registerIamCommands } from "./iam.js";
import { registerWebhookCommands, webhookGroup } from "./webhook.js";
import { addWebhookManifestsCommand, registerTenantCommands } from "./tenant.js";
import { registerAuditCommands } from "./audit.js";
import { registerAuthnCommands } from "./authn.js";
import { registerAdmissionCommands } from "./admission.js";
import { registerStsCommands } from "./sts.js";
import { registerIrsaCommands } from "./irsa.js";
import { registerRbacCommands } from "./rbac.js";
import { registerInstallCommands } from "./install.js";
import { registerGetTokenCommands } from "./get-token.js";
import { registerLoginCommands } from "./login.js";

export function registerExtensions(program: Command, io: CliIO): void {
  const registrations: ((p: Command, o: CliIO) => void)[] = [registerPolicyCommands, registerIamCommands, registerWebhookCommands, registerGetTokenCommands, registerLoginCommands, registerTenantCommands, registerAuditCommands, registerAuthnCommands, registerAdmissionCommands, registerStsCommands, registerIrsaCommands, registerRbacCommands, registerInstallCommands];
  for (const r of registrations) r(program, io);
  addWebhookManifestsCommand(webhookGroup(program), io);
}
