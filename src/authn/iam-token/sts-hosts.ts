/**
 * Decides whether the host of a presigned GetCallerIdentity URL is an STS endpoint the server may
 * replay the token to, following aws-iam-authenticator's verifyHost: region from the host name,
 * the STS endpoints the AWS SDK would resolve for that region (plain, FIPS, dual-stack, both), the
 * instance-region fallback, then the server partition's domains. Pure and cheap, so there is no
 * memo of good hosts (upstream's memo grows without bound).
 */
import { binaryToText, goQuote } from "./lib/go-strings.js";

export const PARTITIONS = [
  "aws",
  "aws-cn",
  "aws-us-gov",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-eusc",
] as const;
export type Partition = (typeof PARTITIONS)[number];

interface PartitionInfo {
  /** Regions not matched by the regex (the SDK's pseudo "-global" regions). */
  regions: readonly string[];
  regionRegex: RegExp;
  dns: string;
  dualStack?: string;
}

/** Region regexes from the AWS SDK partitions data; domains as aws-iam-authenticator verifies them. */
const PARTITION_INFO: Readonly<Record<Partition, PartitionInfo>> = {
  aws: {
    regions: ["aws-global"],
    regionRegex: /^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$/,
    dns: "amazonaws.com",
    dualStack: "api.aws",
  },
  "aws-cn": {
    regions: ["aws-cn-global"],
    regionRegex: /^cn-\w+-\d+$/,
    dns: "amazonaws.com.cn",
    dualStack: "api.amazonwebservices.com.cn",
  },
  "aws-eusc": {
    regions: [],
    regionRegex: /^eusc-(de)-\w+-\d+$/,
    dns: "amazonaws.eu",
    dualStack: "api.amazonwebservices.eu",
  },
  "aws-iso": { regions: ["aws-iso-global"], regionRegex: /^us-iso-\w+-\d+$/, dns: "c2s.ic.gov" },
  "aws-iso-b": { regions: ["aws-iso-b-global"], regionRegex: /^us-isob-\w+-\d+$/, dns: "sc2s.sgov.gov" },
  "aws-iso-e": { regions: ["aws-iso-e-global"], regionRegex: /^eu-isoe-\w+-\d+$/, dns: "cloud.adc-e.uk" },
  "aws-iso-f": { regions: ["aws-iso-f-global"], regionRegex: /^us-isof-\w+-\d+$/, dns: "csp.hci.ic.gov" },
  "aws-us-gov": {
    regions: ["aws-us-gov-global"],
    regionRegex: /^us-gov-\w+-\d+$/,
    dns: "amazonaws.com",
    dualStack: "api.aws",
  },
};

/** Search order of the SDK partitions data. */
const SDK_ORDER: readonly Partition[] = [
  "aws",
  "aws-cn",
  "aws-eusc",
  "aws-iso",
  "aws-iso-b",
  "aws-iso-e",
  "aws-iso-f",
  "aws-us-gov",
];

export function isPartition(p: string): p is Partition {
  return (PARTITIONS as readonly string[]).includes(p);
}

/** The SDK's aws.partition(region): listed regions, then regexes, else the aws partition. */
export function partitionOfRegion(region: string): Partition {
  for (const p of SDK_ORDER) if (PARTITION_INFO[p].regions.includes(region)) return p;
  for (const p of SDK_ORDER) if (PARTITION_INFO[p].regionRegex.test(region)) return p;
  return "aws";
}

/** The hosts the SDK's STS endpoint rules give for a region, over the four FIPS × dual-stack combinations. */
export function resolvedStsHosts(region: string): string[] {
  const p = partitionOfRegion(region);
  const info = PARTITION_INFO[p];
  const hosts = [
    region === "aws-global" ? "sts.amazonaws.com" : `sts.${region}.${info.dns}`,
    p === "aws-us-gov" ? `sts.${region}.amazonaws.com` : `sts-fips.${region}.${info.dns}`,
  ];
  if (info.dualStack !== undefined)
    hosts.push(`sts.${region}.${info.dualStack}`, `sts-fips.${region}.${info.dualStack}`);
  return hosts;
}

const REGION_FORMAT = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;

export interface StsHostOptions {
  /** The server's partition (upstream `--partition`), default "aws". */
  partition?: Partition | undefined;
  /** The region the server runs in (upstream reads it from IMDS); may be empty. */
  instanceRegion?: string | undefined;
  /**
   * kubeiam addition: exact `host[:port]` values accepted before the AWS rules, e.g. kubeiam's own
   * STS endpoint in embedded mode. Empty by default.
   */
  extraHosts?: readonly string[] | undefined;
}

export type StsHostResult =
  | {
      ok: true;
      /** "global" for sts.amazonaws.com, else the region label of the host (the host itself for an extra host). */ region: string;
      rule: string;
    }
  | { ok: false; /** Upstream text (without the FormatError prefix). */ error: string; rule: string };

/** getStsRegion: the second dot-label, or "global" for the legacy endpoint. */
export function stsRegionOfHost(host: string): { ok: true; region: string } | { ok: false; error: string } {
  const parts = host.split(".");
  if (parts.length < 3) return { ok: false, error: `invalid host format: ${binaryToText(host)}` };
  if (host === "sts.amazonaws.com") return { ok: true, region: "global" };
  return { ok: true, region: parts[1]! };
}

/**
 * verifyHost. `host` is the Go URL host (binary string, port included when present). Error texts
 * are upstream's, without the "input token was not properly formatted: " prefix.
 */
export function verifyStsHost(host: string, opts: StsHostOptions = {}): StsHostResult {
  const partition = opts.partition ?? "aws";
  const info = PARTITION_INFO[partition];
  const text = binaryToText(host);
  // An extra host has no AWS region; its name stands in for one in STS error texts.
  if (opts.extraHosts?.includes(host)) return { ok: true, region: text, rule: "extra-host" };
  const r = stsRegionOfHost(host);
  if (!r.ok)
    return {
      ok: false,
      error: `could not parse region for pre-signed URL ${text}, ${r.error}`,
      rule: "region-from-host",
    };
  const region = r.region;
  if (region === "global") {
    if (partition !== "aws")
      return {
        ok: false,
        error: `global endpoint unsupported in partition ${partition}`,
        rule: "global-endpoint",
      };
    return { ok: true, region, rule: "global-endpoint" };
  }
  if (!REGION_FORMAT.test(region)) {
    return {
      ok: false,
      error: `invalid region identifier format provided: ${binaryToText(region)}`,
      rule: "region-format",
    };
  }
  if (!resolvedStsHosts(region).includes(host)) {
    const ir = opts.instanceRegion ?? "";
    const fallback =
      ir === ""
        ? []
        : [`sts.${ir}.${info.dns}`, ...(info.dualStack === undefined ? [] : [`sts.${ir}.${info.dualStack}`])];
    if (fallback.includes(host)) return { ok: true, region, rule: "instance-region" };
    return {
      ok: false,
      error: `unexpected hostname ${goQuote(host)} in pre-signed URL`,
      rule: "resolved-endpoints",
    };
  }
  const domain = host.split(".").slice(2).join(".");
  if (domain !== info.dns && domain !== info.dualStack) {
    return {
      ok: false,
      error: `partition {${partition}} does not support hostname ${text}`,
      rule: "partition-domain",
    };
  }
  return { ok: true, region, rule: "resolved-endpoints" };
}
