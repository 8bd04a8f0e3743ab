/**
 * `kubeiam sts explain --role-arn ARN --token-file F`: the AssumeRoleWithWebIdentity decision for a
 * token, every check with ✓/✗ and its reason, offline from the state dir (objects + key ring) or
 * from a running server (`--server URL`, admin route POST /sts/explain). Nothing is issued.
 * Exit 0 allowed, 1 denied, 2 bad input (unreadable token file, invalid parameters).
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import type { Reason } from "../lib/decision.js";
import { KubeiamError } from "../lib/errors.js";
import { systemClock } from "../lib/clock.js";
import { openServices } from "../server/services.js";
import { MAX_WEB_IDENTITY_TOKEN } from "../sts/web-identity.js";
import { explanationOf, STS_EXPLAIN_PATH, type StsExplainResponse } from "../server/routes/aws.js";
import { call, serverTarget } from "./client.js";
import { configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { CliExit, parseOutputFormat, printResult, type CliIO } from "./io.js";

/** One line per reason: ✓/✗, the check, the message, and expected/actual for failures. */
export function formatReasons(reasons: readonly Reason[], indent = "  "): string {
  const lines: string[] = [];
  for (const r of reasons) {
    lines.push(`${indent}${r.ok ? "✓" : "✗"} ${r.check}: ${r.message}`);
    if (!r.ok && (r.expected !== undefined || r.actual !== undefined)) {
      lines.push(`${indent}    expected ${JSON.stringify(r.expected)}, actual ${JSON.stringify(r.actual)}`);
    }
  }
  return lines.join("\n");
}

export function formatExplanation(e: StsExplainResponse, roleArn: string): string {
  const head = `AssumeRoleWithWebIdentity ${roleArn}${e.subject !== undefined ? ` for ${e.subject}` : ""}`;
  const tail = e.allowed
    ? `allowed: the session would be ${e.assumedRoleArn ?? ""}`
    : `denied: STS answers ${e.error?.code ?? "?"} (${e.error?.status ?? "?"}): ${e.error?.message ?? ""}`;
  return [head, formatReasons(e.reasons), tail].join("\n");
}

interface ExplainFlags extends StateFlags {
  roleArn: string;
  tokenFile: string;
  sessionName: string;
  durationSeconds?: string;
  server?: string;
  output: string;
}

async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text =
      file === "-"
        ? await new Promise<string>((resolve, reject) => {
            let s = "";
            process.stdin.setEncoding("utf8");
            process.stdin.on("data", (c: string) => (s += c));
            process.stdin.on("end", () => resolve(s));
            process.stdin.on("error", reject);
          })
        : await readFile(file, "utf8");
  } catch (e) {
    throw new KubeiamError(
      "INPUT_INVALID",
      `cannot read the token file ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
      { file },
    );
  }
  if (text.length > MAX_WEB_IDENTITY_TOKEN + 2)
    throw new KubeiamError(
      "INPUT_INVALID",
      `${file}: larger than ${MAX_WEB_IDENTITY_TOKEN} characters, STS would refuse it`,
      { file },
    );
  const token = text.trim();
  if (token === "") throw new KubeiamError("INPUT_INVALID", `${file} is empty`, { file });
  return token;
}

async function explainOffline(
  flags: ExplainFlags,
  token: string,
  duration: number | undefined,
): Promise<StsExplainResponse> {
  const svc = await openServices(configFrom(flags), { clock: systemClock, watch: false });
  try {
    const params = new Map([
      ["RoleArn", flags.roleArn],
      ["RoleSessionName", flags.sessionName],
      ["WebIdentityToken", token],
    ]);
    if (duration !== undefined) params.set("DurationSeconds", String(duration));
    return explanationOf(await svc.aws.explainWebIdentity(params));
  } finally {
    await svc.close();
  }
}

async function explainRemote(
  flags: ExplainFlags,
  token: string,
  duration: number | undefined,
): Promise<StsExplainResponse> {
  const target = await serverTarget(configFrom(flags), flags.server);
  const body: Record<string, unknown> = { roleArn: flags.roleArn, token, sessionName: flags.sessionName };
  if (duration !== undefined) body.durationSeconds = duration;
  const r = await call(target, "POST", STS_EXPLAIN_PATH, { body: JSON.stringify(body), admin: true });
  if (r.status !== 200) {
    let message = r.body;
    try {
      message = (JSON.parse(r.body) as { message?: string }).message ?? r.body;
    } catch {
      // not JSON: keep the body
    }
    throw new KubeiamError(
      r.status === 401 ? "UNAUTHORIZED" : "SERVER_UNREACHABLE",
      `${target.url}${STS_EXPLAIN_PATH} answered ${r.status}: ${message}`,
    );
  }
  return JSON.parse(r.body) as StsExplainResponse;
}

export function registerStsCommands(program: Command, io: CliIO): void {
  const sts = program
    .command("sts")
    .description("kubeiam's STS: explain AssumeRoleWithWebIdentity decisions");
  withStateOptions(
    sts
      .command("explain")
      .description(
        "explain whether a web-identity token may assume a role, check by check (nothing is issued)",
      ),
  )
    .requiredOption("--role-arn <arn>", "the role to assume")
    .requiredOption("--token-file <file>", "the web-identity token (a file, or - for stdin)")
    .option(
      "--session-name <name>",
      "RoleSessionName (sts:RoleSessionName in the trust policy)",
      "kubeiam-explain",
    )
    .option("--duration-seconds <n>", "DurationSeconds to check against the role's maximum")
    .option(
      "--server <url>",
      "ask a running kubeiam instead of reading the state dir (needs its admin token)",
    )
    .addOption(outputOption())
    .action(async (flags: ExplainFlags) => {
      const format = parseOutputFormat(flags.output);
      let duration: number | undefined;
      if (flags.durationSeconds !== undefined) {
        if (!/^\d{1,6}$/.test(flags.durationSeconds))
          throw new KubeiamError(
            "USAGE",
            `--duration-seconds "${flags.durationSeconds}" is not whole seconds`,
          );
        duration = Number(flags.durationSeconds);
      }
      const token = await readToken(flags.tokenFile);
      const e =
        flags.server !== undefined
          ? await explainRemote(flags, token, duration)
          : await explainOffline(flags, token, duration);
      printResult(io, format, e, (v) => formatExplanation(v, flags.roleArn));
      if (!e.allowed) throw new CliExit(e.stage === "parameters" ? 2 : 1);
    });
}
