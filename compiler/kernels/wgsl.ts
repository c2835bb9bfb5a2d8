import {
  MAX_WORKGROUPS_PER_DIMENSION,
  type KernelBinding,
  type KernelSpec,
  type KernelTarget,
  type KernelUniform,
  type ScalarType,
} from './kernel.js';

/**
 * The one place WGSL text is assembled (jax-js style): a generator describes its bindings,
 * constants and body, and the builder declares exactly those, in binding order, with a header
 * comment; it folds large dispatches into 2D, adds `enable f16;` only when asked for and available,
 * and refuses a kernel whose loops would exceed the device's silent loop cap.
 *
 * The body sees these names (declared only when the body uses them):
 *   `wg`  linear workgroup index (fold-aware), `lid` local invocation index,
 *   `gid` linear global invocation index (`wg * WORKGROUP_INVOCATIONS + lid`),
 *   `u`   the uniform block, `WORKGROUP_INVOCATIONS` the workgroup's invocation count.
 */

export interface WgslConstant {
  type: ScalarType;
  value: number;
}

export const u32 = (value: number): WgslConstant => ({ type: 'u32', value });
export const i32 = (value: number): WgslConstant => ({ type: 'i32', value });
export const f32 = (value: number): WgslConstant => ({ type: 'f32', value });

/** 0, 1, …, n − 1: the indices generators unroll registers and loops over. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export interface KernelSource {
  name: string;
  source?: string;
  /** One line saying what the kernel computes, for the header comment. */
  summary: string;
  bindings: KernelBinding[];
  uniforms?: KernelUniform[];
  /** Baked into the WGSL as `const NAME: type = value;` (only those the code mentions). */
  constants?: Record<string, WgslConstant>;
  /** Workgroup-shared variables: name → WGSL type. */
  workgroupVars?: Record<string, string>;
  /** WGSL functions the body calls (emitted once each, before the entry point). */
  helpers?: string[];
  workgroupSize: number | readonly [number, number, number];
  /** Total workgroups; the builder folds counts above the per-dimension limit into 2D. */
  workgroups: number;
  /** Loop-header executions one invocation makes at most; checked against the target's cap. */
  loopIterations: number;
  /** Statements of the entry point, one per line, indented relative to the function body. */
  body: string[];
  /** The kernel uses f16 types; the target must have `shader-f16`. */
  f16?: boolean;
}

const IDENTIFIER = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Names the builder itself declares in the entry point. */
const BUILDER_NAMES = new Set(['wg', 'lid', 'gid', 'u', 'main', 'wid', 'WORKGROUP_INVOCATIONS', 'WORKGROUPS', 'WORKGROUPS_X']);

export function buildKernel(src: KernelSource, target: KernelTarget): KernelSpec {
  const fail = (why: string): never => {
    throw new Error(`kernel ${src.name}: ${why}`);
  };
  const workgroupSize = normaliseWorkgroupSize(src.workgroupSize);
  const invocations = workgroupSize[0] * workgroupSize[1] * workgroupSize[2];
  if (invocations > target.maxComputeInvocationsPerWorkgroup) {
    fail(`workgroup of ${invocations} invocations exceeds the device's ${target.maxComputeInvocationsPerWorkgroup}`);
  }
  if (src.bindings.length > target.maxStorageBuffersPerShaderStage) {
    fail(`${src.bindings.length} storage bindings exceed the device's ${target.maxStorageBuffersPerShaderStage}`);
  }
  if (src.loopIterations > target.maxLoopIterationsPerInvocation) {
    fail(
      `${src.loopIterations} loop iterations per invocation exceed the loop budget of ` +
        `${target.maxLoopIterationsPerInvocation} (the device's silent loop cap less a reserve); the generator must split the work`,
    );
  }
  if (src.f16 && !target.shaderF16) fail('uses f16 but the device lacks shader-f16');

  const code = [...src.body, ...(src.helpers ?? [])].join('\n');
  const uses = (name: string): boolean => new RegExp(`\\b${name}\\b`).test(code);
  const names = [
    ...src.bindings.map((b) => b.name),
    ...(src.uniforms ?? []).map((v) => v.name),
    ...Object.keys(src.constants ?? {}),
    ...Object.keys(src.workgroupVars ?? {}),
  ];
  for (const name of names) {
    if (!IDENTIFIER.test(name) || BUILDER_NAMES.has(name)) fail(`'${name}' cannot be used as a WGSL name here`);
  }
  if (new Set(names).size !== names.length) fail('binding, uniform, constant and workgroup variable names must be distinct');
  for (const b of src.bindings) {
    if (!uses(b.name)) fail(`binding '${b.name}' is never used`);
    if (b.view === 'vec4' && b.elements % 4 !== 0) fail(`binding '${b.name}' has ${b.elements} elements, not a multiple of 4`);
    const bytes = b.elements * 4;
    if (bytes > target.maxStorageBufferBindingSize) {
      fail(`binding '${b.name}' spans ${bytes} bytes, above the device's ${target.maxStorageBufferBindingSize}`);
    }
  }

  const fold = foldWorkgroups(src.workgroups);
  if (fold.dispatch[1] > MAX_WORKGROUPS_PER_DIMENSION) fail(`${src.workgroups} workgroups are more than a 2D dispatch can hold`);
  const needsGid = uses('gid');
  const builtins: [string, number, boolean][] = [
    ['WORKGROUP_INVOCATIONS', invocations, needsGid || uses('WORKGROUP_INVOCATIONS')],
    ['WORKGROUPS', src.workgroups, fold.guarded || uses('WORKGROUPS')],
    ['WORKGROUPS_X', fold.dispatch[0], fold.dispatch[1] > 1],
  ];

  const out: string[] = [];
  if (src.f16) out.push('enable f16;', '');
  src.bindings.forEach((b, i) => {
    const element = b.view === 'vec4' ? `vec4<${b.type}>` : b.type;
    const count = b.view === 'vec4' ? b.elements / 4 : b.elements;
    out.push(`@group(0) @binding(${i}) var<storage, ${b.access}> ${b.name}: array<${element}, ${count}>;`);
  });
  if (src.uniforms?.length) {
    out.push(`struct Uniforms { ${src.uniforms.map((v) => `${v.name}: ${v.type}`).join(', ')} }`);
    out.push(`@group(0) @binding(${src.bindings.length}) var<uniform> u: Uniforms;`);
  }
  const constantLines = [
    ...builtins.filter(([, , used]) => used).map(([name, value]) => `const ${name}: u32 = ${value}u;`),
    ...Object.entries(src.constants ?? {})
      .filter(([name]) => uses(name))
      .map(([name, c]) => `const ${name}: ${c.type} = ${literal(c, name, fail)};`),
  ];
  if (constantLines.length) out.push('', ...constantLines);
  const shared = Object.entries(src.workgroupVars ?? {});
  if (shared.length) out.push('', ...shared.map(([name, type]) => `var<workgroup> ${name}: ${type};`));
  for (const h of new Set(src.helpers ?? [])) out.push('', h.trimEnd());

  const needsWg = needsGid || uses('wg') || fold.guarded;
  const needsLid = needsGid || uses('lid');
  const params = [
    needsWg ? '@builtin(workgroup_id) wid: vec3<u32>' : '',
    needsLid ? '@builtin(local_invocation_index) lid: u32' : '',
  ].filter(Boolean);
  out.push('', `@compute @workgroup_size(${workgroupSize.join(', ')})`, `fn main(${params.join(', ')}) {`);
  if (needsWg) out.push(fold.dispatch[1] > 1 ? '  let wg = wid.x + wid.y * WORKGROUPS_X;' : '  let wg = wid.x;');
  if (fold.guarded) out.push('  if (wg >= WORKGROUPS) { return; }');
  if (needsGid) out.push('  let gid = wg * WORKGROUP_INVOCATIONS + lid;');
  out.push(...src.body.map((line) => (line ? `  ${line}` : '')), '}', '');
  const shader = out.join('\n');

  const header = [
    `// xlstm-dsl kernel ${src.name} (generated: edit its generator, not this text)`,
    ...(src.source ? [`// from ${src.source}`] : []),
    `// ${src.summary}`,
    `// workgroup (${workgroupSize.join(', ')}), dispatch (${fold.dispatch.join(', ')}), ` +
      `at most ${src.loopIterations} loop iterations per invocation`,
    '',
  ].join('\n');
  return {
    name: src.name,
    ...(src.source !== undefined ? { source: src.source } : {}),
    bindings: src.bindings,
    ...(src.uniforms?.length ? { uniforms: src.uniforms } : {}),
    workgroupSize,
    dispatch: fold.dispatch,
    wgsl: header + shader,
    // Keyed on the code without its header: identical kernels of different blocks share a pipeline.
    cacheKey: `wgsl-${hash53(shader).toString(36)}`,
    loopIterations: src.loopIterations,
  };
}

/**
 * Splits a workgroup count over x and y so that neither exceeds the guaranteed 65,535; the shader
 * recombines them (`wg`) and, when x·y overshoots, returns early from the surplus workgroups.
 */
export function foldWorkgroups(count: number): { dispatch: [number, number, number]; guarded: boolean } {
  if (!Number.isInteger(count) || count < 1) throw new Error(`workgroup count must be a positive integer, got ${count}`);
  if (count <= MAX_WORKGROUPS_PER_DIMENSION) return { dispatch: [count, 1, 1], guarded: false };
  const y = Math.ceil(count / MAX_WORKGROUPS_PER_DIMENSION);
  const x = Math.ceil(count / y);
  return { dispatch: [x, y, 1], guarded: x * y !== count };
}

function normaliseWorkgroupSize(size: KernelSource['workgroupSize']): [number, number, number] {
  const s: [number, number, number] = typeof size === 'number' ? [size, 1, 1] : [size[0], size[1], size[2]];
  if (!s.every((d) => Number.isInteger(d) && d >= 1)) throw new Error(`invalid workgroup size ${s.join('x')}`);
  return s;
}

function literal(c: WgslConstant, name: string, fail: (why: string) => never): string {
  if (!Number.isFinite(c.value)) fail(`constant ${name} = ${c.value} is not finite`);
  if (c.type === 'f32') {
    const text = String(c.value);
    return /[.e]/.test(text) ? `${text}f` : `${text}.0f`;
  }
  const [lo, hi] = c.type === 'u32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
  if (!Number.isInteger(c.value) || c.value < lo || c.value > hi) fail(`constant ${name} = ${c.value} is not a ${c.type}`);
  return c.type === 'u32' ? `${c.value}u` : `${c.value}i`;
}

/** cyrb53: a fast 53-bit string hash; collisions among a model's few hundred kernels are negligible. */
function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
