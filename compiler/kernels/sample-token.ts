import type { KernelSpec, KernelTarget } from './kernel.js';
import { buildKernel, u32 } from './wgsl.js';

/**
 * Next-token sampling on the device, so a generated token costs one 4-byte readback: a workgroup per
 * batch row of logits [B, V] writes `token[b]` (i32). The rule (the test holds a float64 twin):
 *
 *   rank   tokens by logit, higher first, ties to the LOWER id (a strict total order; −0 == +0)
 *   greedy temperature ≤ 0: the first-ranked token (argmax, lowest id on ties)
 *   top-k  topK in [1, V): keep the topK first-ranked tokens (0 or ≥ V: keep all)
 *   weight w_v = exp((logit_v − max logit) / temperature); the first-ranked token weighs exactly 1
 *   top-p  topP < 1: keep the shortest run of first-ranked kept tokens whose weight reaches
 *          max(topP · Z_k, 1), Z_k the total after top-k (the nucleus of the distribution
 *          renormalised after top-k; never empty)
 *   draw   Z the kept total, r = min(draws[b], 1 − 2⁻²⁴): the first kept token IN ID ORDER whose
 *          running weight sum exceeds r · Z (inverse CDF; any fixed order samples the same
 *          distribution, and id order needs a prefix sum instead of a sort)
 *
 * Top-k and top-p are radix selections (one loop, two phases) over the 32-bit order key of the logit
 * followed by the bits of V−1−id, so that key order is rank order: each pass sorts the tokens that
 * share the key prefix chosen so far into 16 buckets by their next 4 key bits, totals count or
 * weight per bucket over the workgroup, and every invocation picks the same bucket. All totals are
 * summed serially in a fixed order (one invocation per total): few barriers, little code (llvmpipe
 * compiles barrier-heavy shaders slowly), and a row and a draw always give the same token.
 *
 * Workgroup values read before a barrier and still needed after it live in slots nothing writes
 * afterwards (or in alternating halves): on llvmpipe (Mesa 22.3) such a read can observe another
 * SIMD group's write made after the barrier. Logits must not be NaN.
 *
 * Bindings: logits [B·V], draws [B] (uniform draws in [0, 1), one per row, made on the CPU from a
 * seeded generator), token [B] (i32). Uniforms: temperature (f32), topK (u32), topP (f32).
 * One dispatch.
 */
export interface SampleTokenOptions {
  batch: number;
  vocab: number;
  name?: string;
  source?: string;
}

const DIGIT_BITS = 4;
const BUCKETS = 2 ** DIGIT_BITS;

export function sampleTokenKernel(o: SampleTokenOptions, target: KernelTarget): KernelSpec {
  const { batch: B, vocab: V } = o;
  for (const [dim, v] of Object.entries({ B, V })) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`sample token: ${dim} must be a positive integer, got ${v}`);
  }
  const idBits = DIGIT_BITS * Math.ceil(Math.ceil(Math.log2(V)) / DIGIT_BITS);
  const passes = (32 + idBits) / DIGIT_BITS;
  // Loop-header executions per invocation: sweeps over the row (CHUNK ids each) and serial totals.
  const costAt = (size: number): number => {
    const sweep = Math.ceil(V / size) + 1;
    const serial = size + 1;
    const phase = sweep + serial + passes * (sweep + serial + BUCKETS + 1) + passes + 1;
    return sweep + serial + 3 + 2 * phase + sweep + serial + sweep;
  };
  let size = Math.max(BUCKETS, Math.min(64, target.maxComputeInvocationsPerWorkgroup));
  while (costAt(size) > target.maxLoopIterationsPerInvocation && 2 * size <= target.maxComputeInvocationsPerWorkgroup) size *= 2;

  const rowSweep = (lines: string[]): string[] => [
    'for (var v = first; v < last; v++) {',
    '  let l = logits[base + v];',
    '  let key = vec2<u32>(order_key(l), V - 1u - v);',
    ...lines.map((l) => `  ${l}`),
    '}',
  ];
  // `slot` of `stats` = the fixed-order total of `parts[0 .. WORKGROUP_INVOCATIONS)`.
  const serialTotal = (parts: string, slot: number, combine: (a: string, b: string) => string): string[] => [
    `${parts}[lid] = partial;`,
    'workgroupBarrier();',
    'if (lid == 0u) {',
    `  var acc = ${parts}[0];`,
    `  for (var i = 1u; i < WORKGROUP_INVOCATIONS; i++) { acc = ${combine('acc', `${parts}[i]`)}; }`,
    `  stats[${slot}] = acc;`,
    '}',
    'workgroupBarrier();',
  ];

  const body = [
    'let base = wg * V;',
    // each invocation owns CHUNK consecutive ids, so prefix sums over invocations follow id order
    'let first = min(lid * CHUNK, V);',
    'let last = min(first + CHUNK, V);',
    'var partial = logits[base + min(first, V - 1u)];',
    ...rowSweep(['partial = max(partial, l);']),
    ...serialTotal('parts', 0, (a, b) => `max(${a}, ${b})`),
    'let rowMax = stats[0];',
    'let greedy = u.temperature <= 0.0;',
    'let invT = select(1.0 / u.temperature, 1.0, greedy);',
    'let k = select(u.topK, 1u, greedy);',
    // phase 0: top-k by count; phase 1: top-p by weight, among the tokens top-k kept
    'var cut = vec2<u32>(0u, 0u);',
    'for (var phase = 0u; phase < 2u; phase++) {',
    '  let byWeight = phase == 1u;',
    '  if (select(k > 0u && k < V, !greedy && u.topP < 1.0, byWeight)) {',
    '    partial = 0.0;',
    ...indent(rowSweep(['if (at_or_above(key, cut)) { partial += exp((l - rowMax) * invT); }']), 2),
    ...indent(serialTotal('parts', 1, (a, b) => `${a} + ${b}`), 2),
    '    let goal = select(f32(k), max(u.topP * stats[1], 1.0), byWeight);',
    '    let lowest = cut;',
    '    cut = vec2<u32>(0u, 0u);',
    '    var above = 0.0;',
    '    for (var p = 0u; p < PASSES; p++) {',
    '      let inValue = p < VALUE_PASSES;',
    '      let shift = select(ID_BITS - DIGIT_BITS * (p - VALUE_PASSES + 1u), 32u - DIGIT_BITS * (p + 1u), inValue);',
    // key bits above this digit must equal the prefix chosen so far
    '      let high = select(0xffffffffu << (shift + DIGIT_BITS), 0u, shift + DIGIT_BITS >= 32u);',
    '      var b0 = vec4<f32>(0.0);',
    '      var b1 = vec4<f32>(0.0);',
    '      var b2 = vec4<f32>(0.0);',
    '      var b3 = vec4<f32>(0.0);',
    ...indent(
      rowSweep([
        'let same = select(key.x == cut.x && ((key.y ^ cut.y) & high) == 0u, ((key.x ^ cut.x) & high) == 0u, inValue);',
        'if (same && at_or_above(key, lowest)) {',
        '  let digit = vec4<u32>((select(key.y, key.x, inValue) >> shift) & 15u);',
        '  let w = vec4<f32>(select(1.0, exp((l - rowMax) * invT), byWeight));',
        '  b0 += select(vec4<f32>(0.0), w, digit == vec4<u32>(0u, 1u, 2u, 3u));',
        '  b1 += select(vec4<f32>(0.0), w, digit == vec4<u32>(4u, 5u, 6u, 7u));',
        '  b2 += select(vec4<f32>(0.0), w, digit == vec4<u32>(8u, 9u, 10u, 11u));',
        '  b3 += select(vec4<f32>(0.0), w, digit == vec4<u32>(12u, 13u, 14u, 15u));',
        '}',
      ]),
      3,
    ),
    '      buckets[4u * lid] = b0;',
    '      buckets[4u * lid + 1u] = b1;',
    '      buckets[4u * lid + 2u] = b2;',
    '      buckets[4u * lid + 3u] = b3;',
    '      workgroupBarrier();',
    // bucket totals alternate halves by pass, so a late read of the last pass's half sees no new write
    '      let side = (p & 1u) * BUCKETS;',
    '      if (lid < BUCKETS) {',
    '        var acc = 0.0;',
    '        for (var i = 0u; i < WORKGROUP_INVOCATIONS; i++) { acc += buckets[4u * i + lid / 4u][lid % 4u]; }',
    '        totals[side + lid] = acc;',
    '      }',
    '      workgroupBarrier();',
    // every invocation picks the same digit: the highest whose bucket and those above reach the goal
    // (0 if rounding leaves none)
    '      var digit = 0u;',
    '      var sum = above;',
    '      for (var d = BUCKETS; d > 0u; d--) {',
    '        let next = sum + totals[side + d - 1u];',
    '        if (next >= goal) { digit = d - 1u; break; }',
    '        sum = next;',
    '      }',
    '      above = sum;',
    '      if (inValue) { cut.x |= digit << shift; } else { cut.y |= digit << shift; }',
    '    }',
    '  }',
    '}',
    'partial = 0.0;',
    ...rowSweep(['if (at_or_above(key, cut)) { partial += exp((l - rowMax) * invT); }']),
    'parts[lid] = partial;',
    'workgroupBarrier();',
    // exclusive prefix sums over the invocations, then the total: one serial pass, monotone
    'if (lid == 0u) {',
    '  var acc = 0.0;',
    '  for (var i = 0u; i < WORKGROUP_INVOCATIONS; i++) { prefix[i] = acc; acc += parts[i]; }',
    '  prefix[WORKGROUP_INVOCATIONS] = acc;',
    '}',
    'workgroupBarrier();',
    'let goal = min(draws[wg], 0.99999994) * prefix[WORKGROUP_INVOCATIONS];',
    'if (greedy) {',
    '  if (lid == 0u) { token[wg] = i32(V - 1u - cut.y); }',
    '} else if (prefix[lid] <= goal && goal < prefix[lid + 1u]) {',
    '  let rest = goal - prefix[lid];',
    '  var running = 0.0;',
    '  var pick = first;',
    ...indent(rowSweep(['if (running <= rest && at_or_above(key, cut)) {', '  running += exp((l - rowMax) * invT);', '  pick = v;', '}'])),
    '  token[wg] = i32(pick);',
    '}',
  ];

  return buildKernel(
    {
      name: o.name ?? `sample_token_${B}x${V}`,
      ...(o.source !== undefined ? { source: o.source } : {}),
      summary: `token[b] sampled from logits[b, :] (${B} rows of ${V}): temperature, top-k, top-p, then the row's draw`,
      bindings: [
        { name: 'logits', access: 'read', type: 'f32', elements: B * V },
        { name: 'draws', access: 'read', type: 'f32', elements: B },
        { name: 'token', access: 'read_write', type: 'i32', elements: B },
      ],
      uniforms: [
        { name: 'temperature', type: 'f32' },
        { name: 'topK', type: 'u32' },
        { name: 'topP', type: 'f32' },
      ],
      constants: {
        V: u32(V),
        CHUNK: u32(Math.ceil(V / size)),
        PASSES: u32(passes),
        VALUE_PASSES: u32(32 / DIGIT_BITS),
        DIGIT_BITS: u32(DIGIT_BITS),
        BUCKETS: u32(BUCKETS),
        ID_BITS: u32(idBits),
      },
      workgroupVars: {
        parts: `array<f32, ${size}>`,
        stats: 'array<f32, 2>',
        buckets: `array<vec4<f32>, ${4 * size}>`,
        totals: `array<f32, ${2 * BUCKETS}>`,
        prefix: `array<f32, ${size + 1}>`,
      },
      helpers: [
        // an order-preserving map of f32 to u32 (−0 folded onto +0)
        `fn order_key(x: f32) -> u32 {
  let b = select(bitcast<u32>(x), 0u, bitcast<u32>(x) == 0x80000000u);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}`,
        `fn at_or_above(a: vec2<u32>, b: vec2<u32>) -> bool {
  return a.x > b.x || (a.x == b.x && a.y >= b.y);
}`,
      ],
      workgroupSize: size,
      workgroups: B,
      loopIterations: costAt(size),
      body,
    },
    target,
  );
}

function indent(lines: string[], levels = 1): string[] {
  const pad = '  '.repeat(levels);
  return lines.map((l) => pad + l);
}
