import { Project, VariableDeclarationKind, type SourceFile } from 'ts-morph';
import { parameterSpecs } from '../params.js';
import type { ModelSpec } from '../spec.js';
import { kernelUses, type EmbeddedKernel } from './module-kernels.js';
import { className } from './names.js';
import type { ModulePlatform } from './runtime-import.js';
import { templateLiteral, tsLiteral } from './ts-literal.js';

export interface ModuleSourceInput {
  spec: ModelSpec;
  /** `file:line:col` of the model declaration. */
  declaredAt: string;
  /** The compile command line's description of the declared shapes, for the header. */
  shapesText: string;
  /** The device the embedded kernels were planned for, in words. */
  targetText: string;
  kernels: readonly EmbeddedKernel[];
  platform: ModulePlatform;
  runtimeImport: string;
}

/** The generated TypeScript module of one model (see index.ts for what it holds and why). */
export function moduleSource(input: ModuleSourceInput): string {
  const { spec, platform } = input;
  const name = className(spec.name);
  const host = platform === 'node' ? 'nodeHost' : 'browserHost';
  const project = new Project({ useInMemoryFileSystem: true });
  const sf = project.createSourceFile(`${name}.ts`);

  sf.addImportDeclaration({
    moduleSpecifier: input.runtimeImport,
    namedImports: ['XlstmModel', host, ...['CreateOptions', 'LoadOptions', 'ModelConfig', 'WeightsSource'].map((n) => ({ name: n, isTypeOnly: true }))],
  });
  addConst(sf, 'config', `${tsLiteral(configOf(spec))} as const satisfies ModelConfig`, [
    `The resolved ${name}: every setting and derived dimension, as \`xlstm check --explain\` shows them.`,
  ]);
  addConst(sf, 'parameters', `[\n${parameterSpecs(spec).map((p) => tsLiteral({ name: p.name, shape: p.shape, tiedTo: p.tiedTo }, true)).join(',\n')}\n] as const`, [
    'Every tensor of the official `state_dict()`, in its order, with its shape (a tied `lm_head.weight` names the tensor it shares).',
  ]);
  sf.addTypeAlias({
    name: `${name}ParameterName`,
    isExported: true,
    type: '(typeof parameters)[number]["name"]',
    docs: ['The official name of one of the parameters.'],
  });
  for (const k of input.kernels) {
    sf.addVariableStatement({
      declarationKind: VariableDeclarationKind.Const,
      declarations: [{ name: k.id, type: 'string', initializer: templateLiteral(k.wgsl) }],
      docs: [kernelDoc(k).join('\n')],
    });
  }
  addConst(sf, 'kernels', `{\n${input.kernels.map((k) => k.id).join(',\n')}\n}`, [
    `The WGSL kernels planned for ${input.shapesText}, for ${input.targetText}.`,
    'They are here to be read (and are also written as .wgsl files): the runtime plans the kernels itself for each',
    'batch size and sequence length it runs and for the device it runs on.',
  ]);

  sf.addClass({
    name,
    isExported: true,
    extends: 'XlstmModel<typeof config>',
    docs: [classDoc(name, spec, platform).join('\n')],
    properties: [{ name: 'config', isStatic: true, isReadonly: true, initializer: 'config', docs: ['The resolved model (also on every instance).'] }],
    methods: [
      {
        name: 'create',
        isStatic: true,
        isAsync: true,
        parameters: [{ name: 'options', type: 'CreateOptions', initializer: '{}' }],
        returnType: `Promise<${name}>`,
        docs: [
          'A model with freshly initialised weights (the official initialisation, drawn from `options.seed`, default 0) on\n' +
            '`options.device`, or on a device acquired for it (released again by `dispose()`).',
        ],
        statements: `return new ${name}(await XlstmModel.createParts(config, ${host}, options));`,
      },
      {
        name: 'load',
        isStatic: true,
        isAsync: true,
        parameters: [
          { name: 'weights', type: 'WeightsSource' },
          { name: 'options', type: 'LoadOptions', initializer: '{}' },
        ],
        returnType: `Promise<${name}>`,
        docs: [
          `A model with the weights of a checkpoint (${platform === 'node' ? 'a .safetensors path' : 'a .safetensors URL'}, the bytes of one, or a map from official\n` +
            'parameter names to values); every name and shape is checked against `parameters` first.',
        ],
        statements: `return new ${name}(await XlstmModel.loadParts(config, ${host}, weights, options));`,
      },
    ],
  });

  sf.insertStatements(0, headerComment(name, input));
  sf.formatText({ indentSize: 2, convertTabsToSpaces: true });
  return sf.getFullText();
}

function addConst(sf: SourceFile, name: string, initializer: string, docs: string[]): void {
  sf.addVariableStatement({
    isExported: true,
    declarationKind: VariableDeclarationKind.Const,
    declarations: [{ name, initializer }],
    docs: [docs.join('\n')],
  });
}

/** The spec as the module's config: everything but the source span (the header names the source). */
function configOf(spec: ModelSpec): Omit<ModelSpec, 'source'> {
  const { source: _source, ...config } = spec;
  return config;
}

function kernelDoc(k: EmbeddedKernel): string[] {
  return [
    `${k.planLabel}: ${k.fileName}`,
    ...kernelUses(k),
  ];
}

function classDoc(name: string, spec: ModelSpec, platform: ModulePlatform): string[] {
  const where = platform === 'node' ? "'ckpt.safetensors'" : "'/ckpt.safetensors'";
  return [
    `${name}: an xLSTM language model with ${spec.numBlocks} blocks (vocabulary ${spec.vocabSize}, embedding ${spec.embeddingDim}) on WebGPU.`,
    '',
    '```ts',
    `const model = await ${name}.create({ seed: 1 });          // or await ${name}.load(${where})`,
    'const { logits, state } = await model.forward([[1, 2, 3]]); // logits.data: [batch, time, vocab]',
    'await model.forward([[4]], state);                          // continues the sequence',
    'for await (const token of model.generate([1, 2, 3], { maxTokens: 20, temperature: 0.8, seed: 7 })) { … }',
    `await model.save(${where}); model.dispose();`,
    '```',
  ];
}

function headerComment(name: string, input: ModuleSourceInput): string {
  const text =
    `${name}: generated by \`xlstm compile\` from ${input.declaredAt} (model ${input.spec.name}). Do not edit: change the ` +
    '.xlstm source and compile again.\n\n' +
    `Baked in: the resolved config, the official parameter names and shapes, and the WGSL of the kernels planned for ` +
    `${input.shapesText}. At run time the runtime plans kernels for each batch size and sequence length used, for the ` +
    'device it runs on.';
  return `${text.split('\n').flatMap((p) => wrap(p, 100)).map((l) => `// ${l}`.trimEnd()).join('\n')}\n`;
}

/** Greedy word wrap of one paragraph ('' stays one empty line). */
function wrap(paragraph: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}
