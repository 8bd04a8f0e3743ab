/** What the IAM API handlers need: the cache to read, the store to write, access keys, the policy engine, time. */
import type { Reason } from "../../lib/decision.js";
import type { ObjectCache } from "../../store/cache.js";
import type { ObjectStore } from "../../store/types.js";
import type { AwsError } from "../../sts/aws-error.js";
import type { Caller } from "../../sts/caller.js";
import type { PolicyPort } from "../../sts/policy-port.js";
import type { QueryParams } from "../../sts/query.js";
import type { XmlValue } from "../../sts/xml.js";
import type { AccessKeyStore } from "../access-keys.js";

export interface IamLookupDeps {
  account: string;
  partition: string;
  cache: Pick<ObjectCache, "get" | "list">;
}

export interface IamDeps extends IamLookupDeps {
  store: Pick<ObjectStore, "put" | "delete">;
  accessKeys: AccessKeyStore;
  policy: PolicyPort;
  /** Milliseconds since the epoch. */
  now: number;
}

export type XmlResult = { [name: string]: XmlValue };

export type IamHandler = (p: QueryParams, deps: IamDeps, caller: Caller) => Promise<XmlResult | undefined>;

export type IamOutcome =
  | { ok: true; result: XmlResult | undefined; reasons: Reason[] }
  | { ok: false; error: AwsError; reasons: Reason[] };
