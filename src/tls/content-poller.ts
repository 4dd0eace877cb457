// Polls files for changed content and hands on each new usable version. Kubernetes swaps a mounted Secret or
// ConfigMap by renaming a symlinked directory, which file watchers miss; reading every few seconds catches every
// swap. Unchanged content (same fingerprint) is not judged again; unusable content (half-written, mismatched) is
// reported once and ignored until it becomes usable, so a swap never breaks what is being served.
import { errorMessage } from '../common/errors.js';

export interface ContentPollerOptions<Raw, Usable> {
  readonly pollMs: number;
  /** Reads the current content; rejects when it cannot be read. */
  readonly read: () => Promise<Raw>;
  readonly fingerprint: (raw: Raw) => string;
  /** The usable form of the content; throws an Error saying why it cannot be used. */
  readonly use: (raw: Raw) => Usable;
  readonly onChange: (value: Usable) => void;
  /** Called once per run of unreadable or unusable polls. */
  readonly onUnusable: (reason: string) => void;
}

export type PollResult = 'unchanged' | 'invalid' | 'reloaded';

export class ContentPoller<Raw, Usable> {
  private timer: NodeJS.Timeout | undefined;
  private current = '';
  private warned = false;

  constructor(private readonly options: ContentPollerOptions<Raw, Usable>) {}

  /** Reads and judges the content once; rejects (with the reader's or judge's error) when it is not usable. */
  async first(): Promise<Usable> {
    const raw = await this.options.read();
    const value = this.options.use(raw);
    this.current = this.options.fingerprint(raw);
    return value;
  }

  start(): void {
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One poll: start() runs it every pollMs. */
  async check(): Promise<PollResult> {
    let value: Usable;
    let print: string;
    try {
      const raw = await this.options.read();
      print = this.options.fingerprint(raw);
      if (print === this.current) {
        this.warned = false;
        return 'unchanged';
      }
      value = this.options.use(raw);
    } catch (error) {
      if (!this.warned) this.options.onUnusable(errorMessage(error));
      this.warned = true;
      return 'invalid';
    }
    this.warned = false;
    this.current = print;
    this.options.onChange(value);
    return 'reloaded';
  }
}
