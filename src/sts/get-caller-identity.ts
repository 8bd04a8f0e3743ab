/** GetCallerIdentity (signed): who signed the request. Needs no permission; an explicit Deny does not apply. */
import type { Caller } from "./caller.js";
import type { StsOutcome } from "./deps.js";

export function getCallerIdentity(caller: Caller): StsOutcome {
  return {
    ok: true,
    result: { Arn: caller.arn, UserId: caller.userId, Account: caller.account },
    subject: caller.arn,
    reasons: [{ check: "sts.caller", ok: true, message: `caller is ${caller.arn}` }],
  };
}
