/**
 * The main job (`npm start`): the user's whole journey on the shipped example, run through the
 * `xlstm` command line exactly as a user would type it, so the output shows what each command
 * prints. Check and explain examples/char-lm.xlstm, compile it into gen/, train it for about two
 * minutes (on a 2-core CPU through llvmpipe; on a GPU where there is one) on the public-domain
 * English in examples/data/english, then generate text from the trained checkpoint.
 *
 * The commands run as child processes rather than in-process so that each one starts from a clean
 * device, as it does for a user, and training gets a real terminal for its progress bar.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: this file runs as dist/examples/main-job.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/xlstm.js', import.meta.url));

const MODEL = 'examples/char-lm.xlstm';
const DATA = 'examples/data/english';
const RUN_DIR = 'runs/char-lm';
const CHECKPOINT = `${RUN_DIR}/char-lm.safetensors`;
const STEP_LOG = `${RUN_DIR}/log.jsonl`;
const PROMPTS = ['We the People', 'Congress shall have Power'];

function say(text: string): void {
  process.stdout.write(`\n${text}\n`);
}

/** Runs `xlstm <args>` in the repository root, showing the command first; stops the job if it fails. */
function xlstm(args: readonly string[]): void {
  say(`$ npx xlstm ${args.map((a) => (/^[\w./:=-]+$/.test(a) ? a : JSON.stringify(a))).join(' ')}`);
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: 'inherit' });
  if (run.error !== undefined) throw run.error;
  if (run.status !== 0) {
    process.stderr.write(`\nnpm start: \`xlstm ${args[0]}\` failed (exit ${run.status ?? run.signal}); stopping here\n`);
    process.exit(run.status ?? 1);
  }
}

/**
 * "5.55 (uniform guess) → 2.93 (step 10) → … → 2.08 (step 50)" from the step log: on a terminal the
 * progress bar shows each validation loss only until the next step, so the job sums them up.
 */
function validationLosses(): string {
  const entries = readFileSync(`${ROOT}/${STEP_LOG}`, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { step: number; valLoss?: number })
    .filter((e) => e.valLoss !== undefined);
  const uniform = `${Math.log(256).toFixed(2)} (uniform guess)`;
  return [uniform, ...entries.map((e) => `${e.valLoss!.toFixed(2)} (step ${e.step})`)].join(' → ');
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(0)} s`;
}

const started = performance.now();
say('1. Check the model and print everything the checker derived from it');
xlstm(['check', MODEL, '--explain']);

say('2. Compile it into a typed TypeScript module and its WGSL kernels');
xlstm(['compile', MODEL, '-o', 'gen/']);

say(`3. Train it on ${DATA} (about two minutes on a 2-core CPU; the settings are the train section of ${MODEL})`);
mkdirSync(`${ROOT}/${RUN_DIR}`, { recursive: true });
const training = performance.now();
xlstm(['train', MODEL, '--data', DATA, '--out', CHECKPOINT, '--eval-every', '10', '--log', STEP_LOG]);
const trainTime = seconds(training);
say(`Validation loss in nats per byte: ${validationLosses()}`);

say('4. Generate text from the trained checkpoint');
for (const [i, prompt] of PROMPTS.entries()) {
  xlstm(['generate', MODEL, '--weights', CHECKPOINT, '--prompt', prompt, '-n', '200', '--temperature', '0.5', '--seed', String(i + 1)]);
  process.stdout.write('\n');
}

say(`Done in ${seconds(started)} (training ${trainTime}).`);
say(
  [
    `  module       gen/char-lm.ts (kernels in gen/char-lm/)`,
    `  checkpoint   ${CHECKPOINT} (the official state_dict; load it in PyTorch, see README.md)`,
    `  loss curve   ${RUN_DIR}/char-lm.loss.svg`,
    `  step log     ${STEP_LOG}`,
  ].join('\n'),
);
