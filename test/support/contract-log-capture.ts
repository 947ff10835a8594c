import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const schemaPath = createRequire(import.meta.url).resolve('@samosachaat/observability/schema/log-line.schema.json');
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateLine = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

/** A parsed log line. */
export type LogLine = Record<string, unknown>;

/**
 * An in-memory log destination: keeps every raw chunk (for "never appears anywhere"
 * checks) and parses lines on read, failing on any line that breaks the logging contract.
 */
export class LogCapture {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  lines(): LogLine[] {
    return this.raw.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => {
          const parsed = JSON.parse(l) as LogLine;
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
