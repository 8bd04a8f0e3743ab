/** `kubeiam decisions [--follow]`: the running server's decision log. */
import type { Command } from "commander";
import type { DecisionRecord } from "../lib/decision.js";
import { KubeiamError } from "../lib/errors.js";
import { configFrom, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { call, serverTarget } from "./client.js";
import { parseOutputFormat, type CliIO } from "./io.js";

export function formatDecision(d: DecisionRecord): string {
  const head = `${d.time}  ${d.allowed ? "ALLOW" : "DENY "}  ${d.kind}/${d.action}${d.subject ? `  ${d.subject}` : ""}  ${d.summary}`;
  const reasons = d.reasons.map((r) => `    ${r.ok ? "✓" : "✗"} ${r.check}: ${r.message}`);
  return [head, ...reasons].join("\n");
}

export function registerDecisions(program: Command, io: CliIO): void {
  withStateOptions(program.command("decisions").description("show recent decisions with their reasons (from the running server)"))
    .option("--follow", "keep streaming new decisions")
    .option("--kind <kind>", "only this kind (authn, authz, sts, iam, admission, token, keys)")
    .option("--denied", "only denials")
    .option("--limit <n>", "at most this many recent decisions", "100")
    .option("--server <url>", "kubeiam server URL (default from the config's listen address)")
    .addOption(outputOption())
    .action(async (flags: StateFlags & { follow?: boolean; kind?: string; denied?: boolean; limit: string; server?: string; output: string }) => {
      const format = parseOutputFormat(flags.output);
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new KubeiamError("USAGE", `--limit: expected a positive integer, found "${flags.limit}"`);
      const t = await serverTarget(configFrom(flags), flags.server);
      const q = new URLSearchParams({ limit: String(limit) });
      if (flags.kind) q.set("kind", flags.kind);
      if (flags.denied) q.set("allowed", "false");
      if (flags.follow) {
        q.set("follow", "true");
        let buf = "";
        const r = await call(t, "GET", `/decisions?${q.toString()}`, {
          admin: true,
          timeoutMs: 0,
          onChunk: (c) => {
            buf += c;
            let i;
            while ((i = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, i).trim();
              buf = buf.slice(i + 1);
              if (line) io.out(format === "json" ? line : formatDecision(JSON.parse(line) as DecisionRecord));
            }
          },
        });
        if (r.status !== 200) throw new KubeiamError("SERVER_UNREACHABLE", `server answered ${r.status}: ${r.body}`);
        return;
      }
      const r = await call(t, "GET", `/decisions?${q.toString()}`, { admin: true });
      if (r.status !== 200) throw new KubeiamError(r.status === 401 ? "UNAUTHORIZED" : "SERVER_UNREACHABLE", `server answered ${r.status}: ${r.body}`);
      const v = JSON.parse(r.body) as { decisions: DecisionRecord[] };
      io.out(format === "json" ? JSON.stringify(v, null, 2) : v.decisions.length === 0 ? "no decisions recorded yet" : v.decisions.map(formatDecision).join("\n"));
    });
}
