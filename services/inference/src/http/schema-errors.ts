import type { FastifySchemaValidationError } from 'fastify';
import { invalidRequest } from '../generation/generation-params.js';

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  null: 'null',
};

/** `/messages/3/content` → `messages[3].content`. */
export function fieldName(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((out, part) => (/^\d+$/.test(part) ? `${out}[${part}]` : out ? `${out}.${part}` : part), '');
}

/**
 * Fastify's `schemaErrorFormatter`: turns the first schema error into a 400
 * INFERENCE_INVALID_REQUEST whose message names the field (`messages[0].role must be one of
 * system, user, assistant`) instead of ajv's `body/messages/0/role must be equal to …`.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (!e) return invalidRequest(`the request ${dataVar} is invalid`);
  const field = fieldName(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    const missing = String(params.missingProperty);
    const name = field ? `${field}.${missing}` : missing;
    return invalidRequest(`${name} is required`, name);
  }
  const subject = field || `the request ${dataVar}`;
  if (e.keyword === 'type') {
    const types = String(params.type).split(',');
    return invalidRequest(`${subject} must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`, field || undefined);
  }
  if (e.keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[] | undefined)?.map(String).join(', ');
    return invalidRequest(`${subject} must be one of ${allowed}`, field || undefined);
  }
  return invalidRequest(`${subject} ${e.message ?? 'is invalid'}`, field || undefined);
}
