import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { alertingRules, isAlertingRule, loadRuleFiles, loadRuleGroups, parseRuleFile, ruleFileNames, rulesDir, scaleRanges, stringifyRuleGroups, writeTestOverlay } from './rules.js';

describe('loadRuleGroups', () => {
  it('reads the recording and the alert groups of deploy/prometheus/rules', async () => {
    const groups = await loadRuleGroups();
    const records = groups.flatMap((g) => g.rules).filter((r) => !isAlertingRule(r));
    assert.ok(records.some((r) => 'record' in r && r.record === 'service:http_requests:rate5m'));
    assert.ok(alertingRules(groups).some((r) => r.alert === 'InferenceServiceDown'));
    const files = await loadRuleFiles();
    assert.deepEqual(files.map((f) => f.path), ruleFileNames.map((n) => join(rulesDir, n)));
  });
});

describe('parseRuleFile', () => {
  const bad: Array<[string, string, RegExp]> = [
    ['not groups', 'foo: 1', /needs a "groups" list/],
    ['nameless group', 'groups: [{rules: []}]', /groups\[0\]: needs a "name"/],
    ['rules missing', 'groups: [{name: g}]', /group "g": needs a "rules" list/],
    ['both kinds', 'groups: [{name: g, rules: [{alert: A, record: r, expr: up}]}]', /exactly one of/],
    ['no expr', 'groups: [{name: g, rules: [{alert: A}]}]', /"expr" must be a non-empty string/],
    ['bad for', 'groups: [{name: g, rules: [{alert: A, expr: up, for: soon}]}]', /"soon" is not a Prometheus duration/],
    ['bad interval', 'groups: [{name: g, interval: 1 minute, rules: []}]', /interval: "1 minute"/],
    ['recording with for', 'groups: [{name: g, rules: [{record: r, expr: up, for: 1m}]}]', /recording rule has no/],
    ['numeric label', 'groups: [{name: g, rules: [{alert: A, expr: up, labels: {severity: 1}}]}]', /labels\.severity: must be a string/],
    ['list annotations', 'groups: [{name: g, rules: [{alert: A, expr: up, annotations: [x]}]}]', /annotations: must be a map/],
    ['rule not a map', 'groups: [{name: g, rules: [up]}]', /rules\[0\]: must be a map/],
  ];
  for (const [name, text, expected] of bad) {
    it(`rejects ${name}, naming the file`, () => {
      assert.throws(() => parseRuleFile(text, 'x.yml'), (err: Error) => err.message.startsWith('x.yml: ') && expected.test(err.message));
    });
  }

  it('round-trips through stringifyRuleGroups', () => {
    const groups = parseRuleFile('groups: [{name: g, interval: 30s, rules: [{alert: A, expr: "up == 0", for: 1m, labels: {severity: warning}}]}]', 'x.yml');
    const text = stringifyRuleGroups(groups, 'line one\nline two');
    assert.match(text, /^# line one\n# line two\ngroups:/);
    assert.deepEqual(parseRuleFile(text, 'y.yml'), groups);
  });
});

describe('writeTestOverlay', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('rewrites every alert for and group interval, and nothing else', async () => {
    const out = await mkdtemp(join(tmpdir(), 'rules-overlay-'));
    dirs.push(out);
    const written = await writeTestOverlay(join(out, 'nested'), { forOverride: '5s', intervalOverride: '1s' });
    assert.deepEqual(written, ruleFileNames.map((n) => join(out, 'nested', n)));
    const original = await loadRuleFiles();
    for (const [i, path] of written.entries()) {
      const text = await readFile(path, 'utf8');
      assert.match(text, /^# Test overlay generated from deploy\/prometheus\/rules\//);
      const overlay = parseRuleFile(text, path);
      const source = original[i]!.groups;
      assert.equal(overlay.length, source.length);
      for (const [g, group] of overlay.entries()) {
        assert.equal(group.interval, '1s');
        const expected = source[g]!.rules.map((r) => (isAlertingRule(r) ? { ...r, for: '5s' } : r));
        assert.deepEqual(group.rules, expected);
        assert.equal(group.name, source[g]!.name);
      }
    }
  });

  it('leaves for and interval alone when no override is given', async () => {
    const out = await mkdtemp(join(tmpdir(), 'rules-overlay-'));
    dirs.push(out);
    const written = await writeTestOverlay(out);
    const original = await loadRuleFiles();
    for (const [i, path] of written.entries()) assert.deepEqual(parseRuleFile(await readFile(path, 'utf8'), path), original[i]!.groups);
  });

  it('divides the ranges of the SLO rules only, keeping their names, when sloWindowDivisor is given', async () => {
    const out = await mkdtemp(join(tmpdir(), 'rules-overlay-'));
    dirs.push(out);
    assert.equal(scaleRanges('rate(x[5m]) / rate(x[1h]) + avg_over_time(y[30d]) + rate(z[30s])', 60), 'rate(x[5s]) / rate(x[60s]) + avg_over_time(y[43200s]) + rate(z[1s])');
    const written = await writeTestOverlay(out, { sloWindowDivisor: 60 });
    const original = await loadRuleFiles();
    for (const [i, path] of written.entries()) {
      const overlay = parseRuleFile(await readFile(path, 'utf8'), path);
      const source = original[i]!;
      if (source.name !== 'slo.rules.yml') {
        assert.deepEqual(overlay, source.groups);
        continue;
      }
      const rules = overlay.flatMap((g) => g.rules);
      const sourceRules = source.groups.flatMap((g) => g.rules);
      assert.deepEqual(rules.map((r) => ('record' in r ? r.record : r.alert)), sourceRules.map((r) => ('record' in r ? r.record : r.alert)));
      assert.ok(rules.some((r) => r.expr.includes('[5s]')), 'the 5m window became 5 s');
      assert.ok(rules.every((r) => !/\[\d+[mhdw]\]/.test(r.expr)), 'no range left in minutes or more');
    }
    await assert.rejects(writeTestOverlay(out, { sloWindowDivisor: 0 }), /sloWindowDivisor must be at least 1/);
  });

  it('refuses an override that is not a duration', async () => {
    await assert.rejects(writeTestOverlay(join(tmpdir(), 'never-written'), { forOverride: 'fast' }), /forOverride: "fast" is not a Prometheus duration/);
  });
});
