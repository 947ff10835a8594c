import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../../../test/support/binaries.js';
import { alertmanagerTemplatesDir } from '../src/alertmanager-config.js';
import { freeLoopbackPort } from '../src/free-port.js';
import { alertmanagerOverrides, committedRuleFiles, monitoringBanner, stackPorts, startLocalMonitoring } from '../src/local-monitoring.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('--with-prometheus settings', () => {
  it('uses 9090, 9093 and 9100 unless PROMETHEUS_PORT, ALERTMANAGER_PORT or NODE_EXPORTER_PORT say otherwise', () => {
    assert.deepEqual(stackPorts({}), { prometheus: 9090, alertmanager: 9093, nodeExporter: 9100 });
    assert.deepEqual(stackPorts({ PROMETHEUS_PORT: '19090', ALERTMANAGER_PORT: ' 19093 ', NODE_EXPORTER_PORT: '' }), { prometheus: 19090, alertmanager: 19093, nodeExporter: 9100 });
    assert.throws(() => stackPorts({ ALERTMANAGER_PORT: 'ninety' }), /ALERTMANAGER_PORT must be a port number \(1-65535\), got "ninety"/);
    assert.throws(() => stackPorts({ NODE_EXPORTER_PORT: '70000' }), /NODE_EXPORTER_PORT/);
  });

  it('loads the committed rule files, recording rules first', () => {
    const files = committedRuleFiles();
    assert.match(files[0] ?? '', /deploy\/prometheus\/rules\/recording\.rules\.yml$/);
    assert.match(files[1] ?? '', /deploy\/prometheus\/rules\/alerts\.rules\.yml$/);
    for (const f of files) assert.ok(existsSync(f), f);
  });

  it('keeps the committed receivers and takes the delivery settings a developer gives', () => {
    assert.deepEqual(alertmanagerOverrides({}), { templatesDir: alertmanagerTemplatesDir });
    assert.deepEqual(
      alertmanagerOverrides({ ALERTMANAGER_SLACK_API_URL: 'http://127.0.0.1:1/hook', ALERTMANAGER_SMTP_SMARTHOST: '127.0.0.1:25', ALERTMANAGER_EMAIL_TO: 'me@example.com' }),
      { templatesDir: alertmanagerTemplatesDir, slackApiUrl: 'http://127.0.0.1:1/hook', smtpSmarthost: '127.0.0.1:25', emailTo: 'me@example.com' },
    );
  });

  it('prints where Prometheus, Alertmanager, node_exporter and their logs are', () => {
    const text = monitoringBanner({ urls: { prometheus: 'http://127.0.0.1:9090', alertmanager: 'http://127.0.0.1:9093', nodeExporter: 'http://127.0.0.1:9100' } }, '/data/monitoring/logs');
    assert.match(text, /prometheus +http:\/\/127\.0\.0\.1:9090 +targets http:\/\/127\.0\.0\.1:9090\/targets +alerts http:\/\/127\.0\.0\.1:9090\/alerts/);
    assert.match(text, /alertmanager +http:\/\/127\.0\.0\.1:9093/);
    assert.match(text, /node_exporter +http:\/\/127\.0\.0\.1:9100\/metrics/);
    assert.match(text, /logs +\/data\/monitoring\/logs/);
  });
});

describe('startLocalMonitoring', { timeout: scaled(180_000) }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samosachaat-local-monitoring-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('warns, naming the package to install, and resolves undefined when a binary is missing', async () => {
    const warnings: string[] = [];
    const result = await startLocalMonitoring({ env: { PATH: '/nonexistent' }, dataDir: dir, services: {}, warn: (l) => warnings.push(l) });
    assert.equal(result, undefined);
    assert.match(warnings.join(''), /--with-prometheus: prometheus is not installed: install it with `apt-get install prometheus`/);
    assert.match(warnings.join(''), /the platform keeps running without Prometheus, Alertmanager and node_exporter/);
  });

  it('warns about a bad port variable instead of failing the platform', async () => {
    const warnings: string[] = [];
    assert.equal(await startLocalMonitoring({ env: { PROMETHEUS_PORT: 'x' }, dataDir: dir, services: {}, warn: (l) => warnings.push(l) }), undefined);
    assert.match(warnings.join(''), /the monitoring stack did not start: PROMETHEUS_PORT must be a port number/);
  });

  it('starts the stack for the given services under DATA_DIR/monitoring', async (t) => {
    if (!requireBinary(t, 'prometheus', 'prometheus')) return;
    if (!requireBinary(t, 'prometheus-alertmanager', 'prometheus-alertmanager')) return;
    if (!requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter')) return;
    const env = { PATH: process.env['PATH'], PROMETHEUS_PORT: String(await freeLoopbackPort()), ALERTMANAGER_PORT: String(await freeLoopbackPort()), NODE_EXPORTER_PORT: String(await freeLoopbackPort()) };
    const authPort = await freeLoopbackPort();
    const warnings: string[] = [];
    const monitoring = await startLocalMonitoring({ env, dataDir: dir, services: { auth: `http://127.0.0.1:${authPort}` }, warn: (l) => warnings.push(l) });
    assert.ok(monitoring, warnings.join(''));
    t.after(() => monitoring.stop());
    assert.equal(monitoring.stack.urls.prometheus, `http://127.0.0.1:${env.PROMETHEUS_PORT}`);
    assert.match(monitoring.banner, new RegExp(`alertmanager +http://127\\.0\\.0\\.1:${env.ALERTMANAGER_PORT}`));
    assert.match(monitoring.banner, new RegExp(`logs +${join(dir, 'monitoring', 'logs')}`));
    assert.ok(monitoring.stack.prometheusConfigFile.startsWith(join(dir, 'monitoring')));
    const config = (await (await fetch(`${monitoring.stack.urls.prometheus}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    assert.match(config.data.yaml, new RegExp(`job_name: auth[\\s\\S]*127\\.0\\.0\\.1:${authPort}`));
    await monitoring.stop();
    assert.ok(Object.values(monitoring.stack.processes).every((p) => p.hasExited()));
  });
});
