/**
 * The volume sources of core/v1 `VolumeSource`, by JSON field name, as the volume checks see them.
 */

/** Sources the restricted level allows. */
export const ALLOWED_RESTRICTED_SOURCES: ReadonlySet<string> = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "image",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * Sources the restricted level forbids, in the order upstream names them when a volume (invalidly)
 * sets several: the first match is reported.
 */
export const FORBIDDEN_RESTRICTED_SOURCES: readonly string[] = [
  "hostPath",
  "gcePersistentDisk",
  "awsElasticBlockStore",
  "gitRepo",
  "nfs",
  "iscsi",
  "glusterfs",
  "rbd",
  "flexVolume",
  "cinder",
  "cephfs",
  "flocker",
  "fc",
  "azureFile",
  "vsphereVolume",
  "quobyte",
  "azureDisk",
  "photonPersistentDisk",
  "portworxVolume",
  "scaleIO",
  "storageos",
];

/** Every source field core/v1 knows. */
export const KNOWN_SOURCES: ReadonlySet<string> = new Set([
  ...ALLOWED_RESTRICTED_SOURCES,
  ...FORBIDDEN_RESTRICTED_SOURCES,
]);
