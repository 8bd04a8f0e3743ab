/**
 * capabilities_restricted (restricted, 1.22; 1.25): every container drops ALL and adds nothing but
 * NET_BIND_SERVICE. Replaces capabilities_baseline. From 1.25 Windows pods are exempt.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";
import { isWindowsPod } from "./allow-privilege-escalation.js";

function evaluate(pod: PodView): CheckOutcome {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbidden = new Set<string>();
  const paths: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const caps = container.securityContext?.capabilities;
    if (caps == null) {
      missingDropAll.push(name);
      paths.push(`${path}.securityContext.capabilities.drop`);
      continue;
    }
    if (!(caps.drop ?? []).includes("ALL")) {
      missingDropAll.push(name);
      paths.push(`${path}.securityContext.capabilities.drop`);
    }
    const add = caps.add ?? [];
    let addedForbidden = false;
    for (let i = 0; i < add.length; i++) {
      const cap = add[i] ?? "";
      if (cap !== "NET_BIND_SERVICE") {
        addedForbidden = true;
        forbidden.add(cap);
        paths.push(`${path}.securityContext.capabilities.add[${i}]`);
      }
    }
    if (addedForbidden) addingForbidden.push(name);
  }
  const details: string[] = [];
  if (missingDropAll.length > 0) {
    details.push(
      `${pluralize("container", "containers", missingDropAll.length)} ${joinQuote(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`,
    );
  }
  const capList = sortedList(forbidden);
  if (addingForbidden.length > 0) {
    details.push(
      `${pluralize("container", "containers", addingForbidden.length)} ${joinQuote(addingForbidden)} must not include ${joinQuote(capList)} in securityContext.capabilities.add`,
    );
  }
  if (details.length === 0) return PASS;
  return fail("unrestricted capabilities", details.join("; "), paths, {
    missingDropAll,
    forbiddenAdd: capList,
  });
}

export const capabilitiesRestricted: CheckDefinition = {
  id: "capabilities_restricted",
  level: "restricted",
  versions: [
    {
      minMinor: 22,
      evaluate,
      rule: 'every container sets securityContext.capabilities.drop=["ALL"] and adds at most NET_BIND_SERVICE',
      overrides: ["capabilities_baseline"],
    },
    {
      minMinor: 25,
      evaluate: (pod) => (isWindowsPod(pod) ? PASS : evaluate(pod)),
      rule: 'every container sets securityContext.capabilities.drop=["ALL"] and adds at most NET_BIND_SERVICE (Windows pods exempt)',
      overrides: ["capabilities_baseline"],
    },
  ],
};
