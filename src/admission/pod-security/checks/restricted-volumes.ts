/**
 * restrictedVolumes (restricted, 1.0): only volume sources that need no host or cluster-admin trust.
 * Replaces hostPathVolumes. A volume without any source counts as emptyDir (the API server's
 * default); a non-null field this engine does not know is reported as an "unknown" source.
 */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView, VolumeV } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";
import { ALLOWED_RESTRICTED_SOURCES, FORBIDDEN_RESTRICTED_SOURCES } from "../lib/volume-sources.js";

/** undefined when allowed, otherwise the source type to report. */
function forbiddenSource(volume: VolumeV): string | undefined {
  let unknown = false;
  for (const key of Object.keys(volume)) {
    if (key === "name" || volume[key] == null) continue;
    if (ALLOWED_RESTRICTED_SOURCES.has(key)) return undefined;
    if (!FORBIDDEN_RESTRICTED_SOURCES.includes(key)) unknown = true;
  }
  for (const key of FORBIDDEN_RESTRICTED_SOURCES) {
    if (volume[key] != null) return key;
  }
  // no source at all: defaulted to emptyDir by the API server
  return unknown ? "unknown" : undefined;
}

function evaluate(pod: PodView): CheckOutcome {
  const volumes = pod.spec.volumes;
  if (volumes == null) return PASS;
  const bad: string[] = [];
  const types = new Set<string>();
  const paths: string[] = [];
  for (let i = 0; i < volumes.length; i++) {
    const volume = volumes[i] ?? {};
    const type = forbiddenSource(volume);
    if (type === undefined) continue;
    bad.push(volume.name ?? "");
    types.add(type);
    paths.push(`${pod.pathPrefix}spec.volumes[${i}]${type === "unknown" ? "" : "." + type}`);
  }
  if (bad.length === 0) return PASS;
  const typeList = sortedList(types);
  const n = bad.length;
  return fail(
    "restricted volume types",
    `${pluralize("volume", "volumes", n)} ${joinQuote(bad)} ${pluralize("uses", "use", n)} ${pluralize("restricted volume type", "restricted volume types", typeList.length)} ${joinQuote(typeList)}`,
    paths,
    typeList,
  );
}

export const restrictedVolumes: CheckDefinition = {
  id: "restrictedVolumes",
  level: "restricted",
  versions: [
    {
      minMinor: 0,
      evaluate,
      rule: `volumes use only ${[...ALLOWED_RESTRICTED_SOURCES].join(", ")}`,
      overrides: ["hostPathVolumes"],
    },
  ],
};
