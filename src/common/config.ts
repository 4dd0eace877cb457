// Shared pieces of configuration parsing: every setting is a flag, most also an environment variable, and a
// bad value stops the program with a message naming the setting.
import { EcrAnywhereError, ErrorCodes } from './errors.js';
import { isLogLevel, type LevelWithSilent } from './logger.js';
import { parseDuration } from './time.js';
import { DEFAULT_STALE_THRESHOLD_MS, MIN_TOKEN_LIFE_MS } from './token-life.js';

export type Env = Readonly<Record<string, string | undefined>>;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** An RFC 1123 label: a namespace or Service name, one part of a DNS name (lower case, digits, '-', at most 63). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An object name (a Secret's, a ServiceAccount's): an RFC 1123 subdomain, at most 253 characters. */
export function parseObjectName(value: string, setting: string): string {
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw configError(`${setting} "${value}" is not a valid object name (lower-case letters, digits, '-' and '.', at most 253)`);
  }
  return value;
}

export function configError(message: string): EcrAnywhereError {
  return new EcrAnywhereError(ErrorCodes.CONFIG, message);
}

/** The flag's value if given, else the environment variable's, else undefined. Empty strings count as unset. */
export function pick(flag: string | undefined, env: Env, envName: string | undefined): string | undefined {
  if (flag !== undefined && flag !== '') return flag;
  const fromEnv = envName ? env[envName] : undefined;
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

export function parsePort(value: string | undefined, setting: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw configError(`${setting} must be a port number (0-65535), got "${value}"`);
  return port;
}

export function parsePositiveInt(value: string | undefined, setting: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw configError(`${setting} must be a whole number ≥ 1, got "${value}"`);
  return number;
}

export function parseDurationSetting(value: string | undefined, setting: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) throw configError(`${setting} must be a duration such as 6h, 90m or 30s, got "${value}"`);
  return ms;
}

/** A boolean flag, else its environment variable (true/1/yes, false/0/no); anything else is refused. */
export function parseBooleanSetting(flag: boolean | undefined, env: Env, envName: string): boolean {
  if (flag) return true;
  const raw = pick(undefined, env, envName)?.trim().toLowerCase();
  if (raw === undefined || ['false', '0', 'no'].includes(raw)) return false;
  if (['true', '1', 'yes'].includes(raw)) return true;
  throw configError(`${envName} must be true or false, got "${raw}"`);
}

export function parseLogLevel(value: string | undefined): LevelWithSilent {
  const level = (value ?? 'info').toLowerCase();
  if (!isLogLevel(level)) throw configError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${value}"`);
  return level;
}

export function awsRegion(flag: string | undefined, env: Env): string {
  const region = pick(flag, env, 'AWS_REGION') ?? pick(undefined, env, 'AWS_DEFAULT_REGION');
  if (region === undefined) {
    throw configError('AWS_REGION is required: the region whose ECR registry is the default (e.g. us-east-1)');
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) throw configError(`AWS_REGION "${region}" is not an AWS region name`);
  return region;
}

/** REFRESH_THRESHOLD, read by the refresher (what is stale) and the webhook (which held token may stand in). */
export function parseThreshold(value: string | undefined): number {
  const thresholdMs = parseDurationSetting(value, 'REFRESH_THRESHOLD', DEFAULT_STALE_THRESHOLD_MS);
  // The webhook hands out tokens with at least this much life left: a larger threshold could never be verified.
  if (thresholdMs >= MIN_TOKEN_LIFE_MS) {
    throw configError(
      `REFRESH_THRESHOLD must stay below ${MIN_TOKEN_LIFE_MS / 3_600_000}h: ECR tokens live 12h and the webhook hands out tokens ` +
        `with at least 11h left, so a Secret refreshed against a larger threshold would still look stale; got "${value}"`,
    );
  }
  return thresholdMs;
}
