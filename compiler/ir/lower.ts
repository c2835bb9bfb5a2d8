import { EMBEDDING_NAME, LM_HEAD_NAME, POST_NORM_NAME, parameterSpecs } from '../params.js';
import type { ModelSpec } from '../spec.js';
import { UserError } from '../../runtime/errors.js';
import { IrBuilder } from './builder.js';
import { dropout, layerNorm, type LowerContext } from './lower-common.js';
import { lowerMlstmBlock } from './lower-mlstm.js';
import { lowerSlstmBlock } from './lower-slstm.js';
import { parameterLayout } from './param-layout.js';
import type { IrModule, IrParameter, MlstmForm } from './types.js';

export interface LowerOptions {
  batch: number;
  seqLen: number;
  /** How the mLSTM cells are evaluated (default parallel, the official training form). */
  mlstmForm?: MlstmForm;
  /** Chunk length of the chunkwise form (default 64). */
  chunkSize?: number;
}

const DEFAULT_CHUNK_SIZE = 64;

function checkPositiveInt(what: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`${what} must be a positive whole number, got ${n}`);
}

function irParameters(spec: ModelSpec): IrParameter[] {
  return parameterSpecs(spec).map((p) => ({ ...p, layout: parameterLayout(p.name, p.tiedTo) }));
}

/**
 * Lowers a checked model to the IR of its official forward pass and loss for a static batch and
 * sequence length: embedding → blocks → post-blocks norm → LM head → mean cross-entropy.
 */
export function lowerModel(spec: ModelSpec, options: LowerOptions): IrModule {
  checkPositiveInt('batch size', options.batch);
  checkPositiveInt('sequence length', options.seqLen);
  if (options.chunkSize !== undefined) checkPositiveInt('chunk size', options.chunkSize);
  const mlstmForm = options.mlstmForm ?? 'parallel';
  const params = irParameters(spec);
  const b = new IrBuilder(new Map(params.map((p) => [p.name, p])));
  const { batch: B, seqLen: T } = options;
  const E = spec.embeddingDim;
  const V = spec.vocabSize;
  const ctx: LowerContext = { b, spec, batch: B, seqLen: T, scope: { block: null, label: '' } };
  const taps: Record<string, number> = {};

  const tokens = b.input('tokens', 'i32', [B, T]);
  const targets = b.input('targets', 'i32', [B, T]);
  const embedded = b.emit1(ctx.scope, 'token_embedding', 'embedding', { vocabSize: V, dim: E }, [tokens, EMBEDDING_NAME], {
    name: 'embedding',
    shape: [B, T, E],
  });
  taps['embedding'] = embedded;
  let x = spec.addEmbeddingDropout ? dropout(ctx, 'embedding dropout', embedded, spec.dropout) : embedded;

  for (const blk of spec.blocks) {
    const blockCtx: LowerContext = { ...ctx, scope: { block: blk.index, label: `block ${blk.index} ${blk.kind === 'mlstm' ? 'mLSTM' : 'sLSTM'}` } };
    const lowered =
      blk.kind === 'mlstm'
        ? lowerMlstmBlock(blockCtx, blk, x, { form: mlstmForm, chunkSize: options.chunkSize ?? DEFAULT_CHUNK_SIZE })
        : lowerSlstmBlock(blockCtx, blk, x);
    taps[`blocks.${blk.index}.xlstm`] = lowered.layer;
    taps[`blocks.${blk.index}`] = lowered.out;
    x = lowered.out;
  }

  if (spec.addPostBlocksNorm) {
    x = layerNorm(ctx, 'post_blocks_norm', x, POST_NORM_NAME);
    taps['post_blocks_norm'] = x;
  }
  const head = spec.tieWeights ? EMBEDDING_NAME : LM_HEAD_NAME;
  const logits = b.emit1(ctx.scope, 'lm_head', 'lm_head', { vocabSize: V, dim: E, tied: spec.tieWeights }, [x, head], {
    name: 'logits',
    shape: [B, T, V],
  });
  const loss = b.emit1(ctx.scope, 'loss', 'cross_entropy', { vocabSize: V, reduction: 'mean', count: B * T }, [logits, targets], {
    name: 'loss',
    shape: [],
  });

  return {
    model: spec.name,
    batch: B,
    seqLen: T,
    mlstmForm,
    params,
    values: b.values,
    ops: b.ops,
    inputs: { tokens, targets },
    outputs: { logits, loss },
    taps,
  };
}
