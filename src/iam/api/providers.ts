/** IAM OpenID Connect providers: Create/Get/List/Delete, client IDs and thumbprints. */
import { awsErrors, constraintError } from "../../sts/aws-error.js";
import { memberList, type QueryParams } from "../../sts/query.js";
import { isoSeconds } from "../../sts/xml.js";
import {
  hostPathOf,
  isProviderUrl,
  oidcProviderObject,
  oidcProviderObjectName,
  type OidcProviderView,
} from "../objects.js";
import type { IamDeps, IamHandler } from "./deps.js";
import { listProviders, providerOrFail } from "./lookups.js";
import { required } from "./params.js";

const MAX_CLIENT_IDS = 100;
const MAX_THUMBPRINTS = 5;

function clientIdList(p: QueryParams, prefix = "ClientIDList"): string[] {
  const ids = memberList(p, prefix);
  if (ids.length > MAX_CLIENT_IDS)
    throw awsErrors.limitExceeded(
      `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`,
    );
  const bad = ids.find((c) => c.length < 1 || c.length > 255);
  if (bad !== undefined)
    throw constraintError([
      {
        value: bad,
        member: "clientIDList.member",
        constraint: `Member must have length ${bad.length < 1 ? "greater than or equal to 1" : "less than or equal to 255"}`,
      },
    ]);
  return [...new Set(ids)];
}

function thumbprintList(p: QueryParams): string[] {
  const th = memberList(p, "ThumbprintList");
  if (th.length > MAX_THUMBPRINTS)
    throw awsErrors.limitExceeded(`Thumbprint list must contain fewer than ${MAX_THUMBPRINTS + 1} entries.`);
  const bad = th.find((t) => !/^[0-9a-fA-F]{40}$/.test(t));
  if (bad !== undefined)
    throw constraintError([
      {
        value: bad,
        member: "thumbprintList.member",
        constraint: "Member must have length greater than or equal to 40",
      },
    ]);
  return th;
}

async function save(
  deps: IamDeps,
  view: OidcProviderView,
  changes: { clientIds?: string[]; thumbprints?: string[] },
  base: Parameters<typeof oidcProviderObject>[1],
): Promise<void> {
  await deps.store.put(
    oidcProviderObject(
      {
        objectName: view.objectName,
        url: view.url,
        clientIds: changes.clientIds ?? view.clientIds,
        thumbprints: changes.thumbprints ?? view.thumbprints,
        createDate: view.createDate,
      },
      base,
    ),
  );
}

export const providerHandlers: Record<string, IamHandler> = {
  async CreateOpenIDConnectProvider(p, deps) {
    const url = required(p, "Url", "url");
    // IAM refuses a port; kubeiam accepts one because its own issuer usually listens on one (docs/iam.md).
    if (url.length > 255 || !isProviderUrl(url))
      throw awsErrors.validation(
        `The URL ${url} is invalid: it must be https://host[:port][/path] without query or fragment.`,
      );
    const clientIds = clientIdList(p);
    const thumbprints = thumbprintList(p);
    const hostPath = hostPathOf(url);
    if (listProviders(deps).some((v) => v.hostPath === hostPath))
      throw awsErrors.entityAlreadyExists(`Provider with url ${url} already exists.`);
    await deps.store.put(
      oidcProviderObject({
        objectName: oidcProviderObjectName(hostPath),
        url,
        clientIds,
        thumbprints,
        createDate: isoSeconds(deps.now),
      }),
    );
    return {
      OpenIDConnectProviderArn: `arn:${deps.partition}:iam::${deps.account}:oidc-provider/${hostPath}`,
    };
  },
  async GetOpenIDConnectProvider(p, deps) {
    const { view } = providerOrFail(
      deps,
      required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn"),
    );
    return Promise.resolve({
      Url: view.hostPath,
      ClientIDList: view.clientIds,
      ThumbprintList: view.thumbprints,
      CreateDate: view.createDate,
      Tags: [],
    });
  },
  async ListOpenIDConnectProviders(_p, deps) {
    return Promise.resolve({
      OpenIDConnectProviderList: listProviders(deps)
        .sort((a, b) => a.arn.localeCompare(b.arn))
        .map((v) => ({ Arn: v.arn })),
    });
  },
  async DeleteOpenIDConnectProvider(p, deps) {
    // Idempotent in IAM: deleting a provider that does not exist succeeds.
    const arn = required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn");
    const found = listProviders(deps).find((v) => v.arn === arn);
    if (found) await deps.store.delete({ kind: "OIDCProvider", name: found.objectName });
    return undefined;
  },
  async AddClientIDToOpenIDConnectProvider(p, deps) {
    const { obj, view } = providerOrFail(
      deps,
      required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn"),
    );
    const id = required(p, "ClientID", "clientID");
    if (id.length > 255)
      throw constraintError([
        { value: id, member: "clientID", constraint: "Member must have length less than or equal to 255" },
      ]);
    if (view.clientIds.includes(id)) return undefined;
    if (view.clientIds.length >= MAX_CLIENT_IDS)
      throw awsErrors.limitExceeded(
        `Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`,
      );
    await save(deps, view, { clientIds: [...view.clientIds, id] }, obj);
    return undefined;
  },
  async RemoveClientIDFromOpenIDConnectProvider(p, deps) {
    const { obj, view } = providerOrFail(
      deps,
      required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn"),
    );
    const id = required(p, "ClientID", "clientID");
    if (view.clientIds.includes(id))
      await save(deps, view, { clientIds: view.clientIds.filter((c) => c !== id) }, obj);
    return undefined;
  },
  async UpdateOpenIDConnectProviderThumbprint(p, deps) {
    const { obj, view } = providerOrFail(
      deps,
      required(p, "OpenIDConnectProviderArn", "openIDConnectProviderArn"),
    );
    await save(deps, view, { thumbprints: thumbprintList(p) }, obj);
    return undefined;
  },
};
