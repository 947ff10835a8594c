import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const schemaPath = fileURLToPath(new URL('../../schema/log-line.schema.json', import.meta.url));
const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateLine = ajv.compile(JSON.parse(readFileSync(schemaPath, 'utf8')));

/** A log line after parsing. */
export type LogLine = Record<string, unknown>;

/**
 * An in-memory pino destination that keeps every raw line, and parses and validates it
 * against the contract schema on read, failing loudly on the first bad line.
 */
export class LogCapture {
  readonly raw: string[] = [];

  write(chunk: string): void {
    this.raw.push(chunk);
  }

  /** Every line, parsed; throws if any line is not JSON or breaks the contract. */
  lines(): LogLine[] {
    return this.raw.flatMap((chunk) =>
      chunk
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => {
          let parsed: LogLine;
          try {
            parsed = JSON.parse(l) as LogLine;
          } catch {
            throw new Error(`log line is not JSON: ${l}`);
          }
          if (!validateLine(parsed)) throw new Error(`log line breaks the contract: ${ajv.errorsText(validateLine.errors)}\n${l}`);
          return parsed;
        }),
    );
  }

  /** Lines with a given message. */
  find(message: string): LogLine[] {
    return this.lines().filter((l) => l.message === message);
  }

  /** Everything written, as one string (for "never appears anywhere" checks). */
  text(): string {
    return this.raw.join('');
  }

  clear(): void {
    this.raw.length = 0;
  }
}

/** Validates one parsed line against the contract schema; returns the error text or null. */
export function contractErrors(line: unknown): string | null {
  return validateLine(line) ? null : ajv.errorsText(validateLine.errors);
}
