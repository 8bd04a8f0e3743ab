/**
 * `kubeiam authn review --token T | --token-file F`: the TokenReview status kubeiam would answer,
 * with the reasons — computed offline from the state dir (the same chain the server runs) or asked
 * of a running server with --server.
 */
import type { Command } from "commander";
import { readFile } from "node:fs/promises";
import type { Reason } from "../lib/decision.js";
import { KubeiamError } from "../lib/errors.js";
import { systemClock } from "../lib/clock.js";
import { renderTokenReview } from "../authn/token-review.js";
import { openServices } from "../server/services.js";
import { collect, configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { call, serverTarget } from "./client.js";
import { CliExit, parseOutputFormat, type CliIO } from "./io.js";

interface ReviewFlags extends StateFlags {
  token?: string;
  tokenFile?: string;
  audience?: string[];
  server?: string;
  output: string;
}

export function registerAuthnCommands(program: Command, io: CliIO): void {
  const authn = program.command("authn").description("token authentication (the TokenReview webhook)");
  withStateOptions(authn.command("review").description("print the TokenReview status for a token and why (exit 0 authenticated, 1 not)"))
    .option("--token <token>", "the bearer token (prefer --token-file: command lines are visible to other users)")
    .option("--token-file <file>", "file holding the token ('-' for standard input)")
    .option("--audience <aud>", "audience the caller requires (repeatable)", collect)
    .option("--server <url>", "ask a running kubeiam instead of computing offline")
    .addOption(outputOption())
    .action(async (flags: ReviewFlags) => {
      const format = parseOutputFormat(flags.output);
      if ((flags.token === undefined) === (flags.tokenFile === undefined)) throw new KubeiamError("USAGE", "give exactly one of --token or --token-file");
      let token = flags.token ?? "";
      if (flags.tokenFile !== undefined) {
        try {
          token = flags.tokenFile === "-" ? await readStdin() : await readFile(flags.tokenFile, "utf8");
        } catch (e) {
          throw new KubeiamError("USAGE", `--token-file: cannot read ${flags.tokenFile} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
        }
      }
      token = token.trim();
      if (token === "") throw new KubeiamError("USAGE", "the token is empty");
      const config = configFrom(flags);
      let status: Record<string, unknown>;
      let httpStatus: number;
      let reasons: readonly Reason[];
      if (flags.server !== undefined) {
        const t = await serverTarget(config, flags.server);
        const r = await call(t, "POST", "/authenticate", { body: JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, ...(flags.audience ? { audiences: flags.audience } : {}) } }) });
        httpStatus = r.status;
        if (r.status === 400) throw new KubeiamError("REQUEST_INVALID", `server answered 400: ${r.body}`);
        status = ((JSON.parse(r.body) as { status?: Record<string, unknown> }).status ?? {});
        reasons = [{ check: "authn.server", ok: r.status === 200, message: `asked ${t.url}; run \`kubeiam decisions --kind authn\` for the reasons` }];
      } else {
        const svc = await openServices(config, { clock: systemClock, watch: false });
        try {
          const result = await svc.authn.chain.authenticate(token, flags.audience ? { now: systemClock.now(), audiences: flags.audience } : { now: systemClock.now() });
          const out = renderTokenReview("authentication.k8s.io/v1", result);
          httpStatus = out.status;
          status = out.body.status as Record<string, unknown>;
          reasons = result.kind === "not-mine" ? [{ check: "authn.chain", ok: false, message: "no authenticator recognised the token" }, ...(result.reasons ?? [])] : result.reasons;
          if (result.kind === "error") status = { ...status, error: result.message };
        } finally {
          await svc.close();
        }
      }
      const authenticated = status.authenticated === true;
      if (format === "json") io.out(JSON.stringify({ status, httpStatus, reasons }, null, 2));
      else {
        const user = status.user as { username?: string; groups?: string[] } | undefined;
        const head = authenticated ? `authenticated: ${user?.username ?? ""}${user?.groups?.length ? ` (groups ${user.groups.join(", ")})` : ""}` : `not authenticated (HTTP ${httpStatus})${typeof status.error === "string" ? `: ${status.error}` : ""}`;
        io.out([head, ...reasons.map((r) => `  ${r.ok ? "✓" : "✗"} ${r.check}: ${r.message}`)].join("\n"));
      }
      if (!authenticated) throw new CliExit(1);
    });
}

function readStdin(): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (c: string) => (s += c));
    process.stdin.on("end", () => resolve(s));
    process.stdin.on("error", reject);
  });
}
