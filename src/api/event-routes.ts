import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CarinaError, ErrorCode } from '../core/errors.js';
import type { EventScope, EventSubscription } from '../core/event-hub.js';
import type { LoggedEvent } from '../core/ports.js';
import type { Account } from '../core/types.js';
import type { ClusterService } from '../core/cluster-service.js';
import type { AccountEventList, EventList, EventStreamHeaders, EventsQuery } from '../wire/cluster-record-schemas.js';
import type { ClusterNameParams } from '../wire/cluster-schemas.js';
import { EVENT_STREAM_TYPE, frameComment, frameEvent, frameNamed, frameStart, GONE_EVENT, streamCursor, wantsEventStream } from '../wire/event-stream.js';
import { PAGE, type EventFeed } from './event-feed.js';
import { presentEvent } from './presenters.js';
import { wireRoute } from './wire-route.js';

/** A client this far behind (bytes not yet taken by its socket) is cut: it reconnects and catches up from the store. */
const MAX_BACKLOG = 1024 * 1024;

type Query = { Querystring: EventsQuery; Headers: EventStreamHeaders };

const accountOf = (request: FastifyRequest): Account => {
  if (!request.account) throw new Error('route registered without authentication');
  return request.account;
};

/** One event's message, framed once however many streams carry it. */
function framer(present: (e: LoggedEvent) => unknown): (e: LoggedEvent) => string {
  const frames = new WeakMap<LoggedEvent, string>();
  return (e) => {
    let frame = frames.get(e);
    if (frame === undefined) frames.set(e, (frame = frameEvent(e.id, present(e))));
    return frame;
  };
}
const clusterFrame = framer(presentEvent);
const accountFrame = framer((e) => ({ ...presentEvent(e), cluster: e.clusterName }));

/** `GET /v1/clusters/{name}/events` and `GET /v1/events`: the JSON log, or with Accept: text/event-stream the live stream. */
export function registerEventRoutes(app: FastifyInstance, clusters: ClusterService, feed: EventFeed): void {
  app.route<{ Params: ClusterNameParams } & Query>({
    ...wireRoute('events'),
    handler: async (req, reply): Promise<EventList | undefined> => {
      if (!wantsEventStream(req.headers.accept)) {
        const after = req.query.after === undefined ? undefined : Number(req.query.after);
        const events = await clusters.events(accountOf(req), req.params.name, after);
        return { events: events.map(presentEvent) };
      }
      const cluster = await clusters.get(accountOf(req), req.params.name);
      const scope = { accountId: cluster.accountId, clusterId: cluster.id, clusterName: cluster.name };
      await stream(req, reply, feed, scope, clusterFrame);
      return undefined;
    },
  });

  app.route<Query>({
    ...wireRoute('accountEvents'),
    handler: async (req, reply): Promise<AccountEventList | undefined> => {
      const account = accountOf(req);
      if (!wantsEventStream(req.headers.accept)) {
        const events = await clusters.accountEvents(account, req.query.after === undefined ? 0 : Number(req.query.after));
        return { events: events.map((e) => ({ ...presentEvent(e), cluster: e.clusterName })) };
      }
      await stream(req, reply, feed, { accountId: account.id }, accountFrame);
      return undefined;
    },
  });
}

/**
 * Answers with the stream: catches up from the store after the client's cursor, then hands on what
 * the feed publishes, each event once and in order (EventHub keeps what arrives during the catch-up).
 * Failures before the first byte (a bad cursor, the store out) are answered as errors in the API's shape.
 */
async function stream(
  req: FastifyRequest<Query>,
  reply: FastifyReply,
  feed: EventFeed,
  scope: EventScope & { readonly clusterName?: string },
  frame: (e: LoggedEvent) => string,
): Promise<void> {
  const cursor = streamCursor(req.headers['last-event-id'], req.query.after);
  if (!cursor.ok) throw new CarinaError(ErrorCode.VALIDATION, cursor.reason);
  const res = reply.raw;
  let open = true;
  let started = false;
  // Set once subscribed; the feed may end the stream before (the server closing).
  const held: { sub?: EventSubscription } = {};
  const end = (): void => {
    if (!open) return;
    open = false;
    held.sub?.close();
    if (started) res.end();
  };
  const write = (text: string): void => {
    // Nothing before the head: the feed heartbeats every subscribed stream, this one too while its
    // catch-up read is under way, and a write then would send Node's implicit head (no content type)
    // and make writeHead throw, leaving the stream open but never caught up (issue 17).
    if (!open || !started) return;
    res.write(text);
    if (res.writableLength > MAX_BACKLOG) {
      held.sub?.close();
      open = false;
      res.destroy();
    }
  };
  const sub = (held.sub = await feed.subscribe(
    scope,
    cursor.afterId,
    {
      events: (events) => write(events.map(frame).join('')),
      gone: () => {
        write(frameNamed(GONE_EVENT, { cluster: scope.clusterName }));
        end();
      },
    },
    { heartbeat: () => write(frameComment('heartbeat')), end },
  ));
  let page: LoggedEvent[];
  try {
    page = await feed.page(scope, cursor.afterId);
  } catch (error) {
    sub.close();
    throw error;
  }
  if (!open) {
    sub.close();
    throw new CarinaError(ErrorCode.STORE_UNAVAILABLE, 'this server is shutting down: ask again (another replica answers)');
  }
  reply.hijack();
  started = true;
  req.raw.socket.setTimeout(0); // the heartbeat keeps it busy; the API's idle timeout is for requests
  req.raw.on('close', () => {
    open = false;
    held.sub?.close();
  });
  let last = cursor.afterId;
  try {
    res.writeHead(200, {
      'content-type': `${EVENT_STREAM_TYPE}; charset=utf-8`,
      'cache-control': 'no-store',
      'x-accel-buffering': 'no', // nginx: pass each message on at once
      ...(req.protocol === 'https' && { 'strict-transport-security': 'max-age=31536000' }),
    });
    write(frameStart());
    for (;;) {
      if (page.length > 0) write(page.map(frame).join(''));
      last = page.at(-1)?.id ?? last;
      if (page.length < PAGE || !open) break;
      page = await feed.page(scope, last);
    }
    sub.caughtUp(last);
  } catch {
    // The store failed mid catch-up (or the head could not be written): the client reconnects with the
    // last id it got, rather than waiting on a stream that will never be caught up.
    sub.close();
    open = false;
    res.destroy();
  }
}
