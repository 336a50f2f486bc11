import { ZipFile } from 'yazl';
import type { BundleInput } from '../core/ports.js';

/** One file of a bundle: its text and its POSIX permission bits. */
export interface BundleFile {
  readonly content: string;
  readonly mode: number;
}

const PUBLIC = 0o644;
const SECRET = 0o600;

/** The files of a cluster's credentials bundle (pure: no IO). Never includes the CA or server keys. */
export function bundleFiles(input: BundleInput): Record<string, BundleFile> {
  const dockerHost = `tcp://${formatHost(input.host)}:${input.port}`;
  return {
    'ca.pem': { content: input.pki.caCert, mode: PUBLIC },
    'cert.pem': { content: input.pki.clientCert, mode: PUBLIC },
    'key.pem': { content: input.pki.clientKey, mode: SECRET },
    'docker.env': { content: posixEnv(dockerHost, input.clusterName), mode: PUBLIC },
    'docker.fish': { content: fishEnv(dockerHost, input.clusterName), mode: PUBLIC },
    'docker.ps1': { content: powershellEnv(dockerHost, input.clusterName), mode: PUBLIC },
    'docker.cmd': { content: cmdEnv(dockerHost, input.clusterName), mode: PUBLIC },
    'README.md': { content: readme(input.clusterName, dockerHost, input.registry), mode: PUBLIC },
  };
}

/** Zips the bundle files (key.pem with mode 0600) into an in-memory archive (the `CredentialsBundler` port's `zip`). */
export async function buildBundle(input: BundleInput): Promise<Buffer> {
  const zip = new ZipFile();
  const mtime = new Date();
  for (const [name, file] of Object.entries(bundleFiles(input))) {
    zip.addBuffer(Buffer.from(file.content, 'utf8'), name, { mode: 0o100000 | file.mode, mtime });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** IPv6 literals need brackets in a tcp:// URL. */
function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** A single-quoted POSIX sh word. */
function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

function fishQuote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function psQuote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function posixEnv(dockerHost: string, clusterName: string): string {
  return `# Docker client environment for Carina cluster ${clusterName}.
# Use from bash or zsh:  source /path/to/docker.env   (then: docker info)
_carina_src=
if [ -n "\${BASH_VERSION:-}" ]; then
  eval '_carina_src=\${BASH_SOURCE[0]:-}'
elif [ -n "\${ZSH_VERSION:-}" ]; then
  eval '_carina_src=\${(%):-%x}'
fi
_carina_dir=
if [ -n "$_carina_src" ]; then
  _carina_dir=$(CDPATH= cd -- "$(dirname -- "$_carina_src")" && pwd)
fi
DOCKER_CERT_PATH=\${_carina_dir:-$PWD}
export DOCKER_CERT_PATH
export DOCKER_HOST=${shQuote(dockerHost)}
export DOCKER_TLS_VERIFY=1
export CARINA_CLUSTER_NAME=${shQuote(clusterName)}
unset _carina_src _carina_dir
`;
}

function fishEnv(dockerHost: string, clusterName: string): string {
  return `# Docker client environment for Carina cluster ${clusterName}.
# Use from fish:  source /path/to/docker.fish
set -gx DOCKER_CERT_PATH (builtin realpath (dirname (status --current-filename)))
set -gx DOCKER_HOST ${fishQuote(dockerHost)}
set -gx DOCKER_TLS_VERIFY 1
set -gx CARINA_CLUSTER_NAME ${fishQuote(clusterName)}
`;
}

function powershellEnv(dockerHost: string, clusterName: string): string {
  return crlf(`# Docker client environment for Carina cluster ${clusterName}.
# Use from PowerShell:  . .\\docker.ps1
$env:DOCKER_CERT_PATH = $PSScriptRoot
$env:DOCKER_HOST = ${psQuote(dockerHost)}
$env:DOCKER_TLS_VERIFY = '1'
$env:CARINA_CLUSTER_NAME = ${psQuote(clusterName)}
`);
}

function cmdEnv(dockerHost: string, clusterName: string): string {
  // Values are validated names/hosts; quoting the whole assignment keeps "&" and spaces literal.
  return crlf(`@echo off
rem Docker client environment for Carina cluster ${clusterName}.
rem Use from cmd.exe:  call docker.cmd
set "DOCKER_CERT_PATH=%~dp0"
if "%DOCKER_CERT_PATH:~-1%"=="\\" set "DOCKER_CERT_PATH=%DOCKER_CERT_PATH:~0,-1%"
set "DOCKER_HOST=${dockerHost}"
set "DOCKER_TLS_VERIFY=1"
set "CARINA_CLUSTER_NAME=${clusterName}"
`);
}

/** The README's section on the account's private registry. */
function registrySection(registry: BundleInput['registry']): string {
  if (!registry) return '';
  const { address, namespace } = registry;
  return `
## Your private registry

Images you push to \`${address}/${namespace}/…\` run on every node of your clusters, with no login on the nodes:

\`\`\`sh
carina registry login                      # trusts the registry's CA and runs docker login ${address} -u ${namespace}
docker build -t ${address}/${namespace}/app:1 . && docker push ${address}/${namespace}/app:1
docker service create --replicas 3 ${address}/${namespace}/app:1
\`\`\`

Without the CLI: \`docker login ${address} -u ${namespace}\` with your API key as the password, after putting the CA of
\`GET /v1/registry\` (\`ca_pem\`) in \`/etc/docker/certs.d/${address}/ca.crt\` on the machine that pushes.
`;
}

function readme(clusterName: string, dockerHost: string, registry: BundleInput['registry']): string {
  return `# Carina cluster ${clusterName}

Credentials for the Docker endpoint \`${dockerHost}\` (mutual TLS).

## Use

\`\`\`sh
unzip BUNDLE.zip -d ${clusterName} && cd ${clusterName}
source docker.env        # bash / zsh
docker info
\`\`\`

Or, without unzipping: \`eval $(carina env ${clusterName})\`.

Other shells: \`source docker.fish\` (fish), \`. .\\docker.ps1\` (PowerShell), \`call docker.cmd\` (cmd.exe).

## Files

| File | Contents | Secret |
| --- | --- | --- |
| \`ca.pem\` | the cluster's certificate authority | no |
| \`cert.pem\` | your client certificate | no |
| \`key.pem\` | your client private key | **yes**: keep it private (mode 0600), do not commit or share it |
| \`docker.env\`, \`docker.fish\`, \`docker.ps1\`, \`docker.cmd\` | set DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH | no |

Anyone holding \`key.pem\` and \`cert.pem\` has full control of the cluster's Docker engine: treat them like a password.
${registrySection(registry)}`;
}

function crlf(text: string): string {
  return text.replaceAll('\n', '\r\n');
}
