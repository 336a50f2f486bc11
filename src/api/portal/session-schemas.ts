/** JSON schemas of `/v1/session` (sign in and out of the portal). */
const errorSchema = {
  type: 'object',
  properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } },
} as const;

const sessionSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    csrf_token: { type: 'string', description: 'Send as X-CSRF-Token on every cookie-authenticated write' },
    expires_at: { type: 'string', format: 'date-time' },
  },
} as const;

export const signInSchema = {
  summary: 'Sign in to the portal: exchanges username + API key for an HttpOnly session cookie',
  security: [],
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['username', 'apikey'],
    properties: { username: { type: 'string', minLength: 1, maxLength: 63 }, apikey: { type: 'string', minLength: 1, maxLength: 256 } },
  },
  response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema },
} as const;

export const whoAmISchema = {
  summary: 'Who is signed in to the portal (by session cookie)',
  security: [],
  response: { 200: sessionSchema, 401: errorSchema },
} as const;

export const signOutSchema = {
  summary: 'Sign out of the portal (needs X-CSRF-Token when the session is live)',
  security: [],
  response: { 204: { type: 'null' }, 403: errorSchema },
} as const;
