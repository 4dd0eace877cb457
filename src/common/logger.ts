// JSON logs via pino. Redaction is configured here once, as a second line of defence: call sites never pass
// request bodies, tokens or Secret data in the first place.
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger, LevelWithSilent };

export const LOG_LEVELS: readonly LevelWithSilent[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// Exact paths only: a wildcard path (`*.password`) makes pino walk every logged object and cost ~20 µs a line — on
// the admission path that was more than the whole credential injection. Call sites log flat objects of names,
// codes and outcomes; these keys are the ones a careless change would most likely add.
const REDACTED_PATHS = [
  'body',
  'data',
  'password',
  'auth',
  'token',
  'authorizationToken',
  'dockerconfigjson',
  'secretAccessKey',
  'req.body',
  'request.body',
  'request.object',
  'request.oldObject',
  'object.data',
  'oldObject.data',
  'secret.data',
  'headers.authorization',
  'req.headers.authorization',
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
