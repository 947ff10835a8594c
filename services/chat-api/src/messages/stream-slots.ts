import { randomUUID } from 'node:crypto';
import { DatabaseUnavailableError, isDatabaseUnavailable, type Database } from '@samosachaat/db';
import type { Observability } from '@samosachaat/observability';
import { GroupCommit } from './group-commit.js';
import { StreamLimiter } from './stream-limiter.js';

// The per-user stream cap shared by every chat-api replica on one database (migration
// 0010_shared_limits, services/chat-api/README.md "Limits shared by replicas").

interface TakeRequest {
  userId: string;
  holder: string;
}

/** A stream this process holds: its row in stream_slots, or none (taken solo). */
interface Stream {
  userId: string;
  /** Its own id (a row's holder when it took one). */
  holder: string;
  releaseLocal(): void;
  /** The row it holds (its own, or one inherited from an ended stream of the same user). */
  row: { slot: number; holder: string } | null;
}

interface Taken {
  holder: string;
  /** The slot taken; null when none was. */
  slot: number | null;
  /** No slot was free (the user is at the cap); false with no slot: a race lost, worth a retry. */
  full: boolean;
}

// Takes lost to concurrent takes of the same user before giving up (each loss is another
// stream's win, so this bounds only a burst of one user's sends).
const MAX_TAKE_ATTEMPTS = 5;

// Takes, for the streams of the batch, the lowest slot numbers below the cap ($4) that no live
// instance holds (a user's k-th stream of the batch its k-th free number, so one user's sends
// share a batch too); a row of an instance whose lease expired is taken over. The primary key
// (user_id, slot) decides between concurrent takes (on this replica or another): the loser's
// conflict finds the winner's live row and takes nothing. Per stream: the slot taken, or none,
// and whether the statement's snapshot saw no number left for it (then the stream is refused;
// else it lost a race while numbers were free and tries again). One statement per batch.
const TAKE_SQL = `WITH input AS (
    SELECT i.user_id, i.holder, row_number() OVER (PARTITION BY i.user_id ORDER BY i.ord) AS k
      FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS i(user_id, holder, ord)
  ), users AS (
    SELECT user_id, count(*) AS wanted FROM input GROUP BY user_id
  ), free AS (
    SELECT users.user_id, f.n, row_number() OVER (PARTITION BY users.user_id ORDER BY f.n) AS k
      FROM users CROSS JOIN LATERAL (
        SELECT n FROM generate_series(0, $4::int - 1) AS n
         WHERE NOT EXISTS (SELECT 1 FROM stream_slots s JOIN chat_instances i ON i.id = s.instance_id AND i.expires_at > now()
                            WHERE s.user_id = users.user_id AND s.slot = n)
         ORDER BY n LIMIT users.wanted
      ) f
  ), choice AS (
    SELECT input.user_id, input.holder, free.n FROM input LEFT JOIN free ON free.user_id = input.user_id AND free.k = input.k
  ), taken AS (
    INSERT INTO stream_slots (user_id, slot, instance_id, holder)
    SELECT user_id, n, $3, holder FROM choice WHERE n IS NOT NULL
    ON CONFLICT (user_id, slot) DO UPDATE SET instance_id = EXCLUDED.instance_id, holder = EXCLUDED.holder, taken_at = now()
     WHERE NOT EXISTS (SELECT 1 FROM chat_instances i WHERE i.id = stream_slots.instance_id AND i.expires_at > now())
    RETURNING holder, slot
  )
  SELECT choice.holder::text AS holder, taken.slot, (choice.n IS NULL) AS full
    FROM choice LEFT JOIN taken ON taken.holder = choice.holder`;

const RELEASE_SQL = `DELETE FROM stream_slots s USING unnest($1::uuid[], $2::int[], $3::uuid[]) AS i(user_id, slot, holder)
  WHERE s.user_id = i.user_id AND s.slot = i.slot AND s.holder = i.holder`;

// Slots nobody holds any more: those of instances whose lease expired, and this instance's
// ($1) that no stream here holds ($2: a release that failed) and older than a lease ($3 ms,
// so a slot being taken right now is never mistaken for one).
const SWEEP_SQL = `DELETE FROM stream_slots s
  WHERE NOT EXISTS (SELECT 1 FROM chat_instances i WHERE i.id = s.instance_id AND i.expires_at > now())
     OR (s.instance_id = $1 AND NOT (s.holder = ANY($2::uuid[])) AND s.taken_at < now() - make_interval(secs => $3::double precision / 1000))`;

/** How {@link StreamSlots} runs. */
export interface StreamSlotsOptions {
  db: Database;
  obs: Observability;
  /** Streams per user at most, over every replica (MAX_STREAMS_PER_USER). */
  maxPerUser: number;
  /** This instance's lease id (answer-leases.ts): its slots live as long as its lease. */
  instanceId: string;
  /** The lease's length: a leaked slot of this instance is swept after it. */
  leaseMs: number;
}

/** A stream's slot; `release` is idempotent. */
export interface StreamSlot {
  release(): void;
}

/**
 * The per-user stream cap, held across the replicas sharing the database: every answer
 * streaming (chat UI or `/v1`) holds a numbered row in `stream_slots`, bound to its instance's
 * lease. This process's own count is checked first (no database call to refuse what this
 * replica alone already holds); then one insert, grouped with the other sends of the moment
 * (one statement per batch), takes a slot. A release is a grouped delete nobody waits for; one
 * that fails is swept (within about 1.5 leases); a crashed replica's slots come free when its
 * lease expires. With the database unreachable the replica falls back to its own count (logged,
 * rate-limited): the stream cap never turns a database outage into refusals of its own.
 */
export class StreamSlots {
  private readonly local: StreamLimiter;
  /** Holders of the slots this instance's streams hold. */
  private readonly held = new Set<string>();
  private readonly takes: GroupCommit<TakeRequest, Taken>;
  private readonly releases: GroupCommit<{ userId: string; slot: number; holder: string }, void>;
  private sweeper: NodeJS.Timeout | undefined;
  /** Another instance is live: takes go through the database (setOtherInstances). */
  private shared = true;
  /** Streams held here without a row, by holder. */
  private readonly unregistered = new Map<string, Stream>();
  private registering = false;
  private readonly log;

  constructor(private readonly options: StreamSlotsOptions) {
    this.local = new StreamLimiter(options.maxPerUser);
    this.log = options.obs.getLogger('stream-slots');
    const splitOnFailure = (err: unknown) => !(err instanceof DatabaseUnavailableError || isDatabaseUnavailable(err));
    this.takes = new GroupCommit<TakeRequest, Taken>({
      // One user's takes share a batch (each gets its own number): keyed by stream.
      key: (r) => r.holder,
      maxBatch: 100,
      maxInFlight: 2,
      splitOnFailure,
      run: async (items) => {
        const { rows } = await options.db.query<Taken>(TAKE_SQL, [items.map((i) => i.userId), items.map((i) => i.holder), options.instanceId, options.maxPerUser], { operation: 'stream_slots.take' });
        const byHolder = new Map(rows.map((r) => [r.holder, r]));
        return items.map((i) => byHolder.get(i.holder) ?? { holder: i.holder, slot: null, full: false });
      },
    });
    this.releases = new GroupCommit<{ userId: string; slot: number; holder: string }, void>({
      key: (r) => r.holder,
      maxBatch: 100,
      maxInFlight: 1,
      splitOnFailure,
      run: async (items) => {
        await options.db.query(RELEASE_SQL, [items.map((i) => i.userId), items.map((i) => i.slot), items.map((i) => i.holder)], { operation: 'stream_slots.release' });
        return items.map(() => undefined);
      },
    });
  }

  /** Sweeps now, then every half lease (the timer does not hold the process). */
  start(): void {
    this.sweeper = setInterval(
      () => void this.sweep().catch((err: unknown) => this.options.obs.rateLimited('stream-slots-sweep').warning('stream_slots_sweep_failed', { err })),
      Math.max(200, Math.floor(this.options.leaseMs / 2)),
    );
    this.sweeper.unref();
  }

  stop(): void {
    clearInterval(this.sweeper);
  }

  /** Deletes the slots nobody holds (dead instances', this instance's leaked ones); returns how many. */
  async sweep(): Promise<number> {
    const { rowCount } = await this.options.db.query(SWEEP_SQL, [this.options.instanceId, [...this.held], this.options.leaseMs], { operation: 'stream_slots.sweep' });
    return rowCount ?? 0;
  }

  /** Streams this process holds for `userId`. */
  count(userId: string): number {
    return this.local.count(userId);
  }

  /** Whether takes go through the database (another instance is live) or stay in memory. */
  get mode(): 'solo' | 'shared' {
    return this.shared ? 'shared' : 'solo';
  }

  /**
   * Told, at every lease renewal, how many other instances hold a live lease (answer-leases.ts).
   * None: solo, takes stay in memory. Some: shared; on the switch, the streams this process
   * holds without a row are registered first (one grouped insert), so the others count them.
   */
  setOtherInstances(others: number): void {
    const shared = others > 0;
    if (shared !== this.shared) {
      this.shared = shared;
      this.log.info({ mode: this.mode, other_instances: others }, 'stream_cap_mode');
    }
    if (this.shared && this.unregistered.size > 0) void this.register();
  }

  /**
   * Refuses at once (undefined) when this process alone holds the cap for `userId`; otherwise
   * a promise of the slot, undefined when the user's streams over every replica are at the cap.
   */
  tryAcquire(userId: string): Promise<StreamSlot | undefined> | undefined {
    const releaseLocal = this.local.tryAcquire(userId);
    if (!releaseLocal) return undefined;
    if (!this.shared) return Promise.resolve(this.unrowed({ userId, holder: randomUUID(), releaseLocal, row: null }));
    return this.acquireShared(userId, releaseLocal);
  }

  /** A stream holding no row (solo, or the database unreachable): registered on a switch to shared. */
  private unrowed(stream: Stream): StreamSlot {
    this.unregistered.set(stream.holder, stream);
    return { release: once(() => this.release(stream)) };
  }

  /**
   * Ends a stream. Its row (if it has one) goes, unless another stream of the same user here
   * holds none (it was taken solo and found the cap full when registered): that one inherits
   * the row, so the user's streams here stay counted by the other instances.
   */
  private release(stream: Stream): void {
    stream.releaseLocal();
    this.unregistered.delete(stream.holder);
    const row = stream.row;
    if (!row) return;
    stream.row = null;
    for (const heir of this.unregistered.values()) {
      if (heir.userId !== stream.userId) continue;
      this.unregistered.delete(heir.holder);
      heir.row = row;
      return;
    }
    this.held.delete(row.holder);
    this.releases.submit({ userId: stream.userId, slot: row.slot, holder: row.holder }).catch((err: unknown) => this.options.obs.rateLimited('stream-slots-release').warning('stream_slot_release_failed', { err, user_id: stream.userId }));
  }

  /**
   * Gives the streams held without a row their rows (one grouped insert; again for those that
   * lost a race). A user whose cap is full over the instances keeps their streams (a live
   * stream is never cut): those stay without a row, inherit one as the user's others end, and
   * the cap refuses new streams meanwhile. A failure is retried at the next renewal.
   */
  private async register(): Promise<void> {
    if (this.registering) return;
    this.registering = true;
    let pending = [...this.unregistered.values()];
    try {
      for (let attempt = 1; pending.length > 0 && attempt <= MAX_TAKE_ATTEMPTS; attempt++) {
        for (const s of pending) this.held.add(s.holder);
        const { rows } = await this.options.db.query<Taken>(TAKE_SQL, [pending.map((s) => s.userId), pending.map((s) => s.holder), this.options.instanceId, this.options.maxPerUser], { operation: 'stream_slots.register' });
        const byHolder = new Map(rows.map((r) => [r.holder, r]));
        const retry: Stream[] = [];
        for (const s of pending) {
          const taken = byHolder.get(s.holder);
          if (taken?.slot != null) {
            const row = { slot: taken.slot, holder: s.holder };
            if (this.unregistered.get(s.holder) === s) {
              this.unregistered.delete(s.holder);
              s.row = row;
            } else {
              // The stream ended (or inherited a row) while its row was being written.
              this.held.delete(s.holder);
              this.releases.submit({ userId: s.userId, ...row }).catch((err: unknown) => this.options.obs.rateLimited('stream-slots-release').warning('stream_slot_release_failed', { err, user_id: s.userId }));
            }
          } else {
            this.held.delete(s.holder);
            if (taken && !taken.full && this.unregistered.get(s.holder) === s) retry.push(s);
          }
        }
        pending = retry;
      }
    } catch (err) {
      // A row the failed statement may have written is swept (its holder is no longer held).
      for (const s of pending) this.held.delete(s.holder);
      this.options.obs.rateLimited('stream-slots-register').warning('stream_slots_register_failed', { err });
    } finally {
      this.registering = false;
    }
  }

  private async acquireShared(userId: string, releaseLocal: () => void): Promise<StreamSlot | undefined> {
    const holder = randomUUID();
    this.held.add(holder);
    let slot: number | null = null;
    try {
      for (let attempt = 1; slot === null && attempt <= MAX_TAKE_ATTEMPTS; attempt++) {
        const taken = await this.takes.submit({ userId, holder });
        slot = taken.slot;
        if (taken.full) break;
      }
    } catch (err) {
      this.options.obs.rateLimited('stream-slots-take').warning('stream_slot_unavailable', { err, user_id: userId });
      // The database is unreachable: this replica's own count holds alone. A row the failed
      // statement may still have written is swept (this instance no longer holds its holder).
      this.held.delete(holder);
      return this.unrowed({ userId, holder: randomUUID(), releaseLocal, row: null });
    }
    if (slot === null) {
      this.held.delete(holder);
      releaseLocal();
      return undefined;
    }
    const stream: Stream = { userId, holder, releaseLocal, row: { slot, holder } };
    return { release: once(() => this.release(stream)) };
  }
}

function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
