/**
 * kubeconfigUser: the kubeconfig `users[]` entry that runs `kubeiam login` as an exec credential
 * plugin with the same flags (client.authentication.k8s.io/v1; interactive grants may use the
 * terminal, the password grant never does). File paths are made absolute so kubectl can run it
 * from any directory.
 */
import { resolve } from "node:path";
import { EXEC_API_V1 } from "../exec-api-version.js";
import type { GrantName } from "./oidc-login.js";

export interface KubeconfigUserInput {
  name: string;
  /** The command kubectl runs (default "kubeiam"). */
  command: string;
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  clientSecretFile?: string | undefined;
  /** Scopes the user asked for, without the implied openid. */
  extraScopes: readonly string[];
  grant: GrantName;
  username?: string | undefined;
  passwordFile?: string | undefined;
  caFile?: string | undefined;
  cacheDir?: string | undefined;
  listenPorts?: string | undefined;
  timeout?: string | undefined;
}

export interface KubeconfigUserEntry {
  name: string;
  user: {
    exec: {
      apiVersion: string;
      command: string;
      args: string[];
      interactiveMode: "Never" | "IfAvailable";
      provideClusterInfo: boolean;
    };
  };
}

export function kubeconfigUser(i: KubeconfigUserInput, cwd: string = process.cwd()): KubeconfigUserEntry {
  const args = ["login", "--issuer", i.issuer, "--client-id", i.clientId];
  const file = (flag: string, v: string | undefined): void => {
    if (v !== undefined) args.push(flag, resolve(cwd, v));
  };
  if (i.clientSecretFile !== undefined) file("--client-secret-file", i.clientSecretFile);
  else if (i.clientSecret !== undefined) args.push("--client-secret", i.clientSecret);
  for (const s of i.extraScopes) args.push("--scope", s);
  if (i.grant !== "auth-code") args.push("--grant", i.grant);
  if (i.username !== undefined) args.push("--username", i.username);
  file("--password-file", i.passwordFile);
  file("--ca-file", i.caFile);
  file("--cache-dir", i.cacheDir);
  if (i.listenPorts !== undefined) args.push("--listen-port", i.listenPorts);
  if (i.timeout !== undefined) args.push("--timeout", i.timeout);
  return {
    name: i.name,
    user: {
      exec: {
        apiVersion: EXEC_API_V1,
        command: i.command,
        args,
        interactiveMode: i.grant === "password" ? "Never" : "IfAvailable",
        provideClusterInfo: false,
      },
    },
  };
}
