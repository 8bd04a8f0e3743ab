/** seLinuxOptions (baseline, 1.0; 1.31): only container SELinux types, no user or role. */
import { fail, PASS, type CheckDefinition, type CheckOutcome } from "../check-types.js";
import type { PodView, SELinuxOptionsV } from "../pod-view.js";
import { joinQuote, pluralize, sortedList } from "../lib/text.js";

const TYPES_1_0: ReadonlySet<string> = new Set(["", "container_t", "container_init_t", "container_kvm_t"]);
const TYPES_1_31: ReadonlySet<string> = new Set([...TYPES_1_0, "container_engine_t"]);

function checkWith(allowedTypes: ReadonlySet<string>): (pod: PodView) => CheckOutcome {
  return (pod) => {
    const badSetters: string[] = [];
    const badTypes = new Set<string>();
    const paths: string[] = [];
    let setUser = false;
    let setRole = false;

    const valid = (opts: SELinuxOptionsV, path: string): boolean => {
      let ok = true;
      const type = opts.type ?? "";
      if (!allowedTypes.has(type)) {
        ok = false;
        badTypes.add(type);
        paths.push(`${path}.type`);
      }
      if ((opts.user ?? "") !== "") {
        ok = false;
        setUser = true;
        paths.push(`${path}.user`);
      }
      if ((opts.role ?? "") !== "") {
        ok = false;
        setRole = true;
        paths.push(`${path}.role`);
      }
      return ok;
    };

    const podOpts = pod.spec.securityContext?.seLinuxOptions;
    if (podOpts != null && !valid(podOpts, `${pod.pathPrefix}spec.securityContext.seLinuxOptions`))
      badSetters.push("pod");

    const badContainers: string[] = [];
    for (const { container, name, path } of pod.containers) {
      const opts = container.securityContext?.seLinuxOptions;
      if (opts != null && !valid(opts, `${path}.securityContext.seLinuxOptions`)) badContainers.push(name);
    }
    if (badContainers.length > 0) {
      badSetters.push(
        `${pluralize("container", "containers", badContainers.length)} ${joinQuote(badContainers)}`,
      );
    }
    if (badSetters.length === 0) return PASS;

    const problems: string[] = [];
    const typeList = sortedList(badTypes);
    if (typeList.length > 0)
      problems.push(`${pluralize("type", "types", typeList.length)} ${joinQuote(typeList)}`);
    if (setUser) problems.push("user may not be set");
    if (setRole) problems.push("role may not be set");
    return fail(
      "seLinuxOptions",
      `${badSetters.join(" and ")} set forbidden securityContext.seLinuxOptions: ${problems.join("; ")}`,
      paths,
      {
        types: typeList,
        user: setUser,
        role: setRole,
      },
    );
  };
}

function rule(types: ReadonlySet<string>): string {
  return `seLinuxOptions.type unset or one of ${[...types].filter((t) => t !== "").join(", ")}; user and role unset`;
}

export const seLinuxOptions: CheckDefinition = {
  id: "seLinuxOptions",
  level: "baseline",
  versions: [
    { minMinor: 0, evaluate: checkWith(TYPES_1_0), rule: rule(TYPES_1_0) },
    { minMinor: 31, evaluate: checkWith(TYPES_1_31), rule: rule(TYPES_1_31) },
  ],
};
