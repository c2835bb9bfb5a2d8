import type { Span } from '../../../grammar/ast.js';
import { ISSUES, type Report } from '../issues.js';

/** Above this an sLSTM head's recurrent kernel (4·DH×DH) is far beyond anything the paper trains. */
const LARGE_SLSTM_HEAD_DIM = 256;

/**
 * Head dims the kernels handle well: multiples of 4 (vec4 lanes). sLSTM head dims above 256 are
 * flagged too; mLSTM ones are not, since the paper's own models use them (125M: 1536 / 4 = 384).
 */
export function checkHeadDim(layer: 'mlstm' | 'slstm', headDim: number, how: string, span: Span, report: Report): void {
  if (headDim % 4 !== 0) {
    report(
      ISSUES.headDimNotMultipleOf4,
      `${layer} head dim ${headDim} (${how}) is not a multiple of 4`,
      span,
      'the GPU kernels process head dims 4 at a time; other sizes work but leave lanes idle',
    );
  }
  if (layer === 'slstm' && headDim > LARGE_SLSTM_HEAD_DIM) {
    report(
      ISSUES.headDimLarge,
      `slstm head dim ${headDim} (${how}) is above ${LARGE_SLSTM_HEAD_DIM}`,
      span,
      `each head's recurrent kernel is then 4·${headDim}×${headDim} and every time step waits on it; more heads of a smaller dim is the usual choice`,
    );
  }
}
