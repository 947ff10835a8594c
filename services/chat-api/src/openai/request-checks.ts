import { invalidParam, unsupportedParam } from './openai-errors.js';

/** A JSON object body, or a 400. */
export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidParam('body', 'the request body must be a JSON object', 'invalid_request_error');
  return body as Record<string, unknown>;
}

/** Refuses any field outside `known`: OpenAI answers an unrecognised argument with a 400 too. */
export function refuseUnknown(body: Record<string, unknown>, known: ReadonlySet<string>): void {
  for (const key of Object.keys(body)) {
    if (!known.has(key)) throw unsupportedParam(key, 'this API does not recognise it');
  }
}

/** `value` if it is absent (undefined or null), else checked to be a number in [min, max]. */
export function optionalNumber(body: Record<string, unknown>, name: string, min: number, max: number, integer = false): number | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidParam(name, `${name} must be a number, got ${JSON.stringify(value)}`, 'invalid_type');
  if (integer && !Number.isSafeInteger(value)) throw invalidParam(name, `${name} must be a whole number, got ${value}`);
  if (value < min || value > max) throw invalidParam(name, `${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** `value` if absent, else a boolean. */
export function optionalBoolean(body: Record<string, unknown>, name: string): boolean | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidParam(name, `${name} must be true or false, got ${JSON.stringify(value)}`, 'invalid_type');
  return value;
}

/** The model a request names: required, 1–200 characters. */
export function requiredModel(body: Record<string, unknown>): string {
  const model = body.model;
  if (typeof model !== 'string' || model.trim() === '' || model.length > 200) throw invalidParam('model', 'model is required: the id of a model GET /v1/models lists', model === undefined ? 'missing_required_parameter' : 'invalid_value');
  return model;
}

/** `stop`: a string or up to 4 strings, as OpenAI takes it. */
export function optionalStop(body: Record<string, unknown>): string[] | undefined {
  const stop = body.stop;
  if (stop === undefined || stop === null) return undefined;
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s === '')) throw invalidParam('stop', 'stop must be a string or an array of at most 4 non-empty strings');
  return list.length > 0 ? (list as string[]) : undefined;
}

/**
 * Parameters no samosaChaat engine honours, refused by name when set to anything but their
 * neutral value (README "Use the API": nothing is silently ignored).
 */
export function refuseUnhonoured(body: Record<string, unknown>, names: readonly string[]): void {
  for (const name of names) {
    const value = body[name];
    if (value === undefined || value === null || value === false || value === 0) continue;
    if (typeof value === 'object' && Object.keys(value as object).length === 0) continue;
    throw unsupportedParam(name, 'no samosaChaat engine can honour it');
  }
}
