import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Lets a graceful close finish as soon as the last answer is sent. `server.close()` waits
 * for every connection; Node closes idle keep-alive ones only when asked, and never
 * closes a connection that was opened but has not sent a byte yet (clients preconnect),
 * which would hold the close until the request timeout. While closing, `sweep()` every
 * 100 ms closes both kinds; a connection with a request in flight is left alone.
 */
export function createShutdownSweep(server: Server): { start(): void; stop(): void } {
  const sockets = new Set<Socket>();
  let timer: NodeJS.Timeout | undefined;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const sweep = () => {
    server.closeIdleConnections();
    for (const socket of sockets) if (socket.bytesRead === 0) socket.destroy();
  };
  return {
    start() {
      sweep();
      timer = setInterval(sweep, 100);
      timer.unref();
    },
    stop() {
      clearInterval(timer);
    },
  };
}
