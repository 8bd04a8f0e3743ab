/**
 * First start: an admin IAM user with AdministratorAccess and one access key (secret kept 0600 in
 * the state dir), so the `aws` CLI can talk to kubeiam right away.
 */
import type { ObjectCache } from "../store/cache.js";
import type { ObjectStore } from "../store/types.js";
import type { AccessKeyStore, StoredAccessKey } from "./access-keys.js";
import { stableUniqueId } from "./ids.js";
import { userObject, userView } from "./objects.js";
import { newUidSeed } from "./seed.js";

export const ADMIN_USER = "admin";
export const ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess";

export async function ensureAdminUser(deps: {
  store: ObjectStore;
  cache: ObjectCache;
  accessKeys: AccessKeyStore;
  account: string;
  now: number;
}): Promise<StoredAccessKey> {
  await deps.accessKeys.load();
  let obj = deps.cache.get({ kind: "IAMUser", name: ADMIN_USER });
  if (!obj) {
    const createDate = new Date(deps.now).toISOString().replace(/\.\d{3}Z$/, "Z");
    obj = await deps.store.put(
      userObject({
        name: ADMIN_USER,
        path: "/",
        userId: stableUniqueId("AIDA", `user:${newUidSeed()}`),
        createDate,
        inlinePolicies: {},
        attachedPolicyArns: [ADMIN_POLICY],
        accessKeys: [],
      }),
    );
  }
  const existing = deps.accessKeys.forUser(ADMIN_USER).find((k) => k.status === "Active");
  if (existing) return existing;
  const key = await deps.accessKeys.create(ADMIN_USER, deps.now);
  if (!key) throw new Error("unreachable: no key limit for the admin user");
  const view = userView(obj, deps.account);
  await deps.store.put(
    userObject(
      {
        ...view,
        accessKeys: [
          ...view.accessKeys,
          { accessKeyId: key.accessKeyId, status: "Active", createDate: key.createDate },
        ],
      },
      obj,
    ),
  );
  return key;
}
