import { join } from 'node:path';
import { stringify } from 'yaml';
import { alertmanagerDir } from './deploy-paths.js';

/**
 * Renders alertmanager.yml: every alert goes to e-mail, severity="critical" goes to Slack
 * instead, notifications are grouped by alertname and severity, and a critical alert
 * silences the warning of the same name (High5xxRate and DiskSpaceLow have both levels).
 * No secret is ever written: the Slack webhook URL is read from a file at run time.
 */

/** Values a deployment (or a test) replaces; every one has a documented default. */
export interface AlertmanagerOverrides {
  /** Slack incoming-webhook URL. Default: none, the URL is read from {@link defaultSlackApiUrlFile}. */
  slackApiUrl?: string;
  /** SMTP relay host:port. Default smtp.example.com:587, to be replaced by the operator. */
  smtpSmarthost?: string;
  /** Sender address. Default alertmanager@samosachaat.example. */
  smtpFrom?: string;
  /** Recipient of the default (e-mail) route. Default oncall@samosachaat.example. */
  emailTo?: string;
  /** Require STARTTLS to the relay. Default true, false for a loopback relay (local receivers). */
  smtpRequireTls?: boolean;
  /** Directory of the *.tmpl files. Default templates/ next to alertmanager.yml; give an absolute path (e.g. {@link alertmanagerTemplatesDir}) when the file is written elsewhere. */
  templatesDir?: string;
  /** Wait before the first notification of a new group. Default 30s. */
  groupWait?: string;
  /** Wait before notifying about changes in a group. Default 5m. */
  groupInterval?: string;
  /** Re-send a still-firing group after. Default 4h. */
  repeatInterval?: string;
  /** An alert not updated for this long is resolved. Default 5m. */
  resolveTimeout?: string;
}

/** Absolute path of the committed deploy/alertmanager/alertmanager.yml. */
export const alertmanagerConfigPath: string = join(alertmanagerDir, 'alertmanager.yml');

/** Absolute path of deploy/alertmanager/templates. */
export const alertmanagerTemplatesDir: string = join(alertmanagerDir, 'templates');

/** Where the committed config reads the Slack webhook URL from (mount the secret there). */
export const defaultSlackApiUrlFile = '/etc/alertmanager/secrets/slack-api-url';

/** Receiver names, as `amtool config routes test` prints them. */
export const receivers = { email: 'email', slack: 'slack-critical' } as const;

/** The Slack channel critical alerts go to. */
export const slackChannel = '#samosachaat-alerts';

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]):\d+$/;

function duration(name: string, value: string): string {
  if (!DURATION.test(value)) throw new Error(`renderAlertmanagerConfig: ${name} "${value}" is not a duration`);
  return value;
}

function tmpl(name: string): string {
  return `{{ template "samosachaat.${name}" . }}`;
}

/** Renders a complete alertmanager.yml (YAML text); see {@link AlertmanagerOverrides} for defaults. */
export function renderAlertmanagerConfig(overrides: AlertmanagerOverrides = {}): string {
  const smarthost = overrides.smtpSmarthost ?? 'smtp.example.com:587';
  if (!/^[^\s:]+:\d+$/.test(smarthost) && !LOOPBACK.test(smarthost)) throw new Error(`renderAlertmanagerConfig: smtpSmarthost "${smarthost}" is not host:port`);
  if (overrides.slackApiUrl !== undefined && !/^https?:\/\/\S+$/.test(overrides.slackApiUrl)) {
    throw new Error('renderAlertmanagerConfig: slackApiUrl is not an http(s) URL');
  }
  const global: Record<string, unknown> = {
    resolve_timeout: duration('resolveTimeout', overrides.resolveTimeout ?? '5m'),
    smtp_smarthost: smarthost,
    smtp_from: overrides.smtpFrom ?? 'alertmanager@samosachaat.example',
    smtp_require_tls: overrides.smtpRequireTls ?? !LOOPBACK.test(smarthost),
  };
  if (overrides.slackApiUrl !== undefined) global.slack_api_url = overrides.slackApiUrl;
  else global.slack_api_url_file = defaultSlackApiUrlFile;

  const config = {
    global,
    templates: [join(overrides.templatesDir ?? 'templates', '*.tmpl')],
    route: {
      receiver: receivers.email,
      group_by: ['alertname', 'severity'],
      group_wait: duration('groupWait', overrides.groupWait ?? '30s'),
      group_interval: duration('groupInterval', overrides.groupInterval ?? '5m'),
      repeat_interval: duration('repeatInterval', overrides.repeatInterval ?? '4h'),
      routes: [{ receiver: receivers.slack, matchers: ['severity="critical"'] }],
    },
    inhibit_rules: [
      // The critical level of an alert makes its warning level noise.
      { source_matchers: ['severity="critical"'], target_matchers: ['severity="warning"'], equal: ['alertname'] },
      // ServiceDown also covers inference; the dedicated alert says it better.
      { source_matchers: ['alertname="InferenceServiceDown"'], target_matchers: ['alertname="ServiceDown"', 'job="inference"'], equal: ['job'] },
    ],
    receivers: [
      {
        name: receivers.email,
        email_configs: [{
          to: overrides.emailTo ?? 'oncall@samosachaat.example',
          send_resolved: true,
          headers: { Subject: tmpl('email.subject') },
          html: tmpl('email.html'),
          text: tmpl('email.text'),
        }],
      },
      {
        name: receivers.slack,
        slack_configs: [{
          channel: slackChannel,
          send_resolved: true,
          title: tmpl('slack.title'),
          title_link: tmpl('slack.titlelink'),
          text: tmpl('slack.text'),
          color: tmpl('slack.color'),
        }],
      },
    ],
  };
  return stringify(config, { lineWidth: 0 });
}

/** The committed deploy/alertmanager/alertmanager.yml (defaults, documented header). */
export function renderCommittedAlertmanagerConfig(): string {
  const header = [
    '# Alertmanager configuration for samosaChaat. Generated by packages/monitoring/src/alertmanager-config.ts',
    '# (npm run monitoring:generate): do not edit; render with overrides instead.',
    '# Before use, replace: smtp_smarthost, smtp_from and the e-mail "to" (example.com placeholders),',
    `# and put the Slack incoming-webhook URL in ${defaultSlackApiUrlFile} (a secret, never in this file).`,
    '# Check: amtool check-config deploy/alertmanager/alertmanager.yml',
  ].join('\n');
  return `${header}\n${renderAlertmanagerConfig()}`;
}

/** Generator (see generate.ts) of the committed deploy/alertmanager/alertmanager.yml. */
export const alertmanagerConfigGenerator = {
  name: 'alertmanager-config',
  files: async (): Promise<Record<string, string>> => ({ 'deploy/alertmanager/alertmanager.yml': renderCommittedAlertmanagerConfig() }),
};
