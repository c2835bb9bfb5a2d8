/** The JSON-lines step log (`--log run.jsonl`): one object per step, written as it happens. */
import { closeSync, openSync, writeSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { StepRecord } from './trainer.js';

export class StepLog {
  private constructor(private readonly fd: number) {}

  /** Starts a new log, or appends to an existing one (a resumed run continues its log). */
  static open(path: string, append: boolean): StepLog {
    try {
      return new StepLog(openSync(path, append ? 'a' : 'w'));
    } catch (e) {
      throw new UserError(`${path}: cannot write the log (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
  }

  write(r: StepRecord): void {
    const line = {
      step: r.step,
      loss: r.loss,
      lr: r.lr,
      gradNorm: r.gradNorm,
      tokensPerSecond: r.tokensPerSecond,
      elapsedSeconds: r.elapsedSeconds,
      ...(r.valLoss === undefined ? {} : { valLoss: r.valLoss }),
    };
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
  }

  close(): void {
    closeSync(this.fd);
  }
}
