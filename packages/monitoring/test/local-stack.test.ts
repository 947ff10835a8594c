import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireBinary } from '../../../test/support/binaries.js';
import { alertmanagerTemplatesDir, renderAlertmanagerConfig } from '../src/alertmanager-config.js';
import { freeLoopbackPort } from '../src/free-port.js';
import { startMonitoringStack, waitUntilReady } from '../src/local-stack.js';
import { committedRuleFiles } from '../src/local-monitoring.js';
import { MissingBinaryError, supervise } from '../src/supervised-process.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('startMonitoringStack', { timeout: scaled(180_000) }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samosachaat-stack-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('refuses to start anything when a binary is missing, naming its Debian package', async () => {
    await assert.rejects(
      startMonitoringStack({ dataDir: join(dir, 'missing'), targets: {}, ruleFiles: [], alertmanagerConfig: '', binaries: { prometheus: '/bin/true', nodeExporter: '/bin/true', alertmanager: 'no-such-alertmanager' }, path: '/usr/bin:/bin' }),
      (err: unknown) => err instanceof MissingBinaryError && /apt-get install prometheus-alertmanager/.test(err.message),
    );
  });

  it('refuses a port something else already listens on, naming it', async (t) => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const taken = (server.address() as { port: number }).port;
    await assert.rejects(
      startMonitoringStack({ dataDir: join(dir, 'taken'), targets: {}, ruleFiles: [], alertmanagerConfig: '', ports: { prometheus: taken }, binaries: { prometheus: '/bin/true', alertmanager: '/bin/true', nodeExporter: '/bin/true' } }),
      new RegExp(`port ${taken} for prometheus is not available \\(EADDRINUSE\\)`),
    );
  });

  it('runs Prometheus with the committed rules, Alertmanager and node_exporter on loopback, then stops them', async (t) => {
    if (!requireBinary(t, 'prometheus', 'prometheus')) return;
    if (!requireBinary(t, 'prometheus-alertmanager', 'prometheus-alertmanager')) return;
    if (!requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter')) return;
    const webPort = await freeLoopbackPort();
    const stack = await startMonitoringStack({
      dataDir: join(dir, 'real'),
      targets: { web: [`127.0.0.1:${webPort}`] },
      ruleFiles: committedRuleFiles(),
      alertmanagerConfig: renderAlertmanagerConfig({ templatesDir: alertmanagerTemplatesDir, smtpSmarthost: '127.0.0.1:2525' }),
      ports: { prometheus: 0, alertmanager: 0, nodeExporter: 0 },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    t.after(() => stack.stop());
    for (const url of Object.values(stack.urls)) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const config = await readFile(stack.prometheusConfigFile, 'utf8');
    assert.match(config, new RegExp(`job_name: web[\\s\\S]*127\\.0\\.0\\.1:${webPort}`));
    assert.match(config, new RegExp(`job_name: node[\\s\\S]*${new URL(stack.urls.nodeExporter).host}`));

    const rules = (await (await fetch(`${stack.urls.prometheus}/api/v1/rules`)).json()) as { data: { groups: Array<{ file: string; rules: unknown[] }> } };
    assert.deepEqual([...new Set(rules.data.groups.map((g) => g.file))].sort(), [...committedRuleFiles()].sort());
    const amStatus = (await (await fetch(`${stack.urls.alertmanager}/api/v2/status`)).json()) as { config: { original: string } };
    assert.match(amStatus.config.original, /receiver: slack-critical/);
    assert.match(await (await fetch(`${stack.urls.nodeExporter}/metrics`)).text(), /^node_cpu_seconds_total\{/m);

    // The scrape of the (absent) web target fails, which Prometheus reports as up == 0.
    const deadline = Date.now() + 60_000;
    let health = '';
    while (health !== 'down' && Date.now() < deadline) {
      const targets = (await (await fetch(`${stack.urls.prometheus}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string }> } };
      health = targets.data.activeTargets.find((x) => x.labels['job'] === 'web' && x.labels['service'] === 'web')?.health ?? '';
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(health, 'down');

    await stack.stop();
    await stack.stop(); // twice is harmless
    for (const proc of Object.values(stack.processes)) assert.equal(proc.hasExited(), true, `${proc.name} stopped`);
  });

  it('stops what it started and quotes the log when a component fails to start', async (t) => {
    if (!requireBinary(t, 'prometheus', 'prometheus')) return;
    if (!requireBinary(t, 'prometheus-alertmanager', 'prometheus-alertmanager')) return;
    if (!requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter')) return;
    await assert.rejects(
      startMonitoringStack({
        dataDir: join(dir, 'broken'),
        targets: {},
        ruleFiles: committedRuleFiles(),
        alertmanagerConfig: 'route: [this is not an Alertmanager configuration',
        ports: { prometheus: 0, alertmanager: 0, nodeExporter: 0 },
      }),
      /prometheus-alertmanager exited during start-up[\s\S]*prometheus-alertmanager\.log/,
    );
  });
});

describe('waitUntilReady', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samosachaat-ready-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('waits through non-2xx answers until the endpoint is ready', async (t) => {
    let calls = 0;
    const server = createServer((_req, res) => res.writeHead(++calls < 3 ? 503 : 200).end(calls < 3 ? 'starting' : 'ready'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const proc = supervise({ name: 'sleeper', command: '/bin/sleep', args: ['30'], logFile: join(dir, 'sleeper.log') });
    t.after(() => proc.stop());
    await waitUntilReady(proc, `http://127.0.0.1:${(server.address() as { port: number }).port}/-/ready`, 20_000);
    assert.equal(calls, 3);
  });

  it('gives up after the timeout with the last answer and the log', async (t) => {
    const proc = supervise({ name: 'sleeper', command: '/bin/sh', args: ['-c', 'echo still warming up; exec sleep 30'], logFile: join(dir, 'slow.log') });
    t.after(() => proc.stop());
    const port = await freeLoopbackPort();
    await assert.rejects(waitUntilReady(proc, `http://127.0.0.1:${port}/-/ready`, 1000), /sleeper was not ready at .* after 1 s \(.*\); end of .*slow\.log:\n(.|\n)*still warming up/);
  });
});
