import { randomUUID } from 'node:crypto';
import type { Database } from '@samosachaat/db';
import type { Observability } from '@samosachaat/observability';

/** How the instance lease runs. */
export interface InstanceLeaseOptions {
  db: Database;
  obs: Observability;
  /** How long a lease lives without a heartbeat (the heartbeat runs every third of it). */
  leaseMs: number;
  /** This instance's answers in flight (see AnswerStream). */
  liveAnswers: ReadonlySet<string>;
  /** Told how many answers a sweep marked. */
  onMarked?(count: number): void;
  /** This instance's id; default a random UUID per process. */
  instanceId?: string;
}

// Marks the streaming answers nobody is streaming any more: those whose instance's lease
// expired (by the database's clock, so instances' clocks do not matter; each instance sets its
// own expiry, so different lease settings side by side are safe), and this instance's own ($2) that are not in flight here ($3) and older than a lease
// (an answer whose save was given up on). Their parts are joined into the text, in order; an
// answer with text is 'incomplete', one without is 'error'. A row another sweep holds is
// skipped, not waited for.
const SWEEP_SQL = `WITH dead AS (
    SELECT m.id FROM messages m
     WHERE m.status = 'streaming'
       AND (NOT EXISTS (SELECT 1 FROM chat_instances i WHERE i.id = m.owner_instance AND i.expires_at > now())
            OR (m.owner_instance = $2 AND NOT (m.id = ANY($3::uuid[])) AND m.created_at < now() - make_interval(secs => $1::double precision / 1000)))
     FOR UPDATE OF m SKIP LOCKED
  ), joined AS (
    SELECT d.id, m.content || COALESCE((SELECT string_agg(p.content, '' ORDER BY p.part) FROM message_parts p WHERE p.message_id = d.id), '') AS text, m.owner_instance
      FROM dead d JOIN messages m ON m.id = d.id
  ), marked AS (
    UPDATE messages m SET content = joined.text,
           status = CASE WHEN joined.text <> '' THEN 'incomplete' ELSE 'error' END,
           failure_code = CASE WHEN joined.owner_instance = $2 THEN 'answer_not_saved' ELSE 'interrupted' END,
           failure_message = CASE WHEN joined.owner_instance = $2 THEN 'the answer could not be saved: the database was unavailable'
                                  ELSE 'the answer was interrupted: the chat-api instance streaming it stopped' END
      FROM joined WHERE m.id = joined.id RETURNING m.id
  ), parts AS (
    DELETE FROM message_parts p USING marked WHERE p.message_id = marked.id
  )
  SELECT count(*)::int AS marked FROM marked`;

// Leases not renewed for a day belong to instances long gone: their rows go.
const FORGET_SQL = `DELETE FROM chat_instances WHERE expires_at < now() - interval '1 day'`;

/**
 * One lease per chat-api instance: a row in chat_instances whose heartbeat this instance renews
 * every third of the lease. Liveness of every answer it streams is that one row (no write per
 * answer). On start and then every half lease, any instance sweeps the streaming answers whose
 * owner's lease expired and marks them interrupted, so several replicas and a rolling deploy
 * never mark a live answer, and a crashed instance's answers are marked within about 1.5 leases.
 * Each renewal also counts the other live instances (same statement), so an instance knows
 * whether it runs alone (README "Limits shared by replicas").
 */
export class InstanceLease {
  readonly id: string;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private readonly log;
  private others: number | null = null;
  private readonly listeners: Array<(otherInstances: number) => void> = [];

  constructor(private readonly options: InstanceLeaseOptions) {
    this.id = options.instanceId ?? randomUUID();
    this.log = options.obs.getLogger('answers');
  }

  /** Takes the lease, sweeps once, then keeps both going (timers do not hold the process). */
  async start(): Promise<void> {
    await this.renew();
    await this.sweep();
    this.heartbeat = setInterval(() => void this.renew().catch((err: unknown) => this.options.obs.rateLimited('lease-renew').warning('instance_lease_renew_failed', { err, instance_id: this.id })), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.sweeper = setInterval(() => void this.sweep().catch((err: unknown) => this.options.obs.rateLimited('lease-sweep').warning('answer_sweep_failed', { err, instance_id: this.id })), Math.max(200, Math.floor(this.options.leaseMs / 2)));
    this.heartbeat.unref();
    this.sweeper.unref();
  }

  /**
   * Renews this instance's lease and, in the same statement, counts the other instances whose
   * lease is live (the count's snapshot is the statement's: it never sees this renewal, hence
   * `id <> $1`). Listeners are told the count (the stream cap's solo fast path, stream-slots.ts).
   */
  async renew(): Promise<void> {
    const { rows } = await this.options.db.query<{ others: number }>(
      `WITH renewed AS (
         INSERT INTO chat_instances (id, expires_at) VALUES ($1, now() + make_interval(secs => $2::double precision / 1000))
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = now(), expires_at = EXCLUDED.expires_at
         RETURNING id
       )
       SELECT (SELECT count(*)::int FROM chat_instances WHERE id <> $1 AND expires_at > now()) AS others FROM renewed`,
      [this.id, this.options.leaseMs],
      { operation: 'instances.heartbeat' },
    );
    const others = rows[0]?.others ?? 0;
    this.others = others;
    for (const listener of this.listeners) listener(others);
  }

  /** Other instances with a live lease, as of the last renewal (null before the first). */
  get otherInstances(): number | null {
    return this.others;
  }

  /** Tells `listener` the number of other live instances after every renewal. */
  onRenewed(listener: (otherInstances: number) => void): void {
    this.listeners.push(listener);
  }

  /** Marks the answers nobody streams any more; returns how many. */
  async sweep(): Promise<number> {
    const { rows } = await this.options.db.query<{ marked: number }>(SWEEP_SQL, [this.options.leaseMs, this.id, [...this.options.liveAnswers]], { operation: 'messages.sweep_interrupted' });
    const marked = rows[0]?.marked ?? 0;
    if (marked > 0) {
      this.options.onMarked?.(marked);
      this.log.warning({ instance_id: this.id, answers: marked }, 'answers_marked_interrupted');
    }
    await this.options.db.query(FORGET_SQL, [], { operation: 'instances.forget' });
    return marked;
  }

  /** Stops renewing and gives the lease up (after this instance's answers ended). */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.sweeper);
    await this.options.db.query('DELETE FROM chat_instances WHERE id = $1', [this.id], { operation: 'instances.release' }).catch((err: unknown) => this.log.warning({ err, instance_id: this.id }, 'instance_lease_release_failed'));
  }
}
