import { describe, expect, it } from 'vitest';
import { completionScript, type CommandSpec } from './completion.js';

const specs: CommandSpec[] = [
  { name: '', aliases: [], description: '', options: ['--endpoint', '--json'], valueOptions: ['--endpoint'], takesCluster: false },
  { name: 'get', aliases: ['inspect'], description: 'show a cluster', options: ['--wait'], valueOptions: [], takesCluster: true },
  { name: 'env', aliases: [], description: 'print: env', options: ['--shell', '--path'], valueOptions: ['--shell', '--path'], takesCluster: true },
  { name: 'quotas', aliases: [], description: "show the account's quotas", options: [], valueOptions: [], takesCluster: false },
];

describe('completion scripts', () => {
  it('bash: completes commands, aliases, options and cluster names', () => {
    const s = completionScript('bash', specs);
    expect(s).toContain('complete -F _carina carina');
    expect(s).toContain('compgen -W "get inspect env quotas"');
    expect(s).toContain('get|inspect) opts="--wait" ;;');
    expect(s).toContain('get|inspect|env) [[ $npos -eq 0 ]]');
    expect(s).toContain('carina ls -q 2>/dev/null');
  });

  it('zsh: describes commands and escapes colons', () => {
    const s = completionScript('zsh', specs);
    expect(s.startsWith('#compdef carina\n')).toBe(true);
    expect(s).toContain("'env:print\\: env'");
    expect(s).toContain("'quotas:show the accounts quotas'");
    expect(s).toContain('compdef _carina carina');
  });

  it('fish: one complete line per command, option and cluster argument', () => {
    const s = completionScript('fish', specs);
    expect(s).toContain("complete -c carina -n __fish_use_subcommand -a inspect -d 'show a cluster'");
    expect(s).toContain("complete -c carina -n __fish_use_subcommand -a quotas -d 'show the account\\'s quotas'");
    expect(s).toContain("complete -c carina -n '__fish_seen_subcommand_from env' -l shell -xa 'bash zsh fish powershell cmd'");
    expect(s).toContain("complete -c carina -n '__fish_seen_subcommand_from get inspect' -a '(carina ls -q 2>/dev/null)'");
    expect(s).toContain('complete -c carina -l endpoint -r');
  });
});
