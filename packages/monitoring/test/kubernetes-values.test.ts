// The Kubernetes Alertmanager configuration, checked by amtool itself (the rendering is tested in
// src/kubernetes-values.test.ts, in the fast tier; this one runs a binary).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { requireBinary } from '../../../test/support/binaries.js';
import { alertmanagerTemplatesDir } from '../src/alertmanager-config.js';
import { alertmanagerSlackSecret, renderKubernetesAlertmanagerConfig } from '../src/kubernetes-values.js';
import { scaled } from '../../../test/support/timeouts.js';

describe('renderKubernetesAlertmanagerConfig', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('is a configuration amtool accepts (with the mounts replaced by local paths)', async (t) => {
    const amtool = requireBinary(t, 'amtool', 'prometheus-alertmanager');
    if (!amtool) return;
    const dir = await mkdtemp(join(tmpdir(), 'k8s-alertmanager-'));
    dirs.push(dir);
    await writeFile(join(dir, 'slack-api-url'), 'https://hooks.slack.invalid/services/T/B/X\n');
    const text = renderKubernetesAlertmanagerConfig()
      .replace('/etc/alertmanager/config/*.tmpl', join(alertmanagerTemplatesDir, '*.tmpl'))
      .replace(`/etc/alertmanager/secrets/${alertmanagerSlackSecret}/slack-api-url`, join(dir, 'slack-api-url'));
    await writeFile(join(dir, 'alertmanager.yaml'), text);
    const result = spawnSync(amtool, ['check-config', join(dir, 'alertmanager.yaml')], { encoding: 'utf8', timeout: scaled(60_000) });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /2 receivers/);
  });
});
