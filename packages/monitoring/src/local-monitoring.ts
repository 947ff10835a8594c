/**
 * The `--with-prometheus` option of `samosachaat start`: once the services are ready, runs the
 * local monitoring stack (Prometheus with the committed rules, Alertmanager, node_exporter)
 * against them and describes where to look. A missing binary or a stack that fails to start is
 * a warning: the platform keeps running without monitoring.
 */
import { join } from 'node:path';
import { alertmanagerTemplatesDir, renderAlertmanagerConfig, type AlertmanagerOverrides } from './alertmanager-config.js';
import { startMonitoringStack, type MonitoringStack, type ServiceJob, type StackComponent } from './local-stack.js';
import { ruleFileNames, rulesDir } from './rules.js';
import { MissingBinaryError } from './supervised-process.js';

/** Environment variables choosing the stack's ports (defaults 9090, 9093, 9100). */
export const PORT_VARIABLES: Record<StackComponent, { variable: string; fallback: number }> = {
  prometheus: { variable: 'PROMETHEUS_PORT', fallback: 9090 },
  alertmanager: { variable: 'ALERTMANAGER_PORT', fallback: 9093 },
  nodeExporter: { variable: 'NODE_EXPORTER_PORT', fallback: 9100 },
};

export interface LocalMonitoringOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** The platform's DATA_DIR; the stack keeps its state in `<dataDir>/monitoring`. */
  dataDir: string;
  /** Base URL of each service the platform runs (`http://127.0.0.1:8001`). */
  services: Partial<Record<ServiceJob, string>>;
  /** Where warnings go (the launcher's stderr). */
  warn: (line: string) => void;
}

/** A started local stack and the lines to print about it. */
export interface LocalMonitoring {
  stack: MonitoringStack;
  banner: string;
  stop(): Promise<void>;
}

/** Reads the port variables; a bad value names the variable. */
export function stackPorts(env: LocalMonitoringOptions['env']): Record<StackComponent, number> {
  const ports = {} as Record<StackComponent, number>;
  for (const [component, { variable, fallback }] of Object.entries(PORT_VARIABLES) as [StackComponent, { variable: string; fallback: number }][]) {
    const raw = env[variable]?.trim();
    const n = raw ? Number(raw) : fallback;
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`${variable} must be a port number (1-65535), got "${raw}"`);
    ports[component] = n;
  }
  return ports;
}

/** The committed rule files (deploy/prometheus/rules), as absolute paths, recording rules first. */
export function committedRuleFiles(): string[] {
  return ruleFileNames.map((n) => join(rulesDir, n));
}

/**
 * The committed receivers (deploy/alertmanager), with the delivery settings a developer can
 * give: ALERTMANAGER_SLACK_API_URL, ALERTMANAGER_SMTP_SMARTHOST, ALERTMANAGER_EMAIL_TO.
 */
export function alertmanagerOverrides(env: LocalMonitoringOptions['env']): AlertmanagerOverrides {
  const overrides: AlertmanagerOverrides = { templatesDir: alertmanagerTemplatesDir };
  const slack = env['ALERTMANAGER_SLACK_API_URL']?.trim();
  const smarthost = env['ALERTMANAGER_SMTP_SMARTHOST']?.trim();
  const to = env['ALERTMANAGER_EMAIL_TO']?.trim();
  if (slack) overrides.slackApiUrl = slack;
  if (smarthost) overrides.smtpSmarthost = smarthost;
  if (to) overrides.emailTo = to;
  return overrides;
}

/** `host:port` of a base URL, as a Prometheus static target. */
function hostPort(url: string): string {
  return new URL(url).host;
}

/** What `samosachaat start --with-prometheus` prints once the stack is up. */
export function monitoringBanner(stack: Pick<MonitoringStack, 'urls'>, logDir: string): string {
  const { prometheus, alertmanager, nodeExporter } = stack.urls;
  return `
Monitoring (--with-prometheus; rules from deploy/prometheus/rules):
  prometheus     ${prometheus}     targets ${prometheus}/targets   alerts ${prometheus}/alerts
  alertmanager   ${alertmanager}
  node_exporter  ${nodeExporter}/metrics
  logs           ${logDir}
`;
}

/**
 * Starts the stack for the running platform. Resolves undefined (after a warning saying why and
 * what to install) when it cannot run; never rejects.
 */
export async function startLocalMonitoring(options: LocalMonitoringOptions): Promise<LocalMonitoring | undefined> {
  const dataDir = join(options.dataDir, 'monitoring');
  try {
    const ports = stackPorts(options.env);
    const targets: Partial<Record<ServiceJob, string[]>> = {};
    for (const [job, url] of Object.entries(options.services) as [ServiceJob, string | undefined][]) if (url) targets[job] = [hostPort(url)];
    const stack = await startMonitoringStack({
      dataDir,
      targets,
      ruleFiles: committedRuleFiles(),
      alertmanagerConfig: renderAlertmanagerConfig(alertmanagerOverrides(options.env)),
      ports,
      path: options.env['PATH'],
    });
    return { stack, banner: monitoringBanner(stack, join(dataDir, 'logs')), stop: () => stack.stop() };
  } catch (err) {
    const why = err instanceof MissingBinaryError ? err.message : `the monitoring stack did not start: ${(err as Error).message}`;
    options.warn(`samosachaat: warning: --with-prometheus: ${why}\nsamosachaat: the platform keeps running without Prometheus, Alertmanager and node_exporter\n`);
    return undefined;
  }
}
