/**
 * Service level objectives as code. One typed spec per SLO generates, uniformly, everything
 * Prometheus needs (deploy/prometheus/rules/slo.rules.yml, `npm run monitoring:generate`):
 *
 * - the SLI as an error ratio over every window the alerts and dashboards read
 *   (`slo:sli_error:ratio_rate5m` … `_rate3d`, and the 30-day period from the 5-minute ratio);
 * - metadata: objective, error budget, period, current and period burn rate, budget left;
 * - multi-window, multi-burn-rate alerts (the SRE workbook's scheme): a page (critical, Slack)
 *   when the budget burns 14.4× too fast over 1 h and 5 m or 6× over 6 h and 30 m, a ticket
 *   (warning, e-mail) at 1× over 3 d and 6 h. The short window of each pair makes an alert
 *   resolve minutes after the burn stops instead of hours.
 *
 * Every rule carries `slo` and `service` labels. docs/slos.md explains the two SLOs.
 */
import type { Generator } from './generate.js';
import { stringifyRuleGroups, type AlertingRule, type RecordingRule, type RuleGroup } from './rules.js';

/** One service level objective. */
export interface SloSpec {
  /** kebab-case id, the `slo` label: `answer-success`. */
  name: string;
  /** The service whose users the SLO speaks for (`service` label). */
  service: string;
  /** Target share of good events, e.g. 0.99. */
  objective: number;
  /** Days of the period the budget is counted over. */
  periodDays: number;
  /** One line for humans: what a good event is. */
  description: string;
  /**
   * PromQL of the bad and of all events per second over `{{window}}` (a Prometheus
   * duration such as 5m), aggregated to one series.
   */
  sli: { errors: string; total: string };
  /** The alert's name, its runbook (docs/runbooks/<alert>.md), and how it speaks of the SLO. */
  alert: { name: string; what: string; impact: string };
}

/** Windows with an SLI recording rule (the alerts' pairs and the dashboards). */
export const SLI_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;

/** Multi-window burn-rate conditions: budget burnt `factor`× too fast over both windows. */
export const BURN_RATE_ALERTS = [
  { severity: 'critical', long: '1h', short: '5m', factor: 14.4, for: '2m' },
  { severity: 'critical', long: '6h', short: '30m', factor: 6, for: '15m' },
  { severity: 'warning', long: '3d', short: '6h', factor: 1, for: '1h' },
] as const;

const answerOutcomes = 'chat_answers_total{service="chat-api"';

/**
 * The two answer SLOs. Outcomes: chat-api's `chat_answers_total{outcome}` (docs/metrics.md);
 * `stopped` (the user pressed Stop) is neither good nor bad and is left out.
 */
export const SLOS: readonly SloSpec[] = [
  {
    name: 'answer-success',
    service: 'chat-api',
    objective: 0.99,
    periodDays: 30,
    description: 'Answers that complete and are stored, of all answers the user did not stop (refused sends included).',
    sli: {
      // `or vector(0)`: with traffic but no failure yet there is no failure series at all.
      errors: `sum(rate(${answerOutcomes},outcome=~"error|incomplete|not_saved|refused"}[{{window}}])) or vector(0)`,
      total: `sum(rate(${answerOutcomes},outcome!="stopped"}[{{window}}]))`,
    },
    alert: {
      name: 'AnswerSuccessBudgetBurn',
      what: 'answers failing',
      impact: 'Users get errors, cut-off or unsaved answers instead of answers.',
    },
  },
  {
    name: 'answer-ttft',
    service: 'chat-api',
    objective: 0.95,
    periodDays: 30,
    description: 'Answers whose first token reached chat-api within 2.5 s of the send (user-perceived time to first token).',
    sli: {
      errors:
        'sum(rate(chat_answer_time_to_first_token_seconds_count{service="chat-api"}[{{window}}]))' +
        ' - sum(rate(chat_answer_time_to_first_token_seconds_bucket{service="chat-api",le="2.5"}[{{window}}]))',
      total: 'sum(rate(chat_answer_time_to_first_token_seconds_count{service="chat-api"}[{{window}}]))',
    },
    alert: {
      name: 'AnswerLatencyBudgetBurn',
      what: 'answers starting slower than 2.5 s',
      impact: 'Users wait noticeably before their answer starts to appear.',
    },
  },
];

const fmt = (n: number): string => String(Number(n.toFixed(6)));

function check(slo: SloSpec): void {
  if (!/^[a-z][a-z0-9-]*$/.test(slo.name)) throw new Error(`SLO name "${slo.name}" must be kebab-case`);
  if (!(slo.objective > 0 && slo.objective < 1)) throw new Error(`SLO ${slo.name}: objective must be between 0 and 1, got ${slo.objective}`);
  if (!Number.isInteger(slo.periodDays) || slo.periodDays < 1) throw new Error(`SLO ${slo.name}: periodDays must be a whole number of days`);
  for (const q of [slo.sli.errors, slo.sli.total]) if (!q.includes('{{window}}')) throw new Error(`SLO ${slo.name}: SLI queries need a {{window}} placeholder`);
}

/** The recording groups (SLI + metadata) and the alert group of every SLO. */
export function sloRuleGroups(slos: readonly SloSpec[] = SLOS): RuleGroup[] {
  const groups: RuleGroup[] = [];
  for (const slo of slos) {
    check(slo);
    const labels = { slo: slo.name, service: slo.service };
    const match = `{slo="${slo.name}", service="${slo.service}"}`;
    const budget = 1 - slo.objective;
    const sli: RecordingRule[] = SLI_WINDOWS.map((w) => ({
      record: `slo:sli_error:ratio_rate${w}`,
      expr: `(${slo.sli.errors.replaceAll('{{window}}', w)})\n/\n(${slo.sli.total.replaceAll('{{window}}', w)})`,
      labels: { ...labels },
    }));
    const period = `${slo.periodDays}d`;
    const meta: RecordingRule[] = [
      // The period's ratio is the average of the 5-minute ratios: one cheap series instead
      // of a rate over 30 days of raw samples. (Every rule repeats the SLO's labels, even where
      // the expression keeps them: promtool flags same-named rules without distinct labels.)
      { record: `slo:sli_error:ratio_rate${period}`, expr: `avg_over_time(slo:sli_error:ratio_rate5m${match}[${period}])`, labels: { ...labels } },
      { record: 'slo:objective:ratio', expr: `vector(${fmt(slo.objective)})`, labels: { ...labels } },
      { record: 'slo:error_budget:ratio', expr: `vector(${fmt(budget)})`, labels: { ...labels } },
      { record: 'slo:time_period:days', expr: `vector(${slo.periodDays})`, labels: { ...labels } },
      { record: 'slo:current_burn_rate:ratio', expr: `slo:sli_error:ratio_rate5m${match} / ${fmt(budget)}`, labels: { ...labels } },
      { record: 'slo:period_burn_rate:ratio', expr: `slo:sli_error:ratio_rate${period}${match} / ${fmt(budget)}`, labels: { ...labels } },
      { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${match}`, labels: { ...labels } },
    ];
    const alerts: AlertingRule[] = BURN_RATE_ALERTS.map((a) => {
      const threshold = fmt(a.factor * budget);
      return {
        alert: slo.alert.name,
        expr:
          `slo:sli_error:ratio_rate${a.long}${match} > ${threshold}\n` +
          `and\nslo:sli_error:ratio_rate${a.short}${match} > ${threshold}`,
        for: a.for,
        labels: { severity: a.severity, window: `${a.long}/${a.short}`, burn_rate: fmt(a.factor) },
        annotations: {
          summary: `${slo.service} burns its ${slo.name} error budget ${fmt(a.factor)}× too fast`,
          description:
            `Over both the last ${a.long} and the last ${a.short}, more than ${fmt(a.factor * budget * 100)} % of ${slo.service}'s answers were bad ` +
            `(${slo.alert.what}). The objective is ${fmt(slo.objective * 100)} % good over ${slo.periodDays} days, a budget of ` +
            `${fmt(budget * 100)} %: at ${fmt(a.factor)}× that rate it is gone in ${fmt((slo.periodDays * 24) / a.factor)} hours. ${slo.alert.impact}`,
          runbook_url: `https://github.com/samosachaat/samosachaat/blob/main/docs/runbooks/${slo.alert.name}.md`,
        },
      };
    });
    groups.push({ name: `slo-${slo.name}.recording`, rules: [...sli, ...meta] });
    groups.push({ name: `slo-${slo.name}.alerts`, rules: alerts });
  }
  return groups;
}

/** Repo-relative path of the generated rule file. */
export const SLO_RULES_PATH = 'deploy/prometheus/rules/slo.rules.yml';

/** Writes deploy/prometheus/rules/slo.rules.yml from {@link SLOS}. */
export const sloRulesGenerator: Generator = {
  name: 'slo-rules',
  async files() {
    const header =
      'GENERATED by packages/monitoring/src/slo.ts (npm run monitoring:generate): do not edit.\n' +
      'SLI recording rules, SLO metadata and multi-window burn-rate alerts of every SLO (docs/slos.md).';
    return { [SLO_RULES_PATH]: stringifyRuleGroups(sloRuleGroups(), header) };
  },
};
