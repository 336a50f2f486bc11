import { describe, expect, it } from 'vitest';
import { detectShell, dockerHostOf, parseShell, renderEnvScript } from './env-script.js';

describe('env scripts', () => {
  it('sources docker.env for bash and zsh, with an eval hint as a comment', () => {
    expect(renderEnvScript('bash', '/h/c/demo', 'carina env demo')).toBe(
      "source '/h/c/demo/docker.env'\n# Run this command to configure your shell: eval \"$(carina env demo)\"\n",
    );
    expect(renderEnvScript('zsh', '/h/c/demo', 'carina env demo')).toMatch(/^source '\/h\/c\/demo\/docker.env'\n# /);
  });

  it('quotes directories with spaces and quotes for each shell', () => {
    expect(renderEnvScript('bash', "/h/it's here", 'c')).toContain(`source '/h/it'\\''s here/docker.env'`);
    expect(renderEnvScript('fish', "/h/it's", 'carina env demo --shell fish')).toBe(
      "source '/h/it\\'s/docker.fish'\n# Run this command to configure your shell: carina env demo --shell fish | source\n",
    );
    expect(renderEnvScript('powershell', "C:\\Users\\o'k", 'carina env d --shell powershell')).toBe(
      ". 'C:\\Users\\o''k\\docker.ps1'\n# Run this command to configure your shell: & carina env d --shell powershell | Invoke-Expression\n",
    );
    expect(renderEnvScript('cmd', 'C:\\c\\demo', 'carina env demo --shell cmd')).toBe(
      'call "C:\\c\\demo\\docker.cmd"\nREM Run this command to configure your shell: @FOR /f "tokens=*" %i IN (\'carina env demo --shell cmd\') DO @%i\n',
    );
  });

  it('names the registry in a comment line of every shell when the account has one', () => {
    const line = '127.0.0.1:5000 (carina registry login)';
    expect(renderEnvScript('bash', '/h/c/demo', 'carina env demo', '127.0.0.1:5000')).toBe(
      `source '/h/c/demo/docker.env'\n# Run this command to configure your shell: eval "$(carina env demo)"\n# registry: ${line}\n`,
    );
    expect(renderEnvScript('zsh', '/d', 'c', '127.0.0.1:5000')).toMatch(new RegExp(`\\n# registry: ${line.replace(/[.()]/g, '\\$&')}\\n$`));
    expect(renderEnvScript('fish', '/d', 'c', '127.0.0.1:5000').split('\n').at(-2)).toBe(`# registry: ${line}`);
    expect(renderEnvScript('powershell', 'C:\\d', 'c', '127.0.0.1:5000').split('\n').at(-2)).toBe(`# registry: ${line}`);
    expect(renderEnvScript('cmd', 'C:\\d', 'c', '127.0.0.1:5000').split('\n').at(-2)).toBe(`REM registry: ${line}`);
    expect(renderEnvScript('bash', '/d', 'c')).not.toContain('registry');
  });

  it('detects the shell from $SHELL and checks --shell', () => {
    expect(detectShell('/usr/bin/zsh')).toBe('zsh');
    expect(detectShell('/usr/bin/fish')).toBe('fish');
    expect(detectShell('/bin/bash')).toBe('bash');
    expect(detectShell(undefined)).toBe('bash');
    expect(detectShell('/bin/dash')).toBe('bash');
    expect(parseShell('pwsh')).toBe('powershell');
    expect(parseShell('ZSH')).toBe('zsh');
    expect(() => parseShell('tcsh')).toThrow(/unknown shell "tcsh"/);
  });

  it("reads DOCKER_HOST from a bundle's docker.env", () => {
    expect(dockerHostOf("export DOCKER_CERT_PATH\nexport DOCKER_HOST='tcp://127.0.0.1:23760'\n")).toBe('tcp://127.0.0.1:23760');
    expect(dockerHostOf('nothing')).toBeUndefined();
  });
});
