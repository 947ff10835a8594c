import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { prometheusDir } from './deploy-paths.js';
import { sloRuleGroups } from './slo.js';

/**
 * The Prometheus rule files in deploy/prometheus/rules are the one source of every rule:
 * this module reads them (typed and checked), and derives the copies other places need —
 * the fast test overlay here, the Kubernetes PrometheusRule elsewhere — so nobody keeps a
 * second hand-edited copy.
 */

/** Absolute path of deploy/prometheus/rules. */
export const rulesDir: string = join(prometheusDir, 'rules');

/**
 * The rule files, in the order Prometheus loads them (recording rules first). slo.rules.yml
 * is generated from the SLO specs (slo.ts); the other two are written by hand.
 */
export const ruleFileNames = ['recording.rules.yml', 'alerts.rules.yml', 'slo.rules.yml'] as const;

/** A recording rule: `record` names the new series computed from `expr`. */
export interface RecordingRule {
  record: string;
  expr: string;
  labels?: Record<string, string>;
}

/** An alerting rule: fires when `expr` has returned results for `for`. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One rule of a group. */
export type Rule = RecordingRule | AlertingRule;

/** A rule group as Prometheus (and a PrometheusRule's spec.groups) expects it. */
export interface RuleGroup {
  name: string;
  interval?: string;
  limit?: number;
  rules: Rule[];
}

/** One parsed rule file. */
export interface RuleFile {
  /** File name, e.g. alerts.rules.yml. */
  name: string;
  /** Absolute path. */
  path: string;
  groups: RuleGroup[];
}

/** Options of {@link writeTestOverlay}. */
export interface TestOverlayOptions {
  /** Replaces every alert's `for` (e.g. '5s'). Left as written when absent. */
  forOverride?: string;
  /** Sets every group's evaluation `interval` (e.g. '1s'). Left as written when absent. */
  intervalOverride?: string;
  /**
   * Divides every range of the SLO rules (`slo.rules.yml`: `[5m]` → `[5s]` with 60) so a test
   * sees a burn-rate alert fire and resolve in seconds. The recorded names keep their windows
   * (`slo:sli_error:ratio_rate5m` then holds a 5 s ratio). Left as written when absent.
   */
  sloWindowDivisor?: number;
}

const RANGE_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** `expr` with every `[<n><unit>]` range divided by `divisor` (at least 1 s). */
export function scaleRanges(expr: string, divisor: number): string {
  return expr.replace(/\[(\d+)([smhdw])\]/g, (_all, n: string, unit: string) => `[${Math.max(1, Math.round((Number(n) * (RANGE_SECONDS[unit] ?? 1)) / divisor))}s]`);
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** True for an alerting rule, false for a recording rule. */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}

/** Every alerting rule of the groups, in file order (an alert with two severities appears twice). */
export function alertingRules(groups: RuleGroup[]): AlertingRule[] {
  return groups.flatMap((g) => g.rules.filter(isAlertingRule));
}

function fail(source: string, where: string, problem: string): never {
  throw new Error(`${source}: ${where}: ${problem}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkStringMap(value: unknown, source: string, where: string): void {
  if (value === undefined) return;
  if (!isRecord(value)) fail(source, where, 'must be a map of strings');
  for (const [k, v] of Object.entries(value)) if (typeof v !== 'string') fail(source, `${where}.${k}`, 'must be a string');
}

function checkDuration(value: unknown, source: string, where: string): void {
  if (value !== undefined && (typeof value !== 'string' || !DURATION.test(value))) fail(source, where, `"${String(value)}" is not a Prometheus duration`);
}

function checkRule(raw: unknown, source: string, where: string): Rule {
  if (!isRecord(raw)) fail(source, where, 'must be a map');
  const isAlert = typeof raw.alert === 'string';
  const isRecording = typeof raw.record === 'string';
  if (isAlert === isRecording) fail(source, where, 'needs exactly one of "alert" or "record"');
  if (typeof raw.expr !== 'string' || raw.expr.trim() === '') fail(source, where, '"expr" must be a non-empty string');
  checkStringMap(raw.labels, source, `${where}.labels`);
  if (isRecording && (raw.for !== undefined || raw.annotations !== undefined)) fail(source, where, 'a recording rule has no "for" or "annotations"');
  checkStringMap(raw.annotations, source, `${where}.annotations`);
  checkDuration(raw.for, source, `${where}.for`);
  checkDuration(raw.keep_firing_for, source, `${where}.keep_firing_for`);
  return raw as unknown as Rule;
}

/**
 * Parses the text of a Prometheus rule file into typed groups. Throws an error naming
 * `source` and the offending group/rule when the shape is wrong (PromQL itself is left to
 * `promtool check rules`).
 */
export function parseRuleFile(text: string, source: string): RuleGroup[] {
  const doc: unknown = parse(text);
  if (!isRecord(doc) || !Array.isArray(doc.groups)) fail(source, 'top level', 'needs a "groups" list');
  return doc.groups.map((g: unknown, i: number) => {
    if (!isRecord(g) || typeof g.name !== 'string' || g.name === '') fail(source, `groups[${i}]`, 'needs a "name"');
    const where = `group "${g.name}"`;
    if (!Array.isArray(g.rules)) fail(source, where, 'needs a "rules" list');
    checkDuration(g.interval, source, `${where}.interval`);
    const rules = g.rules.map((r: unknown, j: number) => checkRule(r, source, `${where} rules[${j}]`));
    return { ...g, rules } as RuleGroup;
  });
}

/** Reads and parses both rule files of `dir` (default {@link rulesDir}). */
export async function loadRuleFiles(dir: string = rulesDir): Promise<RuleFile[]> {
  return Promise.all(
    ruleFileNames.map(async (name) => {
      const path = join(dir, name);
      // The generated SLO file is read from its source, so what is derived from the rules
      // (the PrometheusRule, the test overlay) never lags one `monitoring:generate` behind it;
      // a test checks the committed file equals the generator's output.
      const text = name === 'slo.rules.yml' && dir === rulesDir ? stringifyRuleGroups(sloRuleGroups()) : await readFile(path, 'utf8');
      return { name, path, groups: parseRuleFile(text, path) };
    }),
  );
}

/** The groups of both rule files, recording groups first. */
export async function loadRuleGroups(dir: string = rulesDir): Promise<RuleGroup[]> {
  return (await loadRuleFiles(dir)).flatMap((f) => f.groups);
}

/** Serialises rule groups as a rule file (long PromQL lines are never folded). */
export function stringifyRuleGroups(groups: RuleGroup[], header?: string): string {
  const body = stringify({ groups }, { lineWidth: 0 });
  return header ? `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n${body}` : body;
}

/**
 * Writes copies of both rule files to `outDir` (created if needed) in which every alert's
 * `for` is `forOverride` and every group's `interval` is `intervalOverride`, so a test can
 * see alerts fire in seconds. Nothing else changes: same groups, rules, expressions, labels
 * and annotations. Returns the absolute paths written, recording rules first.
 */
export async function writeTestOverlay(outDir: string, options: TestOverlayOptions = {}): Promise<string[]> {
  const { forOverride, intervalOverride, sloWindowDivisor } = options;
  if (sloWindowDivisor !== undefined && !(sloWindowDivisor >= 1)) throw new Error(`writeTestOverlay: sloWindowDivisor must be at least 1, not ${sloWindowDivisor}`);
  checkDuration(forOverride, 'writeTestOverlay', 'forOverride');
  checkDuration(intervalOverride, 'writeTestOverlay', 'intervalOverride');
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const file of await loadRuleFiles()) {
    const groups = file.groups.map(({ name, rules, ...rest }) => ({
      name,
      ...rest,
      ...(intervalOverride ? { interval: intervalOverride } : {}),
      rules: rules
        .map((r) => (isAlertingRule(r) && forOverride ? { ...r, for: forOverride } : r))
        .map((r) => (sloWindowDivisor && file.name === 'slo.rules.yml' ? { ...r, expr: scaleRanges(r.expr, sloWindowDivisor) } : r)),
    }));
    const header = `Test overlay generated from deploy/prometheus/rules/${file.name} by writeTestOverlay` +
      ` (for=${forOverride ?? 'unchanged'}, interval=${intervalOverride ?? 'unchanged'}` +
      `${sloWindowDivisor && file.name === 'slo.rules.yml' ? `, SLO windows divided by ${sloWindowDivisor}` : ''}). Do not edit.`;
    const path = join(outDir, file.name);
    await writeFile(path, stringifyRuleGroups(groups, header));
    written.push(path);
  }
  return written;
}
