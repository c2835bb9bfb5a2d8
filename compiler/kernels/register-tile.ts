import type { KernelTarget } from './kernel.js';
import { range, u32, type WgslConstant } from './wgsl.js';

/**
 * The tiling shared by the register-blocked gradient matmuls (`grad-weight.ts`, `grad-input.ts`):
 * outputs [G groups, R rows, K features], each invocation owning `rows` × `cols` of one group
 * (cols in whole vec4 groups of features), clamped at the edges so no shape needs to divide the tile.
 */
export interface RegisterTile {
  rows: number;
  /** A multiple of 4. */
  cols: number;
}

/** A linear map in G independent blocks of N outputs × K inputs (G = 1: nn.Linear), over `rows` rows. */
export interface GroupedLinearShape {
  rows: number;
  groups?: number;
  outDim: number;
  inDim: number;
  name: string;
  source?: string;
  /** Outputs per invocation, rows × features (a multiple of 4). */
  tile?: [number, number];
}

export function groupedDims(o: GroupedLinearShape): { G: number; M: number; N: number; K: number } {
  const dims = { G: o.groups ?? 1, M: o.rows, N: o.outDim, K: o.inDim };
  for (const [dim, v] of Object.entries(dims)) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${o.name}: ${dim} must be a positive integer, got ${v}`);
  }
  return dims;
}

/** Enough invocations to spread a long reduction over the device (llvmpipe: all cores) before big tiles. */
const WANTED_INVOCATIONS = 256;

/**
 * 8×8 outputs per invocation (DESIGN.md §7: register blocking is what makes llvmpipe fast), shrunk
 * while the whole problem would give fewer than `WANTED_INVOCATIONS` invocations.
 */
export function pickTile(groups: number, rows: number, cols: number, requested?: readonly [number, number]): RegisterTile {
  if (requested) {
    const [r, c] = requested;
    if (!Number.isInteger(r) || r < 1 || !Number.isInteger(c) || c < 4 || c % 4 !== 0) {
      throw new Error(`tile ${r}x${c}: rows must be a positive integer and columns a positive multiple of 4`);
    }
    return { rows: r, cols: c };
  }
  const tile = { rows: Math.min(8, rows), cols: cols <= 4 ? 4 : 8 };
  const invocations = (): number => groups * Math.ceil(rows / tile.rows) * Math.ceil(cols / tile.cols);
  while (invocations() < WANTED_INVOCATIONS) {
    if (tile.rows > 2) tile.rows = Math.ceil(tile.rows / 2);
    else if (tile.cols > 4) tile.cols = 4;
    else if (tile.rows > 1) tile.rows = 1;
    else break;
  }
  return tile;
}

export interface TileGrid {
  tile: RegisterTile;
  threads: number;
  workgroupSize: number;
  workgroups: number;
  constants: Record<string, WgslConstant>;
  /** Entry statements: the bounds guard and `g`, `<row>0`, `k0` of this invocation's tile. */
  preamble: string[];
  /**
   * One statement per output of the tile, guarded where the tile overhangs: `emit(i, v, l, row, k)`
   * for tile row i, vec4 group v, lane l, with `row` and `k` the WGSL row and feature indices.
   */
  stores(emit: (i: number, v: number, l: number, row: string, k: string) => string): string[];
}

/** The grid over G groups of `rowCount` rows (named `rowName`, e.g. n or m) × K features. */
export function tileGrid(G: number, rowCount: number, rowName: string, K: number, requested: readonly [number, number] | undefined, target: KernelTarget): TileGrid {
  const tile = pickTile(G, rowCount, K, requested);
  const rowTiles = Math.ceil(rowCount / tile.rows);
  const kTiles = Math.ceil(K / tile.cols);
  const threads = G * rowTiles * kTiles;
  const workgroupSize = spreadWorkgroupSize(threads, target);
  const guardRows = rowCount % tile.rows !== 0;
  const guardK = K % tile.cols !== 0;
  const limit = rowName.toUpperCase();
  return {
    tile,
    threads,
    workgroupSize,
    workgroups: Math.ceil(threads / workgroupSize),
    constants: { THREADS: u32(threads), GROUP_TILES: u32(rowTiles * kTiles), K_TILES: u32(kTiles), TR: u32(tile.rows), TK: u32(tile.cols), K: u32(K), [limit]: u32(rowCount) },
    preamble: [
      'if (gid >= THREADS) { return; }',
      'let g = gid / GROUP_TILES;',
      'let tile = gid % GROUP_TILES;',
      `let ${rowName}0 = (tile / K_TILES) * TR;`,
      'let k0 = (tile % K_TILES) * TK;',
    ],
    stores: (emit) => {
      const lines: string[] = [];
      for (const i of range(tile.rows)) {
        for (const v of range(tile.cols / 4)) {
          for (const l of range(4)) {
            const row = `${rowName}0 + ${i}u`;
            const k = `k0 + ${4 * v + l}u`;
            const conds = [guardRows ? `${row} < ${limit}` : '', guardK ? `${k} < K` : ''].filter(Boolean);
            const store = emit(i, v, l, row, k);
            lines.push(conds.length ? `if (${conds.join(' && ')}) { ${store} }` : store);
          }
        }
      }
      return lines;
    },
  };
}

/** At most `cap` invocations per workgroup, fewer when that leaves under four workgroups to share out. */
export function spreadWorkgroupSize(threads: number, target: KernelTarget, cap = 64): number {
  const floorPow2 = (n: number): number => 2 ** Math.floor(Math.log2(Math.max(1, n)));
  return Math.min(floorPow2(cap), floorPow2(target.maxComputeInvocationsPerWorkgroup), floorPow2(Math.ceil(threads / 4)));
}
