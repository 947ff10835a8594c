import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { alertmanagerConfigGenerator, alertmanagerTemplatesDir, defaultSlackApiUrlFile, receivers, renderAlertmanagerConfig, renderCommittedAlertmanagerConfig } from './alertmanager-config.js';

describe('renderAlertmanagerConfig', () => {
  it('defaults: Slack URL from a file, TLS to the relay, documented placeholders, relative templates', () => {
    const doc = parse(renderAlertmanagerConfig());
    assert.equal(doc.global.slack_api_url_file, defaultSlackApiUrlFile);
    assert.equal(doc.global.slack_api_url, undefined);
    assert.equal(doc.global.smtp_require_tls, true);
    assert.equal(doc.global.smtp_smarthost, 'smtp.example.com:587');
    assert.deepEqual(doc.templates, ['templates/*.tmpl']);
    assert.deepEqual(doc.route.group_by, ['alertname', 'severity']);
    assert.equal(doc.route.receiver, receivers.email);
    assert.deepEqual(doc.route.routes, [{ receiver: receivers.slack, matchers: ['severity="critical"'] }]);
    assert.equal(doc.receivers.find((r: { name: string }) => r.name === receivers.slack).slack_configs[0].send_resolved, true);
    assert.equal(doc.receivers.find((r: { name: string }) => r.name === receivers.email).email_configs[0].send_resolved, true);
  });

  it('applies overrides, and drops TLS for a loopback relay', () => {
    const doc = parse(renderAlertmanagerConfig({
      slackApiUrl: 'http://127.0.0.1:40000/slack',
      smtpSmarthost: '127.0.0.1:2525',
      smtpFrom: 'am@test.invalid',
      emailTo: 'ops@test.invalid',
      templatesDir: alertmanagerTemplatesDir,
      groupWait: '1s',
      groupInterval: '2s',
      repeatInterval: '1m',
      resolveTimeout: '10s',
    }));
    assert.equal(doc.global.slack_api_url, 'http://127.0.0.1:40000/slack');
    assert.equal(doc.global.slack_api_url_file, undefined);
    assert.equal(doc.global.smtp_require_tls, false);
    assert.equal(doc.global.smtp_from, 'am@test.invalid');
    assert.equal(doc.global.resolve_timeout, '10s');
    assert.deepEqual(doc.templates, [`${alertmanagerTemplatesDir}/*.tmpl`]);
    assert.deepEqual([doc.route.group_wait, doc.route.group_interval, doc.route.repeat_interval], ['1s', '2s', '1m']);
    assert.equal(doc.receivers[0].email_configs[0].to, 'ops@test.invalid');
    assert.equal(parse(renderAlertmanagerConfig({ smtpSmarthost: 'localhost:25', smtpRequireTls: true })).global.smtp_require_tls, true);
  });

  it('names what is wrong with bad overrides', () => {
    assert.throws(() => renderAlertmanagerConfig({ groupWait: 'soon' }), /groupWait "soon" is not a duration/);
    assert.throws(() => renderAlertmanagerConfig({ smtpSmarthost: 'smtp.example.com' }), /smtpSmarthost "smtp.example.com" is not host:port/);
    assert.throws(() => renderAlertmanagerConfig({ slackApiUrl: 'hooks.slack.com/x' }), /slackApiUrl is not an http\(s\) URL/);
  });

  it('inhibits warning by critical of the same alert, and ServiceDown by InferenceServiceDown', () => {
    const doc = parse(renderAlertmanagerConfig());
    assert.deepEqual(doc.inhibit_rules[0], { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname'] });
    assert.deepEqual(doc.inhibit_rules[1].source_matchers, ['alertname="InferenceServiceDown"']);
  });
});

describe('the committed alertmanager.yml', () => {
  it('documents what to replace and is what the generator writes', async () => {
    const text = renderCommittedAlertmanagerConfig();
    assert.match(text, /replace: smtp_smarthost/);
    assert.deepEqual(await alertmanagerConfigGenerator.files(), { 'deploy/alertmanager/alertmanager.yml': text });
  });
});
