import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { ephemeralRangeStart, freeLoopbackPort, tryBindLoopback } from '../src/free-port.js';

describe('ephemeralRangeStart', () => {
  it('reads the first port of ip_local_port_range', () => {
    assert.equal(ephemeralRangeStart(() => '32768\t60999\n'), 32768);
    assert.equal(ephemeralRangeStart(() => '1024 65535'), 1024);
  });

  it('falls back to the IANA dynamic range when the file is missing or garbled', () => {
    assert.equal(
      ephemeralRangeStart(() => {
        throw new Error('ENOENT');
      }),
      49152,
    );
    assert.equal(ephemeralRangeStart(() => 'nonsense'), 49152);
    assert.equal(ephemeralRangeStart(() => '70000 80000'), 49152);
  });
});

describe('freeLoopbackPort', () => {
  it('hands out distinct ports below the ephemeral range that can be bound', async () => {
    const ports = [];
    for (let i = 0; i < 20; i++) ports.push(await freeLoopbackPort(32768));
    assert.equal(new Set(ports).size, ports.length);
    for (const port of ports) {
      assert.ok(port >= 20000 && port < 32768, `port ${port} is below the ephemeral range`);
      assert.equal(await tryBindLoopback(port), port);
    }
  });

  it('lets the kernel choose when the ephemeral range leaves no room below it', async () => {
    const port = await freeLoopbackPort(20500);
    assert.ok(port > 0);
    assert.equal(await tryBindLoopback(port), port);
  });

  it('tryBindLoopback refuses a port something listens on', async () => {
    const held = createServer();
    const port = await new Promise<number>((resolve) => held.listen({ port: 0, host: '127.0.0.1' }, () => resolve((held.address() as { port: number }).port)));
    try {
      assert.equal(await tryBindLoopback(port), undefined);
    } finally {
      await new Promise<void>((resolve) => held.close(() => resolve()));
    }
  });
});
