// JSON logs via pino. Redaction is configured here once, as a second line of defence: call sites never pass
// request bodies, tokens or Secret data in the first place.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger, LevelWithSilent };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const REDACTED_PATHS = [
  'body',
  'req.body',
  'request.body',
  'data',
  '*.data',
  'password',
  '*.password',
  'auth',
  '*.auth',
  'token',
  '*.token',
  'authorizationToken',
  '*.authorizationToken',
  '*.dockerconfigjson',
  'headers.authorization',
  '*.headers.authorization',
];

export function createLogger(options: {
  readonly level: LevelWithSilent;
  readonly name: string;
  readonly destination?: DestinationStream;
}): Logger {
  return pino(
    {
      name: options.name,
      level: options.level,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export function isLogLevel(value: string): value is LevelWithSilent {
  return (LOG_LEVELS as readonly string[]).includes(value);
}
