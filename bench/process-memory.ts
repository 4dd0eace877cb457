// Resident memory of a process from /proc: now (VmRSS) and the high-water mark since it started (VmHWM).
import { readFileSync } from 'node:fs';

export interface ProcessMemory {
  readonly rssMiB: number;
  readonly peakMiB: number;
}

/** undefined where /proc is not available. */
export function processMemory(pid: number): ProcessMemory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}
