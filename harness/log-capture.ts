// Captures every JSON log line a logger writes, to assert on content — including that no secret appears.
import { Writable } from 'node:stream';
import { createLogger, type LevelWithSilent, type Logger } from '../src/common/logger.js';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: string[];
  text(): string;
}

export function captureLogs(level: LevelWithSilent = 'trace'): CapturedLogs {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback): void {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      callback();
    },
  });
  return { logger: createLogger({ level, name: 'test', destination }), lines, text: () => lines.join('\n') };
}
