/**
 * Grafana provisioning and configuration (deploy/grafana): the three datasources the
 * dashboards and log/trace links rely on, the dashboard provider, and OAuth-only sign-in
 * with every secret taken from the environment.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DASHBOARDS_DIR, dashboardPath } from '../src/dashboards/generator.js';
import { flattenPanels, panelQueries, type DashboardJson } from '../src/dashboards/inspect.js';
import { DATASOURCE_UIDS } from '../src/dashboards/variables.js';
import { repoRoot } from '../src/repo.js';

interface Datasource { name: string; uid: string; type: string; url: string; isDefault?: boolean; jsonData?: Record<string, unknown> }

async function datasources(): Promise<Datasource[]> {
  const dir = join(repoRoot, 'deploy/grafana/provisioning/datasources');
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'));
  const all: Datasource[] = [];
  for (const file of files) all.push(...((parse(await readFile(join(dir, file), 'utf8')) as { datasources?: Datasource[] }).datasources ?? []));
  return all;
}

/** A minimal INI reader: section → key → value (`;`/`#` comments, no continuation lines). */
function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  sections.set('', current);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      current = sections.get(section[1] ?? '') ?? new Map();
      sections.set(section[1] ?? '', current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not an INI line: ${line}`);
    current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

describe('Grafana datasources', () => {
  it('provisions Prometheus, Loki and Tempo with the fixed uids', async () => {
    const all = await datasources();
    const byUid = new Map(all.map((d) => [d.uid, d]));
    assert.equal(all.length, 3);
    assert.equal(byUid.get('prometheus')?.type, 'prometheus');
    assert.equal(byUid.get('loki')?.type, 'loki');
    assert.equal(byUid.get('tempo')?.type, 'tempo');
    assert.deepEqual(Object.values(DATASOURCE_UIDS).sort(), [...byUid.keys()].sort(), 'the dashboard code knows the same uids');
    assert.equal(all.filter((d) => d.isDefault).map((d) => d.uid).join(), 'prometheus', 'Prometheus is the one default');
    for (const d of all) assert.match(d.url, /^https?:\/\/[\w.-]+:\d+$/, `${d.name} url`);
  });

  it('links Loki trace ids to Tempo and Tempo spans back to Loki and Prometheus', async () => {
    const byUid = new Map((await datasources()).map((d) => [d.uid, d]));
    const derived = (byUid.get('loki')?.jsonData?.derivedFields ?? []) as Array<Record<string, string>>;
    const traceLink = derived.find((f) => f.name === 'trace_id');
    assert.equal(traceLink?.datasourceUid, 'tempo');
    // trace_id is structured metadata, matched by name ("label"), not a regex over the line.
    assert.equal(traceLink?.matcherType, 'label');
    assert.equal(traceLink?.url, '$${__value.raw}', '$$ keeps Grafana from expanding it as an environment variable');
    const tempo = byUid.get('tempo')?.jsonData as { tracesToLogsV2?: { datasourceUid: string; query: string }; tracesToMetrics?: { datasourceUid: string } };
    assert.equal(tempo.tracesToLogsV2?.datasourceUid, 'loki');
    assert.match(tempo.tracesToLogsV2?.query ?? '', /\| trace_id="\$\$\{__trace\.traceId\}"/);
    assert.equal(tempo.tracesToMetrics?.datasourceUid, 'prometheus');
  });

  it('every dashboard datasource reference resolves to a provisioned datasource or variable', async () => {
    const provisioned = new Map((await datasources()).map((d) => [d.uid, d.type]));
    for (const file of (await readdir(join(repoRoot, DASHBOARDS_DIR))).filter((f) => f.endsWith('.json'))) {
      const json = JSON.parse(await readFile(join(repoRoot, DASHBOARDS_DIR, file), 'utf8')) as DashboardJson;
      const variables = new Map((json.templating?.list ?? []).filter((v) => v.type === 'datasource').map((v) => [v.name, String(v.query)]));
      const resolve = (ref: { type?: string; uid?: string } | null | undefined, where: string): void => {
        const uid = ref?.uid ?? '';
        const variable = /^\$\{(\w+)\}$/.exec(uid)?.[1];
        const type = variable ? variables.get(variable) : provisioned.get(uid);
        assert.ok(type, `${file} ${where}: datasource ${uid} is neither a datasource variable nor provisioned`);
        assert.equal(type, ref?.type, `${file} ${where}: datasource ${uid} is a ${type}, the reference says ${ref?.type}`);
      };
      for (const panel of flattenPanels(json)) resolve(panel.datasource, `"${panel.title}"`);
      for (const q of panelQueries(json)) resolve({ type: q.datasourceType, uid: q.datasourceUid }, `"${q.panel}" ${q.refId}`);
      for (const v of json.templating?.list ?? []) if (v.type === 'query') resolve(v.datasource, `variable ${v.name}`);
      // The datasource variables default to the provisioned datasources.
      for (const v of (json.templating?.list ?? []).filter((x) => x.type === 'datasource')) {
        const current = (v as { current?: { value?: string } }).current?.value ?? '';
        assert.equal(provisioned.get(current), v.query, `${file} variable ${v.name} defaults to provisioned ${current}`);
      }
    }
  });
});

describe('Grafana dashboard provisioning', () => {
  it('loads the generated dashboards read-only from one folder', async () => {
    const file = parse(await readFile(join(repoRoot, 'deploy/grafana/provisioning/dashboards/samosachaat.yml'), 'utf8')) as {
      apiVersion: number; providers: Array<{ type: string; allowUiUpdates: boolean; options: { path: string } }>;
    };
    assert.equal(file.apiVersion, 1);
    assert.equal(file.providers.length, 1);
    assert.equal(file.providers[0]?.type, 'file');
    assert.equal(file.providers[0]?.allowUiUpdates, false, 'dashboards are code: UI edits are refused');
    const ini = parseIni(await readFile(join(repoRoot, 'deploy/grafana/grafana.ini'), 'utf8'));
    const home = ini.get('dashboards')?.get('default_home_dashboard_path') ?? '';
    assert.ok(home.startsWith(`${file.providers[0]?.options.path}/`), 'the home dashboard is one of the provisioned ones');
    const homeName = home.split('/').at(-1)?.replace(/\.json$/, '') ?? '';
    await readFile(join(repoRoot, dashboardPath(homeName)), 'utf8'); // throws when the home dashboard is not generated
  });
});

describe('grafana.ini', () => {
  it('signs in with GitHub or Google only: no login form, no basic auth, no anonymous access', async () => {
    const ini = parseIni(await readFile(join(repoRoot, 'deploy/grafana/grafana.ini'), 'utf8'));
    assert.equal(ini.get('auth')?.get('disable_login_form'), 'true');
    assert.equal(ini.get('auth.basic')?.get('enabled'), 'false');
    assert.equal(ini.get('auth.anonymous')?.get('enabled'), 'false');
    assert.equal(ini.get('security')?.get('disable_initial_admin_creation'), 'true', 'no admin/admin account');
    assert.equal(ini.get('users')?.get('allow_sign_up'), 'false', 'no local sign-up');
    assert.equal(ini.get('auth.github')?.get('enabled'), 'true');
    assert.equal(ini.get('auth.google')?.get('enabled'), 'true');
    for (const section of ['auth.generic_oauth', 'auth.gitlab', 'auth.azuread', 'auth.okta', 'auth.ldap', 'auth.proxy', 'auth.jwt']) {
      assert.notEqual(ini.get(section)?.get('enabled'), 'true', `${section} is not enabled`);
    }
  });

  it('takes client ids, secrets and allow-lists from the environment, never literally', async () => {
    const text = await readFile(join(repoRoot, 'deploy/grafana/grafana.ini'), 'utf8');
    const ini = parseIni(text);
    const env = /^\$__env\{[A-Z][A-Z0-9_]*\}$/;
    for (const [section, keys] of [['auth.github', ['client_id', 'client_secret', 'allowed_organizations']], ['auth.google', ['client_id', 'client_secret', 'allowed_domains']]] as const) {
      for (const key of keys) assert.match(ini.get(section)?.get(key) ?? '', env, `[${section}] ${key} comes from the environment`);
    }
    // Every variable the file reads is documented in its header.
    const settings = text.split('\n').filter((line) => !line.trim().startsWith(';')).join('\n');
    const used = [...settings.matchAll(/\$__env\{(\w+)\}/g)].map((m) => m[1] ?? '');
    assert.ok(used.length >= 6, `reads ${used.length} environment variables`);
    for (const name of used) assert.ok(text.includes(`;   ${name} `), `${name} is documented in grafana.ini's header`);
  });
});
