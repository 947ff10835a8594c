import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configuredServicePorts, PortVariableError, portVariableProblems, servicePort, serviceTargets } from './service-ports.js';

describe('servicePort', () => {
  it('reads the *_PORT variable `start` binds, else the default', () => {
    assert.equal(servicePort({}, 'auth'), 8001);
    assert.equal(servicePort({ AUTH_PORT: ' 18001 ' }, 'auth'), 18001);
    assert.equal(servicePort({ WEB_PORT: '' }, 'web'), 3000);
    assert.throws(() => servicePort({ CHAT_API_PORT: '70000' }, 'chat-api'), (err: unknown) => err instanceof PortVariableError && err.message === 'CHAT_API_PORT must be a port number (1-65535), got "70000"');
    assert.deepEqual(portVariableProblems({ WEB_PORT: 'x', INFERENCE_PORT: '0', AUTH_PORT: '1' }).map((p) => p.variable), ['INFERENCE_PORT', 'WEB_PORT']);
  });
});

describe('serviceTargets', () => {
  it('finds a platform started with *_PORT variables where `start` put it, and *_URL wins', () => {
    const env = { AUTH_PORT: '18001', CHAT_API_PORT: '18002', INFERENCE_PORT: '18003', WEB_PORT: '13000', WEB_URL: 'http://example.test:80/' };
    assert.deepEqual(serviceTargets(env), [
      { name: 'auth', url: 'http://127.0.0.1:18001' },
      { name: 'chat-api', url: 'http://127.0.0.1:18002' },
      { name: 'inference', url: 'http://127.0.0.1:18003' },
      { name: 'web', url: 'http://example.test:80' },
    ]);
    assert.deepEqual(serviceTargets({}).map((t) => t.url), ['http://127.0.0.1:8001', 'http://127.0.0.1:8002', 'http://127.0.0.1:8003', 'http://127.0.0.1:3000']);
  });
});

describe('configuredServicePorts', () => {
  it('is the *_PORT of each service, else the port of a loopback *_URL, else the default; remote services have none here', () => {
    const env = { AUTH_PORT: '18001', CHAT_API_URL: 'http://localhost:18002', INFERENCE_URL: 'http://gpu-box.internal:8003', WEB_PORT: 'bad' };
    assert.deepEqual(
      configuredServicePorts(env).map((p) => [p.service, p.port, p.variable]),
      [
        ['auth', 18001, 'AUTH_PORT'],
        ['chat-api', 18002, 'CHAT_API_PORT'],
      ],
    );
    assert.deepEqual(configuredServicePorts({}).map((p) => [p.service, p.port]), [
      ['inference', 8003],
      ['auth', 8001],
      ['chat-api', 8002],
      ['web', 3000],
    ]);
  });
});
