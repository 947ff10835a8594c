/**
 * A free loopback port for a process that must be told its port before it starts (the local
 * monitoring stack's components, the services tests start).
 *
 * A port found with listen(0) lies in the kernel's ephemeral range (net.ipv4.ip_local_port_range),
 * the range the kernel also draws the local port of every outgoing connection from. Between the
 * probe closing it and the process binding it, any connection on the machine (a database pool,
 * a health poll) can be given that port, and the process fails to start with EADDRINUSE. So the
 * port is drawn below the ephemeral range, where only explicit binds land, checked free, and
 * never handed out twice by one process.
 */
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const HOST = '127.0.0.1';
/** Ports below this are left to well-known services. */
const LOWEST = 20_000;
/** The IANA dynamic range, where a system without /proc draws ephemeral ports. */
const IANA_EPHEMERAL_START = 49_152;
const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range, from `ip_local_port_range` text ("32768\t60999"). */
export function ephemeralRangeStart(read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): number {
  let text: string;
  try {
    text = read();
  } catch {
    return IANA_EPHEMERAL_START;
  }
  const low = Number(text.trim().split(/\s+/)[0]);
  return Number.isInteger(low) && low > 0 && low <= 65_535 ? low : IANA_EPHEMERAL_START;
}

/** The port when 127.0.0.1:`port` could be bound (and was released again), undefined when not. */
export function tryBindLoopback(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host: HOST, exclusive: true }, () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolve(bound));
    });
  });
}

/** A port on 127.0.0.1 that was free a moment ago, below the ephemeral range when there is room. */
export async function freeLoopbackPort(rangeStart: number = ephemeralRangeStart()): Promise<number> {
  if (rangeStart - LOWEST >= 1_000) {
    for (let attempt = 0; attempt < 100; attempt++) {
      const candidate = randomInt(LOWEST, rangeStart);
      if (handedOut.has(candidate)) continue;
      if ((await tryBindLoopback(candidate)) !== undefined) {
        handedOut.add(candidate);
        return candidate;
      }
    }
  }
  // An ephemeral range that starts low, or a crowded machine: the kernel's choice.
  const port = await tryBindLoopback(0);
  if (port === undefined) throw new Error(`no free port on ${HOST}`);
  handedOut.add(port);
  return port;
}
