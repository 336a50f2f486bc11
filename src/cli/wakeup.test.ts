import { describe, expect, it } from 'vitest';
import { Wakeup } from './wakeup.js';

describe('Wakeup', () => {
  it('waits the time it is given when nothing wakes it', async () => {
    const started = Date.now();
    await new Wakeup().wait(60);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('ends a running wait at once on wake', async () => {
    const w = new Wakeup();
    const started = Date.now();
    setTimeout(() => w.wake(), 10);
    await w.wait(5000);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('keeps a wake that came while nobody waited for the next wait, once', async () => {
    const w = new Wakeup();
    w.wake();
    w.wake();
    const started = Date.now();
    await w.wait(5000);
    expect(Date.now() - started).toBeLessThan(100);
    await w.wait(50); // the wakes were one
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });
});
