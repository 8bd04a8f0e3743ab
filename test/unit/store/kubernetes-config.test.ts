/**
 * The `kubernetes:` section of kubeiam.yaml (src/store/kube/config.ts, wired into the config
 * schema and resolver): defaults in every mode, paths relative to the config file, and the errors
 * for bad values.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfigText } from "../../../src/config/load.js";
import { resolveConfig } from "../../../src/config/resolve.js";
import { KubeiamError } from "../../../src/lib/errors.js";

const load = (text: string, file = "/etc/kubeiam/kubeiam.yaml") =>
  resolveConfig(parseConfigText(text, file), file, {}, "/work");

describe("kubernetes config", () => {
  test("defaults apply in every mode", () => {
    for (const text of ["{}\n", "mode: embedded\n", "mode: cluster\n"]) {
      assert.deepEqual(
        load(text).kubernetes,
        { kubeconfig: undefined, context: undefined, namespace: "kubeiam-system", resyncSeconds: 600 },
        text,
      );
    }
    assert.equal(load("mode: cluster\n").mode, "cluster");
  });

  test("every field; a relative kubeconfig is taken from the config file's folder", () => {
    const c = load(
      "mode: cluster\nkubernetes:\n  kubeconfig: ./kc.yaml\n  context: prod\n  namespace: iam\n  resyncSeconds: 60\n",
    );
    assert.deepEqual(c.kubernetes, {
      kubeconfig: "/etc/kubeiam/kc.yaml",
      context: "prod",
      namespace: "iam",
      resyncSeconds: 60,
    });
    assert.equal(load("kubernetes: {kubeconfig: /abs/kc}\n").kubernetes.kubeconfig, "/abs/kc");
  });

  const bad: [string, RegExp][] = [
    [
      "kubernetes: {namespace: Kube_IAM}\n",
      /field "kubernetes\.namespace": .*a namespace name \(DNS label\)/,
    ],
    ["kubernetes: {namespace: " + "a".repeat(64) + "}\n", /field "kubernetes\.namespace"/],
    ["kubernetes: {resyncSeconds: 1}\n", /field "kubernetes\.resyncSeconds"/],
    ["kubernetes: {resyncSeconds: 1.5}\n", /field "kubernetes\.resyncSeconds"/],
    ["kubernetes: {kubeconfig: ''}\n", /field "kubernetes\.kubeconfig"/],
    ["kubernetes: {server: https://x}\n", /field "kubernetes(\.server)?"/],
    ["kubernetes: yes\n", /field "kubernetes"/],
    ["mode: remote\n", /field "mode"/],
  ];
  for (const [text, want] of bad) {
    test(`refuses ${text.trim()}`, () => {
      assert.throws(
        () => load(text),
        (e: unknown) =>
          e instanceof KubeiamError &&
          e.code === "CONFIG_INVALID" &&
          want.test(e.message) &&
          e.message.startsWith("/etc/kubeiam/kubeiam.yaml:"),
      );
    });
  }
});
