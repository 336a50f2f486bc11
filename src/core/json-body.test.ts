import { describe, expect, it } from 'vitest';
import { decodeJsonBody, encodeJsonBody } from './json-body.js';
import { PolicyCode } from './policy-codes.js';

const codeOf = (text: string) => {
  const d = decodeJsonBody(text);
  return d.ok ? null : d.violation.code;
};

describe('decoding a body as the engine will', () => {
  it.each([
    // Go decodes the second copy into the first: the policy must never read only one of them.
    ['a repeated HostConfig', '{"Image":"x","HostConfig":{"Binds":["/:/host"],"PidMode":"host"},"HostConfig":{}}'],
    ['a repeated field deep inside', '{"TaskTemplate":{"ContainerSpec":{"Mounts":[{"Type":"bind","Type":"volume"}]}}}'],
    ['a field in two cases', '{"HostConfig":{"Privileged":true},"hostconfig":{}}'],
    ['a field in two cases, folded by Go (ſ, K)', '{"SecurityOpt":[],"ſecurityOpt":["seccomp=unconfined"]}'],
    ['repeated DriverOpts', '{"Name":"v","DriverOpts":{"device":"/run/carina"},"DriverOpts":{}}'],
    ['repeated inside an array', '[{"a":1,"A":2}]'],
  ])('refuses %s', (_name, text) => {
    expect(codeOf(text)).toBe(PolicyCode.DUPLICATE_FIELD);
  });

  it.each([
    ['trailing data', '{"Image":"x"} {"HostConfig":{"Privileged":true}}'],
    ['a string', '"x"'],
    ['a number', '1'],
    ['broken JSON', '{"Image":'],
    ['a comment', '{"Image":"x" /* */}'],
  ])('refuses %s as unreadable', (_name, text) => {
    expect(codeOf(text)).toBe(PolicyCode.UNREADABLE_REQUEST);
  });

  it('reads an empty body and null as no body', () => {
    expect(decodeJsonBody('  ')).toEqual({ ok: true, value: undefined });
    expect(decodeJsonBody('null')).toEqual({ ok: true, value: undefined });
    expect(encodeJsonBody(undefined)).toBe('');
  });

  it('re-serialises exactly what it read, large numbers digit for digit', () => {
    const text = '{"Image":"x","HostConfig":{"Memory":9223372036854775807,"NanoCpus":1500000000,"CpuShares":0.5},"Labels":{"__proto__":"y"}}';
    const decoded = decodeJsonBody(text);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(encodeJsonBody(decoded.value)).toBe(text);
  });

  it('keeps a __proto__ key as data, as Go does', () => {
    const decoded = decodeJsonBody('{"__proto__":{"Privileged":true}}');
    expect(decoded.ok && Object.keys(decoded.value as object)).toEqual(['__proto__']);
  });
});
