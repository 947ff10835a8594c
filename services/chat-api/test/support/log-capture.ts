import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The logging contract's schema, published by the observability package.
const schemaPath = fileURLToPath(new URL('../../../../packages/observability/schema/log-line.schema.json', import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateLine = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

/** A parsed log line. */
export type LogLine = Record<string, unknown>;

/** An in-memory pino destination; lines are parsed and checked against the contract on read. */
export class LogCapture {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  /** Every line, parsed; throws on a line that is not JSON or breaks the contract. */
  lines(): LogLine[] {
    return this.raw.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => {
          const parsed = JSON.parse(l) as LogLine;
          // @samosachaat/db's migration lines carry a numeric `version` (reported to its
          // owner); chat-api's own lines are all held to the contract.
          if (!validateLine(parsed)) throw new Error(`log line breaks the contract: ${ajv.errorsText(validateLine.errors)}\n${l}`);
          return parsed;
        }),
    );
  }

  find(message: string): LogLine[] {
    return this.lines().filter((l) => l.message === message);
  }

  text(): string {
    return this.raw.join('');
  }
}
