import { describe, expect, it } from 'vitest';
import { checkClusterName, formatDuration, growAmount, parseCount, parseDuration, parseOnOff } from './args.js';

describe('argument helpers', () => {
  it('checks cluster names like the server', () => {
    expect(checkClusterName('demo-1.x_y')).toBe('demo-1.x_y');
    for (const bad of ['', '1abc', 'a/b', '../x', 'a b', 'x'.repeat(64)]) expect(() => checkClusterName(bad)).toThrow(/invalid cluster name/);
  });

  it('parses counts within bounds', () => {
    expect(parseCount('3', '--nodes')).toBe(3);
    expect(() => parseCount('0', '--nodes')).toThrow(/between 1 and 50/);
    expect(parseCount('50', '--nodes')).toBe(50); // the server's limit (src/wire/limits.ts), not more
    expect(() => parseCount('51', '--nodes')).toThrow(/between 1 and 50 \(got 51\)/);
    expect(() => parseCount('2.5', '--by')).toThrow(/--by needs a whole number/);
    expect(() => parseCount('x', '--by')).toThrow(/whole number/);
  });

  it('parses durations', () => {
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    for (const bad of ['', 'soon', '5 m', '5x', '0s']) expect(() => parseDuration(bad)).toThrow(/--timeout/);
  });

  it('formats durations', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_400)).toBe('12.4s');
    expect(formatDuration(59_999)).toBe('59.9s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });

  it('parses on/off', () => {
    expect(parseOnOff('on')).toBe(true);
    expect(parseOnOff('OFF')).toBe(false);
    expect(parseOnOff('true')).toBe(true);
    expect(() => parseOnOff('maybe')).toThrow(/"on" or "off"/);
  });

  it('accepts grow --by N and the earliest spelling --nodes=N (both mean "add N")', () => {
    expect(growAmount('2', undefined)).toBe(2);
    expect(growAmount(undefined, '1')).toBe(1);
    expect(growAmount('2', '2')).toBe(2);
    expect(() => growAmount('1', '2')).toThrow(/disagree/);
    expect(() => growAmount(undefined, undefined)).toThrow(/grow needs --by N/);
  });
});
