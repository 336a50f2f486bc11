// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layering (dependencies point inward), enforced here rather than by review. */
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});
const adapters = ['**/store/**', '**/engine/**', '**/host/**', '**/pki/**', '**/api/**', '**/reconciler/**', '**/cli/**', '**/server/**', '**/config/**', '**/gateway/**', '**/net/**', '**/registry/**'];
/** What the gateway may never import (the PKI: its tests only). */
const gatewayOuter = ['**/api/**', '**/cli/**', '**/server/**', '**/store/**', '**/engine/**', '**/host/**', '**/reconciler/**', '**/config/**', 'dockerode', 'kysely', 'prom-client'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'bin/**', 'stubs/**', 'test-artifacts/**', '.data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // End-to-end tests read untyped JSON responses on purpose: they check the wire format.
  {
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // core: pure domain — no adapters, no IO modules, no dockerode.
  layer(['src/core/**'], [
    { group: adapters, message: 'core must not import adapters' },
    { group: ['dockerode', 'kysely', 'fastify', 'prom-client', 'node:fs', 'node:fs/*', 'node:net', 'node:http', 'node:https', 'node:http2', 'node:tls', 'node:dgram', 'node:dns', 'node:dns/*', 'node:os', 'node:child_process', 'node:worker_threads', 'node:cluster', 'node:timers/promises'], message: 'core is pure: no IO' },
  ]),
  layer(['src/store/**', 'src/pki/**'], [
    { group: ['**/api/**', '**/reconciler/**', '**/cli/**', '**/server/**'], message: 'adapters must not import outer layers' },
  ]),
  // engine: the ClusterEngine port on dockerode. Host provisioning (host/) is the server's to wire in: the
  // node image build is handed a command runner, and binds the lxcfs files the host keeps served.
  layer(['src/engine/**'], [
    { group: ['**/api/**', '**/reconciler/**', '**/cli/**', '**/server/**', '**/gateway/**', '**/store/**', '**/host/**'], message: 'the engine drives clusters; it does not provision the host (src/host/)' },
  ]),
  // …its tests that build real images take the host's command runner and apt mirror.
  layer(['src/engine/**/*.test.ts'], [
    { group: ['**/api/**', '**/reconciler/**', '**/cli/**', '**/server/**', '**/gateway/**', '**/store/**'], message: 'the engine drives clusters; it does not provision the host (src/host/)' },
  ]),
  // host: provisions the machine (installs and starts the host and node engines, the node engine's
  // netns and uplink, lxcfs, stale pidfiles, the apt mirror); it imports core and config only.
  layer(['src/host/**'], [
    { group: ['**/api/**', '**/cli/**', '**/reconciler/**', '**/gateway/**', '**/store/**', '**/server/**', '**/engine/**', '**/pki/**', '**/net/**', 'dockerode', 'kysely'], message: 'host provisioning imports only core and config' },
  ]),
  // net: limits of listening sockets, shared by the API and the gateway; it knows neither.
  layer(['src/net/**'], [
    { group: ['**/api/**', '**/gateway/**', '**/reconciler/**', '**/cli/**', '**/server/**', '**/store/**', '**/engine/**', '**/host/**', '**/pki/**'], message: 'net serves the listeners; it imports only core' },
  ]),
  layer(['src/reconciler/**'], [
    { group: ['**/api/**', '**/cli/**', '**/server/**', '**/store/**', '**/engine/**', '**/host/**', 'dockerode', 'kysely', 'prom-client'], message: 'the reconciler works through core ports (metrics: the Telemetry port)' },
  ]),
  // api: parses, calls core's services, presents. It reaches the store and the PKI only through them (core ports).
  layer(['src/api/**'], [
    { group: ['**/cli/**', '**/server/**', '**/engine/**', '**/host/**', '**/store/**', '**/pki/**', '**/reconciler/**', '**/gateway/**', 'dockerode', 'kysely', 'prom-client'], message: 'api works through core services and ports' },
  ]),
  // …its tests build the API on a real in-memory SQLite store (openStore), as the store's own tests do: no mock stores.
  layer(['src/api/**/*.test.ts'], [
    { group: ['**/cli/**', '**/server/**', '**/engine/**', '**/host/**', '**/pki/**', '**/reconciler/**', '**/gateway/**', 'dockerode', 'kysely'], message: 'api works through core services and ports' },
  ]),
  // gateway: the Docker API proxy in front of each cluster; it works through core (policy, ports) and net (listener limits).
  layer(['src/gateway/**'], [
    { group: [...gatewayOuter, '**/pki/**'], message: 'the gateway imports only core and net' },
  ]),
  // …its tests issue real cluster certificates with the PKI to speak mutual TLS to it.
  layer(['src/gateway/**/*.test.ts', 'src/gateway/test-support/**'], [{ group: gatewayOuter, message: 'the gateway imports only core and net (its tests: the PKI too)' }]),
  // registry: the private registry's front (TLS, quotas, read-only windows), its storage and token signing; it works through core.
  layer(['src/registry/**'], [
    { group: ['**/api/**', '**/cli/**', '**/server/**', '**/store/**', '**/engine/**', '**/host/**', '**/reconciler/**', '**/gateway/**', '**/pki/**', '**/config/**', 'dockerode', 'kysely'], message: 'the registry imports only core (and jose)' },
  ]),
  // …its tests issue a real TLS certificate and token-signing key with the PKI, as the gateway's do.
  layer(['src/registry/**/*.test.ts', 'src/registry/test-support/**'], [
    { group: ['**/api/**', '**/cli/**', '**/server/**', '**/store/**', '**/engine/**', '**/host/**', '**/reconciler/**', '**/gateway/**', '**/config/**', 'dockerode', 'kysely'], message: 'the registry imports only core and jose (its tests: the PKI too)' },
  ]),
  // web: the portal is a browser client of the public HTTP API (its tests may compare with src/).
  {
    files: ['web/**'],
    ignores: ['web/src/**/*.test.{ts,tsx}', 'web/src/test-setup.ts'],
    rules: {
      // …and reads the API's contract (src/wire/: shapes, codes, statuses, rules, limits), as the server and the CLI do.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '(^|/)src/(?!wire/)', message: 'the portal talks only to the public API (its contract: src/wire/)' },
            { group: ['node:*', 'fastify', 'dockerode', 'kysely'], message: 'the portal talks only to the public API' },
          ],
        },
      ],
    },
  },
  // wire: the API's contract, shared by the server, the CLI and the portal; it imports only its own files and the schema library.
  layer(['src/wire/**'], [{ regex: '^(?!\\./[\\w.-]+$|@sinclair/typebox$)', message: 'the contract imports nothing but its own files and @sinclair/typebox' }]),
  // cli: a client of the public HTTP API; it knows the server only through the contract (src/wire/).
  layer(['src/cli/**'], [
    { group: ['**/core/**', '**/store/**', '**/engine/**', '**/host/**', '**/pki/**', '**/api/**', '**/reconciler/**', '**/server/**', '**/gateway/**', '**/net/**', '**/config/**'], message: 'the CLI is a thin client of the public HTTP API (its contract: src/wire/)' },
  ]),
);
