/** Throughput and time estimates of a training run, from the recent steps (the first ones pay for warm-up). */

export class StepTimer {
  private readonly recent: { seconds: number; tokens: number }[] = [];

  constructor(private readonly window = 20) {}

  record(seconds: number, tokens: number): void {
    this.recent.push({ seconds, tokens });
    if (this.recent.length > this.window) this.recent.shift();
  }

  /** Tokens per second over the recent steps; 0 before the first. */
  tokensPerSecond(): number {
    const seconds = this.recent.reduce((s, r) => s + r.seconds, 0);
    return seconds > 0 ? this.recent.reduce((s, r) => s + r.tokens, 0) / seconds : 0;
  }

  /** Estimated seconds for `steps` more steps; undefined before the first. */
  eta(steps: number): number | undefined {
    if (this.recent.length === 0) return undefined;
    return (steps * this.recent.reduce((s, r) => s + r.seconds, 0)) / this.recent.length;
  }
}

/** "42s", "3m05s", "2h07m". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}
