/**
 * The monitoring proof (issue 4), with the real Debian binaries on loopback: the platform,
 * Prometheus (1 s scrape and evaluation, the test overlay of the committed rules: same
 * expressions, `for` shortened to 5 s), Alertmanager (the committed configuration rendered with
 * local receivers and short grouping) and node_exporter. After real traffic (streamed chats,
 * 4xx, and 5xx from inference over capacity: WORKERS=1, QUEUE_LIMIT=0), it proves that every
 * recording rule and every dashboard panel query returns data, that every alert expression is
 * valid and reads metrics that exist, and that alerts travel all the way: stopping inference
 * pages Slack (a local webhook), a warning reaches e-mail (a local SMTP server), and bringing
 * inference back delivers the resolved notification.
 *
 * Two outages prove that failed answers are seen (issue 15): inference killed, and inference
 * with ENGINE=openai against a stand-in upstream that refuses its API key (401). In both, sends
 * are 5xx with the right code, the answer-success burn alert (its SLO windows divided by 60 in
 * the overlay: 5 m → 5 s, 1 h → 60 s) pages Slack and resolves after recovery, the console's
 * answer-success figure drops and the doctor exits 1 naming the cause; the time from outage to
 * notification is printed. An upstream 429 with `Retry-After: 20` reaches the client as a 503
 * with `Retry-After: 20`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { alertmanagerTemplatesDir, renderAlertmanagerConfig } from '../../packages/monitoring/src/alertmanager-config.js';
import { metricNames } from '../../packages/monitoring/src/promql-names.js';
import { startMonitoringStack, type MonitoringStack } from '../../packages/monitoring/src/local-stack.js';
import { alertingRules, isAlertingRule, loadRuleGroups, writeTestOverlay } from '../../packages/monitoring/src/rules.js';
import { requireBinary } from '../support/binaries.js';
import { dashboardQueries, pollUntil, promApi, promQuery, servicesReady, startLauncher } from '../support/monitoring.js';
import { freePort, repoRoot, runCli, startPlatform, type Platform } from '../support/platform.js';
import { startSmtpReceiver, startWebhookReceiver, type WebhookPost } from '../support/receivers.js';
import { consoleAnswerSuccess, newConversation, runDoctor, sendOnce, startSendLoop, type SendLoop } from '../support/outages.js';
import { startFakeOpenAi } from '../../services/inference/test/support/fake-openai.js';
import { driveTraffic, type TrafficLog } from '../support/traffic.js';
import { scaled } from '../support/timeouts.js';

interface ActiveTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}
interface PromAlert {
  labels: Record<string, string>;
  state: string;
}

const hostPort = (url: string) => new URL(url).host;

/** The first Slack attachment of a webhook post (Alertmanager's slack_configs payload). */
function attachment(post: WebhookPost): Record<string, unknown> {
  const list = post.body['attachments'];
  assert.ok(Array.isArray(list) && list.length > 0, `a Slack payload has attachments: ${post.raw}`);
  return list[0] as Record<string, unknown>;
}

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

/** Alertmanager's view of its alerts matching `filter` (inhibited ones included). */
async function amAlerts(alertmanager: string, filter: string): Promise<AmAlert[]> {
  const res = await fetch(`${alertmanager}/api/v2/alerts?${new URLSearchParams({ filter })}`);
  assert.equal(res.status, 200);
  return (await res.json()) as AmAlert[];
}

async function firingAlerts(prometheus: string): Promise<PromAlert[]> {
  return (await promApi<{ alerts: PromAlert[] }>(prometheus, '/api/v1/alerts')).alerts;
}

/** Starts inference again on its old port, the way the launcher runs it (plus `env`); stopped by the test or by the returned function. */
async function restartInference(t: TestContext, platform: Platform, internalKey: string, env: Record<string, string> = {}): Promise<() => Promise<void>> {
  const port = new URL(platform.urls.inference).port;
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', '--import', join(repoRoot, 'apps/cli/src/parent-guard.ts'), join(repoRoot, 'services/inference/src/main.ts')],
    { cwd: repoRoot, env: { ...process.env, SAMOSACHAAT_LOCAL: 'true', SAMOSACHAAT_PARENT_GUARD: '1', INTERNAL_API_KEY: internalKey, PORT: port, HOST: '127.0.0.1', DATA_DIR: platform.dataDir, ...env }, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  t.after(stop);
  await pollUntil('the restarted inference answers /ready', 90_000, async () => {
    if (child.exitCode !== null) throw new Error(`restarted inference exited (${child.exitCode}): ${stderr.slice(-2000)}`);
    const res = await fetch(`${platform.urls.inference}/ready`).catch(() => undefined);
    return res?.ok ? true : undefined;
  });
  return stop;
}

/** Waits until `url` refuses connections (the process behind it is gone). */
async function gone(what: string, url: string): Promise<void> {
  await pollUntil(`${what} stops answering`, 30_000, async () => ((await fetch(url).then(() => false, () => true)) ? true : undefined));
}

const BURN = 'AnswerSuccessBudgetBurn';
const burnTitle = (state: 'FIRING' | 'RESOLVED') => new RegExp(state === 'FIRING' ? `^\\[FIRING:\\d+\\] ${BURN} \\(critical\\)$` : `^\\[RESOLVED\\] ${BURN} \\(critical\\)$`);

describe('monitoring proof: the platform, Prometheus, Alertmanager and node_exporter on loopback', { timeout: scaled(720_000) }, () => {
  it('dashboards, rules and alert delivery work against the running platform', async (t) => {
    const started = Date.now();
    if (!requireBinary(t, 'prometheus', 'prometheus')) return;
    if (!requireBinary(t, 'prometheus-alertmanager', 'prometheus-alertmanager')) return;
    if (!requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter')) return;

    const webhook = await startWebhookReceiver();
    t.after(() => webhook.close());
    const smtp = await startSmtpReceiver();
    t.after(() => smtp.close());

    const internalKey = randomBytes(32).toString('base64url');
    // One worker slot and no queue: concurrent chats get real 503s (inference over capacity);
    // enough streams per user that chat-api's own limit (429) does not stop them first.
    const platform = await startPlatform({
      WORKERS: '1',
      QUEUE_LIMIT: '0',
      MAX_STREAMS_PER_USER: '8',
      DEMO_TOKENS_PER_SECOND: '200',
      INTERNAL_API_KEY: internalKey,
      WEB_PORT: String(await freePort()),
    });
    t.after(() => platform.stop());

    const dataDir = await mkdtemp(join(tmpdir(), 'samosachaat-monitoring-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    // The SLO windows divided by 60 (5 m → 5 s, 1 h → 60 s): a burn fires and resolves in seconds.
    const ruleFiles = await writeTestOverlay(join(dataDir, 'rules'), { forOverride: '5s', intervalOverride: '1s', sloWindowDivisor: 60 });
    const stack: MonitoringStack = await startMonitoringStack({
      dataDir,
      targets: Object.fromEntries(Object.entries(servicesReady(platform.output())).map(([job, url]) => [job, [hostPort(url)]])),
      ruleFiles,
      alertmanagerConfig: renderAlertmanagerConfig({
        slackApiUrl: webhook.url,
        smtpSmarthost: smtp.smarthost,
        templatesDir: alertmanagerTemplatesDir,
        groupWait: '1s',
        groupInterval: '2s',
        repeatInterval: '1h',
      }),
      ports: { prometheus: 0, alertmanager: 0, nodeExporter: 0 },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
    });
    t.after(() => stack.stop());
    const prometheus = stack.urls.prometheus;

    let targets: ActiveTarget[] = [];
    await pollUntil(
      'Prometheus scrapes auth, chat-api, inference and node, all up',
      60_000,
      async () => {
        targets = (await promApi<{ activeTargets: ActiveTarget[] }>(prometheus, '/api/v1/targets')).activeTargets;
        const up = new Set(targets.filter((x) => x.health === 'up').map((x) => x.labels['job']));
        return ['auth', 'chat-api', 'inference', 'node', ...Object.keys(servicesReady(platform.output()))].every((job) => up.has(job)) ? true : undefined;
      },
      () => JSON.stringify(targets.map((x) => [x.labels['job'], x.health, x.lastError])),
    );

    const traffic: TrafficLog = await driveTraffic(platform.urls);
    await driveTraffic(platform.urls, traffic);
    await t.test('the traffic included streamed chats, 4xx and 5xx', () => {
      assert.ok(traffic['chat']?.every((s) => s === 200) && traffic['regenerate']?.every((s) => s === 200), `chats: ${JSON.stringify(traffic)}`);
      assert.deepEqual([...new Set(traffic['bad_token'])], [401]);
      assert.deepEqual([...new Set(traffic['unknown_conversation'])], [404]);
      assert.deepEqual([...new Set(traffic['bad_body'])], [400]);
      assert.ok(traffic['chat_concurrent']?.includes(503), `concurrent chats over capacity answer 503: ${JSON.stringify(traffic['chat_concurrent'])}`);
    });

    const groups = await loadRuleGroups();
    await t.test('every recording rule returns data', async () => {
      const records = groups.flatMap((g) => g.rules.filter((r) => !isAlertingRule(r))).map((r) => (r as { record: string }).record);
      assert.ok(records.length > 0, 'the committed rules have recording rules');
      let empty: string[] = records;
      await pollUntil(
        'every recording rule has a series',
        60_000,
        async () => {
          const answers = await Promise.all(records.map(async (r) => [r, await promQuery(prometheus, r)] as const));
          empty = answers.filter(([, a]) => !a.ok || a.result.length === 0).map(([r, a]) => (a.ok ? r : `${r} (${a.error})`));
          return empty.length === 0 ? true : undefined;
        },
        () => `no data: ${empty.join(', ')}`,
      );
    });

    await t.test('every dashboard panel query returns at least one series', async () => {
      const { files, queries } = await dashboardQueries(join(repoRoot, 'deploy/grafana/dashboards'));
      assert.ok(files.length > 0, 'deploy/grafana/dashboards/*.json exist (the proof never passes on no dashboards)');
      assert.ok(queries.length > 0, 'the dashboards have Prometheus panel queries');
      let failures: string[] = [];
      // Counters that only move with traffic may need another scrape or two: retry until the deadline.
      await pollUntil(
        'every panel query returns data',
        60_000,
        async () => {
          failures = [];
          for (const q of queries) {
            const answer = await promQuery(prometheus, q.expr);
            if (!answer.ok) failures.push(`${q.where}: query error ${answer.error}\n    ${q.rawExpr}`);
            else if (answer.result.length === 0) failures.push(`${q.where}: no series\n    ${q.rawExpr}`);
          }
          return failures.length === 0 ? true : undefined;
        },
        () => `${failures.length} of ${queries.length} panel queries fail:\n  ${failures.join('\n  ')}`,
      ).catch((err: Error) => assert.fail(err.message));
    });

    await t.test('every alert expression is valid and every metric it reads exists', async () => {
      const known = new Set(await promApi<string[]>(prometheus, '/api/v1/label/__name__/values'));
      const problems: string[] = [];
      for (const rule of alertingRules(groups)) {
        const answer = await promQuery(prometheus, rule.expr);
        if (!answer.ok) problems.push(`${rule.alert}: ${answer.error}`);
        const names = metricNames(rule.expr);
        if (names.length === 0) problems.push(`${rule.alert}: no metric name found in its expression (the check would prove nothing)`);
        for (const name of names) if (!known.has(name)) problems.push(`${rule.alert} (${rule.labels?.['severity']}): no metric ${name} in Prometheus`);
      }
      assert.deepEqual(problems, []);
    });

    await t.test('a warning alert (InferenceQueueBacklog, from the over-capacity 503s) reaches e-mail', async () => {
      const mail = await smtp.waitFor((m) => /\[FIRING:\d+\] InferenceQueueBacklog \(warning\)/.test(m.subject), 'e-mail about InferenceQueueBacklog', 90_000);
      assert.deepEqual(mail.to, ['oncall@samosachaat.example']);
      assert.match(mail.text, /FIRING: Inference is saturated/);
      assert.match(mail.text, /docs\/runbooks\/InferenceQueueBacklog\.md/);
    });

    // The doctor finds the platform with the *_PORT variables it was started with.
    // (web runs on the WEB_PORT given above, which the launcher's banner confirms.)
    const webUrl = new URL(servicesReady(platform.output())['web'] ?? platform.urls.web).origin;
    const port = (url: string) => new URL(url).port;
    const doctorEnv = { DATA_DIR: platform.dataDir, AUTH_PORT: port(platform.urls.auth), CHAT_API_PORT: port(platform.urls.chat), INFERENCE_PORT: port(platform.urls.inference), WEB_PORT: port(webUrl), LOG_DIR: '' };
    const doctorChecks = ['services-ready', 'model-loaded', 'answer'];

    /** No answer-success page active, in Prometheus nor in Alertmanager (the traffic's over-capacity 503s may have burned too). */
    const burnQuiet = async () => {
      let firing: PromAlert[] = [];
      await pollUntil(
        `${BURN} (critical) is quiet before the outage`,
        90_000,
        async () => {
          firing = (await firingAlerts(prometheus)).filter((a) => a.labels['alertname'] === BURN && a.labels['severity'] === 'critical');
          const held = await amAlerts(stack.urls.alertmanager, `alertname="${BURN}"`);
          return firing.length === 0 && held.every((a) => a.labels['severity'] !== 'critical') ? true : undefined;
        },
        () => JSON.stringify(firing),
      );
    };

    /** The page for the burn, posted after `mark`; prints the time since `since`. */
    const burnPaged = async (mark: number, since: number, outage: string) => {
      const post = await webhook.waitFor((p) => webhook.posts().indexOf(p) >= mark && burnTitle('FIRING').test(String(attachment(p)['title'])), `Slack post: ${BURN} firing (${outage})`, scaled(120_000));
      const seconds = ((Date.now() - since) / 1000).toFixed(1);
      t.diagnostic(`${outage}: ${BURN} reached Slack ${seconds} s after the outage began`);
      assert.equal(post.body['channel'], '#samosachaat-alerts');
      assert.match(String(attachment(post)['title_link']), new RegExp(`docs/runbooks/${BURN}\\.md$`));
    };

    /** The console's answer-success figure falls below a half. */
    const consoleDrops = async () => {
      let ratio: number | null = null;
      await pollUntil('the console answer-success figure drops below 50 %', 90_000, async () => {
        ratio = await consoleAnswerSuccess(webUrl);
        return ratio !== null && ratio < 0.5 ? true : undefined;
      }, () => `answers.success_ratio ${ratio}`);
      t.diagnostic(`console answer success during the outage: ${(ratio! * 100).toFixed(1)} %`);
    };

    /** Every send of the loop after its first ones was refused with `status` and `code` (and a Retry-After when 503). */
    const sendsRefused = (loop: SendLoop, status: number, code: string) => {
      assert.ok(loop.seen.length >= 3, `sends were made during the outage: ${JSON.stringify(loop.seen)}`);
      const wrong = loop.seen.filter((s) => s.status !== status || s.code !== code || (status === 503) !== (s.retryAfter !== null));
      assert.deepEqual(wrong, [], `every send answered ${status} ${code}`);
    };

    await burnQuiet();
    // Startup may already have produced notifications (absent(up) before the first scrape); only later ones count.
    const mark = webhook.posts().length;
    const after = (p: WebhookPost) => webhook.posts().indexOf(p) >= mark;
    let loop: SendLoop | undefined;
    t.after(() => loop?.stop());
    let killedAt = 0;
    await t.test('stopping inference fires InferenceServiceDown and pages Slack', async () => {
      const pid = platform.pids['inference'];
      assert.ok(pid, 'the launcher printed the inference pid');
      process.kill(pid, 'SIGTERM');
      killedAt = Date.now();
      await gone('inference', `${platform.urls.inference}/health`);
      // Users keep sending through the outage: every send is a refused answer.
      loop = startSendLoop(platform.urls.chat, platform.token);
      await pollUntil('InferenceServiceDown fires in Prometheus', 90_000, async () =>
        (await firingAlerts(prometheus)).some((a) => a.labels['alertname'] === 'InferenceServiceDown' && a.state === 'firing') ? true : undefined,
      );
      const post = await webhook.waitFor((p) => after(p) && /^\[FIRING:\d+\] InferenceServiceDown \(critical\)$/.test(String(attachment(p)['title'])), 'Slack post: InferenceServiceDown firing', 90_000);
      assert.equal(post.body['channel'], '#samosachaat-alerts');
      assert.equal(attachment(post)['color'], 'danger');
      assert.match(String(attachment(post)['text']), /Inference service is down/);
      assert.match(String(attachment(post)['title_link']), /docs\/runbooks\/InferenceServiceDown\.md$/);
      // ServiceDown{job="inference"} fires too, and Alertmanager inhibits it in favour of the dedicated alert.
      let serviceDown: AmAlert[] = [];
      await pollUntil(
        'Alertmanager holds ServiceDown{job="inference"} inhibited by InferenceServiceDown',
        60_000,
        async () => {
          serviceDown = await amAlerts(stack.urls.alertmanager, 'alertname="ServiceDown"');
          return serviceDown.some((a) => a.labels['job'] === 'inference' && a.status.state === 'suppressed' && a.status.inhibitedBy.length > 0) ? true : undefined;
        },
        () => JSON.stringify(serviceDown),
      );
    });

    await t.test('inference killed: sends are 503 CHAT_INFERENCE_UNAVAILABLE, the answer-success burn pages Slack, the console drops, the doctor exits 1', async () => {
      try {
        await burnPaged(mark, killedAt, 'inference killed');
        await consoleDrops();
        const doctor = await runDoctor(doctorEnv, doctorChecks);
        t.diagnostic(`doctor during the inference outage: ${doctor.failed.map((c) => `${c.name}: ${c.detail}`).join(' | ')}`);
        assert.equal(doctor.status, 1);
        assert.ok(doctor.failed.some((c) => c.name === 'services-ready' && /inference/.test(c.detail)), 'the doctor names inference');
      } finally {
        // Stopped whatever happened: sends going on would keep the burn from resolving.
        await loop!.stop();
      }
      sendsRefused(loop!, 503, 'CHAT_INFERENCE_UNAVAILABLE');
    });

    let stopRestarted: (() => Promise<void>) | undefined;
    await t.test('bringing inference back delivers the resolved notifications', async () => {
      const markBack = webhook.posts().length;
      stopRestarted = await restartInference(t, platform, internalKey);
      const post = await webhook.waitFor((p) => after(p) && /^\[RESOLVED\] InferenceServiceDown \(critical\)$/.test(String(attachment(p)['title'])), 'Slack post: InferenceServiceDown resolved', 120_000);
      assert.equal(attachment(post)['color'], 'good');
      assert.match(String(attachment(post)['text']), /Resolved:/);
      const conversation = await newConversation(platform.urls.chat, platform.token);
      assert.equal((await sendOnce(platform.urls.chat, platform.token, conversation, 'back?')).status, 200);
      await webhook.waitFor((p) => webhook.posts().indexOf(p) >= markBack && burnTitle('RESOLVED').test(String(attachment(p)['title'])), `Slack post: ${BURN} resolved`, scaled(120_000));
    });

    await t.test('ENGINE=openai with an upstream refusing the key (401): sends are 502 CHAT_UPSTREAM_REFUSED, the burn pages Slack and resolves once the key is accepted', async () => {
      const upstream = await startFakeOpenAi();
      t.after(() => upstream.close());
      // The upstream wants another key than the one inference is given: every call is a 401.
      upstream.requiredKey = `sk-${randomBytes(12).toString('hex')}`;
      await stopRestarted!();
      await gone('the demo inference', `${platform.urls.inference}/health`);
      await restartInference(t, platform, internalKey, { ENGINE: 'openai', OPENAI_BASE_URL: upstream.baseUrl, OPENAI_MODEL: 'llama-test', OPENAI_API_KEY: `sk-${randomBytes(12).toString('hex')}` });
      await burnQuiet();
      const markRefused = webhook.posts().length;
      const refusedAt = Date.now();
      const refusing = startSendLoop(platform.urls.chat, platform.token);
      loop = refusing;
      try {
        await burnPaged(markRefused, refusedAt, 'upstream refusing the key');
        await consoleDrops();
        const doctor = await runDoctor(doctorEnv, doctorChecks);
        t.diagnostic(`doctor with the key refused: ${doctor.failed.map((c) => `${c.name}: ${c.detail}`).join(' | ')}`);
        assert.equal(doctor.status, 1);
        assert.ok(doctor.failed.some((c) => /key refused|OPENAI_API_KEY|401/.test(`${c.detail} ${c.fix ?? ''}`)), 'the doctor names the refused key');
      } finally {
        await refusing.stop();
      }
      sendsRefused(refusing, 502, 'CHAT_UPSTREAM_REFUSED');

      // An upstream rate limit: its Retry-After reaches the client on a 503.
      delete upstream.requiredKey;
      upstream.behaviour = 'rate-limited';
      const conversation = await newConversation(platform.urls.chat, platform.token);
      const limited = await sendOnce(platform.urls.chat, platform.token, conversation, 'too fast?');
      assert.deepEqual([limited.status, limited.code, limited.retryAfter], [503, 'CHAT_UPSTREAM_RATE_LIMITED', '20']);

      // The key accepted again: answers flow, the burn resolves.
      upstream.behaviour = 'ok';
      const markFixed = webhook.posts().length;
      assert.equal((await sendOnce(platform.urls.chat, platform.token, conversation, 'and now?')).status, 200);
      await webhook.waitFor((p) => webhook.posts().indexOf(p) >= markFixed && burnTitle('RESOLVED').test(String(attachment(p)['title'])), `Slack post: ${BURN} resolved after the key was fixed`, scaled(120_000));
    });

    t.diagnostic(`monitoring proof took ${Math.round((Date.now() - started) / 1000)} s`);
  });
});

describe('npm start -- --with-prometheus', { timeout: scaled(300_000) }, () => {
  /** Free ports for every service and stack component, and a temporary DATA_DIR. */
  async function launcherEnv(t: TestContext): Promise<Record<string, string>> {
    const dataDir = await mkdtemp(join(tmpdir(), 'samosachaat-with-prometheus-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const env: Record<string, string> = { DATA_DIR: dataDir };
    for (const variable of ['AUTH_PORT', 'CHAT_API_PORT', 'INFERENCE_PORT', 'WEB_PORT', 'PROMETHEUS_PORT', 'ALERTMANAGER_PORT', 'NODE_EXPORTER_PORT']) env[variable] = String(await freePort());
    return env;
  }

  it('also runs Prometheus (every service a target, up; the committed rules loaded), Alertmanager and node_exporter, and Ctrl-C stops them', async (t) => {
    if (!requireBinary(t, 'prometheus', 'prometheus')) return;
    if (!requireBinary(t, 'prometheus-alertmanager', 'prometheus-alertmanager')) return;
    if (!requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter')) return;
    const env = await launcherEnv(t);
    const launcher = await startLauncher(['start', '--with-prometheus'], env);
    t.after(() => launcher.stop());
    const prometheus = `http://127.0.0.1:${env['PROMETHEUS_PORT']}`;
    assert.match(launcher.output(), new RegExp(`prometheus +${prometheus} +targets ${prometheus}/targets`));
    assert.match(launcher.output(), new RegExp(`alertmanager +http://127\\.0\\.0\\.1:${env['ALERTMANAGER_PORT']}`));
    assert.match(launcher.output(), new RegExp(`node_exporter +http://127\\.0\\.0\\.1:${env['NODE_EXPORTER_PORT']}/metrics`));

    // Every service the launcher runs (web too, once it does), plus node_exporter.
    const expected = Object.entries(servicesReady(launcher.output())).map(([job, url]) => [job, hostPort(url)] as const);
    assert.ok(expected.length >= 3, launcher.output());
    expected.push(['node', `127.0.0.1:${env['NODE_EXPORTER_PORT']}`]);
    let targets: ActiveTarget[] = [];
    await pollUntil(
      'every service and node_exporter is an up target',
      90_000,
      async () => {
        targets = (await promApi<{ activeTargets: Array<ActiveTarget & { scrapeUrl: string }> }>(prometheus, '/api/v1/targets')).activeTargets;
        const up = targets.filter((x) => x.health === 'up').map((x) => `${x.labels['job']} ${x.labels['service']} ${x.labels['instance']}`);
        return expected.every(([job, address]) => up.includes(`${job} ${job} ${address}`)) ? true : undefined;
      },
      () => `expected ${JSON.stringify(expected)}; targets: ${JSON.stringify(targets.map((x) => [x.labels, x.health, x.lastError]))}`,
    );

    const rules = await promApi<{ groups: Array<{ name: string; file: string; rules: Array<{ name: string; health: string }> }> }>(prometheus, '/api/v1/rules');
    const committed = await loadRuleGroups();
    assert.deepEqual(rules.groups.map((g) => g.name).sort(), committed.map((g) => g.name).sort());
    for (const g of rules.groups) assert.match(g.file, /deploy\/prometheus\/rules\/(recording|alerts|slo)\.rules\.yml$/);
    assert.equal(rules.groups.flatMap((g) => g.rules).length, committed.flatMap((g) => g.rules).length);
    const alertmanager = await fetch(`http://127.0.0.1:${env['ALERTMANAGER_PORT']}/-/ready`);
    assert.equal(alertmanager.status, 200);

    assert.equal(await launcher.stop(), 0);
    await assert.rejects(fetch(`${prometheus}/-/ready`), 'Prometheus stopped with the platform');
    await assert.rejects(fetch(`http://127.0.0.1:${env['NODE_EXPORTER_PORT']}/`), 'node_exporter stopped with the platform');
  });

  it('start takes --with-prometheus and no other argument', async () => {
    const { status, stderr } = await runCli(['start', '--with-prometheus', '--with-grafana'], {});
    assert.equal(status, 2);
    assert.match(stderr, /unexpected argument "--with-grafana"; the options are --with-prometheus and --model PATH/);
  });

  it('without the binaries, says which package to install and keeps the platform running', async (t) => {
    const env: Record<string, string> = { ...(await launcherEnv(t)), PATH: '/nonexistent' };
    const launcher = await startLauncher(['start', '--with-prometheus'], env);
    t.after(() => launcher.stop());
    assert.match(launcher.output(), /warning: --with-prometheus: prometheus is not installed: install it with `apt-get install prometheus`/);
    assert.match(launcher.output(), /the platform keeps running without Prometheus, Alertmanager and node_exporter/);
    assert.doesNotMatch(launcher.output(), /Monitoring \(--with-prometheus/);
    const health = await fetch(`http://127.0.0.1:${env['CHAT_API_PORT']}/ready`);
    assert.equal(health.status, 200);
    assert.equal(await launcher.stop(), 0);
  });
});
