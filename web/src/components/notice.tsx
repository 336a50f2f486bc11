import type { ReactNode } from 'react';
import { NETWORK_ERROR, type ApiError } from '../api';

/** A loading line that screen readers announce. */
export function Loading({ children }: { readonly children: ReactNode }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {children}
    </p>
  );
}

/** What went wrong, why (the server's message), and what to do. */
export function ErrorNotice({ title, error, onRetry, children }: { readonly title: string; readonly error: ApiError; readonly onRetry?: () => void; readonly children?: ReactNode }) {
  return (
    <div className="notice notice-error" role="alert">
      <p className="notice-title">{title}</p>
      <p>{sentence(error.message)}</p>
      {error.code === NETWORK_ERROR ? null : <p className="notice-code">Error code: {error.code}</p>}
      {children}
      {onRetry ? (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** The server's message as a sentence: capitalised, ending with a full stop. */
export function sentence(message: string): string {
  const text = message.trim();
  if (!text) return text;
  const capital = text[0]?.toUpperCase() + text.slice(1);
  return /[.!?)]$/.test(capital) ? capital : `${capital}.`;
}
