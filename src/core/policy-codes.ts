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
  /** A body that names one field twice (also in another case): Docker merges the copies, the policy would read one (400). */
  DUPLICATE_FIELD: 'CARINA-1095',
  /** A container or exec reference that is not a plain name or id (`parent/alias` link names, 400). */
  AMBIGUOUS_REFERENCE: 'CARINA-1096',
  /** HTTP framing the gateway does not forward: a body on GET/HEAD/DELETE/OPTIONS, pipelining, a transfer coding other than chunked (400). */
  BAD_FRAMING: 'CARINA-1097',
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

/** The HTTP status the gateway answers a refusal with: 400 for requests it cannot read unambiguously, 403 for the policy. */
export function violationStatus(code: PolicyCode): number {
  switch (code) {
    case PolicyCode.UNREADABLE_REQUEST:
    case PolicyCode.DUPLICATE_FIELD:
    case PolicyCode.AMBIGUOUS_REFERENCE:
    case PolicyCode.BAD_FRAMING:
    case PolicyCode.UPGRADE_NOT_ALLOWED:
      return 400;
    case PolicyCode.BODY_TOO_LARGE:
      return 413;
    case PolicyCode.REVOKED_CERTIFICATE:
      return 401;
    case PolicyCode.ENGINE_UNREACHABLE:
      return 502;
    default:
      return 403;
  }
}
