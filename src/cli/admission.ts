/**
 * `kubeiam admission review -f REVIEW.json [--webhook NAME] [-o json]`: answers an AdmissionReview
 * offline, from the object directory, exactly as the server's webhook route would. `-o json` prints
 * the AdmissionReview response the server would send; text shows the verdict, the patch and the
 * reasons. Exit 0 allowed, 1 denied, 2 bad usage or input.
 */
import type { Command } from "commander";
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { parse as parseYaml } from "yaml";
import { podIdentityConfig } from "../admission/pod-identity/config.js";
import { reviewPodIdentity } from "../admission/pod-identity/review-pod.js";
import {
  ADMISSION_REVIEW_BODY_LIMIT,
  parseAdmissionReview,
  parseAdmissionReviewValue,
  type AdmissionReview,
  type AdmissionReviewResponse,
  type JsonPatchOp,
} from "../admission/review.js";
import type { Reason } from "../lib/decision.js";
import { isKubeiamError, KubeiamError } from "../lib/errors.js";
import {
  configFrom,
  openObjects,
  outputOption,
  withStateOptions,
  type OfflineState,
  type StateFlags,
} from "./common.js";
import { CliExit, parseOutputFormat, printResult, type CliIO } from "./io.js";

/** What one webhook answers for a review, offline. */
export interface OfflineReviewResult {
  readonly response: AdmissionReviewResponse;
  readonly allowed: boolean;
  readonly patch: readonly JsonPatchOp[];
  readonly summary: string;
  readonly reasons: readonly Reason[];
}

export interface OfflineWebhook {
  readonly description: string;
  review(review: AdmissionReview, state: OfflineState): Promise<OfflineReviewResult>;
}

/** Webhooks `admission review` can answer; the tenancy validate/mutate webhooks join here. */
export const OFFLINE_WEBHOOKS: Readonly<Record<string, OfflineWebhook>> = {
  "pod-identity": {
    description: "pod identity (IRSA) mutating webhook, POST /admission/pod-identity",
    review: (review, state) =>
      reviewPodIdentity(review, {
        config: podIdentityConfig({ region: state.config.region }),
        lookupServiceAccount: (key) => state.cache.get(key),
      }),
  },
};

interface ReviewFlags extends StateFlags {
  filename: string;
  webhook: string;
  output: string;
}

async function readReview(file: string): Promise<AdmissionReview> {
  let body: Buffer;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new KubeiamError("INPUT_INVALID", `${file}: not a regular file`, { file });
    if (info.size > ADMISSION_REVIEW_BODY_LIMIT) {
      throw new KubeiamError(
        "INPUT_INVALID",
        `${file}: ${info.size} bytes is larger than the ${ADMISSION_REVIEW_BODY_LIMIT}-byte limit`,
        { file },
      );
    }
    body = await readFile(file);
  } catch (e) {
    if (isKubeiamError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new KubeiamError(
      "INPUT_INVALID",
      `${file}: cannot read: ${code === "ENOENT" ? "no such file or directory" : (e as Error).message}`,
      { file },
    );
  }
  try {
    if ([".yaml", ".yml"].includes(extname(file).toLowerCase())) {
      let value: unknown;
      try {
        value = parseYaml(body.toString("utf8"), { uniqueKeys: true, maxAliasCount: 100 });
      } catch (e) {
        throw new KubeiamError(
          "INPUT_INVALID",
          `not valid YAML: ${(e as Error).message.split("\n")[0] ?? ""}`,
        );
      }
      return parseAdmissionReviewValue(value);
    }
    return parseAdmissionReview(body);
  } catch (e) {
    if (!isKubeiamError(e)) throw e;
    throw new KubeiamError("INPUT_INVALID", `${file}: ${e.message}`, { file });
  }
}

function textReport(webhook: string, r: OfflineReviewResult): string {
  const status = r.response.response.status;
  const lines = [`${r.allowed ? "allowed" : "denied"} by ${webhook}: ${r.summary}`];
  if (!r.allowed && status?.message !== undefined) lines.push(`message: ${status.message}`);
  if (r.patch.length > 0) {
    lines.push(`patch (${r.patch.length} operation${r.patch.length === 1 ? "" : "s"}):`);
    for (const op of r.patch)
      lines.push(`  ${op.op} ${op.path}${"value" in op ? ` ${JSON.stringify(op.value)}` : ""}`);
  } else lines.push("patch: none");
  lines.push("reasons:");
  for (const reason of r.reasons) lines.push(`  ${reason.ok ? "✓" : "✗"} ${reason.check}: ${reason.message}`);
  return lines.join("\n");
}

export async function runAdmissionReview(flags: ReviewFlags, io: CliIO): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const webhook = OFFLINE_WEBHOOKS[flags.webhook];
  if (!Object.hasOwn(OFFLINE_WEBHOOKS, flags.webhook) || webhook === undefined) {
    throw new KubeiamError(
      "USAGE",
      `--webhook: unknown webhook "${flags.webhook}"; available: ${Object.keys(OFFLINE_WEBHOOKS).join(", ")}`,
    );
  }
  const review = await readReview(flags.filename);
  const state = await openObjects(configFrom(flags));
  try {
    for (const p of state.problems)
      io.err(`warning: skipped ${p.source}${p.line === undefined ? "" : `:${p.line}`}: ${p.message}`);
    const result = await webhook.review(review, state);
    // -o json: exactly the AdmissionReview the server would answer.
    printResult(io, format, result.response, () => textReport(flags.webhook, result));
    if (!result.allowed) throw new CliExit(1);
  } finally {
    await state.close();
  }
}

/** Adds `admission review` (creating the `admission` group when no other module has). */
export function registerAdmissionCommands(program: Command, io: CliIO): void {
  const admission =
    program.commands.find((c) => c.name() === "admission") ??
    program.command("admission").description("admission webhooks: answer AdmissionReviews offline");
  withStateOptions(
    admission
      .command("review")
      .description(
        "print the AdmissionReview response a kubeiam webhook would send for a review, computed offline from the object directory (exit 0 allowed, 1 denied)",
      ),
  )
    .requiredOption("-f, --filename <file>", "AdmissionReview request (JSON, or YAML with a .yaml/.yml name)")
    .option("--webhook <name>", `webhook to ask: ${Object.keys(OFFLINE_WEBHOOKS).join("|")}`, "pod-identity")
    .addOption(outputOption())
    .action(async (flags: ReviewFlags) => {
      await runAdmissionReview(flags, io);
    });
}
