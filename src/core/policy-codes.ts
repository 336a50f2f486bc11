/**
 * Stable codes of the Docker API gateway (documented in docs/policy.md). The docker client shows
 * them as "Error response from daemon: CARINA-10xx: …". Never renumber one.
 */
export const PolicyCode = Object.freeze({
  /** Security options: SecurityOpt, MaskedPaths/ReadonlyPaths, service Privileges. */
  SECURITY_OPT: 'CARINA-1000',
  /** Privileged containers and `docker exec --privileged`. */
  PRIVILEGED: 'CARINA-1001',
  /** Host paths: bind mounts, volume driver options, non-local volume drivers. */
  HOST_MOUNT: 'CARINA-1002',
  /** Added capabilities beyond Docker's default set. */
  CAP_ADD: 'CARINA-1003',
  /** Swarm and node management the platform owns (init, join, leave, update, node rm, promote/demote). */
  INFRASTRUCTURE: 'CARINA-1004',
  /** The node's namespaces: pid, ipc, network, userns or uts mode `host`; host networking for services and builds. */
  HOST_NAMESPACE: 'CARINA-1005',
  /** Devices, device cgroup rules and device requests. */
  DEVICES: 'CARINA-1006',
  /** A cgroup parent outside the engine's own hierarchy. */
  CGROUP_PARENT: 'CARINA-1007',
  /** Kernel parameters (sysctls). */
  SYSCTLS: 'CARINA-1008',
  /** An OCI runtime other than the default, or a non-container task runtime. */
  RUNTIME: 'CARINA-1009',
  /** Plugin installation, upgrade and configuration. */
  PLUGINS: 'CARINA-1010',
  /** BuildKit sessions, whose entitlements the gateway cannot inspect (the classic builder works). */
  BUILDKIT: 'CARINA-1011',
  /** A request the policy must read cannot be decoded: an undecodable path, or a body that is not a JSON object (400). */
  UNREADABLE_REQUEST: 'CARINA-1090',
  /** A body the policy must read is larger than the gateway buffers (413). */
  BODY_TOO_LARGE: 'CARINA-1091',
  /** The client certificate is not the cluster's current one: it was rotated (401). */
  REVOKED_CERTIFICATE: 'CARINA-1092',
  /** The cluster's manager engine does not answer (502). */
  ENGINE_UNREACHABLE: 'CARINA-1093',
  /** Connection upgrade (hijacking) on an endpoint that never upgrades (400). */
  UPGRADE_NOT_ALLOWED: 'CARINA-1094',
});
export type PolicyCode = (typeof PolicyCode)[keyof typeof PolicyCode];

/** Why a request was refused: a stable code and a message a user can act on. */
export interface Violation {
  readonly code: PolicyCode;
  readonly message: string;
}

/** A refusal with `code` and `message`. */
export function violation(code: PolicyCode, message: string): Violation {
  return { code, message };
}
