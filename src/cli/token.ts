/** `kubeiam token create`: mints a bound service-account token offline from the state dir. */
import type { Command } from "commander";
import { createServiceAccountToken } from "../issuer/create-token.js";
import { parseDurationSeconds } from "../issuer/duration.js";
import { systemClock } from "../lib/clock.js";
import { collect, configFrom, openKeys, openObjects, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, printResult, type CliIO } from "./io.js";

interface TokenFlags extends StateFlags {
  namespace: string;
  serviceAccount: string;
  audience?: string[];
  duration?: string;
  boundPod?: string;
  output: string;
}

export function registerToken(program: Command, io: CliIO): void {
  const token = program.command("token").description("service-account tokens from kubeiam's issuer");
  withStateOptions(token.command("create").description("mint a bound service-account token (like kubectl create token)"))
    .option("-n, --namespace <ns>", "namespace of the service account", "default")
    .requiredOption("--service-account <name>", "service account name (must exist in the store)")
    .option("--audience <aud>", "audience (repeatable; default the API audiences)", collect)
    .option("--duration <d>", "lifetime, e.g. 1h, 30m, 86400s (default 1h, minimum 10m)")
    .option("--bound-pod <name>", "bind the token to this pod (must exist and use the service account)")
    .addOption(outputOption())
    .action(async (flags: TokenFlags) => {
      const format = parseOutputFormat(flags.output);
      const config = configFrom(flags);
      const expirationSeconds = flags.duration === undefined ? undefined : parseDurationSeconds(flags.duration);
      const state = await openObjects(config);
      try {
        const keys = await openKeys(config);
        const minted = createServiceAccountToken(
          { cache: state.cache, key: keys.active(), issuer: config.issuer.url, apiAudiences: config.issuer.audiences, maxExpirationSeconds: config.issuer.maxTokenExpirationSeconds, now: systemClock.now() },
          { namespace: flags.namespace, serviceAccount: flags.serviceAccount, audiences: flags.audience, expirationSeconds, boundPod: flags.boundPod ? { name: flags.boundPod } : undefined },
        );
        for (const w of minted.warnings) io.err(`Warning: ${w}`);
        printResult(io, format, { token: minted.token, expirationTimestamp: minted.expirationTimestamp, claims: minted.claims }, (v) => v.token);
      } finally {
        await state.close();
      }
    });
}
