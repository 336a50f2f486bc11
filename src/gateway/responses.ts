import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import type { PolicyCode } from '../core/policy.js';

/** The engine's error shape (`{"message": …}`, what the docker client prints), plus the stable code. */
export function errorJson(code: PolicyCode, message: string): string {
  return JSON.stringify({ message: `${code}: ${message}`, code });
}

/** Answers an HTTP request with a gateway error. */
export function sendError(res: ServerResponse, status: number, code: PolicyCode, message: string, close = false): void {
  const body = errorJson(code, message);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(close && { connection: 'close' }),
  });
  res.end(body);
}

/** The head of an HTTP/1.1 response, for sockets the HTTP server has handed over (upgrades). */
export function rawResponseHead(status: number, message: string | undefined, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message ?? STATUS_CODES[status] ?? ''}\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) head += `${headers[i] ?? ''}: ${headers[i + 1] ?? ''}\r\n`;
  return `${head}\r\n`;
}

/** Answers on a handed-over socket with a gateway error, then closes it. */
export function sendRawError(socket: Duplex, status: number, code: PolicyCode, message: string): void {
  const body = errorJson(code, message);
  socket.end(rawResponseHead(status, undefined, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body)), 'Connection', 'close']) + body);
}
