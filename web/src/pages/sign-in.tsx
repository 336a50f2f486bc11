import { useId, useState, type FormEvent } from 'react';
import { NETWORK_ERROR, type Api, type ApiError } from '../api';
import { AlertLine, Field } from '../components/field';
import { sentence } from '../components/notice';
import type { Session } from '../types';

export interface SignInProps {
  readonly api: Api;
  readonly onSignedIn: (session: Session) => void;
  /** Why the user is here again (e.g. the session expired). */
  readonly notice?: string | undefined;
}

/** The message for a failed sign-in: what went wrong and what to do. */
export function signInMessage(error: ApiError): string {
  if (error.status === 401) {
    return 'That username and API key don\u2019t match. Check the username and paste the whole key (it starts with "carina_"). Lost it? An admin can print a new one with: carina-server accounts rotate-key NAME';
  }
  if (error.code === NETWORK_ERROR) return sentence(error.message);
  return `Signing in failed: ${sentence(error.message)}`;
}

/** Username + API key, exchanged for a session cookie. */
export function SignIn({ api, onSignedIn, notice }: SignInProps) {
  const [username, setUsername] = useState('');
  const [apikey, setApikey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [missing, setMissing] = useState<{ username?: boolean; apikey?: boolean }>({});
  const [busy, setBusy] = useState(false);
  const errorId = useId();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const m = { username: username.trim() === '', apikey: apikey.trim() === '' };
    setMissing(m);
    if (m.username || m.apikey) {
      setError(m.username ? 'Enter your username.' : 'Enter your API key.');
      document.getElementById(m.username ? 'signin-username' : 'signin-apikey')?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.signIn(username.trim(), apikey.trim()));
    } catch (err) {
      setError(signInMessage(err as ApiError));
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1 className="signin-brand">
          <span className="logo" aria-hidden="true" />
          Carina
        </h1>
        <p className="muted">Docker Swarm clusters you drive with your usual docker tools.</p>
        {notice ? (
          <p className="notice notice-info" role="status">
            {notice}
          </p>
        ) : null}
        <form onSubmit={(e) => void submit(e)} noValidate aria-describedby={error ? errorId : undefined}>
          <Field id="signin-username" label="Username" invalid={missing.username}>
            {(control) => (
              <input {...control} name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} value={username} onChange={(e) => setUsername(e.target.value)} />
            )}
          </Field>
          <Field
            id="signin-apikey"
            label="API key"
            invalid={missing.apikey}
            hint={
              <>
                The key your admin gave you (from <code>carina-server accounts create</code>).
              </>
            }
          >
            {(control) => (
              <input {...control} name="apikey" type="password" autoComplete="current-password" spellCheck={false} value={apikey} onChange={(e) => setApikey(e.target.value)} />
            )}
          </Field>
          <AlertLine id={errorId} message={error} />
          <button type="submit" className="button button-primary button-wide" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
      </div>
    </main>
  );
}
