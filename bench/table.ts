import { OFFICIAL_FIGURES, OFFICIAL_PYTORCH_CPU, OFFICIAL_SOURCE, type OfficialFigure, type Range } from './official.js';
import type { BenchReport, KernelShares, ModelResult } from './results.js';

const whole = (n: number): string => Math.round(n).toLocaleString('en-US');
const fixed = (n: number, digits: number): string => n.toFixed(digits);
const ratio = (n: number): string => `${n.toFixed(2)}×`;
const range = (r: Range, f: (n: number) => string): string => `${f(r.low)}–${f(r.high)}`;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const count = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** Columns padded to their widest cell; the last column is left ragged. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ').trimEnd());
}

function configuration(r: ModelResult): string[] {
  const shape = r.batch !== undefined ? `${r.batch}×${r.seq_len}` : '–';
  const slstm = r.slstm_at.length > 0 ? `sLSTM at [${r.slstm_at.join(', ')}]` : 'no sLSTM';
  return [r.model, whole(r.params), shape, `${r.blocks} (${slstm})`, `vocab ${r.vocab}, embed ${r.embed}, context ${r.context}`];
}

/** One row per figure measured: [figure, value, detail]. */
function figureRows(r: ModelResult): string[][] {
  const rows: string[][] = [];
  if (r.forward_tokens_per_s !== undefined) {
    const shape = `B${r.forward_batch}×T${r.forward_seq_len}`;
    rows.push([`forward tokens/s (${shape}, fused)`, whole(r.forward_tokens_per_s), `${fixed(r.forward_ms!, 1)} ms/forward, ${count(r.forward_dispatches!)} dispatches, ${count(r.forward_submits!)} submit(s), ${mib(r.forward_device_bytes!)} device memory`]);
    rows.push([`forward tokens/s (${shape}, unfused)`, whole(r.forward_unfused_tokens_per_s!), `${count(r.forward_unfused_dispatches!)} dispatches; fused / unfused ${ratio(r.fused_over_unfused!)}`]);
  }
  if (r.generate_tokens_per_s !== undefined) {
    rows.push(['generation tokens/s (B1, GPU sampling)', whole(r.generate_tokens_per_s), `${fixed(r.generate_ms_per_token!, 2)} ms/token, ${count(r.generate_dispatches_per_token!)} dispatches/token, ${count(r.generate_submits_per_token!)} submit(s)/token, ${mib(r.generate_device_bytes!)}`]);
  }
  if (r.train_status !== undefined) {
    const shape = `B${r.train_batch}×T${r.train_seq_len}`;
    if (r.train_tokens_per_s === null || r.train_tokens_per_s === undefined) rows.push([`training tokens/s (${shape}, AdamW)`, 'not available', r.train_status]);
    else rows.push([`training tokens/s (${shape}, AdamW)`, whole(r.train_tokens_per_s), `${fixed(r.train_ms_per_step!, 1)} ms/step, ${count(r.train_dispatches_per_step!)} dispatches/step, ${count(r.train_submits_per_step!)} submit(s)/step, ${mib(r.train_device_bytes!)}`]);
  }
  if (r.reference_f64_forward_tokens_per_s !== undefined) {
    rows.push(['float64 reference forward tokens/s', fixed(r.reference_f64_forward_tokens_per_s, 1), `WebGPU fused / reference ${ratio(r.forward_over_reference!)}`]);
  }
  if (r.compile_ms !== undefined) {
    const warm = r.compile_warm_ms !== undefined ? `, ${whole(r.compile_warm_ms)} ms warm` : '';
    rows.push(['compile ms (check + plan + emit, no write)', whole(r.compile_ms), `first in process${warm}; ${r.compile_files} files`]);
  }
  return rows;
}

function officialRows(r: ModelResult): string[] {
  const ours: Record<OfficialFigure, number | null | undefined> = { train: r.train_tokens_per_s, forward: r.forward_tokens_per_s, generate: r.generate_tokens_per_s };
  const names: Record<OfficialFigure, string> = { train: 'training', forward: 'forward', generate: 'generation' };
  const rows = [['', 'ours tokens/s', 'official tokens/s (low–high)', 'ours / official (low–high)']];
  for (const f of OFFICIAL_FIGURES) {
    const ratioRange = r.vs_official?.ratio[f];
    const mine = ours[f];
    rows.push([names[f], mine === null || mine === undefined ? 'n/a' : whole(mine), range(OFFICIAL_PYTORCH_CPU[f], whole), ratioRange ? range(ratioRange, (n) => n.toFixed(2)) + '×' : 'n/a']);
  }
  return columns(rows);
}

function kernelRows(k: KernelShares): string[] {
  const rows = [['kernel', 'dispatches', 'ms', '% of forward']];
  for (const row of k.kernels) rows.push([row.kernel, String(row.dispatches), fixed(row.ms, 2), `${(row.share * 100).toFixed(1)}%`]);
  return columns(rows);
}

/** The report as text: configurations, figures per model, the official comparison and kernel shares. */
export function formatReport(report: BenchReport, context: { loadBefore?: string; loadAfter?: string } = {}): string {
  const out: string[] = [];
  out.push(`device: ${report.device.backend}, ${report.device.adapter}${report.device.features.length ? ` (features: ${report.device.features.join(', ')})` : ''}`);
  if (context.loadBefore !== undefined) out.push(`load average before: ${context.loadBefore}${context.loadAfter !== undefined ? `; after: ${context.loadAfter}` : ''}`);
  out.push(`timing: warm-up iterations first, then the median of the timed iterations, each timed around the whole step including its readback${report.quick ? ' (--quick: few iterations, rough figures)' : ''}`);
  const models = Object.entries(report.results);
  out.push('', ...columns([['key', 'model', 'params', 'B×T', 'blocks', 'dims'], ...models.map(([key, r]) => [key, ...configuration(r)])]));
  const figures = models.flatMap(([key, r]) => figureRows(r).map((row, i) => [i === 0 ? key : '', ...row]));
  if (figures.length > 0) out.push('', ...columns([['key', 'figure', 'value', 'detail'], ...figures]));
  for (const [key, r] of models) {
    if (r.vs_official !== undefined) {
      out.push('', `${key} against the official PyTorch CPU figures — ${OFFICIAL_SOURCE}:`, ...officialRows(r));
    }
    if (r.kernel_shares !== undefined) {
      const k = r.kernel_shares;
      out.push('', `${key} kernel time shares, fused forward B${k.batch}×T${k.seq_len} (${k.method}; ${k.repeats} repeat(s)):`, ...kernelRows(k));
      const forward = r.forward_ms !== undefined ? `; the whole forward in one submit: ${fixed(r.forward_ms, 1)} ms` : '';
      out.push(`sum of isolated times ${fixed(k.isolated_total_ms, 1)} ms, each including one submit's overhead (an empty submit: ${fixed(k.empty_submit_ms, 3)} ms)${forward}`);
    }
  }
  return out.join('\n');
}
