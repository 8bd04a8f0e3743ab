/** appArmorProfile (baseline, 1.0): no AppArmor profile other than RuntimeDefault or Localhost. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { goQuote, joinQuote, pluralize, sortedList } from "../lib/text.js";

const ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/";

function allowedType(type: string): boolean {
  return type === "RuntimeDefault" || type === "Localhost";
}

function allowedAnnotationValue(value: string): boolean {
  return value === "" || value === "runtime/default" || value.startsWith("localhost/");
}

function evaluate(pod: PodView): CheckOutcome {
  const badSetters: string[] = [];
  const badTypes = new Set<string>();
  const paths: string[] = [];

  const podProfile = pod.spec.securityContext?.appArmorProfile;
  if (podProfile != null) {
    const type = podProfile.type ?? "";
    if (!allowedType(type)) {
      badSetters.push("pod");
      badTypes.add(type);
      paths.push(`${pod.pathPrefix}spec.securityContext.appArmorProfile.type`);
    }
  }

  const badContainers: string[] = [];
  for (const { container, name, path } of pod.containers) {
    const profile = container.securityContext?.appArmorProfile;
    if (profile == null) continue;
    const type = profile.type ?? "";
    if (!allowedType(type)) {
      badContainers.push(name);
      badTypes.add(type);
      paths.push(`${path}.securityContext.appArmorProfile.type`);
    }
  }
  if (badContainers.length > 0) {
    badSetters.push(
      `${pluralize("container", "containers", badContainers.length)} ${joinQuote(badContainers)}`,
    );
  }

  const badAnnotations: string[] = [];
  for (const [key, value] of pod.annotations) {
    if (key.startsWith(ANNOTATION_PREFIX) && !allowedAnnotationValue(value)) {
      badAnnotations.push(`${key}=${goQuote(value)}`);
      paths.push(`${pod.pathPrefix}metadata.annotations[${key}]`);
    }
  }

  const badValues = sortedList(badTypes);
  if (badAnnotations.length > 0) {
    badValues.push(...sortedList(badAnnotations));
    badSetters.push(pluralize("annotation", "annotations", badAnnotations.length));
  }
  if (badSetters.length === 0) return PASS;
  return fail(
    pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", badValues.length),
    `${badSetters.join(" and ")} must not set AppArmor profile type to ${joinQuote(badValues)}`,
    paths,
    badValues,
  );
}

export const appArmorProfile: CheckDefinition = {
  id: "appArmorProfile",
  level: "baseline",
  versions: [
    {
      minMinor: 0,
      evaluate,
      rule: `AppArmor profile type unset, RuntimeDefault or Localhost; annotations ${ANNOTATION_PREFIX}* empty, runtime/default or localhost/*`,
    },
  ],
};
