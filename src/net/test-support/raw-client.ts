import { connect, type Socket } from 'node:net';

/** A plain TCP connection to 127.0.0.1:`port` from `localAddress` (any 127.x address is this host), once connected. */
export function rawConnect(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    socket.on('error', () => undefined); // a reset is how a refused connection may end
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** How a connection ended within `ms`: closed after that many ms (and what it was sent), or still open. */
export function ending(socket: Socket, ms: number): Promise<{ closedAfterMs: number | undefined; received: string }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ closedAfterMs: undefined, received }), ms);
    const closed = () => {
      clearTimeout(timer);
      resolve({ closedAfterMs: Date.now() - started, received });
    };
    if (socket.destroyed) closed();
    else socket.once('close', closed);
  });
}
