/** `kubeiam keys list|rotate|export`. */
import type { Command } from "commander";
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { atomicWrite } from "../store/directory-store.js";
import { KubeiamError } from "../lib/errors.js";
import { configFrom, openKeys, outputOption, withStateOptions, type StateFlags } from "./common.js";
import { parseOutputFormat, printResult, type CliIO } from "./io.js";
import type { KeyInfo } from "../keys/manager.js";

function keyTable(keys: KeyInfo[]): string {
  const rows = keys.map((k) => `${k.active ? "active " : "retired"}  ${k.alg}  ${k.kid}  created ${k.createdAt}${k.retiredAt ? `  retired ${k.retiredAt}  leaves JWKS ${k.expiresAt ?? ""}` : ""}`);
  return rows.join("\n");
}

export function registerKeys(program: Command, io: CliIO): void {
  const keys = program.command("keys").description("signing keys of the service-account issuer");
  withStateOptions(keys.command("list").description("list signing keys (the active one and those still in the JWKS)"))
    .addOption(outputOption())
    .action(async (flags: StateFlags & { output: string }) => {
      const format = parseOutputFormat(flags.output);
      const km = await openKeys(configFrom(flags));
      printResult(io, format, { keys: km.list() }, (v) => keyTable(v.keys));
    });
  withStateOptions(keys.command("rotate").description("make a new signing key active; old public keys stay in the JWKS for the retention window"))
    .option("--algorithm <alg>", "RS256 or ES256 (default from config)")
    .addOption(outputOption())
    .action(async (flags: StateFlags & { output: string; algorithm?: string }) => {
      const format = parseOutputFormat(flags.output);
      if (flags.algorithm !== undefined && flags.algorithm !== "RS256" && flags.algorithm !== "ES256") {
        throw new KubeiamError("USAGE", `--algorithm: expected RS256 or ES256, found "${flags.algorithm}"`);
      }
      const config = configFrom(flags);
      const km = await openKeys(config);
      const fresh = await km.rotate(flags.algorithm);
      printResult(io, format, { active: fresh, keys: km.list() }, (v) => `rotated: new active key ${v.active.kid} (${v.active.alg}); a running server picks it up by itself\n${keyTable(v.keys)}`);
    });
  withStateOptions(keys.command("export").description("write the signing key and public keys as PEM files for kube-apiserver (--service-account-signing-key-file, --service-account-key-file)"))
    .requiredOption("--dir <dir>", "folder to write sa.key (0600) and sa.pub into")
    .addOption(outputOption())
    .action(async (flags: StateFlags & { output: string; dir: string }) => {
      const format = parseOutputFormat(flags.output);
      const km = await openKeys(configFrom(flags));
      const active = km.active();
      const keyFile = join(flags.dir, "sa.key");
      const pubFile = join(flags.dir, "sa.pub");
      await atomicWrite(keyFile, active.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), 0o600);
      await atomicWrite(pubFile, km.verificationKeys().map((k) => createPublicKey(k.privateKey).export({ type: "spki", format: "pem" }).toString()).join(""), 0o644);
      printResult(io, format, { signingKeyFile: keyFile, publicKeysFile: pubFile, activeKid: active.kid }, (v) => `wrote ${v.signingKeyFile} (active key ${v.activeKid}) and ${v.publicKeysFile}`);
    });
}
