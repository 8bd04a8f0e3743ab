/**
 * Kind → Kubernetes API resource and REST paths (src/store/kube/resources.ts), from the table in
 * test/fixtures/store-kube/paths.json, plus the rules every kind in the kind table must follow.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { KubeiamError } from "../../../src/lib/errors.js";
import { KINDS } from "../../../src/store/kinds.js";
import {
  collectionPath,
  describeObject,
  groupVersionPath,
  objectPath,
  pluralOf,
  resourceFor,
} from "../../../src/store/kube/resources.js";

interface PathCase {
  kind: string;
  namespace: string | null;
  name: string;
  apiVersion: string;
  plural: string;
  namespaced: boolean;
  all: string;
  collection: string;
  object: string;
}

const fixture = JSON.parse(
  readFileSync(new URL("../../fixtures/store-kube/paths.json", import.meta.url), "utf8"),
) as { cases: PathCase[] };

describe("kind → API paths", () => {
  for (const c of fixture.cases) {
    test(`${c.kind} ${c.namespace ?? "-"}/${c.name}`, () => {
      const r = resourceFor(c.kind);
      assert.deepEqual([r.apiVersion, r.plural, r.namespaced], [c.apiVersion, c.plural, c.namespaced]);
      assert.equal(collectionPath(r), c.all);
      assert.equal(collectionPath(r, c.namespace ?? undefined), c.collection);
      assert.equal(objectPath(r, c.name, c.namespace ?? undefined), c.object);
    });
  }

  test("the fixture covers every API group kubeiam writes to", () => {
    const groups = new Set(Object.values(KINDS).map((k) => k.apiVersions[0]));
    assert.deepEqual(new Set(fixture.cases.map((c) => c.apiVersion)), groups);
  });
});

describe("every kind in the kind table maps to a resource", () => {
  for (const [kind, info] of Object.entries(KINDS)) {
    test(kind, () => {
      const r = resourceFor(kind);
      assert.equal(r.kind, kind);
      assert.equal(r.apiVersion, info.apiVersions[0]);
      assert.equal(r.namespaced, info.namespaced);
      assert.equal(r.group === "" ? r.version : `${r.group}/${r.version}`, r.apiVersion);
      assert.match(r.plural, /^[a-z]+s$/, "a lower-case plural");
      assert.equal(pluralOf(kind), r.plural);
      assert.equal(groupVersionPath(r), r.group === "" ? "/api/v1" : `/apis/${r.apiVersion}`);
    });
  }

  test("plurals are unique", () => {
    const plurals = Object.keys(KINDS).map((k) => `${resourceFor(k).group}/${resourceFor(k).plural}`);
    assert.equal(new Set(plurals).size, plurals.length);
  });
});

describe("bad input", () => {
  test("an unknown kind is STORE_UNKNOWN_KIND, including names inherited from Object", () => {
    for (const kind of ["Gadget", "pod", "toString", "constructor", ""]) {
      assert.throws(
        () => resourceFor(kind),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "STORE_UNKNOWN_KIND" &&
          e.message === `kind: unknown kind "${kind}"`,
      );
      assert.equal(pluralOf(kind), undefined);
    }
  });

  test("a namespaced object without a namespace is a bug, not a path", () => {
    assert.throws(
      () => objectPath(resourceFor("Pod"), "x"),
      (e: unknown) => e instanceof KubeiamError && e.code === "INTERNAL",
    );
    assert.throws(
      () => objectPath(resourceFor("Pod"), "x", ""),
      (e: unknown) => e instanceof KubeiamError && e.code === "INTERNAL",
    );
  });

  test("names and namespaces are one path segment each, whatever they contain", () => {
    assert.equal(
      objectPath(resourceFor("ClusterRole"), "a/b?c#d"),
      "/apis/rbac.authorization.k8s.io/v1/clusterroles/a%2Fb%3Fc%23d",
    );
    assert.equal(collectionPath(resourceFor("Pod"), "x/y"), "/api/v1/namespaces/x%2Fy/pods");
  });

  test("describeObject names namespaced and cluster objects", () => {
    assert.equal(describeObject("Pod", "web", "team-a"), "Pod team-a/web");
    assert.equal(describeObject("IAMRole", "admin"), "IAMRole admin");
  });
});
