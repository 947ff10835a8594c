import type { Observability } from '@samosachaat/observability';
import { CHAT_ERRORS } from '../errors.js';
import type { ChatMetrics } from '../metrics.js';
import { describeNetworkError, failureReason } from '../upstream-errors.js';

/** A model inference serves, and the engine serving it. */
export interface CatalogModel {
  id: string;
  engine: string;
}

/** Where the catalog reads inference's models. */
export interface ModelCatalogOptions {
  obs: Observability;
  metrics: ChatMetrics;
  inferenceUrl: string;
  internalApiKey: string;
  /** How long a fetched list is trusted. Default 30 s. */
  ttlMs?: number;
}

const FETCH_TIMEOUT_MS = 2000;
const DEFAULT_TTL_MS = 30_000;
// The longest list quoted in an error message.
const LISTED_AT_MOST = 20;

/**
 * The models inference serves (its `GET /models`), kept for a short while, so a send naming a
 * `model` is checked before anything is stored: an unknown model is a 400 naming it and the
 * models there are, not a saved user message followed by a failure inside a 200 stream. Only
 * sends that name a model pay for it, and only once per TTL. A model missing from a cached
 * list is checked again against a fresh one (a model may have been added since). When
 * inference cannot list its models the send is let through: the stream then reports what
 * inference says, as before.
 */
export class ModelCatalog {
  private cached: { ids: string[]; models: CatalogModel[]; at: number } | undefined;
  private fetching: Promise<string[] | undefined> | undefined;
  private readonly ttlMs: number;

  constructor(private readonly options: ModelCatalogOptions) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  }

  /** Throws 400 CHAT_UNKNOWN_MODEL when inference does not serve `model`. */
  async assertKnown(model: string): Promise<void> {
    const fresh = this.cached !== undefined && performance.now() - this.cached.at < this.ttlMs;
    let ids = fresh ? this.cached?.ids : await this.refresh();
    if (ids?.includes(model)) return;
    if (fresh) ids = await this.refresh();
    if (ids === undefined || ids.includes(model)) return;
    const shown = ids.slice(0, LISTED_AT_MOST).join(', ') + (ids.length > LISTED_AT_MOST ? `, … (${ids.length} in all)` : '');
    throw CHAT_ERRORS.CHAT_UNKNOWN_MODEL({ message: `model "${model.slice(0, 100)}" is not available; available models: ${shown || '(none)'}` });
  }

  /** The models inference serves now (cached for the TTL); throws CHAT_INFERENCE_UNAVAILABLE when it cannot tell. */
  async list(): Promise<CatalogModel[]> {
    const fresh = this.cached !== undefined && performance.now() - this.cached.at < this.ttlMs;
    if (!fresh && (await this.refresh()) === undefined) throw CHAT_ERRORS.CHAT_INFERENCE_UNAVAILABLE({ retryAfterSeconds: 5 });
    return (this.cached as { models: CatalogModel[] }).models;
  }

  private refresh(): Promise<string[] | undefined> {
    this.fetching ??= this.fetchIds().finally(() => (this.fetching = undefined));
    return this.fetching;
  }

  private async fetchIds(): Promise<string[] | undefined> {
    const { obs, inferenceUrl, internalApiKey, metrics } = this.options;
    try {
      const res = await obs.fetch(
        `${inferenceUrl}/models`,
        { headers: { 'x-internal-api-key': internalApiKey }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) },
        { peerService: 'inference', spanName: 'GET /models' },
      );
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`inference answered HTTP ${res.status}`);
      }
      const body = (await res.json()) as { models?: Array<{ id?: unknown; engine?: unknown }> };
      const models = (body.models ?? []).flatMap((m) => (typeof m.id === 'string' ? [{ id: m.id, engine: typeof m.engine === 'string' ? m.engine : 'unknown' }] : []));
      const ids = models.map((m) => m.id);
      this.cached = { ids, models, at: performance.now() };
      return ids;
    } catch (err) {
      const reason = failureReason(err);
      metrics.upstreamErrors.inc({ upstream: 'inference', reason });
      obs.rateLimited('model-catalog').warning('model_list_unavailable', { upstream: 'inference', reason, error: describeNetworkError(err) });
      return undefined;
    }
  }
}
