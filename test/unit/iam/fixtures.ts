/** Loads the IAM policy fixtures (YAML) for the table-driven tests. */
import { readFileSync } from "node:fs";
import { parse } from "yaml";

export const FIXTURES = new URL("../../fixtures/iam-policy/", import.meta.url);

export function loadYaml(name: string): unknown {
  return parse(readFileSync(new URL(name, FIXTURES), "utf8"), { customTags: ["timestamp"] });
}

/** Expands {{PAD:n}}, {{SPACES:n}} and {{NEST:n}} placeholders in a fixture document. */
export function expand(text: string): string {
  return text.replace(/\{\{(PAD|SPACES|NEST):(\d+)\}\}/g, (_, kind: string, n: string) => {
    const count = Number(n);
    if (kind === "PAD") return "a".repeat(count);
    if (kind === "SPACES") return " ".repeat(count);
    return "[".repeat(count) + '"x"' + "]".repeat(count);
  });
}
