/** Shells `carina completion` writes scripts for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;
/** One of COMPLETION_SHELLS. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** One command as completion sees it; the root (global options) has the name ''. */
export interface CommandSpec {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly description: string;
  /** Long options, e.g. `--wait`. */
  readonly options: readonly string[];
  /** The long options that take a value. */
  readonly valueOptions: readonly string[];
  /** Whether the first argument is a cluster name (completed from `carina ls -q`). */
  readonly takesCluster: boolean;
}

const ENV_SHELLS = 'bash zsh fish powershell cmd';
const CLUSTERS = 'carina ls -q 2>/dev/null';

function parts(specs: readonly CommandSpec[]) {
  const root = specs.find((s) => s.name === '');
  const commands = specs.filter((s) => s.name !== '');
  const names = commands.flatMap((c) => [c.name, ...c.aliases]);
  const valued = [...new Set(specs.flatMap((s) => s.valueOptions))];
  const global = root?.options ?? [];
  return { commands, names, valued, global };
}

const pattern = (c: CommandSpec) => [c.name, ...c.aliases].join('|');

function bash(specs: readonly CommandSpec[]): string {
  const { commands, names, valued, global } = parts(specs);
  const optCases = commands.map((c) => `    ${pattern(c)}) opts="${c.options.join(' ')}" ;;`).join('\n');
  const clusterCmds = commands.filter((c) => c.takesCluster).map(pattern).join('|');
  return `# bash completion for carina. Load it with: source <(carina completion bash)
_carina() {
  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd= skip= w i npos=0 opts=
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=\${COMP_WORDS[i]}
    if [[ -n $skip ]]; then skip=; continue; fi
    case $w in
      ${valued.join('|')}) skip=1 ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=$w; else npos=$((npos + 1)); fi ;;
    esac
  done
  case $prev in
    --shell) COMPREPLY=($(compgen -W "${ENV_SHELLS}" -- "$cur")); return ;;
    --path) COMPREPLY=($(compgen -d -- "$cur")); return ;;
    ${valued.join('|')}) return ;;
  esac
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "${global.join(' ')}" -- "$cur"));
    else COMPREPLY=($(compgen -W "${names.join(' ')}" -- "$cur")); fi
    return
  fi
  case $cmd in
${optCases}
  esac
  if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$opts ${global.join(' ')}" -- "$cur")); return; fi
  case $cmd in
    completion) [[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "${COMPLETION_SHELLS.join(' ')}" -- "$cur")) ;;
    autoscale) if [[ $npos -eq 1 ]]; then COMPREPLY=($(compgen -W "on off" -- "$cur"));
      elif [[ $npos -eq 0 ]]; then COMPREPLY=($(compgen -W "$(${CLUSTERS})" -- "$cur")); fi ;;
    ${clusterCmds}) [[ $npos -eq 0 ]] && COMPREPLY=($(compgen -W "$(${CLUSTERS})" -- "$cur")) ;;
  esac
  return 0
}
complete -F _carina carina
`;
}

const zshDescribe = (c: CommandSpec, name: string) => `'${name}:${c.description.replaceAll(':', '\\:').replaceAll("'", '')}'`;

function zsh(specs: readonly CommandSpec[]): string {
  const { commands, valued, global } = parts(specs);
  const described = commands.flatMap((c) => [c.name, ...c.aliases].map((n) => `    ${zshDescribe(c, n)}`)).join('\n');
  const optCases = commands.map((c) => `    (${pattern(c)}) opts=(${c.options.join(' ')}) ;;`).join('\n');
  const clusterCmds = commands.filter((c) => c.takesCluster).map(pattern).join('|');
  return `#compdef carina
# zsh completion for carina. Load it with: source <(carina completion zsh)   (after compinit)
_carina() {
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]} cmd= skip= w i npos=0
  local -a opts cmds
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    if [[ -n $skip ]]; then skip=; continue; fi
    case $w in
      (${valued.join('|')}) skip=1 ;;
      (-*) ;;
      (*) if [[ -z $cmd ]]; then cmd=$w; else npos=$((npos + 1)); fi ;;
    esac
  done
  case $prev in
    (--shell) compadd -- ${ENV_SHELLS}; return ;;
    (--path) _files -/; return ;;
    (${valued.join('|')}) return ;;
  esac
  if [[ -z $cmd ]]; then
    if [[ $cur == -* ]]; then compadd -- ${global.join(' ')}; return; fi
    cmds=(
${described}
    )
    _describe 'command' cmds
    return
  fi
  case $cmd in
${optCases}
  esac
  if [[ $cur == -* ]]; then compadd -- $opts ${global.join(' ')}; return; fi
  case $cmd in
    (completion) (( npos == 0 )) && compadd -- ${COMPLETION_SHELLS.join(' ')} ;;
    (autoscale) if (( npos == 1 )); then compadd -- on off; elif (( npos == 0 )); then compadd -- \${(f)"$(${CLUSTERS})"}; fi ;;
    (${clusterCmds}) (( npos == 0 )) && compadd -- \${(f)"$(${CLUSTERS})"} ;;
  esac
  return 0
}
if [[ \${funcstack[1]} == _carina ]]; then _carina "$@"; else compdef _carina carina; fi
`;
}

const fishQuote = (v: string) => `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;

function fish(specs: readonly CommandSpec[]): string {
  const { commands, global } = parts(specs);
  const root = specs.find((s) => s.name === '');
  const lines = ['# fish completion for carina. Load it with: carina completion fish | source', 'complete -c carina -f'];
  for (const c of commands) {
    for (const n of [c.name, ...c.aliases]) lines.push(`complete -c carina -n __fish_use_subcommand -a ${n} -d ${fishQuote(c.description)}`);
  }
  for (const o of global) lines.push(`complete -c carina -l ${o.slice(2)}${root?.valueOptions.includes(o) ? ' -r' : ''}`);
  for (const c of commands) {
    const when = `'__fish_seen_subcommand_from ${[c.name, ...c.aliases].join(' ')}'`;
    for (const o of c.options) {
      const extra = o === '--shell' ? ` -xa ${fishQuote(ENV_SHELLS)}` : o === '--path' ? ' -rF' : c.valueOptions.includes(o) ? ' -x' : '';
      lines.push(`complete -c carina -n ${when} -l ${o.slice(2)}${extra}`);
    }
    if (c.takesCluster) lines.push(`complete -c carina -n ${when} -a '(${CLUSTERS})'`);
  }
  lines.push(`complete -c carina -n '__fish_seen_subcommand_from autoscale' -a 'on off'`);
  lines.push(`complete -c carina -n '__fish_seen_subcommand_from completion' -a '${COMPLETION_SHELLS.join(' ')}'`);
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`, generated from the command tree. */
export function completionScript(shell: CompletionShell, specs: readonly CommandSpec[]): string {
  if (shell === 'bash') return bash(specs);
  if (shell === 'zsh') return zsh(specs);
  return fish(specs);
}
