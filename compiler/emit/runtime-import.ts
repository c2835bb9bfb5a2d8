/**
 * Which runtime entry a generated module binds to. 'node': `xlstm-dsl/runtime/node`, the browser-safe
 * runtime plus Node's device acquisition (npm `webgpu`) and checkpoint files by path. 'browser':
 * `xlstm-dsl/runtime` alone (`navigator.gpu`, checkpoints by URL or bytes). Either way the module
 * imports exactly one specifier; `--runtime-import` replaces it where the package is not installed
 * under its name (e.g. a relative path to this repository's dist/runtime/node.js).
 */
export type ModulePlatform = 'node' | 'browser';

export const DEFAULT_RUNTIME_IMPORT: Record<ModulePlatform, string> = { node: 'xlstm-dsl/runtime/node', browser: 'xlstm-dsl/runtime' };
