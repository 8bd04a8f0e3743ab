/**
 * `kubeiam login --issuer URL --client-id ID`: a kubectl exec credential plugin for OIDC, like
 * kubelogin — prints an ExecCredential with an ID token (cached 0600 under ~/.kube/cache/kubeiam/,
 * refreshed with the refresh token), obtained by authorization code + PKCE, the device flow or the
 * password grant. `--print-kubeconfig` prints the kubeconfig user entry that runs this command.
 * openid-client is loaded only when a login runs.
 */
import type { Command } from "commander";
import { Option } from "commander";
import { readFile, stat } from "node:fs/promises";
import { stringify } from "yaml";
import { KubeiamError } from "../lib/errors.js";
import { systemClock, type Clock } from "../lib/clock.js";
import { parseDurationSeconds } from "../issuer/duration.js";
import { execApiVersion } from "../clients/exec-api-version.js";
import { execCredential } from "../clients/exec-credential.js";
import { openBrowser } from "../clients/open-browser.js";
import { cacheDirectory } from "../clients/oidc/token-cache.js";
import { kubeconfigUser } from "../clients/oidc/kubeconfig-user.js";
import { GRANTS, type GrantName } from "../clients/oidc/oidc-login.js";
import { collect } from "./common.js";
import { parseOutputFormat, type CliIO } from "./io.js";

export interface LoginDeps {
  clock: Clock;
  env: Readonly<Record<string, string | undefined>>;
  openBrowser(url: string): void;
}

const defaultDeps: LoginDeps = {
  clock: systemClock,
  env: process.env,
  openBrowser: (u) => void openBrowser(u),
};

interface LoginFlags {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clientSecretFile?: string;
  scope?: string[];
  grant?: string;
  username?: string;
  passwordFile?: string;
  caFile?: string;
  cacheDir?: string;
  listenPort: string;
  timeout: string;
  browser: boolean;
  printKubeconfig?: boolean;
  name: string;
  output: string;
}

const MAX_SECRET_FILE_BYTES = 4096;
const MAX_CA_FILE_BYTES = 1024 * 1024;

async function readSmallFile(file: string, flag: string, limit: number): Promise<string> {
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new KubeiamError("INPUT_INVALID", `${flag}: ${file} is not a regular file`);
    if (st.size > limit)
      throw new KubeiamError("INPUT_INVALID", `${flag}: ${file} is larger than ${limit} bytes`);
    return await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof KubeiamError) throw e;
    throw new KubeiamError(
      "INPUT_INVALID",
      `${flag}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** A secret from a file: the first line, without its line ending. */
async function readSecretFile(file: string, flag: string): Promise<string> {
  const text = (await readSmallFile(file, flag, MAX_SECRET_FILE_BYTES)).replace(/\r?\n$/, "");
  if (text === "") throw new KubeiamError("INPUT_INVALID", `${flag}: ${file} is empty`);
  if (/[\r\n]/.test(text)) throw new KubeiamError("INPUT_INVALID", `${flag}: ${file} must hold one line`);
  return text;
}

/** openid first, then each scope given (repeatable; spaces or commas also separate). */
export function loginScopes(given: readonly string[] | undefined): { all: string[]; extra: string[] } {
  const extra: string[] = [];
  for (const v of given ?? []) {
    for (const s of v.split(/[\s,]+/)) if (s !== "" && s !== "openid" && !extra.includes(s)) extra.push(s);
  }
  for (const s of extra) {
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))
      throw new KubeiamError("USAGE", `--scope: "${s}" is not a valid OAuth scope token`);
  }
  return { all: ["openid", ...extra], extra };
}

export function parsePorts(v: string): number[] {
  const ports = v.split(",").map((p) => p.trim());
  const out: number[] = [];
  for (const p of ports) {
    if (!/^\d{1,5}$/.test(p) || Number(p) > 65535)
      throw new KubeiamError(
        "USAGE",
        `--listen-port: expected port numbers separated by commas (0 = any free port), found "${v}"`,
      );
    out.push(Number(p));
  }
  return out;
}

function pickGrant(flags: LoginFlags): GrantName {
  const g = flags.grant ?? (flags.username !== undefined ? "password" : "auth-code");
  if (!(GRANTS as readonly string[]).includes(g))
    throw new KubeiamError("USAGE", `--grant: expected one of ${GRANTS.join(", ")}, found "${g}"`);
  const grant = g as GrantName;
  if (grant === "password" && (flags.username === undefined || flags.passwordFile === undefined)) {
    throw new KubeiamError("USAGE", "--grant password needs --username and --password-file");
  }
  if (grant !== "password" && (flags.username !== undefined || flags.passwordFile !== undefined)) {
    throw new KubeiamError(
      "USAGE",
      `--username and --password-file belong to --grant password, not ${grant}`,
    );
  }
  return grant;
}

function timeoutMs(v: string): number {
  let s: number;
  try {
    s = parseDurationSeconds(v, "--timeout");
  } catch (e) {
    throw new KubeiamError("USAGE", e instanceof Error ? e.message : String(e));
  }
  if (s < 1 || s > 3600)
    throw new KubeiamError("USAGE", `--timeout: expected between 1s and 1h, found "${v}"`);
  return s * 1000;
}

export function registerLoginCommands(program: Command, io: CliIO, deps: LoginDeps = defaultDeps): void {
  program
    .command("login")
    .description(
      "print an ExecCredential with an OIDC ID token (kubectl exec plugin, like kubelogin): auth code + PKCE, device flow or password grant; cached and refreshed",
    )
    .requiredOption("--issuer <url>", "the identity provider's issuer URL (https)")
    .requiredOption("--client-id <id>", "OAuth client id (the audience kube-apiserver expects)")
    .option("--client-secret <secret>", "client secret, for confidential clients")
    .option("--client-secret-file <file>", "read the client secret from a file instead")
    .option(
      "--scope <scope>",
      "extra scope besides openid (repeatable; e.g. groups, offline_access)",
      collect,
    )
    .option(
      "--grant <grant>",
      `${GRANTS.join("|")} (default: password when --username is given, else auth-code)`,
    )
    .option("--username <name>", "user name for --grant password")
    .option("--password-file <file>", "file holding the password for --grant password")
    .option("--ca-file <file>", "PEM CA bundle trusted for the identity provider's certificate")
    .option(
      "--cache-dir <dir>",
      "token cache directory (default $KUBECACHEDIR/kubeiam or ~/.kube/cache/kubeiam)",
    )
    .option(
      "--listen-port <ports>",
      "loopback port(s) for the auth-code redirect, tried in order; 0 = any",
      "8000,18000",
    )
    .option("--timeout <duration>", "longest wait for a browser or device login", "180s")
    .option("--no-browser", "only print the login URL, never start a browser")
    .option("--print-kubeconfig", "print the kubeconfig user entry running this login, and exit")
    .option("--name <name>", "user name of the --print-kubeconfig entry", "oidc")
    .addOption(
      new Option("-o, --output <format>", "for --print-kubeconfig: text (YAML) or json").default("text"),
    )
    .action(async (flags: LoginFlags) => {
      const format = parseOutputFormat(flags.output);
      const { checkIssuerUrl } = await import("../clients/oidc/discover-issuer.js");
      checkIssuerUrl(flags.issuer);
      if (flags.clientId === "") throw new KubeiamError("USAGE", "--client-id: must not be empty");
      if (flags.clientSecret !== undefined && flags.clientSecretFile !== undefined) {
        throw new KubeiamError("USAGE", "--client-secret and --client-secret-file are mutually exclusive");
      }
      const scopes = loginScopes(flags.scope);
      const grant = pickGrant(flags);
      const ports = parsePorts(flags.listenPort);
      const waitMs = timeoutMs(flags.timeout);

      if (flags.printKubeconfig === true) {
        const entry = kubeconfigUser({
          name: flags.name,
          command: "kubeiam",
          issuer: flags.issuer,
          clientId: flags.clientId,
          clientSecret: flags.clientSecret,
          clientSecretFile: flags.clientSecretFile,
          extraScopes: scopes.extra,
          grant,
          username: flags.username,
          passwordFile: flags.passwordFile,
          caFile: flags.caFile,
          cacheDir: flags.cacheDir,
          listenPorts: flags.listenPort === "8000,18000" ? undefined : flags.listenPort,
          timeout: flags.timeout === "180s" ? undefined : flags.timeout,
        });
        if (flags.clientSecret !== undefined)
          io.err(
            "note: the entry holds the client secret in clear; --client-secret-file keeps it out of the kubeconfig",
          );
        io.out(
          format === "json" ? JSON.stringify({ users: [entry] }, null, 2) : stringify({ users: [entry] }),
        );
        return;
      }

      const clientSecret =
        flags.clientSecretFile !== undefined
          ? await readSecretFile(flags.clientSecretFile, "--client-secret-file")
          : flags.clientSecret;
      const password =
        flags.passwordFile !== undefined
          ? await readSecretFile(flags.passwordFile, "--password-file")
          : undefined;
      const caPem =
        flags.caFile !== undefined
          ? await readSmallFile(flags.caFile, "--ca-file", MAX_CA_FILE_BYTES)
          : undefined;
      const api = execApiVersion(deps.env.KUBERNETES_EXEC_INFO);
      if (api.warning !== undefined) io.err(api.warning);
      const { oidcLogin } = await import("../clients/oidc/oidc-login.js");
      const r = await oidcLogin(
        {
          issuer: flags.issuer,
          clientId: flags.clientId,
          clientSecret,
          scopes: scopes.all,
          grant,
          username: flags.username,
          password,
          caPem,
          cacheDir: cacheDirectory(flags.cacheDir, deps.env),
          timeoutMs: waitMs,
          ports,
        },
        {
          clock: deps.clock,
          notify: (t) => io.err(t),
          openBrowser: (u) => (flags.browser ? deps.openBrowser(u) : undefined),
        },
      );
      io.out(JSON.stringify(execCredential(api.apiVersion, r.idToken, r.expiresAt)) + "\n");
    });
}
