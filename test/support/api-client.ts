import { setTimeout as sleep } from 'node:timers/promises';

export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A minimal client of the public HTTP API for tests. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly key: string | undefined,
  ) {}

  async request<T = any>(method: string, path: string, body?: unknown, init: { raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.key) headers.authorization = `Bearer ${this.key}`;
    let payload: string | Buffer | undefined = init.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: payload });
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /** Polls a cluster until `done(cluster)` holds, or fails naming the last status. */
  async waitFor(name: string, done: (c: any) => boolean, timeoutMs = 120_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    let last: any;
    while (Date.now() < deadline) {
      const res = await this.request('GET', `/v1/clusters/${name}`);
      last = res.status === 200 ? res.body : { status: `HTTP ${res.status}` };
      if (done(last)) return last;
      if (last?.status === 'error') throw new Error(`cluster ${name} went to error: ${last.status_reason}`);
      await sleep(200);
    }
    throw new Error(`cluster ${name} did not get there within ${timeoutMs / 1000} s; last: ${JSON.stringify(last)}`);
  }

  /** Waits until GET returns 404 (deleted). */
  async waitGone(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if ((await this.request('GET', `/v1/clusters/${name}`)).status === 404) return;
      await sleep(200);
    }
    throw new Error(`cluster ${name} still exists after ${timeoutMs / 1000} s`);
  }
}
