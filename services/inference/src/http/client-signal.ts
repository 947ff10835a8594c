import type { FastifyReply } from 'fastify';

/**
 * An AbortSignal that fires when the client goes away before the answer is complete.
 * The response's 'close' fires after the last byte too; `writableEnded` tells them apart.
 * The socket is destroyed then: a half-closed connection whose answer was cut off can
 * never be reused, and left open it would hold a graceful shutdown until the peer exits.
 */
export function clientDisconnectSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const res = reply.raw;
  const socket = res.socket;
  const gone = () => {
    controller.abort(new Error('client disconnected'));
    socket?.destroy();
  };
  if (res.destroyed && !res.writableEnded) gone();
  else res.once('close', () => {
    if (!res.writableEnded) gone();
  });
  return controller.signal;
}
