import { describe, expect, it } from 'vitest';
import { carinaHome, checkTransport, DEFAULT_ENDPOINT, isLoopbackEndpoint, normaliseEndpoint, parseProfiles, resolveSettings } from './config.js';
import type { CliError } from './errors.js';

const PATH = '/h/.carina/config.toml';
const TOML = `
# an old Carina file: unknown keys are ignored
[default]
cloud = "public"
username = "dora"
apikey = "key-default"

[work]
endpoint = "https://carina.example:8443/"
username = "wanda"
apikey = "key-work"

[ci]
username-var = "CI_USER"
apikey-var = "CI_KEY"
`;
const profiles = parseProfiles(TOML, PATH);

describe('carinaHome', () => {
  it('prefers CARINA_HOME, then XDG_DATA_HOME/carina, then ~/.carina', () => {
    expect(carinaHome({ CARINA_HOME: '/c', XDG_DATA_HOME: '/x' }, '/h')).toBe('/c');
    expect(carinaHome({ XDG_DATA_HOME: '/x' }, '/h')).toBe('/x/carina');
    expect(carinaHome({}, '/h')).toBe('/h/.carina');
  });
});

describe('parseProfiles', () => {
  it('reads sections, literal values and -var references', () => {
    expect(Object.keys(profiles)).toEqual(['default', 'work', 'ci']);
    expect(profiles.ci).toEqual({ username: { variable: 'CI_USER' }, apikey: { variable: 'CI_KEY' } });
  });

  it('rejects broken TOML and wrong types with a config error (exit 2)', () => {
    expect(() => parseProfiles('[a\nx=1', PATH)).toThrow(/cannot parse \/h\/.carina\/config.toml/);
    const error = (() => {
      try {
        parseProfiles('[a]\napikey = 5', PATH);
      } catch (e) {
        return e as CliError;
      }
      return undefined;
    })();
    expect(error?.code).toBe('CARINA_ERR_CONFIG');
    expect(error?.exitCode).toBe(2);
  });
});

describe('resolveSettings precedence', () => {
  it('uses the default profile when nothing else gives credentials', () => {
    const s = resolveSettings({}, {}, profiles, PATH);
    expect(s).toMatchObject({ endpoint: DEFAULT_ENDPOINT, username: 'dora', apikey: 'key-default', profile: 'default' });
    expect(s.sources.apikey).toBe('profile "default"');
  });

  it('lets environment variables beat the default profile (which is then not used at all)', () => {
    const s = resolveSettings({}, { CARINA_APIKEY: 'key-env' }, profiles, PATH);
    expect(s).toMatchObject({ apikey: 'key-env', username: undefined, profile: undefined, endpoint: DEFAULT_ENDPOINT });
  });

  it('lets flags beat everything, field by field', () => {
    const env = { CARINA_APIKEY: 'key-env', CARINA_USERNAME: 'eve', CARINA_ENDPOINT: 'http://env:1' };
    const s = resolveSettings({ apikey: 'key-flag' }, env, profiles, PATH);
    expect(s).toMatchObject({ apikey: 'key-flag', username: undefined, endpoint: 'http://env:1' });
    expect(s.sources).toEqual({ endpoint: 'environment', username: undefined, apikey: 'flags' });
    expect(resolveSettings({ apikey: 'k', username: 'fred' }, env, profiles, PATH).username).toBe('fred');
  });

  it('lets --profile beat the environment, and the environment beat CARINA_PROFILE', () => {
    const env = { CARINA_APIKEY: 'key-env', CARINA_PROFILE: 'work' };
    expect(resolveSettings({ profile: 'work' }, { CARINA_APIKEY: 'key-env' }, profiles, PATH)).toMatchObject({
      apikey: 'key-work',
      username: 'wanda',
      endpoint: 'https://carina.example:8443',
      profile: 'work',
    });
    expect(resolveSettings({}, env, profiles, PATH)).toMatchObject({ apikey: 'key-env', username: undefined, endpoint: 'https://carina.example:8443' });
    expect(resolveSettings({}, { CARINA_PROFILE: 'work' }, profiles, PATH)).toMatchObject({ apikey: 'key-work', username: 'wanda' });
  });

  it('reads -var values from the environment, and names the variable when it is unset', () => {
    expect(resolveSettings({ profile: 'ci' }, { CI_USER: 'cid', CI_KEY: 'key-ci' }, profiles, PATH)).toMatchObject({ username: 'cid', apikey: 'key-ci' });
    expect(() => resolveSettings({ profile: 'ci' }, { CI_USER: 'cid' }, profiles, PATH)).toThrow(/\$CI_KEY, which is not set/);
    // an unused profile's missing variable is no problem
    expect(resolveSettings({}, {}, profiles, PATH).apikey).toBe('key-default');
  });

  it('names the known profiles when the selected one is missing', () => {
    expect(() => resolveSettings({ profile: 'nope' }, {}, profiles, PATH)).toThrow(/no profile "nope" in .* \[default\], \[work\], \[ci\]/);
    expect(() => resolveSettings({}, { CARINA_PROFILE: 'nope' }, {}, PATH)).toThrow(/it has none/);
  });

  it('returns no key at all when nothing is configured', () => {
    expect(resolveSettings({}, {}, {}, PATH)).toMatchObject({ apikey: undefined, username: undefined, endpoint: DEFAULT_ENDPOINT });
  });
});

describe('normaliseEndpoint', () => {
  it('strips trailing slashes and rejects non-HTTP URLs', () => {
    expect(normaliseEndpoint('http://h:8080/', 'flags')).toBe('http://h:8080');
    expect(() => normaliseEndpoint('h:8080', 'flags')).toThrow(/must start with http/);
    expect(() => normaliseEndpoint('not a url', 'environment')).toThrow(/from environment\) is not a URL/);
  });
});

describe('HTTPS settings', () => {
  const withCa = parseProfiles('[self]\nendpoint = "https://10.0.0.5:8443"\ncacert = "/etc/carina/api-ca.pem"\napikey = "k"\n', PATH);

  it('takes the CA with the endpoint it vouches for', () => {
    expect(resolveSettings({ profile: 'self' }, {}, withCa, PATH).cacert).toBe('/etc/carina/api-ca.pem');
    expect(resolveSettings({ cacert: '/flag.pem' }, { CARINA_CACERT: '/env.pem' }, {}, PATH).cacert).toBe('/flag.pem');
    expect(resolveSettings({}, { CARINA_ENDPOINT: 'https://x', CARINA_CACERT: '/env.pem' }, {}, PATH).cacert).toBe('/env.pem');
    // An endpoint from a flag is not vouched for by the profile's CA, which belongs to another endpoint.
    expect(resolveSettings({ endpoint: 'https://other:443', profile: 'self' }, {}, withCa, PATH).cacert).toBeUndefined();
  });

  it.each([
    ['http://127.0.0.1:8080', false, true],
    ['http://localhost:8080', false, true],
    ['http://[::1]:8080', false, true],
    ['https://10.0.0.5:8443', false, true],
    ['http://10.0.0.5:8080', false, false],
    ['http://carina.example.com', false, false],
    ['http://10.0.0.5:8080', true, true],
  ])('%s (insecure-http %s) may carry a key: %s', (endpoint, insecure, allowed) => {
    const check = () => checkTransport(endpoint, insecure);
    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(/^refusing to send your API key to .* in clear text: use its https:\/\/ address/);
  });

  it('knows loopback endpoints', () => {
    expect([isLoopbackEndpoint('http://127.1.2.3:1'), isLoopbackEndpoint('http://10.0.0.1:1')]).toEqual([true, false]);
  });
});
