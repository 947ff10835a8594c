import type { Server } from 'node:http';

/**
 * The child side of bench/lib/spawn.ts `startServer` for the benchmark's helper servers:
 * listens on 127.0.0.1, port 0, reports `{ type: 'ready', port, workUs: 0 }` over IPC, and
 * stops on SIGTERM (open connections closed, exit within a second) or when the parent goes.
 */
export function serveForParent(server: Server): void {
  server.listen({ host: '127.0.0.1', port: 0 }, () => {
    const { port } = server.address() as { port: number };
    process.send?.({ type: 'ready', port, workUs: 0 });
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1000).unref();
  });
  process.once('disconnect', () => process.exit(0));
}
