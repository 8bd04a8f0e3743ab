/**
 * seccompProfile_baseline (baseline, 1.0; 1.19): no Unconfined seccomp profile. Before 1.19 the
 * alpha annotations are read; from 1.19 the securityContext.seccompProfile fields.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView } from "../pod-view.js";
import { goQuote, joinQuote, pluralize, sortedList } from "../lib/text.js";

export const POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod";
export const CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/";

export function validSeccompType(type: string): boolean {
  return type === "RuntimeDefault" || type === "Localhost";
}

function validAnnotationValue(value: string): boolean {
  return value === "runtime/default" || value === "docker/default" || value.startsWith("localhost/");
}

function annotationCheck(pod: PodView): CheckOutcome {
  if (pod.annotations.length === 0) return PASS;
  const annotations = new Map(pod.annotations);
  const forbidden = new Set<string>();
  const paths: string[] = [];
  const consider = (key: string): void => {
    const value = annotations.get(key);
    if (value !== undefined && !validAnnotationValue(value)) {
      const entry = `${key}=${goQuote(value)}`;
      if (!forbidden.has(entry)) paths.push(`${pod.pathPrefix}metadata.annotations[${key}]`);
      forbidden.add(entry);
    }
  };
  consider(POD_ANNOTATION);
  for (const { name } of pod.containers) consider(CONTAINER_ANNOTATION_PREFIX + name);
  if (forbidden.size === 0) return PASS;
  const list = sortedList(forbidden);
  return fail(
    "seccompProfile",
    `forbidden ${pluralize("annotation", "annotations", list.length)} ${list.join(", ")}`,
    paths,
    list,
  );
}

/** The explicit-value part shared with seccompProfile_restricted. */
export interface ExplicitSeccomp {
  readonly badSetters: string[];
  readonly badTypes: Set<string>;
  readonly paths: string[];
  /** The pod sets a valid profile type. */
  readonly podValid: boolean;
  /** Containers that set no profile of their own. */
  readonly unsetContainers: { name: string; path: string }[];
}

export function explicitSeccomp(pod: PodView): ExplicitSeccomp {
  const badSetters: string[] = [];
  const badTypes = new Set<string>();
  const paths: string[] = [];
  let podValid = false;
  const podProfile = pod.spec.securityContext?.seccompProfile;
  if (podProfile != null) {
    const type = podProfile.type ?? "";
    if (validSeccompType(type)) podValid = true;
    else {
      badSetters.push("pod");
      badTypes.add(type);
      paths.push(`${pod.pathPrefix}spec.securityContext.seccompProfile.type`);
    }
  }
  const badContainers: string[] = [];
  const unsetContainers: { name: string; path: string }[] = [];
  for (const { container, name, path } of pod.containers) {
    const profile = container.securityContext?.seccompProfile;
    if (profile == null) {
      unsetContainers.push({ name, path });
      continue;
    }
    const type = profile.type ?? "";
    if (!validSeccompType(type)) {
      badContainers.push(name);
      badTypes.add(type);
      paths.push(`${path}.securityContext.seccompProfile.type`);
    }
  }
  if (badContainers.length > 0) {
    badSetters.push(
      `${pluralize("container", "containers", badContainers.length)} ${joinQuote(badContainers)}`,
    );
  }
  return { badSetters, badTypes, paths, podValid, unsetContainers };
}

export function explicitFailure(e: ExplicitSeccomp): CheckOutcome {
  const types = sortedList(e.badTypes);
  return fail(
    "seccompProfile",
    `${e.badSetters.join(" and ")} must not set securityContext.seccompProfile.type to ${joinQuote(types)}`,
    e.paths,
    types,
  );
}

function fieldCheck(pod: PodView): CheckOutcome {
  const e = explicitSeccomp(pod);
  return e.badSetters.length === 0 ? PASS : explicitFailure(e);
}

export const seccompProfileBaseline: CheckDefinition = {
  id: "seccompProfile_baseline",
  level: "baseline",
  versions: [
    {
      minMinor: 0,
      evaluate: annotationCheck,
      rule: `annotations ${POD_ANNOTATION} and ${CONTAINER_ANNOTATION_PREFIX}<container> unset, runtime/default, docker/default or localhost/*`,
    },
    {
      minMinor: 19,
      evaluate: fieldCheck,
      rule: "securityContext.seccompProfile.type unset, RuntimeDefault or Localhost",
    },
  ],
};
