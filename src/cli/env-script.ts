import { usageError } from './errors.js';

/** Shells `carina env` can write for. */
export const SHELLS = ['bash', 'zsh', 'fish', 'powershell', 'cmd'] as const;
/** One of SHELLS. */
export type Shell = (typeof SHELLS)[number];

/** The bundle file each shell sources. */
export const SHELL_FILES: Readonly<Record<Shell, string>> = Object.freeze({
  bash: 'docker.env',
  zsh: 'docker.env',
  fish: 'docker.fish',
  powershell: 'docker.ps1',
  cmd: 'docker.cmd',
});

/** Checks a `--shell` value. */
export function parseShell(raw: string): Shell {
  const v = raw.trim().toLowerCase();
  const alias: Record<string, Shell> = { pwsh: 'powershell', ps: 'powershell', 'cmd.exe': 'cmd', sh: 'bash' };
  const shell = alias[v] ?? v;
  if (!(SHELLS as readonly string[]).includes(shell)) throw usageError(`unknown shell "${raw}": use one of ${SHELLS.join(', ')}`);
  return shell as Shell;
}

/** The shell to write for when --shell is absent: from $SHELL's name, else bash. */
export function detectShell(shellVar: string | undefined): Shell {
  const base = (shellVar ?? '').split(/[\\/]/).pop()?.toLowerCase().replace(/\.exe$/, '') ?? '';
  if (base === 'zsh' || base === 'fish') return base;
  if (base === 'pwsh' || base === 'powershell') return 'powershell';
  return 'bash';
}

const shQuote = (v: string) => `'${v.replaceAll("'", `'\\''`)}'`;
const fishQuote = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
const psQuote = (v: string) => `'${v.replaceAll("'", "''")}'`;

/** Joins a directory and a file name with the directory's own separator. */
function inDir(dir: string, file: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? `${dir}${file}` : `${dir}${sep}${file}`;
}

/** What the user runs to apply the script in that shell (shown in the comment line). */
export function applyHint(shell: Shell, command: string): string {
  switch (shell) {
    case 'bash':
    case 'zsh':
      return `eval "$(${command})"`;
    case 'fish':
      return `${command} | source`;
    case 'powershell':
      return `& ${command} | Invoke-Expression`;
    case 'cmd':
      return `@FOR /f "tokens=*" %i IN ('${command}') DO @%i`;
  }
}

/**
 * The text `carina env` prints: a line that sources the bundle's script for `shell`, then a
 * comment saying how to apply it, and one naming the account's registry when it has one.
 * `command` is the carina command line to repeat in the hint; `registry` must be a checked
 * HOST:PORT (it lands in a script that is eval'd).
 */
export function renderEnvScript(shell: Shell, dir: string, command: string, registry?: string): string {
  const file = inDir(dir, SHELL_FILES[shell]);
  const comments = [`Run this command to configure your shell: ${applyHint(shell, command)}`];
  if (registry !== undefined) comments.push(`registry: ${registry} (carina registry login)`);
  const remark = shell === 'cmd' ? 'REM' : '#';
  const notes = comments.map((c) => `${remark} ${c}\n`).join('');
  switch (shell) {
    case 'bash':
    case 'zsh':
      return `source ${shQuote(file)}\n${notes}`;
    case 'fish':
      return `source ${fishQuote(file)}\n${notes}`;
    case 'powershell':
      return `. ${psQuote(file)}\n${notes}`;
    case 'cmd':
      return `call "${file}"\n${notes}`;
  }
}

/** DOCKER_HOST as written in a bundle's docker.env (undefined if absent). */
export function dockerHostOf(dockerEnv: string): string | undefined {
  const m = /^export DOCKER_HOST=(?:'([^']*)'|"([^"]*)"|(\S+))\s*$/m.exec(dockerEnv);
  return m ? (m[1] ?? m[2] ?? m[3]) : undefined;
}
