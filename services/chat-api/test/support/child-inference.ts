import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GenerateCall, GenerateScript, InferenceControl } from './fake-inference.js';

const entry = fileURLToPath(new URL('./fake-inference-process.ts', import.meta.url));

/** The fake inference in a child process, with the same control surface plus `kill`. */
export interface ChildInference extends InferenceControl {
  child: ChildProcess;
  /** SIGKILL: the process dies at once, its sockets are reset mid-answer. */
  kill(): Promise<void>;
}

/** Starts the fake inference in its own Node process and waits for its port. */
export async function startChildInference(internalApiKey: string, timeoutMs = 15_000): Promise<ChildInference> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', entry], {
    env: { ...process.env, INTERNAL_API_KEY: internalApiKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`fake inference did not start in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fake inference exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    child,
    url,
    script: async (script: GenerateScript) => {
      const res = await fetch(`${url}/__control`, { method: 'POST', body: JSON.stringify(script) });
      if (!res.ok) throw new Error(`fake inference control answered ${res.status}`);
    },
    calls: async () => (await (await fetch(`${url}/__calls`)).json()) as GenerateCall[],
    bulkBytesSent: async () => ((await (await fetch(`${url}/__bulk`)).json()) as { sent: number }).sent,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}
