#!/usr/bin/env node
// Launcher for the `samosachaat` command. A built package runs dist/main.js in-process; a
// source checkout (no dist yet) runs src/main.ts through tsx in a child process, because
// tsx's loader has to be registered before the TypeScript entry is loaded.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const dist = new URL('../dist/main.js', import.meta.url);

if (existsSync(fileURLToPath(dist))) {
  const { main, finish } = await import(dist.href);
  finish(await main(args));
} else {
  const source = fileURLToPath(new URL('../src/main.ts', import.meta.url));
  // Resolved from this file, not the working directory, so the command works from anywhere.
  const tsx = import.meta.resolve('tsx');
  const child = spawn(process.execPath, ['--conditions=source', '--import', tsx, source, ...args], { stdio: 'inherit' });
  // Ctrl-C already reaches the child through the terminal's process group; staying alive
  // lets us report its real exit status. Signals sent to us alone are passed on.
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    process.stderr.write(`samosachaat: cannot start ${process.execPath}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else {
      process.exitCode = code ?? 1;
    }
  });
}
