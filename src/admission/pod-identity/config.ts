/**
 * Settings of the pod identity webhook, mirroring upstream's flags (spec irsa-sts §1.2), with
 * upstream's defaults.
 */
import { KubeiamError } from "../../lib/errors.js";
import {
  annotationKey,
  AUDIENCE,
  ROLE_ARN,
  SKIP_CONTAINERS,
  STS_REGIONAL_ENDPOINTS,
  TOKEN_EXPIRATION,
} from "./annotations.js";
import { goJoinPath } from "./lib/go-path.js";

export interface PodIdentityConfig {
  /** `--annotation-prefix`: annotations are `<prefix>/role-arn`, ... */
  readonly annotationPrefix: string;
  /** `--token-audience`: audience of the projected token unless the ServiceAccount names one. */
  readonly defaultAudience: string;
  /** `--token-mount-path`: where the token volume is mounted in each container. */
  readonly tokenMountPath: string;
  /** `--token-expiration`, seconds; raised to `minTokenExpiration`. */
  readonly defaultTokenExpiration: number;
  /** Lower bound for every token expiration (upstream: 600 s). */
  readonly minTokenExpiration: number;
  /** `--aws-default-region`: when not empty, AWS_DEFAULT_REGION and AWS_REGION are injected. */
  readonly region: string;
  /** `--sts-regional-endpoint`: inject AWS_STS_REGIONAL_ENDPOINTS=regional unless the ServiceAccount says otherwise. */
  readonly stsRegionalEndpoints: boolean;
  /**
   * `--compose-role-arn`: a role-arn annotation without "arn:" becomes
   * `arn:<partition>:iam::<accountId>:role/<value>`. Off when absent.
   */
  readonly composeRoleArn?: { readonly partition: string; readonly accountId: string } | undefined;
  /**
   * Upstream always re-emits `add /spec/containers` once a role resolves, even when nothing changes.
   * kubeiam answers with no patch in that case (the admitted pod is the same); set this to get
   * upstream's exact operations.
   */
  readonly emitUnchangedPatch?: boolean | undefined;
}

/** Hard-coded upstream: the projected volume's name and the token file inside it. */
export const TOKEN_VOLUME_NAME = "aws-iam-token";
export const TOKEN_FILE_NAME = "token";

export const DEFAULT_POD_IDENTITY_CONFIG: PodIdentityConfig = {
  annotationPrefix: "eks.amazonaws.com",
  defaultAudience: "sts.amazonaws.com",
  tokenMountPath: "/var/run/secrets/eks.amazonaws.com/serviceaccount",
  defaultTokenExpiration: 86_400,
  minTokenExpiration: 600,
  region: "",
  stsRegionalEndpoints: false,
};

/**
 * Upstream's defaults with `overrides` applied; the default expiration is raised to the minimum,
 * as upstream does at startup. Throws USAGE for a value that cannot be a setting.
 */
export function podIdentityConfig(overrides: Partial<PodIdentityConfig> = {}): PodIdentityConfig {
  const c: PodIdentityConfig = { ...DEFAULT_POD_IDENTITY_CONFIG, ...overrides };
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new KubeiamError(
      "USAGE",
      `pod identity setting ${field}: expected ${expected}, found ${JSON.stringify(found)}`,
      { field },
    );
  };
  if (!Number.isSafeInteger(c.minTokenExpiration) || c.minTokenExpiration < 0)
    bad("minTokenExpiration", "a non-negative integer", c.minTokenExpiration);
  if (!Number.isSafeInteger(c.defaultTokenExpiration))
    bad("defaultTokenExpiration", "an integer number of seconds", c.defaultTokenExpiration);
  if (c.annotationPrefix === "") bad("annotationPrefix", "a non-empty prefix", c.annotationPrefix);
  if (c.tokenMountPath === "") bad("tokenMountPath", "a non-empty path", c.tokenMountPath);
  return { ...c, defaultTokenExpiration: Math.max(c.defaultTokenExpiration, c.minTokenExpiration) };
}

/** The AWS partition of a region, as upstream derives it for `--compose-role-arn`. */
export function partitionOfRegion(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  if (region.startsWith("us-isob-")) return "aws-iso-b";
  if (region.startsWith("us-iso-")) return "aws-iso";
  if (region.startsWith("eusc-")) return "aws-eusc";
  return "aws";
}

/** Values computed from the settings once, not per pod: annotation keys and token file paths. */
export interface DerivedSettings {
  readonly keys: {
    readonly roleArn: string;
    readonly audience: string;
    readonly stsRegionalEndpoints: string;
    readonly tokenExpiration: string;
    readonly skipContainers: string;
  };
  /** filepath.Join(mount path, "token"). */
  readonly tokenFile: string;
  /** The same for Windows pods: "C:" + the path with backslashes. */
  readonly windowsTokenFile: string;
}

const DERIVED = new WeakMap<PodIdentityConfig, DerivedSettings>();

export function derivedSettings(config: PodIdentityConfig): DerivedSettings {
  let d = DERIVED.get(config);
  if (!d) {
    const p = config.annotationPrefix;
    const tokenFile = goJoinPath(config.tokenMountPath, TOKEN_FILE_NAME);
    d = {
      keys: {
        roleArn: annotationKey(p, ROLE_ARN),
        audience: annotationKey(p, AUDIENCE),
        stsRegionalEndpoints: annotationKey(p, STS_REGIONAL_ENDPOINTS),
        tokenExpiration: annotationKey(p, TOKEN_EXPIRATION),
        skipContainers: annotationKey(p, SKIP_CONTAINERS),
      },
      tokenFile,
      windowsTokenFile: "C:" + tokenFile.replace(/\//g, "\\"),
    };
    DERIVED.set(config, d);
  }
  return d;
}
