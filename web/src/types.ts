/** Shapes of the public HTTP API as the portal reads them: the wire types the server's presenters are checked against. */
export type * from '../../src/wire/api-types';
