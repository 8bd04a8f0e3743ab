/**
 * The mutation tables in test/fixtures/pod-identity/*.yaml: exact patches, decode errors, reasons,
 * and for every case that mutates, idempotence (the patched pod gets no new patch) and purity (the
 * input is not modified).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mutatePodForIdentity } from "../../../../src/admission/pod-identity/mutate-pod.js";
import { podIdentityConfig, type PodIdentityConfig } from "../../../../src/admission/pod-identity/config.js";
import type { JsonPatchOp } from "../../../../src/admission/review.js";
import { isKubeiamError } from "../../../../src/lib/errors.js";
import type { KubeObject } from "../../../../src/store/types.js";
import { applyJsonPatch, mutationTables, readFixture } from "./helpers.js";

interface Case {
  name: string;
  namespace?: string;
  config?: Partial<PodIdentityConfig>;
  serviceAccount?: KubeObject | null;
  pod: unknown;
  patch?: JsonPatchOp[];
  error?: string;
  reasons?: { check: string; ok: boolean }[];
  serviceAccountName?: string;
}

interface Table {
  defaults: { namespace: string; config: Partial<PodIdentityConfig>; serviceAccount: KubeObject | null };
  cases: Case[];
}

const tables = mutationTables();

test("the fixture folder holds the mutation tables", () => {
  for (const t of [
    "service-account.yaml",
    "pod-annotations.yaml",
    "env.yaml",
    "volumes.yaml",
    "containers.yaml",
    "windows.yaml",
    "idempotence.yaml",
    "decode-errors.yaml",
  ]) {
    assert.ok(tables.includes(t), `${t} is missing`);
  }
});

for (const file of tables) {
  const table = readFixture(file) as Table;
  describe(file, () => {
    for (const c of table.cases) {
      test(c.name, () => {
        assert.ok(
          (c.patch === undefined) !== (c.error === undefined),
          "a case expects either a patch or an error",
        );
        const config = podIdentityConfig(c.config ?? table.defaults.config);
        const serviceAccount =
          (c.serviceAccount === undefined ? table.defaults.serviceAccount : c.serviceAccount) ?? undefined;
        const namespace = c.namespace ?? table.defaults.namespace;
        const before = structuredClone(c.pod);
        const run = (pod: unknown) => mutatePodForIdentity({ pod, namespace, serviceAccount, config });

        if (c.error !== undefined) {
          assert.throws(
            () => run(c.pod),
            (e: unknown) =>
              isKubeiamError(e) && e.code === "ADMISSION_OBJECT_INVALID" && e.message === c.error,
          );
          return;
        }
        const result = run(c.pod);
        assert.deepEqual(result.patch, c.patch);
        assert.deepEqual(c.pod, before, "the input pod must not be modified");
        for (const r of c.reasons ?? []) {
          assert.ok(
            result.reasons.some((x) => x.check === r.check && x.ok === r.ok),
            `expected a reason ${r.check} ok=${r.ok}; got ${result.reasons.map((x) => `${x.check}=${x.ok}`).join(", ")}`,
          );
        }
        for (const r of result.reasons) assert.ok(r.message.length > 0, "every reason says something");
        if (c.serviceAccountName !== undefined) assert.equal(result.serviceAccountName, c.serviceAccountName);
        if (result.patch.length > 0) assert.ok(result.roleArn, "a mutation names its role");

        // Idempotence: what the patch produces is left alone the next time.
        const mutated = applyJsonPatch(c.pod, result.patch);
        const again = run(mutated);
        if (config.emitUnchangedPatch === true)
          assert.deepEqual(applyJsonPatch(mutated, again.patch), mutated);
        else assert.deepEqual(again.patch, [], "a mutated pod must get no new patch");
      });
    }
  });
}
