/**
 * The least-privileged node container that still runs its inner engine on these machines (measured:
 * docs/node-hardening.md). Each remaining privilege is there because the inner engine needs it.
 */

/** Docker's default capability set: what the inner engine hands to the containers it runs. */
const DEFAULT_CAPS = ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'];

/** keyctl operations runc needs (join a session keyring, describe and set its permissions); every other one is refused. */
const KEYCTL_REFUSED = [0, 2, 3, 4].map((value) => ({ names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }] }));

/**
 * Seccomp for nodes: allow by default (the inner engine mounts, unshares and sets namespaces, which
 * Docker's default profile refuses, and runc needs keyctl), but refuse what no engine needs and what
 * CAP_SYS_ADMIN would otherwise open: kernel modules, kexec, BPF, perf, userfaultfd, key rings other
 * than the session one, the clock, swap, reboot, raw I/O ports, the kernel log.
 */
export const NODE_SECCOMP_PROFILE = JSON.stringify({
  defaultAction: 'SCMP_ACT_ALLOW',
  architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  syscalls: [
    {
      names: [
        'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'create_module', 'get_kernel_syms', 'query_module',
        'open_by_handle_at', 'bpf', 'perf_event_open', 'userfaultfd', 'reboot', 'swapon', 'swapoff', 'acct', 'settimeofday', 'stime',
        'clock_settime', 'clock_adjtime', 'adjtimex', 'iopl', 'ioperm', 'lookup_dcookie', 'syslog', 'uselib', 'nfsservctl', 'vhangup',
        'add_key', 'request_key', 'fanotify_init', 'kcmp', 'process_vm_writev',
      ],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: 1,
    },
    ...KEYCTL_REFUSED,
    { names: ['keyctl'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, args: [{ index: 0, value: 6, op: 'SCMP_CMP_GT' }] },
  ],
});

/**
 * HostConfig fields of every node container. No `--privileged` (it fails here anyway), no host cgroup
 * mount, Docker's masked and read-only /proc paths kept:
 * - CAP_SYS_ADMIN: the inner engine and runc mount (overlay2, proc, cgroups), create namespaces, pivot_root;
 * - CAP_NET_ADMIN: bridges, veths, iptables rules and the swarm's overlay (VXLAN) interfaces;
 * - the default capabilities: the inner engine can only grant nested containers what it holds;
 * - seccomp: the node profile above (Docker's default refuses mount/unshare/keyctl);
 * - AppArmor unconfined: docker-default refuses mount (this kernel has no AppArmor; other hosts may);
 * - a private cgroup namespace: the node sees only its own cgroup subtree (remounted rw by its entrypoint).
 */
export const NODE_SECURITY = Object.freeze({
  CapDrop: ['ALL'],
  CapAdd: [...DEFAULT_CAPS, 'SYS_ADMIN', 'NET_ADMIN'],
  SecurityOpt: [`seccomp=${NODE_SECCOMP_PROFILE}`, 'apparmor=unconfined'],
  CgroupnsMode: 'private',
});
