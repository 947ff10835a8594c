import { configFromEnv as authConfig } from '@samosachaat/auth/config';
import * as authDoctor from '@samosachaat/auth/doctor';
import { configFromEnv as chatConfig } from '@samosachaat/chat-api/config';
import { configFromEnv as inferenceConfig } from '@samosachaat/inference/config';
import { buildDoctorRegistry, type DoctorServices } from '@samosachaat/platform/doctor-registry';
import type { CheckResult } from '@samosachaat/service-kit';

/** A row of the console's doctor table (`ok` is null for a skipped check: it did not run). */
export interface DoctorRow {
  name: string;
  status: CheckResult['status'];
  ok: boolean | null;
  skipped: boolean;
  detail: string;
  fix: string | null;
  duration_ms: number;
}

/** The services as the doctor sees them, through their light subpaths: web's app loads no other service. */
const SERVICES: DoctorServices<authDoctor.JwtKeys> = { configs: { auth: authConfig, 'chat-api': chatConfig, inference: inferenceConfig }, auth: authDoctor };

/** Runs the doctor; injectable so tests need not probe a whole platform. */
export type DoctorRunner = () => Promise<CheckResult[]>;

/**
 * The platform doctor (`samosachaat doctor`'s checks) run in this process, with the web
 * service's environment, each check bounded by `timeoutMs`. Runs never overlap: a second
 * caller while one is in progress shares its result.
 */
export function platformDoctor(env: Readonly<Record<string, string | undefined>>, cwd: string, timeoutMs: number): DoctorRunner {
  let running: Promise<CheckResult[]> | undefined;
  return () => {
    // A service's own LOG_DIR says whether it writes files: no DATA_DIR/logs default here.
    running ??= buildDoctorRegistry(env, cwd, SERVICES, { runner: 'service' })
      .run({ timeoutMs })
      .finally(() => (running = undefined));
    return running;
  };
}

/** The rows as the console shows them. */
export function doctorRows(results: readonly CheckResult[]): DoctorRow[] {
  return results.map((r) => ({ name: r.name, status: r.status, ok: r.ok, skipped: r.skipped, detail: r.detail, fix: r.fix, duration_ms: r.duration_ms }));
}
