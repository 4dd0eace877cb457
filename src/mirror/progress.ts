// What a mirror run tells its user while it works: on a terminal, a status line redrawn in place (charts, images,
// bytes) with one line per finished artefact above it; elsewhere (CI, a pipe) one JSON log line per artefact.
import type { Logger } from '../common/logger.js';

export type ArtefactKind = 'chart' | 'image';
export type ArtefactOutcome = 'copied' | 'unchanged' | 'would-copy' | 'failed';

export interface ArtefactEvent {
  readonly kind: ArtefactKind;
  readonly outcome: ArtefactOutcome;
  readonly source: string;
  readonly target: string | undefined;
  readonly digest?: string | undefined;
  readonly bytesMoved?: number;
  readonly blobsCopied?: number;
  readonly blobsMounted?: number;
  readonly blobsPresent?: number;
  readonly code?: string;
  readonly error?: string;
}

export interface ProgressState {
  chartsTotal: number;
  chartsDone: number;
  imagesTotal: number;
  imagesDone: number;
  failures: number;
  bytesMoved: number;
}

export interface Progress {
  /** More artefacts became known (a chart's images are known only once it has rendered). */
  expect(kind: ArtefactKind, count: number): void;
  bytes(count: number): void;
  artefact(event: ArtefactEvent): void;
  /** Closes the display; the summary line is the caller's. */
  close(): void;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function statusLine(state: ProgressState): string {
  const failed = state.failures > 0 ? `  ${state.failures} failed` : '';
  return `charts ${state.chartsDone}/${state.chartsTotal}  images ${state.imagesDone}/${state.imagesTotal}  ${formatBytes(state.bytesMoved)} moved${failed}`;
}

const VERB: Record<ArtefactOutcome, string> = { copied: 'copied', unchanged: 'already in ECR', 'would-copy': 'would copy', failed: 'FAILED' };

export function artefactLine(event: ArtefactEvent): string {
  if (event.outcome === 'failed') return `${event.kind} ${event.source}: FAILED ${event.code ?? ''} ${event.error ?? ''}`.trimEnd();
  const moved = event.outcome === 'unchanged' ? '' : ` (${formatBytes(event.bytesMoved ?? 0)})`;
  return `${event.kind} ${event.source} → ${event.target ?? ''}: ${VERB[event.outcome]}${moved}`;
}

function newState(): ProgressState {
  return { chartsTotal: 0, chartsDone: 0, imagesTotal: 0, imagesDone: 0, failures: 0, bytesMoved: 0 };
}

function count(state: ProgressState, event: ArtefactEvent): void {
  if (event.kind === 'chart') state.chartsDone += 1;
  else state.imagesDone += 1;
  if (event.outcome === 'failed') state.failures += 1;
}

/** A status line redrawn at most ten times a second, finished artefacts printed above it. */
export class TerminalProgress implements Progress {
  private readonly state = newState();
  private lastDraw = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  expect(kind: ArtefactKind, total: number): void {
    if (kind === 'chart') this.state.chartsTotal += total;
    else this.state.imagesTotal += total;
    this.draw(true);
  }

  bytes(total: number): void {
    this.state.bytesMoved += total;
    this.draw(false);
  }

  artefact(event: ArtefactEvent): void {
    count(this.state, event);
    this.out.write(`\r\x1b[2K${artefactLine(event)}\n`);
    this.draw(true);
  }

  close(): void {
    this.draw(true);
    this.out.write('\n');
  }

  private draw(now: boolean): void {
    const time = Date.now();
    if (!now && time - this.lastDraw < 100) return;
    this.lastDraw = time;
    this.out.write(`\r\x1b[2K${statusLine(this.state)}`);
  }
}

/** One JSON log line per artefact, with its outcome and byte counts. */
export class LogProgress implements Progress {
  constructor(private readonly logger: Logger) {}

  expect(): void {}

  bytes(): void {}

  artefact(event: ArtefactEvent): void {
    const { error, ...fields } = event;
    if (event.outcome === 'failed') this.logger.error({ ...fields, error }, artefactLine(event));
    else this.logger.info(fields, artefactLine(event));
  }

  close(): void {}
}
