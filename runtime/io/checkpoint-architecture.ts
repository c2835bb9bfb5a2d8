/**
 * What a checkpoint's names and shapes say about the model that wrote it (vocab, embedding width,
 * blocks, layer widths), so a file for another model gets "it looks like vocab 48, embed 64" rather
 * than a hundred mismatched names.
 */
import { EMBEDDING_NAME } from '../../compiler/params.js';

type Shapes = ReadonlyMap<string, readonly number[]>;

const BLOCK_NAME = /^xlstm_block_stack\.blocks\.(\d+)\.(.*)$/;

/** The first shape among the tensors whose name (after the block prefix) is `suffix`. */
function firstBlockShape(shapes: Shapes, suffix: string): readonly number[] | undefined {
  let best: { index: number; shape: readonly number[] } | undefined;
  for (const [name, shape] of shapes) {
    const m = BLOCK_NAME.exec(name);
    if (m === null || m[2] !== suffix) continue;
    const index = Number(m[1]);
    if (best === undefined || index < best.index) best = { index, shape };
  }
  return best?.shape;
}

/** Readable facts, in a fixed order; a fact the shapes do not determine is left out. */
function architecture(shapes: Shapes): Map<string, string> {
  const facts = new Map<string, string>();
  const embedding = shapes.get(EMBEDDING_NAME);
  if (embedding?.length === 2) {
    facts.set('vocab', String(embedding[0]));
    facts.set('embed', String(embedding[1]));
  }
  const blocks = new Set<number>();
  const slstm = new Set<number>();
  for (const name of shapes.keys()) {
    const m = BLOCK_NAME.exec(name);
    if (m === null) continue;
    blocks.add(Number(m[1]));
    if (m[2]!.startsWith('xlstm.slstm_cell.')) slstm.add(Number(m[1]));
  }
  if (blocks.size > 0) {
    facts.set('blocks', String(Math.max(...blocks) + 1));
    facts.set('sLSTM at', `[${[...slstm].sort((a, b) => a - b).join(',')}]`);
  }
  const projUp = firstBlockShape(shapes, 'xlstm.proj_up.weight');
  if (projUp?.length === 2) facts.set('mLSTM inner dim', String(projUp[0]! / 2));
  const igate = firstBlockShape(shapes, 'xlstm.mlstm_cell.igate.weight');
  if (igate !== undefined && igate.length > 0) facts.set('mLSTM heads', String(igate[0]));
  const kernel = firstBlockShape(shapes, 'xlstm.slstm_cell._recurrent_kernel_');
  if (kernel !== undefined && kernel.length > 0) facts.set('sLSTM heads', String(kernel[0]));
  return facts;
}

function render(facts: ReadonlyMap<string, string>, keys: readonly string[]): string {
  const fact = (k: string) => {
    const value = facts.get(k);
    if (k === 'blocks') return `${value} blocks`;
    return k === 'sLSTM at' && value === '[]' ? 'no sLSTM block' : `${k} ${value}`;
  };
  return keys.map(fact).join(', ');
}

/**
 * "the file looks like vocab 48, embed 64, 8 blocks where CharLm has vocab 32, embed 32, 4 blocks",
 * naming only the facts that both sides determine and that differ; undefined when none do.
 */
export function describeArchitectureDifference(fileShapes: Shapes, modelShapes: Shapes, modelName: string): string | undefined {
  const file = architecture(fileShapes);
  const model = architecture(modelShapes);
  const differing = [...model.keys()].filter((k) => file.has(k) && file.get(k) !== model.get(k));
  if (differing.length === 0) return undefined;
  return `the file looks like a model with ${render(file, differing)} where ${modelName} has ${render(model, differing)}`;
}
