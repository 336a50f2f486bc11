import { describe, expect, it } from 'vitest';
import { AuthThrottle } from './auth-throttle.js';

describe('AuthThrottle', () => {
  const setup = (maxKeys?: number) => {
    let t = 0;
    const throttle = new AuthThrottle({ maxFailures: 3, windowMs: 60_000, now: () => t, ...(maxKeys ? { maxKeys } : {}) });
    return { throttle, advance: (ms: number) => (t += ms) };
  };

  it('allows the first failures, then refuses until the window ends', () => {
    const { throttle, advance } = setup();
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('ip|alice')).toBe(0);
      throttle.failed('ip|alice');
    }
    expect(throttle.retryAfterMs('ip|alice')).toBe(60_000);
    advance(45_000);
    expect(throttle.retryAfterMs('ip|alice')).toBe(15_000);
    advance(15_000);
    expect(throttle.retryAfterMs('ip|alice')).toBe(0);
    throttle.failed('ip|alice'); // a new window
    expect(throttle.retryAfterMs('ip|alice')).toBe(0);
  });

  it('keeps keys apart: another account or address is not held back', () => {
    const { throttle } = setup();
    for (let i = 0; i < 3; i++) throttle.failed('ip|alice');
    expect(throttle.retryAfterMs('ip|alice')).toBeGreaterThan(0);
    expect(throttle.retryAfterMs('ip|bob')).toBe(0);
    expect(throttle.retryAfterMs('other|alice')).toBe(0);
  });

  it('forgets the oldest windows past its bound', () => {
    const { throttle } = setup(2);
    for (let i = 0; i < 3; i++) throttle.failed('a');
    throttle.failed('b');
    throttle.failed('c');
    expect(throttle.retryAfterMs('a')).toBe(0);
  });
});
