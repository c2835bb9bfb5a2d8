/** Progress text of a training run: a one-line bar for terminals, plain lines for logs and pipes. */
import { formatDuration } from './metrics.js';
import type { StepRecord } from './trainer.js';

function formatLoss(loss: number): string {
  return loss.toFixed(4);
}

function formatRate(tokensPerSecond: number): string {
  return tokensPerSecond >= 100 ? String(Math.round(tokensPerSecond)) : tokensPerSecond.toPrecision(3);
}

/**
 * "step 12/300 [#####.....] loss 3.2140 · 1234 tok/s · ETA 1m23s", shorter than `columns` (a line
 * that fills the terminal's last column wraps on some terminals, and `\r` then redraws the wrong line).
 */
export function progressBarLine(r: StepRecord, total: number, columns: number): string {
  const eta = r.etaSeconds === undefined ? '' : ` · ETA ${formatDuration(r.etaSeconds)}`;
  const val = r.valLoss === undefined ? '' : ` · val ${formatLoss(r.valLoss)}`;
  const head = `step ${r.step}/${total} `;
  const tail = ` loss ${formatLoss(r.loss)}${val} · ${formatRate(r.tokensPerSecond)} tok/s${eta}`;
  const barWidth = Math.min(30, columns - 1 - head.length - tail.length - 2);
  if (barWidth < 5) return `${head}${tail}`.slice(0, Math.max(0, columns - 1));
  const filled = Math.round((barWidth * Math.min(r.step, total)) / total);
  return `${head}[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`;
}

/** "step 12/300  loss 3.2140  val 3.1000  lr 1.50e-3  grad norm 0.831  1234 tok/s  elapsed 12s  ETA 1m23s". */
export function progressPlainLine(r: StepRecord, total: number): string {
  const parts = [
    `step ${r.step}/${total}`,
    `loss ${formatLoss(r.loss)}`,
    ...(r.valLoss === undefined ? [] : [`val ${formatLoss(r.valLoss)}`]),
    `lr ${r.lr.toExponential(2)}`,
    `grad norm ${r.gradNorm.toPrecision(3)}`,
    `${formatRate(r.tokensPerSecond)} tok/s`,
    `elapsed ${formatDuration(r.elapsedSeconds)}`,
    ...(r.etaSeconds === undefined ? [] : [`ETA ${formatDuration(r.etaSeconds)}`]),
  ];
  return parts.join('  ');
}
