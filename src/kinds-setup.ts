/**
 * Plugs each capability's validation of the kinds it owns into the store's kind table. Imported for
 * its effect by every entry point (server and CLI) before a store loads.
 */
import { extendKindValidation } from "./store/kinds.js";
import { validateManagedPolicy, validateOidcProvider, validateRole, validateUser } from "./iam/objects.js";
import { validateTenant } from "./tenancy/tenant.js";
import { validateAccessEntry } from "./authn/mapping/access-entry.js";

let done = false;

export function setupKinds(): void {
  if (done) return;
  done = true;
  const onlySpecErrors = (f: (o: Parameters<typeof validateRole>[0]) => string[]) => (o: Parameters<typeof validateRole>[0]) => f(o).filter((e) => !e.startsWith("spec: expected a mapping"));
  extendKindValidation("IAMRole", onlySpecErrors(validateRole));
  extendKindValidation("OIDCProvider", onlySpecErrors(validateOidcProvider));
  extendKindValidation("IAMUser", onlySpecErrors(validateUser));
  extendKindValidation("IAMPolicy", onlySpecErrors(validateManagedPolicy));
  extendKindValidation("Tenant", onlySpecErrors(validateTenant));
  extendKindValidation("AccessEntry", onlySpecErrors(validateAccessEntry));
}

setupKinds();
