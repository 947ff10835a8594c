import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildDoctorRegistry, nearestExistingDir, type DoctorServices } from './doctor-registry.js';

/** Stand-ins for the services' `./config` and `./doctor` (this package may not import them). */
const services: DoctorServices = {
  configs: { auth: () => ({}), 'chat-api': () => ({}), inference: () => ({}) },
  auth: {
    PRIVATE_KEY_FILE: 'jwt-private.pem',
    PUBLIC_KEY_FILE: 'jwt-public.pem',
    jwtKeysDoctorCheck: () => ({ name: 'jwt-keys', description: 'the JWT key pair', run: () => ({ ok: true, detail: 'stand-in' }) }),
    loadJwtKeys: () => Promise.reject(new Error('not in these tests')),
    mintDevelopmentToken: () => Promise.reject(new Error('not in these tests')),
  },
};

describe('nearestExistingDir', () => {
  it('returns the path itself when it exists, else its closest existing ancestor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'samosachaat-nearest-'));
    try {
      assert.equal(nearestExistingDir(dir), dir);
      assert.equal(nearestExistingDir(join(dir, 'a', 'b', 'c')), dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('buildDoctorRegistry', () => {
  it('registers every check of SPEC §7 in a stable order', () => {
    assert.deepEqual(buildDoctorRegistry({}, process.cwd(), services).names(), [
      'configuration',
      'jwt-keys',
      'database',
      'services-ready',
      'model-loaded',
      'answer',
      'ports-free',
      'disk-space',
      'log-dir-writable',
      'metrics-valid',
      'trace-error-rate',
      'prometheus-targets',
    ]);
  });

  it('resolves a relative LOG_DIR against the given working directory', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'samosachaat-cwd-'));
    try {
      const [result] = await buildDoctorRegistry({ LOG_DIR: 'rel-logs' }, cwd, services).run({ only: ['log-dir-writable'] });
      assert.equal(result?.detail, `${join(cwd, 'rel-logs')} is writable`);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('without LOG_DIR, checks DATA_DIR/logs (where `npm start` writes) from the CLI, and nothing from a service', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'samosachaat-cwd-'));
    try {
      const [cli] = await buildDoctorRegistry({ DATA_DIR: 'data', LOG_DIR: ' ' }, cwd, services).run({ only: ['log-dir-writable'] });
      assert.deepEqual([cli?.status, cli?.detail], ['passed', `${join(cwd, 'data', 'logs')} is writable (DATA_DIR/logs, where \`npm start\` writes while LOG_DIR is unset)`]);
      const [service] = await buildDoctorRegistry({ DATA_DIR: 'data' }, cwd, services, { runner: 'service' }).run({ only: ['log-dir-writable'] });
      assert.deepEqual([service?.status, service?.ok], ['skipped', null]);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('reports a *_PORT that is not a port in the configuration check, and still builds every other check', async () => {
    const registry = buildDoctorRegistry({ AUTH_PORT: 'eighty', INTERNAL_API_KEY: 'k'.repeat(43) }, process.cwd(), services);
    const [configuration] = await registry.run({ only: ['configuration'] });
    assert.equal(configuration?.status, 'failed');
    assert.match(configuration?.detail ?? '', /^start: AUTH_PORT must be a port number \(1-65535\), got "eighty"$/m);
  });

  it('skips ports-free when every service runs on another host', async () => {
    const remote = { AUTH_URL: 'http://auth.internal:8001', CHAT_API_URL: 'http://chat.internal:8002', INFERENCE_URL: 'http://gpu.internal:8003', WEB_URL: 'https://chat.example.com' };
    const [ports] = await buildDoctorRegistry(remote, process.cwd(), services).run({ only: ['ports-free'] });
    assert.deepEqual([ports?.status, ports?.ok, ports?.detail], ['skipped', null, 'no service port to check on this machine']);
  });
});
