import type { Span } from '../../grammar/ast.js';
import type { DiagnosticSink, Severity } from '../diagnostics.js';

/**
 * Every finding the checker can report, with its stable code and severity. Codes are part of the
 * public contract (editors and tests key on them), so a rule's code never changes meaning; new
 * rules get new codes. E1xx: names, values and types; E12x: files, imports and models;
 * E2xx: model constraints; W2xx: legal but suspicious choices.
 */
export interface Issue {
  code: string;
  severity: Severity;
  doc: string;
}

function issue(code: string, doc: string): Issue {
  return { code, severity: code.startsWith('W') ? 'warning' : 'error', doc };
}

export const ISSUES = {
  undefinedName: issue('E101', 'a name that no `let` (here or in an imported file) defines'),
  typeMismatch: issue('E102', 'a value of the wrong type for its key or position'),
  notAnInt: issue('E103', 'a float where an int is required (e.g. a `/` that does not divide exactly)'),
  unknownEnumValue: issue('E104', 'an identifier that is not one of the values the key accepts'),
  unknownKey: issue('E105', 'a key that does not exist in this section'),
  duplicateKey: issue('E106', 'the same key (or block override) set twice in one body'),
  divisionByZero: issue('E107', 'division or modulo by zero in a constant expression'),
  badOperand: issue('E108', 'an operator applied to values it does not work on'),
  notRepresentable: issue('E109', 'a number that is not finite or an int beyond 2^53'),
  duplicateLet: issue('E110', 'the same `let` name declared twice in one scope'),
  badCall: issue('E111', 'an unknown function, or arguments it does not take'),
  sectionMismatch: issue('E112', 'a section written as a plain value, or a plain key given a `{ }` body'),
  badSectionArg: issue('E113', 'a section argument that is missing, not allowed, or not a block index'),
  fileNotFound: issue('E120', 'an imported (or checked) file that cannot be read'),
  importCycle: issue('E121', 'files that import each other in a cycle'),
  duplicateModel: issue('E122', 'two models with the same name in scope'),
  unknownBase: issue('E123', '`extends` names a model that is not in scope'),
  extendsCycle: issue('E124', 'models that extend each other in a cycle'),
  missingRequired: issue('E200', 'a required key (vocab, embed, context, blocks) is not set'),
  outOfRange: issue('E201', 'a number outside the range its key allows'),
  mlstmHeadsDivide: issue('E202', 'mLSTM heads do not divide the inner dim I'),
  qkvBlocksizeDivide: issue('E203', 'mLSTM qkv_blocksize does not divide the inner dim I'),
  slstmHeadsDivide: issue('E204', 'sLSTM heads do not divide embed'),
  mlstmConv: issue('E205', 'mLSTM conv1d kernel below 2 (the official CausalConv1d crashes)'),
  slstmConv: issue('E206', 'sLSTM conv1d kernel 1 or negative (0 = no conv, else ≥ 2)'),
  ratioBlocks: issue('E207', 'a ratio a:b that is invalid or does not fit the block count'),
  slstmAtRange: issue('E208', 'an slstm_at position outside 0..blocks-1'),
  slstmAtDuplicate: issue('E209', 'an slstm_at position listed twice'),
  placementConflict: issue('E210', 'both `ratio` and `slstm_at` in one model body'),
  powerlawHeadDim: issue('E211', 'powerlaw_blockdependent bias init with sLSTM head dim 1 (NaN biases)'),
  emptyProjection: issue('E212', 'a projection that rounds down to 0 features'),
  blockIndex: issue('E213', 'a `block N` override whose N is not a block of the stack'),
  blockKind: issue('E214', 'a block override section for the other kind of block'),
  seqLenExceedsContext: issue('E215', 'train seq_len longer than context with mLSTM blocks'),
  headDimNotMultipleOf4: issue('W201', 'a head dim that is not a multiple of 4'),
  headDimLarge: issue('W202', 'an sLSTM head dim above 256'),
  shortContext: issue('W203', 'context below 2'),
  normEps: issue('W204', 'norm_eps other than the official fixed 1e-5'),
  shrinkingProjection: issue('W205', 'a proj_factor below 1'),
  slstmAtUnsorted: issue('W206', 'slstm_at positions not in increasing order'),
  unusedLet: issue('W207', 'a `let` in a model body that nothing uses'),
  warmupExceedsSteps: issue('W208', 'train warmup not shorter than steps'),
  shadowedName: issue('W209', 'a name or file brought in twice, where only one of them is used'),
  noModels: issue('W210', 'a checked file that declares no model'),
} as const satisfies Record<string, Issue>;

export type IssueName = keyof typeof ISSUES;

/** The one channel every check reports through: an issue from the table, where, and an optional hint. */
export type Report = (issue: Issue, message: string, span: Span, hint?: string) => void;

export function reporterFor(sink: DiagnosticSink): Report {
  return (i, message, span, hint) => sink.accept(i.severity, i.code, message, span, hint);
}
