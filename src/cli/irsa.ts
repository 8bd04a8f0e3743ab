/**
 * `kubeiam irsa create` (like `eksctl create iamserviceaccount`) and `kubeiam doctor irsa` (walks
 * the IRSA chain for a pod or service account, link by link, with the fix for each failure). Both
 * work offline on the state dir; a running server follows the objects `irsa create` writes.
 * Exit codes: 0 done / chain works, 1 conflict / chain broken, 2 bad input.
 */
import type { Command } from "commander";
import { KubeiamError } from "../lib/errors.js";
import { systemClock } from "../lib/clock.js";
import { createPolicyPort } from "../iam/policy-port.js";
import { createIrsa, type CreateIrsaResult } from "../irsa/create.js";
import { diagnoseIrsa, type IrsaDiagnosis } from "../irsa/doctor.js";
import { createKeyResolver } from "../sts/key-resolver.js";
import { openServices } from "../server/services.js";
import { collect, configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { CliExit, parseOutputFormat, printResult, type CliIO } from "./io.js";
import { formatReasons } from "./sts.js";

interface CreateFlags extends StateFlags {
  namespace: string;
  serviceAccount: string;
  roleName: string;
  attachPolicyArn?: string[];
  audience: string;
  roleOnly?: boolean;
  overrideExistingServiceaccounts?: boolean;
  maxSessionDuration?: string;
  description?: string;
  output: string;
}

interface DoctorFlags extends StateFlags {
  namespace: string;
  pod?: string;
  serviceAccount?: string;
  output: string;
  verbose?: boolean;
}

const MARK: Record<string, string> = { created: "+", updated: "~", unchanged: "=", skipped: "-" };

function formatCreate(r: CreateIrsaResult): string {
  return [
    ...r.changes.map((c) => `${MARK[c.action] ?? "?"} ${c.message}`),
    `role ${r.roleArn} is ready for ServiceAccount ${r.serviceAccount}`,
  ].join("\n");
}

export function formatDiagnosis(d: IrsaDiagnosis, verbose = false): string {
  const lines = [
    `IRSA chain for ${d.pod !== undefined ? `pod ${d.namespace}/${d.pod} (ServiceAccount ${d.serviceAccount})` : `ServiceAccount ${d.namespace}/${d.serviceAccount}`}`,
  ];
  for (const l of d.links) {
    lines.push(`${l.status === "ok" ? "✓" : l.status === "fail" ? "✗" : "–"} ${l.link}: ${l.message}`);
    if (l.fix !== undefined && l.status === "fail") lines.push(`    fix: ${l.fix}`);
    const details = (l.details ?? []).filter((r) => verbose || (l.status === "fail" && !r.ok));
    if (details.length > 0 && (l.link === "trust-policy" || verbose))
      lines.push(formatReasons(details, "    "));
  }
  lines.push(d.ok ? "result: the chain works" : "result: the chain is broken (see ✗ above)");
  return lines.join("\n");
}

function doctorGroup(program: Command): Command {
  return (
    program.commands.find((c) => c.name() === "doctor") ??
    program.command("doctor").description("diagnose a capability end to end, link by link")
  );
}

export function registerIrsaCommands(program: Command, io: CliIO): void {
  const irsa = program.command("irsa").description("IAM roles for service accounts");
  withStateOptions(
    irsa
      .command("create")
      .description(
        "register the issuer, create the role with the IRSA trust policy, annotate (or create) the ServiceAccount",
      ),
  )
    .requiredOption("-n, --namespace <ns>", "namespace of the ServiceAccount")
    .requiredOption("--service-account <name>", "ServiceAccount name (created when missing)")
    .requiredOption(
      "--role-name <name>",
      "IAM role to create (or reuse, if it already trusts the ServiceAccount)",
    )
    .option("--attach-policy-arn <arn>", "managed policy to attach (repeatable)", collect)
    .option("--audience <aud>", "token audience (an OIDC provider client ID)", "sts.amazonaws.com")
    .option("--role-only", "create the role but leave the ServiceAccount alone")
    .option("--override-existing-serviceaccounts", "re-point a ServiceAccount annotated with another role")
    .option("--max-session-duration <seconds>", "the role's MaxSessionDuration (3600-43200)")
    .option("--description <text>", "the role's description")
    .addOption(outputOption())
    .action(async (flags: CreateFlags) => {
      const format = parseOutputFormat(flags.output);
      let max: number | undefined;
      if (flags.maxSessionDuration !== undefined) {
        if (!/^\d{1,6}$/.test(flags.maxSessionDuration))
          throw new KubeiamError(
            "USAGE",
            `--max-session-duration "${flags.maxSessionDuration}" is not whole seconds`,
          );
        max = Number(flags.maxSessionDuration);
      }
      const config = configFrom(flags);
      const svc = await openServices(config, { clock: systemClock, watch: false });
      try {
        const r = await createIrsa(
          {
            store: svc.store,
            cache: svc.cache,
            account: config.account,
            partition: "aws",
            issuer: config.issuer.url,
            policy: createPolicyPort(),
            now: systemClock.now(),
          },
          {
            namespace: flags.namespace,
            serviceAccount: flags.serviceAccount,
            roleName: flags.roleName,
            attachPolicyArns: flags.attachPolicyArn ?? [],
            audience: flags.audience,
            roleOnly: flags.roleOnly === true,
            overrideExistingServiceAccount: flags.overrideExistingServiceaccounts === true,
            ...(max !== undefined ? { maxSessionDuration: max } : {}),
            ...(flags.description !== undefined ? { description: flags.description } : {}),
          },
        );
        printResult(io, format, r, formatCreate);
      } finally {
        await svc.close();
      }
    });

  withStateOptions(
    doctorGroup(program)
      .command("irsa")
      .description(
        "walk the IRSA chain for a pod or ServiceAccount: annotation, mutation, token, provider, audience, trust policy, result",
      ),
  )
    .requiredOption("-n, --namespace <ns>", "namespace")
    .option("--pod <name>", "the pod to check (its ServiceAccount is used)")
    .option("--service-account <name>", "the ServiceAccount to check")
    .option("-v, --verbose", "print every reason, not only the failed ones")
    .addOption(outputOption())
    .action(async (flags: DoctorFlags) => {
      const format = parseOutputFormat(flags.output);
      if ((flags.pod === undefined) === (flags.serviceAccount === undefined))
        throw new KubeiamError("USAGE", "give exactly one of --pod or --service-account");
      const config = configFrom(flags);
      const svc = await openServices(config, { clock: systemClock, watch: false });
      try {
        if (
          flags.pod !== undefined &&
          !svc.cache.get({ kind: "Pod", namespace: flags.namespace, name: flags.pod })
        ) {
          throw new KubeiamError("USAGE", `pods "${flags.pod}" not found in namespace "${flags.namespace}"`);
        }
        const d = await diagnoseIrsa(
          {
            cache: svc.cache,
            account: config.account,
            partition: "aws",
            issuer: config.issuer.url,
            signingKey: svc.keys.active(),
            apiAudiences: config.issuer.audiences,
            maxTokenSeconds: config.issuer.maxTokenExpirationSeconds,
            policy: createPolicyPort(),
            resolveKey: createKeyResolver({
              issuerUrl: config.issuer.url,
              keys: svc.keys,
              clock: systemClock,
              caFile: config.sts.webIdentityCaFile,
              timeoutMs: config.sts.jwksTimeoutMs,
            }),
            now: systemClock.now(),
          },
          { namespace: flags.namespace, pod: flags.pod, serviceAccount: flags.serviceAccount },
        );
        printResult(io, format, d, (v) => formatDiagnosis(v, flags.verbose === true));
        if (!d.ok) throw new CliExit(1);
      } finally {
        await svc.close();
      }
    });
}
