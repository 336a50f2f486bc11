import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { CarinaError, ErrorCode } from '../core/errors.js';
import { errorBody, httpStatusOf } from './http-errors.js';

// Where Fastify or Node answer before any route or error handler runs, they answer in their own
// shapes ({"error":"Bad Request","code":"FST_…"} or a bare status line) and repeat the client's path.
// These hooks make those answers the API's: `{"error":{"code","message"}}` with a code of the contract.

/** A path (or other input) as a message may quote it: at most `max` characters. */
export function quoted(text: string, max = 100): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}

/** Fastify's `frameworkErrors`: what its router raises before routing (a path parameter too long, a path not valid percent-encoding). */
export function frameworkErrors(maxParamLength: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void => {
    if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      // Longer than any parameter the contract allows, so it is the same mistake as one a character too long.
      void reply.status(400).send(errorBody(ErrorCode.VALIDATION, `invalid params: a path parameter is longer than ${maxParamLength} characters`));
      return;
    }
    if (error.code === 'FST_ERR_BAD_URL') {
      void reply.status(400).send(errorBody(ErrorCode.BAD_REQUEST, 'the path is not valid percent-encoded UTF-8'));
      return;
    }
    void reply.status(500).send(errorBody(ErrorCode.INTERNAL, 'internal error; the server log has the details'));
  };
}

/** Node's `clientError`: a request its parser refused (malformed, headers over its limit, too slow). Written by hand: no request exists yet. */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [ErrorCode.REQUEST_TIMEOUT, 'the request did not arrive in time']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [ErrorCode.HEADERS_TOO_LARGE, 'request headers larger than 16 KiB']
        : [ErrorCode.BAD_REQUEST, 'malformed HTTP request'];
  const status = httpStatusOf(code);
  const body = JSON.stringify(errorBody(code, message));
  // As Node's own handler: only on a connection nothing was answered on yet (after an answer that said
  // Connection: close, what follows is no request to answer).
  if (socket.writable && socket.bytesWritten === 0) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * An onRequest hook: a body must be plain UTF-8 (the only JSON there is, RFC 8259). A compressed
 * body, or one in another charset, would otherwise be read as if it were plain UTF-8.
 */
export function plainUtf8Bodies(request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void): void {
  done(bodyFault(request.headers));
}

function bodyFault(headers: FastifyRequest['headers']): CarinaError | undefined {
  const hasBody = (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
  if (!hasBody) return undefined;
  const codings = (headers['content-encoding'] ?? '').split(',').map((c) => c.trim().toLowerCase());
  if (codings.some((c) => c !== '' && c !== 'identity')) {
    return new CarinaError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body uncompressed (no Content-Encoding)');
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new CarinaError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send JSON in UTF-8 (charset=utf-8, or no charset)');
  }
  return undefined;
}
