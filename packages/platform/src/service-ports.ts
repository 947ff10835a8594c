/**
 * Where each service of a local platform listens, read one way by every command: `start`
 * binds `WEB_PORT`, `AUTH_PORT`, `CHAT_API_PORT` and `INFERENCE_PORT` (defaults 3000, 8001,
 * 8002, 8003); `doctor`, `traces` and `logs` find the services at the same ports, unless
 * `WEB_URL`, `AUTH_URL`, `CHAT_API_URL` or `INFERENCE_URL` say where they run.
 */
import type { PortSpec } from '@samosachaat/service-kit';

/** A service's name as it appears in logs, spans and `/health`. */
export type ServiceName = 'auth' | 'chat-api' | 'inference' | 'web';

/** How one service is found: its variables and its default port. */
export interface ServiceAddressing {
  name: ServiceName;
  portVariable: string;
  urlVariable: string;
  defaultPort: number;
}

/** The services, in the order `start` starts them (web last: its readiness needs the others). */
export const SERVICES: readonly ServiceAddressing[] = Object.freeze([
  { name: 'inference', portVariable: 'INFERENCE_PORT', urlVariable: 'INFERENCE_URL', defaultPort: 8003 },
  { name: 'auth', portVariable: 'AUTH_PORT', urlVariable: 'AUTH_URL', defaultPort: 8001 },
  { name: 'chat-api', portVariable: 'CHAT_API_PORT', urlVariable: 'CHAT_API_URL', defaultPort: 8002 },
  { name: 'web', portVariable: 'WEB_PORT', urlVariable: 'WEB_URL', defaultPort: 3000 },
]);

type Env = Readonly<Record<string, string | undefined>>;

/** A `*_PORT` variable that is not a port number. */
export class PortVariableError extends Error {
  override name = 'PortVariableError';
  constructor(
    readonly variable: string,
    readonly value: string,
  ) {
    super(`${variable} must be a port number (1-65535), got "${value}"`);
  }
}

function addressing(name: ServiceName): ServiceAddressing {
  return SERVICES.find((s) => s.name === name) as ServiceAddressing;
}

/** The service's port: its `*_PORT` variable, else the default. Throws {@link PortVariableError}. */
export function servicePort(env: Env, name: ServiceName): number {
  const { portVariable, defaultPort } = addressing(name);
  const raw = env[portVariable]?.trim();
  if (!raw) return defaultPort;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PortVariableError(portVariable, raw);
  return port;
}

/** Every `*_PORT` variable that is set but is not a port number (an empty list when all are fine). */
export function portVariableProblems(env: Env): PortVariableError[] {
  return SERVICES.flatMap((s) => {
    try {
      servicePort(env, s.name);
      return [];
    } catch (err) {
      return [err as PortVariableError];
    }
  });
}

/** Where a command finds a running service. */
export interface ServiceTarget {
  name: ServiceName;
  url: string;
}

/**
 * The services' base URLs (auth, chat-api, inference, web): `*_URL` when set, else
 * `http://127.0.0.1:<*_PORT or the default>`. Throws {@link PortVariableError} for a port
 * variable that is not a number and is not overridden by the service's URL.
 */
export function serviceTargets(env: Env): ServiceTarget[] {
  return (['auth', 'chat-api', 'inference', 'web'] as const).map((name) => {
    const url = env[addressing(name).urlVariable]?.trim();
    return { name, url: (url || `http://127.0.0.1:${servicePort(env, name)}`).replace(/\/+$/, '') };
  });
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The ports the services of this machine are configured to listen on, for the doctor's
 * `ports-free` check: `*_PORT`, else the port of a `*_URL` on this machine's loopback, else
 * the default. An invalid `*_PORT` is left out (the `configuration` check reports it), and so
 * is a service whose `*_URL` is on another host: its port is not this machine's.
 */
export function configuredServicePorts(env: Env): PortSpec[] {
  return SERVICES.flatMap((s) => {
    let port: number;
    try {
      port = servicePort(env, s.name);
    } catch {
      return [];
    }
    const raw = env[s.urlVariable]?.trim();
    if (!env[s.portVariable]?.trim() && raw) {
      try {
        const url = new URL(raw);
        if (LOOPBACK.has(url.hostname)) port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
        else return [];
      } catch {
        return [];
      }
    }
    return [{ port, service: s.name, variable: s.portVariable }];
  });
}
