import { useState } from 'react';
import { age, when } from '../format';
import type { ClusterEvent } from '../types';

const SHOWN = 15;

/** The event log, newest first: what happened and why. */
export function EventLog({ events, now }: { readonly events: readonly ClusterEvent[]; readonly now?: number }) {
  const [all, setAll] = useState(false);
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  const newest = [...events].reverse();
  const shown = all ? newest : newest.slice(0, SHOWN);
  return (
    <>
      <ol className="events" aria-label="Events, newest first">
        {shown.map((e) => (
          <li key={e.id} className={`event event-${e.type}`}>
            <time dateTime={e.time} title={when(e.time)}>
              {age(e.time, now)}
            </time>
            <span className="event-type">{e.type}</span>
            <span className="event-message">{e.message}</span>
          </li>
        ))}
      </ol>
      {newest.length > SHOWN ? (
        <button type="button" className="button button-small" onClick={() => setAll(!all)}>
          {all ? 'Show fewer' : `Show all ${newest.length} events`}
        </button>
      ) : null}
    </>
  );
}
