/**
 * The login token cache: one JSON file per (issuer, client id, scopes, and the password grant's user
 * name when there is one) under `~/.kube/cache/kubeiam/` (or `$KUBECACHEDIR/kubeiam/`, or --cache-dir), mode 0600 in a 0700
 * directory, written atomically. A file that others can read, that is too large or that does not
 * parse is ignored (and replaced on the next write), never trusted.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, readFile, stat } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { KubeiamError } from "../../lib/errors.js";
import { atomicWrite } from "../../store/directory-store.js";

export const CACHE_FILE_MODE = 0o600;
const CACHE_DIR_MODE = 0o700;
const MAX_CACHE_BYTES = 256 * 1024;

export interface CacheKeyInput {
  issuer: string;
  clientId: string;
  scopes: readonly string[];
  /** The password grant's user name: two users of one client do not share a cache file. */
  username?: string | undefined;
}

const entrySchema = z.object({
  issuer: z.string(),
  clientId: z.string(),
  scopes: z.array(z.string()),
  username: z.string().optional(),
  idToken: z.string().min(1),
  refreshToken: z.string().min(1).optional(),
  /** ID token expiry, ms since the epoch. */
  expiresAt: z.number(),
});
export type CachedTokens = z.infer<typeof entrySchema>;

/** `--cache-dir` as given, else `$KUBECACHEDIR/kubeiam`, else `~/.kube/cache/kubeiam`. */
export function cacheDirectory(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  home: string = homedir(),
): string {
  if (flag !== undefined && flag !== "") return flag;
  const base =
    env.KUBECACHEDIR !== undefined && env.KUBECACHEDIR !== ""
      ? env.KUBECACHEDIR
      : join(home, ".kube", "cache");
  return join(base, "kubeiam");
}

/** Scopes as a set: order and repeats do not change the key. */
export function normalizeScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes)].sort();
}

export function cacheFileName(k: CacheKeyInput): string {
  const parts: unknown[] = [k.issuer, k.clientId, normalizeScopes(k.scopes)];
  if (k.username !== undefined) parts.push(k.username);
  const material = JSON.stringify(parts);
  return createHash("sha256").update(material).digest("hex") + ".json";
}

export interface CacheRead {
  entry?: CachedTokens;
  /** Why an existing file was not used. */
  ignored?: string;
}

export async function readCachedTokens(dir: string, k: CacheKeyInput): Promise<CacheRead> {
  const file = join(dir, cacheFileName(k));
  let mode: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) return { ignored: `${file} is not a regular file` };
    if (st.size > MAX_CACHE_BYTES) return { ignored: `${file} is larger than ${MAX_CACHE_BYTES} bytes` };
    mode = st.mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return {};
    return { ignored: `${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})` };
  }
  if ((mode & 0o077) !== 0)
    return {
      ignored: `${file} has mode ${mode.toString(8).padStart(4, "0")}; tokens are trusted only from a 0600 file`,
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch {
    return { ignored: `${file} is not valid JSON` };
  }
  const r = entrySchema.safeParse(parsed);
  if (!r.success) return { ignored: `${file} does not have the expected fields` };
  const e = r.data;
  if (
    e.issuer !== k.issuer ||
    e.clientId !== k.clientId ||
    JSON.stringify(normalizeScopes(e.scopes)) !== JSON.stringify(normalizeScopes(k.scopes)) ||
    e.username !== k.username
  ) {
    return { ignored: `${file} belongs to another issuer, client or scope set` };
  }
  return { entry: e };
}

export async function writeCachedTokens(dir: string, entry: CachedTokens): Promise<string> {
  const file = join(dir, cacheFileName(entry));
  try {
    await mkdir(dir, { recursive: true, mode: CACHE_DIR_MODE });
    await atomicWrite(
      file,
      JSON.stringify({ ...entry, scopes: normalizeScopes(entry.scopes) }) + "\n",
      CACHE_FILE_MODE,
    );
    // the mode given to open() is reduced by the umask, never widened; make it exact anyway
    await chmod(file, CACHE_FILE_MODE);
  } catch (e) {
    throw new KubeiamError(
      "STATE_DIR_UNUSABLE",
      `cannot write the token cache ${file} (${(e as NodeJS.ErrnoException).code ?? "error"}); pass a writable --cache-dir`,
      { dir },
    );
  }
  return file;
}
