/**
 * Proves deploy/alertmanager with the real amtool: the committed file and a rendered
 * override load, every alert rule routes by its severity (critical → Slack, everything else
 * → e-mail), the inhibition rules are there, and the templates render readable messages.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { requireBinary } from '../../../test/support/binaries.js';
import { alertmanagerConfigPath, alertmanagerTemplatesDir, receivers, renderAlertmanagerConfig, renderCommittedAlertmanagerConfig } from '../src/alertmanager-config.js';
import { repoRoot } from '../src/repo.js';
import { alertingRules, loadRuleGroups } from '../src/rules.js';
import { scaled } from '../../../test/support/timeouts.js';

const TIMEOUT_MS = 60_000;

/** Runs amtool; fails the test with amtool's own output when it exits non-zero. */
function amtool(bin: string, args: string[]): string {
  const result = spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8', timeout: scaled(TIMEOUT_MS) });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  assert.equal(result.status, 0, `amtool ${args.join(' ')} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${output}`);
  return result.stdout;
}

function routeOf(bin: string, configFile: string, labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return amtool(bin, ['config', 'routes', 'test', `--config.file=${configFile}`, ...pairs]).trim();
}

/** A notification as Alertmanager hands it to the templates. */
function notification(status: 'firing' | 'resolved'): Record<string, unknown> {
  return {
    receiver: receivers.slack,
    status,
    alerts: [{
      status,
      labels: { alertname: 'InferenceServiceDown', severity: 'critical', job: 'inference', instance: 'localhost:8003', service: 'inference' },
      annotations: {
        summary: 'Inference service is down',
        description: 'Prometheus cannot scrape the inference service at localhost:8003 (for 1 minute). No chat can get an answer.',
        runbook_url: 'https://github.com/samosachaat/samosachaat/blob/main/docs/runbooks/InferenceServiceDown.md',
      },
      startsAt: '2026-01-02T03:04:05Z',
      endsAt: status === 'resolved' ? '2026-01-02T03:14:05Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://localhost:9090/graph',
      fingerprint: '0123456789abcdef',
    }],
    groupLabels: { alertname: 'InferenceServiceDown', severity: 'critical' },
    commonLabels: { alertname: 'InferenceServiceDown', severity: 'critical', job: 'inference' },
    commonAnnotations: {},
    externalURL: 'http://localhost:9093',
  };
}

describe('deploy/alertmanager with amtool', () => {
  it('the committed alertmanager.yml passes amtool check-config, with its templates', (t) => {
    const bin = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!bin) return;
    const out = amtool(bin, ['check-config', alertmanagerConfigPath]);
    assert.match(out, /2 receivers/);
    assert.match(out, /1 templates/);
  });

  it('a rendered override (local receivers, short intervals) passes amtool check-config', async (t) => {
    const bin = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!bin) return;
    const dir = await mkdtemp(join(tmpdir(), 'alertmanager-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, renderAlertmanagerConfig({
      slackApiUrl: 'http://127.0.0.1:45678/slack',
      smtpSmarthost: '127.0.0.1:45679',
      smtpFrom: 'alertmanager@test.invalid',
      emailTo: 'oncall@test.invalid',
      templatesDir: alertmanagerTemplatesDir,
      groupWait: '1s',
      groupInterval: '1s',
      repeatInterval: '1m',
      resolveTimeout: '15s',
    }));
    assert.match(amtool(bin, ['check-config', file]), /1 templates/);
    assert.equal(routeOf(bin, file, { alertname: 'InferenceServiceDown', severity: 'critical' }), receivers.slack);
  });

  it('routes severity=critical to Slack and warning (or anything else) to e-mail', (t) => {
    const bin = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!bin) return;
    assert.equal(routeOf(bin, alertmanagerConfigPath, { severity: 'critical', alertname: 'X' }), receivers.slack);
    assert.equal(routeOf(bin, alertmanagerConfigPath, { severity: 'warning', alertname: 'X' }), receivers.email);
    assert.equal(routeOf(bin, alertmanagerConfigPath, { alertname: 'X' }), receivers.email);
  });

  it('routes every alert rule by its severity', async (t) => {
    const bin = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!bin) return;
    for (const rule of alertingRules(await loadRuleGroups())) {
      const severity = rule.labels?.severity ?? '';
      const expected = severity === 'critical' ? receivers.slack : receivers.email;
      assert.equal(routeOf(bin, alertmanagerConfigPath, { alertname: rule.alert, severity }), expected, `${rule.alert} (${severity}) goes to the wrong receiver`);
    }
  });

  it('the templates render readable Slack and e-mail messages, firing and resolved', async (t) => {
    const bin = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!bin) return;
    const dir = await mkdtemp(join(tmpdir(), 'alertmanager-template-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const render = async (status: 'firing' | 'resolved', template: string, type: 'text' | 'html' = 'text'): Promise<string> => {
      const data = join(dir, `${status}.json`);
      await writeFile(data, JSON.stringify(notification(status)));
      return amtool(bin, ['template', 'render', `--template.glob=${join(alertmanagerTemplatesDir, '*.tmpl')}`, `--template.data=${data}`, `--template.type=${type}`, `--template.text={{ template "samosachaat.${template}" . }}`]);
    };
    assert.equal((await render('firing', 'slack.title')).trim(), '[FIRING:1] InferenceServiceDown (critical)');
    assert.equal((await render('resolved', 'slack.title')).trim(), '[RESOLVED] InferenceServiceDown (critical)');
    const text = await render('firing', 'slack.text');
    assert.match(text, /:red_circle: \*Inference service is down\*/);
    assert.match(text, /No chat can get an answer\./);
    assert.match(text, /\*Runbook:\* https:\/\/github\.com\/.*\/InferenceServiceDown\.md/);
    assert.match(text, /`instance=localhost:8003` `job=inference` `service=inference`/);
    assert.match(text, /\*Since:\* 2026-01-02 03:04:05 UTC/);
    assert.match(await render('resolved', 'slack.text'), /:large_green_circle: \*Resolved:\* Inference service is down[\s\S]*\*resolved:\* 2026-01-02 03:14:05 UTC/);
    assert.equal((await render('firing', 'slack.color')).trim(), 'danger');
    assert.equal((await render('resolved', 'slack.color')).trim(), 'good');
    assert.equal((await render('firing', 'slack.titlelink')).trim(), 'https://github.com/samosachaat/samosachaat/blob/main/docs/runbooks/InferenceServiceDown.md');
    assert.equal((await render('firing', 'email.subject')).trim(), 'samosaChaat [FIRING:1] InferenceServiceDown (critical)');
    const mail = await render('resolved', 'email.text');
    assert.match(mail, /RESOLVED: Inference service is down\nPrometheus cannot scrape/);
    assert.match(mail, /Labels: {2}instance=localhost:8003 job=inference service=inference\nSince: {3}2026-01-02 03:04:05 UTC\nResolved: 2026-01-02 03:14:05 UTC\n/);
    const html = await render('firing', 'email.html', 'html');
    assert.match(html, /<h2 style="color: #b00020">\[FIRING:1\] InferenceServiceDown \(critical\)<\/h2>/);
    assert.match(html, /<a href="https:\/\/github\.com\/samosachaat\/samosachaat\/blob\/main\/docs\/runbooks\/InferenceServiceDown\.md">Runbook<\/a>/);
  });

  it('inhibits the warning of an alert while its critical level fires, and ServiceDown{job="inference"} under InferenceServiceDown', async () => {
    const doc = parse(await readFile(alertmanagerConfigPath, 'utf8')) as { inhibit_rules: Array<Record<string, string[]>> };
    assert.deepEqual(doc.inhibit_rules, [
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname'] },
      { source_matchers: ['alertname="InferenceServiceDown"'], target_matchers: ['alertname="ServiceDown"', 'job="inference"'], equal: ['job'] },
    ]);
    // The severities the rules use are exactly those the routes and inhibitions speak about.
    const severities = new Set(alertingRules(await loadRuleGroups()).map((r) => r.labels?.severity));
    assert.deepEqual([...severities].sort(), ['critical', 'warning']);
  });

  it('keeps secrets out and is the rendered file (npm run monitoring:generate)', async () => {
    const text = await readFile(alertmanagerConfigPath, 'utf8');
    assert.equal(text, renderCommittedAlertmanagerConfig(), 'deploy/alertmanager/alertmanager.yml is stale: run npm run monitoring:generate');
    const doc = parse(text);
    assert.equal(doc.global.slack_api_url, undefined, 'the Slack webhook URL is a secret: use slack_api_url_file');
    assert.equal(doc.global.smtp_auth_password, undefined, 'no SMTP password in the file');
    assert.doesNotMatch(text, /hooks\.slack\.com\/services\//);
  });
});
