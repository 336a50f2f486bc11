import type Dockerode from 'dockerode';

/**
 * What the policy forbids, read from the engine's own state — written independently of the
 * gateway's policy and oracle (src/core/policy*.ts), so the fuzz campaign does not grade the
 * gateway with its own code. Each finding names the object and the setting.
 */
export async function forbiddenState(node: Dockerode): Promise<string[]> {
  const found: string[] = [];
  for (const summary of await node.listContainers({ all: true })) {
    const c = await node.getContainer(summary.Id).inspect();
    const hc = c.HostConfig as Record<string, any>;
    const name = `container ${c.Name}`;
    if (hc.Privileged) found.push(`${name}: privileged`);
    for (const bind of (hc.Binds ?? []) as string[]) if (/^[/.]/.test(bind)) found.push(`${name}: bind ${bind}`);
    if ((hc.CapAdd ?? []).length > 0) found.push(`${name}: capabilities ${String(hc.CapAdd)}`);
    for (const mode of ['PidMode', 'IpcMode', 'NetworkMode', 'UTSMode', 'UsernsMode']) if (String(hc[mode]).toLowerCase() === 'host') found.push(`${name}: ${mode} host`);
    for (const opt of (hc.SecurityOpt ?? []) as string[]) if (!/^no-new-privileges/.test(opt)) found.push(`${name}: security option ${opt}`);
    if (!Array.isArray(hc.MaskedPaths) || !hc.MaskedPaths.includes('/proc/kcore')) found.push(`${name}: unmasked /proc`);
    if (!Array.isArray(hc.ReadonlyPaths) || !hc.ReadonlyPaths.includes('/proc/sys')) found.push(`${name}: writable /proc/sys`);
    for (const field of ['Devices', 'DeviceCgroupRules', 'DeviceRequests']) if ((hc[field] ?? []).length > 0) found.push(`${name}: ${field}`);
    if (Object.keys(hc.Sysctls ?? {}).length > 0) found.push(`${name}: sysctls`);
    if (hc.CgroupParent) found.push(`${name}: cgroup parent ${hc.CgroupParent}`);
    if (hc.Runtime && hc.Runtime !== 'runc') found.push(`${name}: runtime ${hc.Runtime}`);
    for (const m of c.Mounts as Array<Record<string, any>>) if (m.Type !== 'volume' && m.Type !== 'tmpfs') found.push(`${name}: ${m.Type} mount of ${m.Source}`);
    if (Object.keys(c.NetworkSettings.Networks ?? {}).includes('host')) found.push(`${name}: on the host network`);
    for (const execId of (c.ExecIDs ?? [])) {
      const exec = await node.getExec(execId).inspect();
      if (exec.ProcessConfig.privileged) found.push(`${name}: privileged exec ${execId}`);
    }
  }
  for (const v of (await node.listVolumes()).Volumes ?? []) {
    if (v.Driver !== 'local' || Object.keys(v.Options ?? {}).length > 0) found.push(`volume ${v.Name}: driver ${v.Driver} ${JSON.stringify(v.Options)}`);
  }
  for (const s of (await node.listServices().catch(() => [])) as Array<Record<string, any>>) {
    const spec = s.Spec?.TaskTemplate?.ContainerSpec ?? {};
    const name = `service ${s.Spec?.Name}`;
    for (const m of (spec.Mounts ?? []) as Array<Record<string, any>>) if (m.Type !== 'volume' && m.Type !== 'tmpfs') found.push(`${name}: ${m.Type} mount`);
    if ((spec.CapabilityAdd ?? []).length > 0) found.push(`${name}: capabilities`);
    if (Object.keys(spec.Sysctls ?? {}).length > 0) found.push(`${name}: sysctls`);
    const seccomp = spec.Privileges?.Seccomp?.Mode;
    if (seccomp !== undefined && seccomp !== 'default') found.push(`${name}: seccomp ${seccomp}`);
  }
  return found;
}
