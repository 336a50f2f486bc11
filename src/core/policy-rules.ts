import { elements, fieldValues, isObject, isSet, lowerString, pathValues } from './json-fields.js';
import { PolicyCode, violation, type Violation } from './policy-codes.js';

/** A check of one parsed body (or part of one): the first violation found, if any. */
export type Rule = (value: unknown) => Violation | undefined;

/** Capabilities every container already has (Docker's default set): adding them changes nothing. */
const DEFAULT_CAPS = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID',
  'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]);
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const NO_NEW_PRIVILEGES = /^no-new-privileges([:=](true|false))?$/i;
const DEFAULT_RUNTIMES = new Set(['', 'runc']);
const NAMESPACE_MODES = ['pidmode', 'ipcmode', 'networkmode', 'usernsmode', 'utsmode'] as const;

/** The first violation among `checks`, in order. */
export function firstOf(...checks: Array<() => Violation | undefined>): Violation | undefined {
  for (const check of checks) {
    const found = check();
    if (found) return found;
  }
  return undefined;
}

const anySet = (values: unknown[]) => values.some(isSet);

/** Capabilities outside the default set among `values` (arrays of names, any case, with or without CAP_). */
export function extraCaps(values: unknown[]): string[] {
  return elements(values).filter((c) => typeof c !== 'string' || !DEFAULT_CAPS.has(c.trim().toUpperCase().replace(/^CAP_/, ''))).map(String);
}

/** A `Binds` entry (`source:target[:mode]`) whose source is a host path rather than a volume name. */
function hostBind(entry: unknown): boolean {
  if (typeof entry !== 'string') return true;
  const parts = entry.split(':');
  if (parts.length === 1) return false; // only a container path: an anonymous volume
  return !VOLUME_NAME.test(parts[0] ?? '');
}

/** Options that make a `local` volume mount something of the host (type=none,o=bind,device=/…, block devices, NFS). */
function volumeDriverViolation(driver: unknown[], options: unknown[]): Violation | undefined {
  const named = driver.map(lowerString).find((d) => d !== undefined && d !== '' && d !== 'local');
  if (named !== undefined || driver.some((d) => d !== null && typeof d !== 'string')) {
    return violation(PolicyCode.HOST_MOUNT, `volume driver "${String(named ?? driver[0])}" is not allowed: only the local driver`);
  }
  if (anySet(options)) return violation(PolicyCode.HOST_MOUNT, 'volume driver options are not allowed: they can mount host paths and devices');
  return undefined;
}

/** One entry of `Mounts` (containers) or `ContainerSpec.Mounts` (services): only volumes and tmpfs. */
export const mountRule: Rule = (mount) => {
  const types = fieldValues(mount, 'type').map(lowerString);
  if (types.length === 0 || types.some((t) => t !== 'volume' && t !== 'tmpfs')) {
    return violation(PolicyCode.HOST_MOUNT, `mounts of type "${String(types.find((t) => t !== 'volume' && t !== 'tmpfs') ?? 'unset')}" are not allowed: use volumes or tmpfs`);
  }
  if (fieldValues(mount, 'source').some((s) => typeof s === 'string' && s !== '' && !VOLUME_NAME.test(s))) {
    return violation(PolicyCode.HOST_MOUNT, 'a volume mount source must be a volume name, not a host path');
  }
  return volumeDriverViolation(pathValues(mount, 'volumeoptions', 'driverconfig', 'name'), pathValues(mount, 'volumeoptions', 'driverconfig', 'options'));
};

/** Every mount of `values` (arrays of mount objects). */
function mountsViolation(values: unknown[]): Violation | undefined {
  for (const mount of elements(values)) {
    const found = mountRule(mount);
    if (found) return found;
  }
  return undefined;
}

/** Everything a container's HostConfig (or a legacy top-level host config, or an update's Resources) must not set. */
export const hostConfigRule: Rule = (hc) => {
  const f = (name: string) => fieldValues(hc, name);
  return firstOf(
    () => (anySet(f('privileged')) ? violation(PolicyCode.PRIVILEGED, 'privileged containers are not allowed') : undefined),
    () => (anySet(f('securityopt').flatMap((v) => elements([v]).filter((o) => typeof o !== 'string' || !NO_NEW_PRIVILEGES.test(o.trim()))))
      ? violation(PolicyCode.SECURITY_OPT, 'security options are not allowed (only no-new-privileges)')
      : undefined),
    () => ([...f('maskedpaths'), ...f('readonlypaths')].some((v) => v !== null && v !== undefined)
      ? violation(PolicyCode.SECURITY_OPT, 'changing masked or read-only system paths is not allowed')
      : undefined),
    () => {
      const caps = extraCaps(f('capadd'));
      return caps.length > 0 ? violation(PolicyCode.CAP_ADD, `adding capabilities is not allowed (${caps.join(', ')})`) : undefined;
    },
    () => (elements(f('binds')).some(hostBind) ? violation(PolicyCode.HOST_MOUNT, 'bind mounts of host paths are not allowed: use volumes') : undefined),
    () => mountsViolation(f('mounts')),
    () => volumeDriverViolation(f('volumedriver'), []),
    () => (anySet([...f('devices'), ...f('devicecgrouprules'), ...f('devicerequests')]) ? violation(PolicyCode.DEVICES, 'devices are not allowed') : undefined),
    () => {
      const mode = NAMESPACE_MODES.find((m) => f(m).some((v) => lowerString(v) === 'host'));
      return mode ? violation(PolicyCode.HOST_NAMESPACE, `${mode.replace('mode', '')} mode "host" is not allowed`) : undefined;
    },
    () => (anySet(f('cgroupparent')) ? violation(PolicyCode.CGROUP_PARENT, 'a cgroup parent is not allowed') : undefined),
    () => (anySet(f('sysctls')) ? violation(PolicyCode.SYSCTLS, 'sysctls are not allowed') : undefined),
    () => {
      const runtime = f('runtime').find((r) => r !== null && (typeof r !== 'string' || !DEFAULT_RUNTIMES.has(r.trim())));
      return runtime === undefined ? undefined : violation(PolicyCode.RUNTIME, `runtime ${JSON.stringify(runtime)} is not allowed: use the default (runc)`);
    },
  );
};

/** POST /containers/create: the inner HostConfig and the deprecated top-level host fields the engine still reads. */
export const containerCreateRule: Rule = (body) =>
  firstOf(
    ...[body, ...fieldValues(body, 'hostconfig')].map((hc) => () => hostConfigRule(hc)),
    () => (pathValues(body, 'networkingconfig', 'endpointsconfig').some((e) => isObject(e) && Object.keys(e).some((k) => k.trim().toLowerCase() === 'host'))
      ? violation(PolicyCode.HOST_NAMESPACE, 'connecting to the host network is not allowed')
      : undefined),
  );

/** POST /containers/{id}/exec: no privileged exec. */
export const execCreateRule: Rule = (body) =>
  anySet(fieldValues(body, 'privileged')) ? violation(PolicyCode.PRIVILEGED, 'privileged exec is not allowed') : undefined;

/** POST /volumes/create: only the local driver, without options. */
export const volumeCreateRule: Rule = (body) => volumeDriverViolation(fieldValues(body, 'driver'), fieldValues(body, 'driveropts'));
