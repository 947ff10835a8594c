/**
 * A throw-away PostgreSQL cluster for fault-injection tests: its own data folder (initdb), a
 * free loopback port, run by a non-root user when the tests run as root. Tests may stop it
 * (`pg_ctl stop -m immediate`), start it again, or freeze every one of its processes
 * (SIGSTOP) — never the machine's shared server.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../../test/support/ports.js';

/** The newest installed PostgreSQL's bin folder, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** The uid/gid the cluster runs as: this user, or `postgres` (or `nobody`) when root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (r.status === 0 && g.status === 0) return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
  }
  throw new Error('running as root and no postgres or nobody user to run a PostgreSQL cluster as');
}

export class PgCluster {
  private frozen: number[] = [];

  private constructor(
    private readonly bin: string,
    readonly dir: string,
    readonly port: number,
    private readonly user: { uid: number; gid: number } | undefined,
  ) {}

  /** Why clusters cannot be started here, or undefined when they can. */
  static unavailable(): string | undefined {
    return postgresBinDir() === undefined ? 'no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin' : undefined;
  }

  /** Creates and starts a cluster (trust auth, user `postgres`, database `postgres`). */
  static async create(): Promise<PgCluster> {
    const bin = postgresBinDir();
    if (!bin) throw new Error(PgCluster.unavailable());
    const dir = mkdtempSync(join(tmpdir(), 'samosachaat-pg-'));
    const user = runAs();
    if (user) chownSync(dir, user.uid, user.gid);
    const cluster = new PgCluster(bin, dir, await freePort(), user);
    cluster.run('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C']);
    cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const r = spawnSync(join(this.bin, tool), args, { cwd: this.dir, encoding: 'utf8', timeout: 120_000, ...(this.user ?? {}) });
    if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout}`);
  }

  start(): void {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off -c max_connections=60`;
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start']);
  }

  /** `pg_ctl stop -m immediate`: every connection is cut, nothing is flushed politely. */
  stopImmediate(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'immediate', '-w', 'stop']);
  }

  private postmasterPid(): number {
    return Number(readFileSync(join(this.dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  }

  /** SIGSTOP to the postmaster and all its children: connections stay open, nothing answers. */
  freeze(): void {
    const root = this.postmasterPid();
    const pids = [root];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === root) pids.push(Number(entry));
      } catch {
        // gone meanwhile
      }
    }
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    this.frozen = pids;
  }

  thaw(): void {
    for (const pid of this.frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    this.frozen = [];
  }

  /** Stops the cluster (if running) and deletes its folder. */
  destroy(): void {
    this.thaw();
    try {
      this.stopImmediate();
    } catch {
      // not running
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
