import { ErrorCode } from '../wire/error-codes.js';

/** What a request was about, as the command named it. */
export interface Subject {
  readonly cluster?: string | undefined;
  readonly flavor?: string | undefined;
  /** A registry tag, `REPOSITORY:TAG`. */
  readonly tag?: string | undefined;
}

// The server's messages end with what an HTTP client does next (a route to call); a CLI user wants the
// command. The code says which error it is and the command's own arguments fill it in, so no server
// text is parsed or rewritten.
const WORDING: Readonly<Partial<Record<ErrorCode, (subject: Subject) => string | undefined>>> = Object.freeze({
  [ErrorCode.CLUSTER_NOT_FOUND]: ({ cluster }) => (cluster === undefined ? undefined : `no cluster named "${cluster}": list yours with "carina ls"`),
  [ErrorCode.FLAVOR_NOT_FOUND]: ({ flavor }) => (flavor === undefined ? undefined : `unknown flavor "${flavor}": list them with "carina flavors"`),
  [ErrorCode.NOT_FOUND]: ({ tag }) => (tag === undefined ? undefined : `no tag ${tag} in your registry: list yours with "carina registry ls"`),
});

/** The message the CLI shows for a server error: its own words with its hint where it has them, else the server's. */
export function cliMessage(code: string, serverMessage: string, subject: Subject = {}): string {
  return WORDING[code as ErrorCode]?.(subject) ?? serverMessage;
}
