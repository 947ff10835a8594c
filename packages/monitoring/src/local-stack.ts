/**
 * A local monitoring stack on loopback: Prometheus (with the committed rules), Alertmanager and
 * node_exporter, run from the Debian binaries, configured from the same generators as deploy/.
 * Used by `samosachaat start --with-prometheus` and by the end-to-end proof.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { freeLoopbackPort } from './free-port.js';
import { renderPrometheusConfig, type ScrapeJob } from './prometheus-config.js';
import { findBinary, supervise, type SupervisedProcess } from './supervised-process.js';

/** The services Prometheus scrapes; `node` (node_exporter) is added by the stack itself. */
export type ServiceJob = Exclude<ScrapeJob, 'node'>;

/** The Debian binaries, and the package that ships each (named when one is missing). */
export const STACK_BINARIES = {
  prometheus: { binary: 'prometheus', debianPackage: 'prometheus' },
  alertmanager: { binary: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' },
  nodeExporter: { binary: 'prometheus-node-exporter', debianPackage: 'prometheus-node-exporter' },
} as const;

export type StackComponent = keyof typeof STACK_BINARIES;

export interface MonitoringStackOptions {
  /** Folder for generated configuration, TSDB, Alertmanager state and logs (created). */
  dataDir: string;
  /** `host:port` scrape targets by job. */
  targets: Partial<Record<ServiceJob, string[]>>;
  /** Absolute paths of rule files Prometheus loads. */
  ruleFiles: string[];
  /**
   * Alertmanager configuration (YAML), e.g. renderAlertmanagerConfig({ templatesDir:
   * alertmanagerTemplatesDir, … }): template paths must be absolute, the file is written elsewhere.
   */
  alertmanagerConfig: string;
  /** Listening ports; 0 picks a free one. Defaults: 9090, 9093, 9100. */
  ports?: Partial<Record<StackComponent, number>>;
  scrapeInterval?: string;
  evaluationInterval?: string;
  /** How long each component may take to answer its readiness endpoint. Default 60 s. */
  readyTimeoutMs?: number;
  /** Executable names or paths, to use other builds than the Debian ones on PATH. */
  binaries?: Partial<Record<StackComponent, string>>;
  /** The PATH binaries are looked up in; default the process's. */
  path?: string;
}

/** A running stack. */
export interface MonitoringStack {
  urls: Record<StackComponent, string>;
  processes: Record<StackComponent, SupervisedProcess>;
  /** The rendered Prometheus configuration file. */
  prometheusConfigFile: string;
  /** Stops Prometheus, Alertmanager and node_exporter; safe to call twice. */
  stop(): Promise<void>;
}

const DEFAULT_PORTS: Record<StackComponent, number> = { prometheus: 9090, alertmanager: 9093, nodeExporter: 9100 };
const HOST = '127.0.0.1';

/**
 * Rejects, naming the port and the component, when 127.0.0.1:`port` cannot be bound: otherwise
 * a Prometheus already listening there would answer our readiness probe for the one that failed.
 */
export function assertPortFree(port: number, component: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`port ${port} for ${component} is not available (${err.code}): stop what listens there or choose another port`)));
    server.listen({ port, host: HOST, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Waits until `url` answers 2xx. Fails early, quoting the process log, when the process exits,
 * and after `timeoutMs` with the last answer seen.
 */
export async function waitUntilReady(proc: SupervisedProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (proc.hasExited()) throw new Error(`${proc.name} exited during start-up (${String(await proc.exited)}); end of ${proc.logFile}:\n${proc.logTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${proc.name} was not ready at ${url} after ${Math.round(timeoutMs / 1000)} s (${last}); end of ${proc.logFile}:\n${proc.logTail()}`);
}

/**
 * Starts node_exporter, Alertmanager and Prometheus on 127.0.0.1 and waits until each is ready.
 * Every binary is looked up first, so a missing one throws MissingBinaryError before anything
 * starts. On any failure what was started is stopped again.
 */
export async function startMonitoringStack(options: MonitoringStackOptions): Promise<MonitoringStack> {
  const paths = Object.fromEntries(
    (Object.keys(STACK_BINARIES) as StackComponent[]).map((c) => [c, findBinary(options.binaries?.[c] ?? STACK_BINARIES[c].binary, STACK_BINARIES[c].debianPackage, options.path)]),
  ) as Record<StackComponent, string>;
  const ports = {} as Record<StackComponent, number>;
  for (const c of Object.keys(DEFAULT_PORTS) as StackComponent[]) {
    const wanted = options.ports?.[c] ?? DEFAULT_PORTS[c];
    if (wanted !== 0) await assertPortFree(wanted, STACK_BINARIES[c].binary);
    ports[c] = wanted === 0 ? await freeLoopbackPort() : wanted;
  }
  const address = (c: StackComponent) => `${HOST}:${ports[c]}`;
  const urls = Object.fromEntries((Object.keys(ports) as StackComponent[]).map((c) => [c, `http://${address(c)}`])) as Record<StackComponent, string>;

  const dirs = { prometheus: join(options.dataDir, 'prometheus'), alertmanager: join(options.dataDir, 'alertmanager'), logs: join(options.dataDir, 'logs') };
  await mkdir(join(dirs.prometheus, 'tsdb'), { recursive: true });
  await mkdir(join(dirs.alertmanager, 'state'), { recursive: true });
  const prometheusConfigFile = join(dirs.prometheus, 'prometheus.yml');
  await writeFile(
    prometheusConfigFile,
    renderPrometheusConfig({
      targets: { ...options.targets, node: [address('nodeExporter')] },
      ruleFiles: options.ruleFiles,
      alertmanagers: [address('alertmanager')],
      ...(options.scrapeInterval ? { scrapeInterval: options.scrapeInterval } : {}),
      ...(options.evaluationInterval ? { evaluationInterval: options.evaluationInterval } : {}),
    }),
  );
  const alertmanagerConfigFile = join(dirs.alertmanager, 'alertmanager.yml');
  await writeFile(alertmanagerConfigFile, options.alertmanagerConfig);

  const args: Record<StackComponent, string[]> = {
    nodeExporter: [`--web.listen-address=${address('nodeExporter')}`],
    alertmanager: [
      `--config.file=${alertmanagerConfigFile}`,
      `--storage.path=${join(dirs.alertmanager, 'state')}`,
      `--web.listen-address=${address('alertmanager')}`,
      // Empty: no gossip cluster port (9094) to collide with another local Alertmanager.
      '--cluster.listen-address=',
    ],
    prometheus: [
      `--config.file=${prometheusConfigFile}`,
      `--storage.tsdb.path=${join(dirs.prometheus, 'tsdb')}`,
      `--web.listen-address=${address('prometheus')}`,
      // POST /-/reload picks up edited rules without a restart.
      '--web.enable-lifecycle',
    ],
  };
  const readiness: Record<StackComponent, string> = { prometheus: '/-/ready', alertmanager: '/-/ready', nodeExporter: '/' };
  const started: SupervisedProcess[] = [];
  const stopAll = async () => {
    // Prometheus first, so it does not see the others vanish and fire alerts about it.
    for (const proc of [...started].reverse()) await proc.stop();
  };
  try {
    for (const c of ['nodeExporter', 'alertmanager', 'prometheus'] as const) {
      started.push(supervise({ name: STACK_BINARIES[c].binary, command: paths[c], args: args[c], logFile: join(dirs.logs, `${STACK_BINARIES[c].binary}.log`), cwd: options.dataDir }));
    }
    const [nodeExporter, alertmanager, prometheus] = started as [SupervisedProcess, SupervisedProcess, SupervisedProcess];
    const processes: Record<StackComponent, SupervisedProcess> = { prometheus, alertmanager, nodeExporter };
    const timeout = options.readyTimeoutMs ?? 60_000;
    await Promise.all((Object.keys(processes) as StackComponent[]).map((c) => waitUntilReady(processes[c], `${urls[c]}${readiness[c]}`, timeout)));
    let stopped: Promise<void> | undefined;
    return { urls, processes, prometheusConfigFile, stop: () => (stopped ??= stopAll()) };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
