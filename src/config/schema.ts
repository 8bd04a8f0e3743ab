/**
 * kubeiam.yaml: every field optional; defaults are applied by `resolveConfig`.
 * Capability issues extend this schema with their own sections.
 */
import { z } from "zod";
import { authenticationConfigSchema } from "../authn/config.js";
import { kubernetesConfigSchema } from "../store/kube/config.js";

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: "HOST:PORT, e.g. 127.0.0.1:8443" });

export const configSchema = z
  .strictObject({
    /** AWS account id the emulated IAM/STS answers for. */
    account: z.string().regex(/^\d{12}$/, { message: "a 12-digit AWS account id" }).optional(),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: "an AWS region such as us-east-1" }).optional(),
    stateDir: z.string().min(1).optional(),
    /** Object directory of the embedded store; default <stateDir>/objects. */
    objects: z.string().min(1).optional(),
    listen: hostPort.optional(),
    /** Mode: embedded (directory store) or cluster (Kubernetes API store). */
    mode: z.enum(["embedded", "cluster"]).optional(),
    issuer: z
      .strictObject({
        /** Issuer URL (https, no query/fragment); default https://<listen>. */
        url: z.url({ protocol: /^https$/, message: "an https URL" }).optional(),
        /** API audiences accepted and used when a token request names none; default [issuer url]. */
        audiences: z.array(z.string().min(1)).min(1).optional(),
        /** Longest lifetime a minted token may have, seconds; default 172800 (48 h). */
        maxTokenExpirationSeconds: z.int().min(600).max(2 ** 32).optional(),
      })
      .optional(),
    keys: z
      .strictObject({
        algorithm: z.enum(["RS256", "ES256"]).optional(),
        /** How long a rotated-out public key stays in the JWKS, seconds; must exceed the longest token lifetime. */
        retentionSeconds: z.int().positive().optional(),
      })
      .optional(),
    tls: z
      .strictObject({
        /** Serving certificate and key supplied by the user (PEM); both or neither. */
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** Extra DNS names / IPs for the generated serving certificate. */
        names: z.array(z.string().min(1)).optional(),
      })
      .optional(),
    log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error"]).optional() }).optional(),
    decisions: z.strictObject({ ringSize: z.int().min(1).max(1_000_000).optional() }).optional(),
    sts: z
      .strictObject({
        /** PEM CA bundle trusted (instead of the system roots) when fetching JWKS of non-kubeiam issuers. */
        webIdentityCaFile: z.string().min(1).optional(),
        /** Clock skew allowed for exp/nbf/iat of web-identity tokens, seconds (default 60). */
        webIdentitySkewSeconds: z.int().min(0).max(600).optional(),
        /** JWKS fetch timeout, ms (default 5000). */
        jwksTimeoutMs: z.int().min(100).max(60_000).optional(),
      })
      .optional(),
    /** Token authentication: order of authenticators, cache, OIDC issuers, service accounts, IAM tokens (docs/authn.md). */
    authentication: authenticationConfigSchema.optional(),
    /** Cluster mode: how to reach the Kubernetes API and where kubeiam keeps its Secrets (src/store/kube/config.ts). */
    kubernetes: kubernetesConfigSchema.optional(),
    /** Put the reason trail of a denial in an extra response header (default on in embedded mode). */
    explainDenials: z.boolean().optional(),
  });

export type ConfigFile = z.infer<typeof configSchema>;
