/** The admin bearer token for admin-only endpoints: generated into the state dir, 0600. */
import { randomBytes } from "node:crypto";
import { chmod, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { IncomingHttpHeaders } from "node:http";
import { KubeiamError } from "../lib/errors.js";
import { safeEqual } from "../lib/redact.js";
import { atomicWrite } from "../store/directory-store.js";

export const ADMIN_TOKEN_FILE = "admin-token";

export async function readAdminToken(stateDir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(stateDir, ADMIN_TOKEN_FILE), "utf8")).trim();
  } catch {
    return undefined;
  }
}

export async function ensureAdminToken(stateDir: string): Promise<string> {
  const existing = await readAdminToken(stateDir);
  if (existing) {
    await chmod(join(stateDir, ADMIN_TOKEN_FILE), 0o600);
    return existing;
  }
  const token = randomBytes(32).toString("base64url");
  await atomicWrite(join(stateDir, ADMIN_TOKEN_FILE), token + "\n", 0o600);
  return token;
}

/** Throws UNAUTHORIZED unless the request carries `Authorization: Bearer <admin token>`. */
export function requireAdmin(headers: IncomingHttpHeaders, adminToken: string): void {
  const h = headers.authorization ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m || !safeEqual(m[1]!, adminToken)) {
    throw new KubeiamError("UNAUTHORIZED", "this endpoint needs the admin bearer token (Authorization: Bearer $(cat <state-dir>/admin-token))");
  }
}
