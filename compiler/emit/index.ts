/**
 * Emission: the TypeScript module and WGSL files `xlstm compile` writes for each model.
 *
 * What a generated module is (`<dir>/<kebab-name>.ts`): a header naming the .xlstm source; the
 * resolved model as an `as const` literal (`config`, checked `satisfies ModelConfig`, so every value
 * has its literal type: `BenchSmall.config.vocabSize` is `256`); the official parameter names and
 * shapes (`parameters`, and a `<Model>ParameterName` union); the WGSL kernels of two plans, each
 * commented with the IR ops it computes and the .xlstm location and block they come from
 * (`kernels`, also written to `<dir>/<kebab-name>/*.wgsl`); and a class `<Model>` extending the
 * runtime's `XlstmModel<typeof config>` with `create({ seed, device })` and `load(weights)`, which
 * brings `forward`, `generate`, `save`, `toSafetensors` and `dispose`.
 *
 * Baked at compile time versus planned at run time. Kernels are specialised to constant shapes,
 * which depend on the batch size and sequence length of each call, and to the device (its loop
 * cap, workgroup and binding limits, f16). A module holding kernels for a few declared shapes would
 * either refuse every other shape or need the generators anyway. The generators and the planner
 * (compiler/ir, compiler/plan, compiler/kernels, compiler/params.ts, compiler/spec.ts) are pure
 * functions that import only each other: no chevrotain, no ts-morph, no Node module. So the runtime
 * plans itself (runtime/model/, once per shape and kind of run, a few tens of milliseconds), and the
 * generated module needs nothing from the compiler: it imports only the runtime, and the config is
 * all the runtime needs. The module's `kernels` are the plans for the shapes declared at compile
 * time (`--batch`/`--seq`, default the model's training shapes; the generation step at batch 1) for
 * the limits every WebGPU device offers: there to be read and reviewed, and the same text the
 * runtime builds for those shapes on such a device, but not what it loads.
 *
 * The runtime specifier: `--platform node` (default) imports `xlstm-dsl/runtime/node` (the runtime
 * plus Node's device acquisition and checkpoint files), `--platform browser` imports
 * `xlstm-dsl/runtime` (`navigator.gpu`, checkpoints by URL or bytes); `--runtime-import` replaces
 * the specifier where the package is not installed under its name (this repository's tests import
 * `dist/runtime/node.js` by relative path).
 *
 * Output is all or nothing: every file of every model is produced in memory first
 * (`emitModel`), then `writeFilesAtomically` builds them in a staging directory and renames them
 * into place.
 */
export { emitModel, type EmitOptions, type EmittedFile, type EmittedModel, type ModuleEmitKind } from './emit-model.js';
export { writeFilesAtomically } from './write-files-node.js';
export { DEFAULT_RUNTIME_IMPORT, type ModulePlatform } from './runtime-import.js';
export { kebabCase } from './names.js';
