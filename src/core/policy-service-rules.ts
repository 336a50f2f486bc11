import { elements, fieldValues, isObject, isSet, lowerString, pathValues } from './json-fields.js';
import { PolicyCode, violation } from './policy-codes.js';
import { extraCaps, firstOf, mountRule, type Rule } from './policy-rules.js';

/** ContainerSpec.Privileges: only the defaults (NoNewPrivileges may be turned on). */
function privilegesViolation(privileges: unknown[]) {
  for (const p of privileges) {
    if (p === null || p === undefined) continue;
    if (!isObject(p)) return violation(PolicyCode.SECURITY_OPT, 'service privileges must be an object');
    if (anySet(fieldValues(p, 'selinuxcontext'))) return violation(PolicyCode.SECURITY_OPT, 'SELinux options are not allowed for services');
    for (const [name, allowed] of [['seccomp', 'default'], ['apparmor', 'default']] as const) {
      const modes = pathValues(p, name, 'mode').map(lowerString);
      const profiles = pathValues(p, name, 'profile');
      if (modes.some((m) => m !== undefined && m !== '' && m !== allowed) || anySet(profiles)) {
        return violation(PolicyCode.SECURITY_OPT, `${name} options are not allowed for services`);
      }
    }
  }
  return undefined;
}

const anySet = (values: unknown[]) => values.some(isSet);

/** Networks of a service spec (TaskTemplate.Networks and the deprecated Spec.Networks) named `host`. */
function hostNetwork(spec: unknown): boolean {
  const targets = [...elements(pathValues(spec, 'tasktemplate', 'networks')), ...elements(fieldValues(spec, 'networks'))].flatMap((n) =>
    isObject(n) ? fieldValues(n, 'target') : [n],
  );
  return targets.some((t) => lowerString(t) === 'host');
}

/** POST /services/create and /services/{id}/update: the same container rules, applied to the task template. */
export const serviceSpecRule: Rule = (spec) => {
  const template = fieldValues(spec, 'tasktemplate');
  const container = template.flatMap((t) => fieldValues(t, 'containerspec'));
  const c = (name: string) => container.flatMap((cs) => fieldValues(cs, name));
  return firstOf(
    () => privilegesViolation(c('privileges')),
    () => {
      const caps = extraCaps(c('capabilityadd'));
      return caps.length > 0 ? violation(PolicyCode.CAP_ADD, `adding capabilities is not allowed (${caps.join(', ')})`) : undefined;
    },
    () => {
      for (const mount of elements(c('mounts'))) {
        const found = mountRule(mount);
        if (found) return found;
      }
      return undefined;
    },
    () => (anySet(c('sysctls')) ? violation(PolicyCode.SYSCTLS, 'sysctls are not allowed') : undefined),
    () => (anySet([...c('devices'), ...c('devicecgrouprules'), ...c('devicerequests')]) ? violation(PolicyCode.DEVICES, 'devices are not allowed') : undefined),
    () => (anySet(template.flatMap((t) => fieldValues(t, 'pluginspec'))) ? violation(PolicyCode.PLUGINS, 'plugin services are not allowed') : undefined),
    () => {
      const runtime = template.flatMap((t) => fieldValues(t, 'runtime')).map(lowerString).find((r) => r !== undefined && r !== '' && r !== 'container');
      return runtime === undefined ? undefined : violation(PolicyCode.RUNTIME, `task runtime "${runtime}" is not allowed: only containers`);
    },
    () => (hostNetwork(spec) ? violation(PolicyCode.HOST_NAMESPACE, 'services on the host network are not allowed') : undefined),
  );
};
