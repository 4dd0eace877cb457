// Time is a parameter of every decision, so rules about staleness and expiry are tested without sleeping.

export type Clock = () => Date;

export const systemClock: Clock = () => new Date();

export const DAY_MS = 86_400_000;

/** RFC 3339 in UTC with second precision, the form the original product wrote (`2024-05-01T12:00:00Z`). */
export function formatRfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`; // toISOString is always YYYY-MM-DDTHH:mm:ss.sssZ for years 0–9999
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time; anything else (including other Date.parse-able forms) is undefined. */
export function parseRfc3339(text: string | undefined): Date | undefined {
  if (text === undefined || !RFC3339.test(text.trim())) return undefined;
  const date = new Date(text.trim());
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS };

/** Parses durations such as `6h`, `90m`, `1h30m`, `45s` into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Human-readable duration such as `11h 59m` or `-2h 3m` (for tables and messages). */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const totalMinutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(totalMinutes / 1440);
  const hours = Math.floor((totalMinutes % 1440) / 60);
  const minutes = totalMinutes % 60;
  if (days > 0) return `${sign}${days}d ${hours}h`;
  if (hours > 0) return `${sign}${hours}h ${minutes}m`;
  return `${sign}${minutes}m`;
}
