/**
 * stsEndpoint: the STS URL a get-token presigns for — what the aws CLI picks: an endpoint from
 * AWS_ENDPOINT_URL_STS, then AWS_ENDPOINT_URL (unless AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true),
 * otherwise the regional endpoint of the region's partition (sts.<region>.amazonaws.com,
 * .amazonaws.com.cn, ...), FIPS and dual-stack when AWS_USE_FIPS_ENDPOINT / AWS_USE_DUALSTACK_ENDPOINT
 * say so. Pure: the environment is a parameter.
 */
import { KubeiamError } from "../../lib/errors.js";
import { resolvedStsHosts } from "../../authn/iam-token/sts-hosts.js";

export interface StsEndpoint {
  /** https://host[:port][/path] */
  url: string;
  /** Where it came from, for messages. */
  source:
    | "AWS_ENDPOINT_URL_STS"
    | "AWS_ENDPOINT_URL"
    | "regional"
    | "regional-fips"
    | "regional-dualstack"
    | "regional-fips-dualstack";
}

type Env = Readonly<Record<string, string | undefined>>;

const isTrue = (v: string | undefined): boolean => v?.trim().toLowerCase() === "true";

export function stsEndpoint(region: string, env: Env): StsEndpoint {
  if (!isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)) {
    for (const name of ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] as const) {
      const v = env[name];
      if (v === undefined || v === "") continue;
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new KubeiamError(
          "USAGE",
          `${name}: expected a URL such as https://sts.example.com, found "${v}"`,
        );
      }
      if (u.protocol !== "https:" && u.protocol !== "http:")
        throw new KubeiamError("USAGE", `${name}: expected an http(s) URL, found "${v}"`);
      if (u.search !== "" || u.hash !== "" || u.username !== "" || u.password !== "") {
        throw new KubeiamError(
          "USAGE",
          `${name}: the endpoint URL may not carry a query, fragment or user info`,
        );
      }
      return { url: `${u.protocol}//${u.host}${u.pathname === "/" ? "" : u.pathname}`, source: name };
    }
  }
  const fips = isTrue(env.AWS_USE_FIPS_ENDPOINT);
  const dual = isTrue(env.AWS_USE_DUALSTACK_ENDPOINT);
  const hosts = resolvedStsHosts(region);
  const pick = fips && dual ? hosts[3] : dual ? hosts[2] : fips ? hosts[1] : hosts[0];
  if (pick === undefined)
    throw new KubeiamError(
      "USAGE",
      `region ${region}: its partition has no dual-stack STS endpoint; unset AWS_USE_DUALSTACK_ENDPOINT`,
    );
  const source =
    fips && dual
      ? "regional-fips-dualstack"
      : dual
        ? "regional-dualstack"
        : fips
          ? "regional-fips"
          : "regional";
  return { url: `https://${pick}`, source };
}

const REGION = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A region name as the SDKs accept it (lower-case labels). */
export function checkRegion(region: string, from: string): string {
  if (!REGION.test(region))
    throw new KubeiamError("USAGE", `${from}: expected an AWS region such as us-west-2, found "${region}"`);
  return region;
}
