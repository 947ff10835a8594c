import { createServer } from 'node:net';
import type { DoctorCheck } from './types.js';

/** A port a samosaChaat service wants to listen on. */
export interface PortSpec {
  /** TCP port, 1–65535. */
  port: number;
  /** The samosaChaat service that should own it (`auth`, `web`...); matched against `/health`'s `service`. */
  service: string;
  /** Address to probe; defaults to 127.0.0.1. */
  host?: string;
  /** The variable that sets this port (`AUTH_PORT`), named in the fix; else "<service>'s port". */
  variable?: string;
}

/** Finds out which samosaChaat service holds a port; resolves null when it cannot tell. */
export type PortIdentifier = (host: string, port: number) => Promise<string | null>;

/** Options for {@link portsFreeCheck}. */
export interface PortsFreeCheckOptions {
  /** Every port to probe. */
  ports: readonly PortSpec[];
  /** How to identify a port's holder; defaults to {@link identifyByHealth}. */
  identify?: PortIdentifier;
}

/**
 * Asks `http://host:port/health` who is listening: every samosaChaat service answers with
 * a JSON body carrying its `service` name. Gives up after one second and resolves null on
 * any error, non-JSON body or missing field, because a foreign process owes us no answer.
 */
export async function identifyByHealth(host: string, port: number): Promise<string | null> {
  const hostPart = host.includes(':') ? `[${host}]` : host;
  try {
    // The signal bounds the whole exchange, body included, so a slow-drip server cannot stall us.
    const response = await fetch(`http://${hostPart}:${port}/health`, { signal: AbortSignal.timeout(1000) });
    const body: unknown = JSON.parse(await response.text());
    const service = (body as { service?: unknown } | null)?.service;
    return typeof service === 'string' && service !== '' ? service : null;
  } catch {
    return null;
  }
}

/** Resolves null when `host:port` could be bound (and is released again), else the bind error. */
function tryListen(host: string, port: number): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

interface PortVerdict {
  line: string;
  fix?: string;
}

async function probePort(spec: PortSpec, identify: PortIdentifier): Promise<PortVerdict> {
  const host = spec.host ?? '127.0.0.1';
  const label = `port ${spec.port} (${spec.service})`;
  const setting = spec.variable ?? `${spec.service}'s port`;
  const error = await tryListen(host, spec.port);
  if (error === null) return { line: `${label}: free` };
  if (error.code === 'EADDRINUSE') {
    const holder = await identify(host, spec.port).catch(() => null);
    if (holder === spec.service) return { line: `${label}: held by our own ${spec.service}` };
    const who = holder === null ? 'another process' : `samosaChaat ${holder}, not ${spec.service}`;
    return {
      line: `${label}: in use by ${who}`,
      fix: `stop the process on port ${spec.port} (\`ss -ltnp 'sport = :${spec.port}'\`) or set ${setting} to a free one`,
    };
  }
  const fix =
    error.code === 'EACCES'
      ? `ports below 1024 need privileges: set ${setting} to 1024 or above`
      : `set ${spec.service}'s host/port to an address this machine can listen on`;
  return { line: `${label}: cannot listen on ${host}:${spec.port} (${error.code ?? 'error'}: ${error.message})`, fix };
}

/**
 * Checks (`ports-free`) that every service port can be bound, or is already held by the
 * samosaChaat service meant to own it — so re-running the doctor against a live stack is
 * not a false alarm. One check covers all ports; the detail has one line per port.
 */
export function portsFreeCheck(options: PortsFreeCheckOptions): DoctorCheck {
  for (const spec of options.ports) {
    if (!Number.isInteger(spec.port) || spec.port < 1 || spec.port > 65535) {
      throw new Error(`portsFreeCheck: port for ${spec.service} must be an integer 1-65535, got ${spec.port}`);
    }
    if (!spec.service) throw new Error(`portsFreeCheck: port ${spec.port} needs a service name`);
  }
  const identify = options.identify ?? identifyByHealth;
  return {
    name: 'ports-free',
    description: 'each service port is free or already held by its own samosaChaat service',
    async run() {
      const owners = new Map<string, string>();
      const unique: PortSpec[] = [];
      const clashes: PortVerdict[] = [];
      for (const spec of options.ports) {
        const key = `${spec.host ?? '127.0.0.1'}:${spec.port}`;
        const first = owners.get(key);
        if (first === undefined) {
          owners.set(key, spec.service);
          unique.push(spec);
        } else {
          // Not probed again: two concurrent binds of one port would make it look busy.
          clashes.push({ line: `port ${spec.port}: assigned to both ${first} and ${spec.service}`, fix: `give ${first} and ${spec.service} different ports` });
        }
      }
      // Nothing to probe (every service runs elsewhere) is not a pass: the check did not apply.
      if (unique.length === 0) return { ok: true, skipped: true, detail: 'no service port to check on this machine' };
      const verdicts = [...(await Promise.all(unique.map((spec) => probePort(spec, identify)))), ...clashes];
      const fixes = verdicts.flatMap((v) => (v.fix ? [v.fix] : []));
      const detail = verdicts.map((v) => v.line).join('\n');
      return fixes.length === 0 ? { ok: true, detail } : { ok: false, detail, fix: fixes.join('\n') };
    },
  };
}
